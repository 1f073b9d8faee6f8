"""`SimulatorServer`: the simulator on a real loopback HTTP port, in a daemon thread (tests, demo, CLI)."""

from __future__ import annotations

import threading
from typing import Any

from bot.devtools.keepalive import KeepAliveServer

from .app import create_simulator_app
from .state import SimState


class SimulatorServer:
    """Run the simulator over HTTP.

    >>> with SimulatorServer() as sim:      # default state, random free port
    ...     sim.api_url                     # "http://127.0.0.1:PORT/v2"
    """

    def __init__(self, state: SimState | dict[str, Any] | None = None, host: str = "127.0.0.1",
                 port: int = 0, log: bool = False) -> None:
        self._stop_event = threading.Event()
        self.app = create_simulator_app(state, self._stop_event)
        self.host = host
        self.port = port
        self._server: KeepAliveServer | None = None
        self._thread: threading.Thread | None = None
        self._quiet = not log  # no per-request access log on stderr (tests would drown in it)

    @property
    def state(self) -> SimState:
        return self.app.state

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.url + "/v2"

    @property
    def oauth_url(self) -> str:
        return self.url + "/oauth/token"

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Requests received so far (method, path, query, json, form, status, at); admin calls excluded."""
        with self.state.lock:
            return list(self.state.requests)

    def start(self) -> SimulatorServer:
        if self._server is not None:
            return self
        self._stop_event.clear()
        self._server = KeepAliveServer(self.host, self.port, self.app, quiet=self._quiet)
        self.port = self._server.server_port
        # A short poll interval makes stop() (shutdown) return in ~50 ms instead of werkzeug's 0.5 s.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"zoom-sim:{self.port}", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Run in the calling thread until interrupted (the CLI)."""
        self._server = KeepAliveServer(self.host, self.port, self.app, quiet=self._quiet)
        self.port = self._server.server_port
        try:
            self._server.serve_forever()
        finally:
            self._stop_event.set()
            self._server.server_close()
            self._server = None

    def stop(self) -> None:
        # Wake requests sleeping in injected latency/timeouts first, so shutdown does not wait for them.
        self._stop_event.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
