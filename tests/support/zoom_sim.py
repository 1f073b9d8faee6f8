"""Fixtures that run the Zoom simulator (bot.zoom.simulator) on real loopback HTTP.

- `zoom_sim`: a running `SimulatorServer` with the default state (docs/zoom-simulator.md) and a fast join delay
  (0.05 s), fresh for each test.  Use `.api_url`, `.oauth_url`, `.state`, `.requests`.
- `make_zoom_sim(state=None, **overrides)`: start more servers, from a state dict (missing keys fall back to the
  default state) plus top-level overrides, e.g. `make_zoom_sim(join_delay_seconds=0, rate_limits={"medium": 2})`.
All servers are stopped at teardown.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from bot.zoom import ZoomSettings
from bot.zoom.simulator import SimulatorServer

# Long enough that a room pulled out of another meeting (Join anyway) is seen between the two meetings by the
# watch even on a loaded 2-core machine; short enough to keep the suite quick.
FAST_JOIN_DELAY = 0.15
SIM_ACCOUNT = "sim-account"
SIM_CLIENT_ID = "sim-client-id"
SIM_CLIENT_SECRET = "sim-client-secret"
SIM_API_KEY = "sim-api-key"
SIM_API_SECRET = "sim-api-secret"


def sim_zoom_settings(sim: SimulatorServer, **overrides: Any) -> ZoomSettings:
    """Client settings for the simulator's default account: S2S credentials, short timeouts, and client-side
    rate limits high enough that only the simulator's own limits (when a test sets them) apply."""
    base = ZoomSettings(api_url=sim.api_url, oauth_url=sim.oauth_url, account_id=SIM_ACCOUNT,
                        client_id=SIM_CLIENT_ID, client_secret=SIM_CLIENT_SECRET, connect_timeout=2.0,
                        read_timeout=5.0, qps_light=1000, qps_medium=1000, qps_heavy=1000)
    return dataclasses.replace(base, **overrides)


def sim_admin(sim: SimulatorServer, method: str, path: str, body: Any = None) -> Any:
    """Call the simulator's admin API (/_sim/...); a refused call fails the test with the simulator's reason."""
    response = httpx.request(method, f"{sim.url}/_sim{path}", json=body, timeout=httpx.Timeout(5.0))
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


@pytest.fixture
def make_zoom_sim() -> Iterator[Callable[..., SimulatorServer]]:
    servers: list[SimulatorServer] = []

    def factory(state: dict[str, Any] | None = None, **overrides: Any) -> SimulatorServer:
        data = copy.deepcopy(state) if state else {}
        data.setdefault("join_delay_seconds", FAST_JOIN_DELAY)
        # Tests join made-up meeting numbers that stand for meetings on other Zoom accounts, which the simulator
        # cannot know; the tests of a mistyped meeting ID set "not_found" (the simulator's own default).
        data.setdefault("unknown_meetings", "open")
        data.update(overrides)
        server = SimulatorServer(data).start()
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop()


@pytest.fixture
def zoom_sim(make_zoom_sim: Callable[..., SimulatorServer]) -> SimulatorServer:
    return make_zoom_sim()
