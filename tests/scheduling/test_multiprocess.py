"""Exactly once across processes: `roombot worker` processes against one database and one simulator.

PostgreSQL: three workers, 300 occurrences due in the same second, one worker killed (SIGKILL) mid-run.
SQLite: one worker, killed mid-run and started again (a restart).  Either way the simulator must record
exactly one join per occurrence and every occurrence must finish.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.dispatch.room_sync import sync_rooms_from_zoom
from bot.store import bookings as booking_store
from bot.store import rooms as room_store
from bot.store.crypto import SecretBox
from bot.store.db import session_scope
from bot.store.models import Occurrence
from bot.store.types import MeetingMode, OccurrenceStatus
from bot.zoom import ZoomClient
from bot.zoom.simulator import SimulatorServer
from tests.support.processes import wait_until
from tests.support.slack import FakeSlackApi
from tests.support.stack import TEST_SECRET_KEY
from tests.support.zoom_sim import SIM_ACCOUNT, SIM_CLIENT_ID, SIM_CLIENT_SECRET, sim_admin, sim_zoom_settings

ROOMS = 300
MEETING_ID = "85512345678"
PASSCODE = "Xk7_9ab"
LEASE_SECONDS = 4
ROOT = Path(__file__).resolve().parents[2]


def room_state(count: int) -> list[dict[str, Any]]:
    return [{"id": f"Zr{k:04d}IdAaAaAaAaAaAaAaA", "room_id": f"Rm{k:04d}RoomIdBbBbBbBbBbBb", "name": f"Room {k:03d}",
             "status": "Available"} for k in range(count)]


class WorkerProcess:
    def __init__(self, env: dict[str, str], log_path: Path, *, poll_interval: float = 0.05) -> None:
        self.log = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker", "--concurrency", "30", "--poll-interval", str(poll_interval),
             "--lease-seconds", str(LEASE_SECONDS)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(env: dict[str, str], **options: Any) -> WorkerProcess:
        worker = WorkerProcess(env, tmp_path / f"worker-{len(started)}.log", **options)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.send_signal(signal.SIGCONT)  # a paused worker cannot act on SIGTERM
        worker.stop()


def worker_env(migrated_db: Any, sim: SimulatorServer, fake_slack: FakeSlackApi) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "ZOOM_", "ROOMBOT_"))}
    env.update(DATABASE_URL=migrated_db.url, ROOMBOT_SECRET_KEY=TEST_SECRET_KEY, SLACK_BOT_TOKEN=fake_slack.bot_token,
               SLACK_API_URL=fake_slack.api_url, ZOOM_API_URL=sim.api_url, ZOOM_OAUTH_URL=sim.oauth_url,
               ZOOM_ACCOUNT_ID=SIM_ACCOUNT, ZOOM_CLIENT_ID=SIM_CLIENT_ID,
               ZOOM_CLIENT_SECRET=SIM_CLIENT_SECRET, PYTHONPATH=str(ROOT))
    return env


def book_every_room(migrated_db: Any, due: datetime) -> None:
    box = SecretBox(TEST_SECRET_KEY)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        for room in room_store.list_rooms(session):
            booking_store.create_booking(
                session, room=room, requester_user_id="U_ALICE", channel_id="C_OPS", tz_name="Europe/Berlin",
                starts_at=due, duration=timedelta(minutes=15), meeting_mode=MeetingMode.LINK, meeting_id=MEETING_ID,
                passcode=box.seal(PASSCODE), now=due - timedelta(hours=1))


def joins_per_room(sim: SimulatorServer) -> dict[str, int]:
    sent: dict[str, int] = {}
    for request in sim.requests:
        if request["method"] == "PATCH" and request["path"].endswith("/events") \
                and request["json"]["method"] == "zoomroom.meeting_join":
            room_id = request["path"].split("/")[3]
            sent[room_id] = sent.get(room_id, 0) + 1
    return sent


def counts(sessions: Any) -> dict[OccurrenceStatus, int]:
    with session_scope(sessions) as session:
        rows = session.execute(select(Occurrence.status, func.count()).group_by(Occurrence.status))
        return {status: number for status, number in rows}




def claimed_by(sessions: Any, pid: int) -> int:
    with session_scope(sessions) as session:
        return session.scalar(select(func.count()).select_from(Occurrence).where(
            Occurrence.status == OccurrenceStatus.CLAIMED, Occurrence.lease_owner.like(f"%:{pid}:%"))) or 0


def test_each_occurrence_is_joined_exactly_once_while_a_worker_is_killed(
    migrated_db: Any, make_zoom_sim: Callable[..., SimulatorServer], fake_slack: FakeSlackApi,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    sim = make_zoom_sim({"rooms": room_state(ROOMS)})
    sim_admin(sim, "POST", "/meetings", {"id": MEETING_ID, "password": PASSCODE})
    with ZoomClient(sim_zoom_settings(sim)) as zoom:
        sync_rooms_from_zoom(zoom, migrated_db.sessions)
    book_every_room(migrated_db, datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3))
    assert counts(migrated_db.sessions) == {OccurrenceStatus.SCHEDULED: ROOMS}

    env = worker_env(migrated_db, sim, fake_slack)
    several = migrated_db.backend == "postgres"
    workers = [start_worker(env) for _ in range(3 if several else 1)]
    victim = workers[0]
    # Mid-run: the victim has finished some occurrences and holds claims on others.
    wait_until(lambda: claimed_by(migrated_db.sessions, victim.pid) > 0
               and counts(migrated_db.sessions).get(OccurrenceStatus.DISPATCHED, 0) >= 20, 40, "the run to start")
    victim.kill()
    orphaned = counts(migrated_db.sessions).get(OccurrenceStatus.CLAIMED, 0)
    if not several:
        workers.append(start_worker(env))  # SQLite: one worker, restarted
    wait_until(lambda: counts(migrated_db.sessions).get(OccurrenceStatus.DISPATCHED, 0) == ROOMS, 60,
               "every occurrence to be dispatched")

    assert counts(migrated_db.sessions) == {OccurrenceStatus.DISPATCHED: ROOMS}
    rooms = {room["name"]: room for room in sim_admin(sim, "GET", "/rooms")["rooms"]}
    assert {name: room["joins"] for name, room in rooms.items()} == {f"Room {k:03d}": 1 for k in range(ROOMS)}
    join_requests = joins_per_room(sim)
    assert len(join_requests) == ROOMS and set(join_requests.values()) == {1}, "a join was sent twice"
    with session_scope(migrated_db.sessions) as session:
        reclaimed = session.scalar(select(func.count()).select_from(Occurrence).where(Occurrence.claim_count > 1))
        unaudited = session.scalar(select(func.count()).select_from(Occurrence).where(Occurrence.dispatch_id.is_(None)))
    assert reclaimed >= 1 and orphaned >= 1  # the killed worker's claims were taken over ...
    assert unaudited == 0  # ... and every occurrence points at its dispatch audit row



@pytest.mark.parametrize("db_backend", ["postgres"], indirect=True)
def test_a_worker_paused_past_its_lease_then_resumed_loses_nothing_and_sends_nothing_twice(
    migrated_db: Any, make_zoom_sim: Callable[..., SimulatorServer], fake_slack: FakeSlackApi,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    rooms = 20
    # Rooms take 12 s to get into a meeting: the paused worker's joins are still on their way in when another
    # worker takes its occurrences over.
    sim = make_zoom_sim({"rooms": room_state(rooms), "join_delay_seconds": 12.0})
    sim_admin(sim, "POST", "/meetings", {"id": MEETING_ID, "password": PASSCODE})
    with ZoomClient(sim_zoom_settings(sim)) as zoom:
        sync_rooms_from_zoom(zoom, migrated_db.sessions)
    book_every_room(migrated_db, datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1))
    env = worker_env(migrated_db, sim, fake_slack)
    # A poll interval longer than the lease renewal period: leases must be renewed on their own timer.
    first = start_worker(env, poll_interval=1.0)
    wait_until(lambda: len(joins_per_room(sim)) == rooms, 60, "the first worker to send every join")
    first.process.send_signal(signal.SIGSTOP)
    time.sleep(LEASE_SECONDS + 1)  # its leases run out while it is paused
    start_worker(env)
    wait_until(lambda: counts(migrated_db.sessions).get(OccurrenceStatus.CLAIMED, 0) == 0
               and sum(counts(migrated_db.sessions).values()) == rooms
               and counts(migrated_db.sessions).get(OccurrenceStatus.SCHEDULED, 0) == 0, 60,
               "the second worker to finish every occurrence")
    first.process.send_signal(signal.SIGCONT)
    time.sleep(2)  # the resumed worker finds its claims taken over
    assert counts(migrated_db.sessions) == {OccurrenceStatus.DISPATCHED: rooms}
    assert set(joins_per_room(sim).values()) == {1}, "a join was sent twice"
    posted = " ".join(message.text for message in fake_slack.all_messages())
    assert "busy" not in posted and "Join anyway" not in posted
