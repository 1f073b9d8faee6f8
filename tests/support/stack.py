"""The whole back end wired together for tests: simulator, migrated database, Zoom client, dispatch services.

`make_stack(**sim_overrides, rooms_api="events")` returns a `Stack` whose store already holds the
simulator's rooms (as `/room sync` would).  The database is the `migrated_db` fixture, so a test using it
runs on SQLite and on PostgreSQL unless it narrows `db_backend`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bot.dispatch.meetings import MeetingService
from bot.dispatch.service import DispatchPolicy, DispatchService
from bot.store import rooms as room_store
from bot.store.crypto import SecretBox
from bot.store.db import session_scope
from bot.zoom import ZoomClient, ZoomSettings
from bot.zoom.simulator import SimulatorServer

SIM_CREDENTIALS = {"account_id": "sim-account", "client_id": "sim-client-id", "client_secret": "sim-client-secret"}
# Watch the room briefly and often: the simulator joins after FAST_JOIN_DELAY.
TEST_SECRET_KEY = "roombot test key: not a secret"
# Poll often. A successful watch returns as soon as the room joins, so its timeout is generous (a slow CI
# machine must not turn a join into a failure); tests that expect a room NOT to join use SHORT_WATCH.
TEST_POLICY = DispatchPolicy(watch_timeout=20.0, poll_interval=0.05)
SHORT_WATCH = DispatchPolicy(watch_timeout=0.6, poll_interval=0.05)


def sim_zoom_settings(sim: SimulatorServer, **overrides: Any) -> ZoomSettings:
    base = ZoomSettings(api_url=sim.api_url, oauth_url=sim.oauth_url, connect_timeout=2.0, read_timeout=5.0,
                        qps_light=1000, qps_medium=1000, qps_heavy=1000, **SIM_CREDENTIALS)
    return dataclasses.replace(base, **overrides)


def sim_admin(sim: SimulatorServer, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(method, f"{sim.url}/_sim{path}", json=body, timeout=5)
    response.raise_for_status()
    return response.json() if response.content else None


def sync_store_rooms(session_factory: Any, zoom: ZoomClient) -> None:
    records = [room_store.ZoomRoomRecord(room_id=r.room_id, id=r.id, name=r.name, location_id=r.location_id)
               for r in zoom.list_rooms()]
    with session_scope(session_factory) as session:
        room_store.sync_rooms(session, records)


@dataclass
class Stack:
    sim: SimulatorServer
    db: Any  # tests.support.db.MigratedDatabase
    zoom: ZoomClient
    dispatcher: DispatchService
    meetings: MeetingService

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

    def factory(*, rooms_api: str = "events", policy: DispatchPolicy = TEST_POLICY, **sim_overrides: Any) -> Stack:
        sim = make_zoom_sim(**sim_overrides)
        zoom = ZoomClient(sim_zoom_settings(sim, rooms_api=rooms_api))
        clients.append(zoom)
        sync_store_rooms(migrated_db.sessions, zoom)
        dispatcher = DispatchService(zoom, migrated_db.sessions, policy=policy, secret_box=SecretBox(TEST_SECRET_KEY))
        return Stack(sim, migrated_db, zoom, dispatcher, MeetingService(dispatcher))

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def stack(make_stack: Callable[..., Stack]) -> Stack:
    return make_stack()
