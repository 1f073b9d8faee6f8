"""A faithful HTTP simulator of the Zoom APIs roombot uses (SPEC §8); see docs/zoom-simulator.md.

`SimulatorServer` runs it on loopback HTTP; `create_simulator_app` gives the bare WSGI app; `SimState` is the
state (load one from the documented JSON file with `SimState.from_dict(json.load(f))`).
"""

from .app import create_simulator_app
from .server import SimulatorServer
from .state import SimState, default_state, default_state_dict

__all__ = ["SimState", "SimulatorServer", "create_simulator_app", "default_state", "default_state_dict"]
