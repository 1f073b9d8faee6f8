"""The whole back end wired together for tests: simulator, migrated database, Zoom client, dispatch services.

`make_stack(**sim_overrides, rooms_api="events")` returns a `Stack` whose store already holds the
simulator's rooms (as `/room sync` would).  The database is the `migrated_db` fixture, so a test using it
runs on SQLite and on PostgreSQL unless it narrows `db_backend`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.dispatch.engine import DispatchEngine
from bot.dispatch.meetings import MeetingService
from bot.dispatch.room_sync import sync_rooms_from_zoom
from bot.dispatch.service import DispatchPolicy, DispatchService
from bot.runtime import DispatchParts, build_dispatch
from bot.store.crypto import SecretBox
from bot.zoom import ZoomClient
from bot.zoom.simulator import SimulatorServer
from tests.support.zoom_sim import sim_admin, sim_zoom_settings

TEST_SECRET_KEY = "roombot test key: not a secret"
# Poll often. A successful watch returns as soon as the room joins, so its timeout is generous (a slow CI
# machine must not turn a join into a failure); tests that expect a room NOT to join use SHORT_WATCH.
TEST_POLICY = DispatchPolicy(watch_timeout=20.0, poll_interval=0.05, first_poll_delay=0.0)
SHORT_WATCH = DispatchPolicy(watch_timeout=0.6, poll_interval=0.05, first_poll_delay=0.0)
TEST_LISTING_INTERVAL = 0.02  # the shared status listing may be retaken this often in tests


class Blocking:
    """Calls the async methods of ``target`` on the dispatch engine and waits for them (tests drive the
    dispatch flow step by step from the test's thread)."""

    def __init__(self, target: Any, engine: DispatchEngine) -> None:
        self._target = target
        self._engine = engine

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            answer = value(*args, **kwargs)
            return self._engine.run(answer, timeout=120) if hasattr(answer, "__await__") else answer

        return call


@dataclass
class Stack:
    sim: SimulatorServer
    db: Any  # tests.support.db.MigratedDatabase
    zoom: ZoomClient
    parts: DispatchParts
    dispatcher: Any  # Blocking(DispatchService)
    meetings: Any  # Blocking(MeetingService)

    @property
    def engine(self) -> DispatchEngine:
        return self.parts.engine

    @property
    def async_dispatcher(self) -> DispatchService:
        return self.parts.dispatcher

    @property
    def async_meetings(self) -> MeetingService:
        return self.parts.meetings

    def run(self, awaitable: Any) -> Any:
        return self.engine.run(awaitable, timeout=120)

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        return sim_admin(self.sim, method, path, body)

    def sim_room(self, name: str) -> dict[str, Any]:
        return next(r for r in self.admin("GET", "/state")["rooms"] if r["name"] == name)

    def zoom_requests(self, path_fragment: str, method: str | None = None) -> list[Any]:
        return [r for r in self.sim.requests
                if path_fragment in r["path"] and (method is None or r["method"] == method)]


@pytest.fixture
def make_stack(make_zoom_sim: Callable[..., SimulatorServer], migrated_db: Any) -> Iterator[Callable[..., Stack]]:
    clients: list[ZoomClient] = []
    all_parts: list[DispatchParts] = []

    def factory(*, rooms_api: str = "events", policy: DispatchPolicy = TEST_POLICY, max_in_flight: int | None = None,
                max_queued: int | None = None, **sim_overrides: Any) -> Stack:
        sim = make_zoom_sim(**sim_overrides)
        settings = sim_zoom_settings(sim, rooms_api=rooms_api)
        zoom = ZoomClient(settings)
        clients.append(zoom)
        sync_rooms_from_zoom(zoom, migrated_db.sessions)
        parts = build_dispatch(settings, migrated_db.sessions, SecretBox(TEST_SECRET_KEY), policy=policy,
                               status_listing_interval=TEST_LISTING_INTERVAL, max_in_flight=max_in_flight,
                               max_queued=max_queued)
        all_parts.append(parts)
        return Stack(sim, migrated_db, zoom, parts, Blocking(parts.dispatcher, parts.engine),
                     Blocking(parts.meetings, parts.engine))

    yield factory
    for parts in all_parts:
        parts.close(timeout=5)
    for client in clients:
        client.close()


@pytest.fixture
def stack(make_stack: Callable[..., Stack]) -> Stack:
    return make_stack()
