"""Helpers to point a real ZoomClient at the simulator (fixtures `zoom_sim` / `make_zoom_sim` from tests.support)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.zoom import ZoomClient
from bot.zoom.simulator import SimulatorServer
from tests.support.zoom_sim import (  # noqa: F401 - re-exported for this folder's tests
    SIM_ACCOUNT,
    SIM_API_KEY,
    SIM_API_SECRET,
    SIM_CLIENT_ID,
    SIM_CLIENT_SECRET,
    sim_admin,
    sim_zoom_settings,
)

# Names kept for the tests in this folder; the values live with the simulator fixtures.
sim_settings = sim_zoom_settings


class FakeTime:
    """Client clock + sleep that never really wait: sleeping moves this clock and the simulator's clock."""

    def __init__(self, sim: SimulatorServer | None = None) -> None:
        self.now = 10_000.0
        self.sim = sim
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds
        if self.sim is not None and seconds > 0:
            admin(self.sim, "POST", "/clock/advance", {"seconds": seconds})


admin = sim_admin


def zoom_requests(sim: SimulatorServer, path_prefix: str = "", method: str | None = None) -> list[dict[str, Any]]:
    return [r for r in sim.requests
            if r["path"].startswith(path_prefix) and (method is None or r["method"] == method)]


def token_requests(sim: SimulatorServer) -> list[dict[str, Any]]:
    return zoom_requests(sim, "/oauth/token")


@pytest.fixture
def make_client() -> Iterator[Callable[..., ZoomClient]]:
    clients: list[ZoomClient] = []

    def factory(sim: SimulatorServer, *, fake: FakeTime | None = None, **overrides: Any) -> ZoomClient:
        kwargs: dict[str, Any] = {}
        if fake is not None:
            kwargs = {"clock": fake.clock, "sleep": fake.sleep}
        client = ZoomClient(sim_settings(sim, **overrides), **kwargs)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def client(zoom_sim: SimulatorServer, make_client: Callable[..., ZoomClient]) -> ZoomClient:
    return make_client(zoom_sim)
