"""Graceful shutdown (SIGTERM): nothing new is taken, running dispatches get the grace, those cut short end
recorded and reported, and the booking worker's claims go back at once, without a second join.

The parts (store, engine, dispatch flow, worker) are tested in this process; then real processes are signalled
mid-dispatch: `roombot worker` (then a second worker takes over) and `roombot serve` under gunicorn.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.dispatch.engine import DispatchEngine
from bot.dispatch.outcomes import JoinRequest, Requester, ResultKind
from bot.dispatch.reasons import Why
from bot.dispatch.room_sync import sync_rooms_from_zoom
from bot.dispatch.service import STOPPED_WATCHING, DispatchPolicy
from bot.meetings import parse_meeting_reference
from bot.runtime import build_dispatch, shut_down
from bot.scheduling.runner import join_marker
from bot.scheduling.worker import BookingWorker, WorkerConfig
from bot.services import Services
from bot.slack.bookings.notifier import SlackNotifier, SlackRequesters
from bot.slack.directory import directory_of
from bot.store import bookings as booking_store
from bot.store import occurrences
from bot.store import rooms as room_store
from bot.store.crypto import SecretBox
from bot.store.db import session_scope
from bot.store.models import Dispatch, IdempotencyKey, Occurrence
from bot.store.types import DispatchOutcome, MeetingMode, OccurrenceStatus
from bot.zoom import ZoomClient
from bot.zoom.simulator import SimulatorServer
from tests.support.processes import SECRET_KEY, SIGNING_SECRET, closed_port, full_env, wait_until
from tests.support.slack import FakeSlackApi, SignedSlackClient
from tests.support.stack import TEST_SECRET_KEY, Stack
from tests.support.zoom_sim import sim_admin, sim_zoom_settings

REPO = Path(__file__).resolve().parents[2]
MEETING_ID = "85512345678"
PASSCODE = "Xk7_9ab"
CHANNEL = "C_OPS"
ALICE = "U_ALICE"
RESTARTED = "restarted before it could confirm"
# The rooms take this long to get into a meeting: every test signals the process while its watch waits.
SLOW_JOIN = 8.0
GRACE = 1.0
# A stopped process is gone within the grace plus: the keep-alive linger of gunicorn (2 s), the watch's next
# poll (2 s), reporting, and interpreter start-up noise on a loaded machine.
STOP_BOUND = GRACE + 15.0


# ------------------------------------------------------------------------------------------------ helpers




def join_requests(sim: SimulatorServer) -> list[dict[str, Any]]:
    return [r for r in sim.requests if r["method"] == "PATCH" and r["path"].endswith("/events")
            and r["json"]["method"] == "zoomroom.meeting_join"]


def leave_requests(sim: SimulatorServer) -> list[dict[str, Any]]:
    return [r for r in sim.requests if r["method"] == "PATCH" and r["path"].endswith("/events")
            and r["json"]["method"] == "zoomroom.meeting_leave"]


def dispatches(sessions: Any) -> list[Dispatch]:
    with session_scope(sessions) as session:
        return list(session.scalars(select(Dispatch).order_by(Dispatch.id)))


def the_occurrence(sessions: Any) -> Occurrence:
    with session_scope(sessions) as session:
        return session.scalars(select(Occurrence)).one()


def book(sessions: Any, room: str, *, starts_at: datetime, key: str = TEST_SECRET_KEY) -> int:
    with session_scope(sessions, write_lock=True) as session:
        booking = booking_store.create_booking(
            session, room=room_store.find_room(session, room), requester_user_id=ALICE, channel_id=CHANNEL,
            tz_name="UTC", starts_at=starts_at, duration=timedelta(minutes=15), meeting_mode=MeetingMode.LINK,
            meeting_id=MEETING_ID, passcode=SecretBox(key).seal(PASSCODE),
            now=starts_at - timedelta(hours=1))
        return booking.id


def channel_text(slack: FakeSlackApi, channel: str) -> str:
    return "\n".join(m.text for m in slack.messages_in(channel))


# ------------------------------------------------------------------------------------------------ the store


def test_retired_claims_cannot_be_finished_and_released_ones_are_taken_over_at_once(migrated_db: Any,
                                                                                    zoom_sim: SimulatorServer) -> None:
    with ZoomClient(sim_zoom_settings(zoom_sim)) as zoom:
        sync_rooms_from_zoom(zoom, migrated_db.sessions)
    now = datetime.now(UTC).replace(microsecond=0)
    book(migrated_db.sessions, "Boardroom", starts_at=now - timedelta(seconds=5))
    book(migrated_db.sessions, "Huddle 3", starts_at=now - timedelta(seconds=5))
    lease = timedelta(minutes=3)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        mine, theirs = occurrences.claim_due(session, worker_id="w1", now=now, lease=lease, limit=1).claimed + \
            occurrences.claim_due(session, worker_id="w2", now=now, lease=lease, limit=1).claimed
        mine_id, theirs_id = mine.id, theirs.id
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        assert occurrences.retire_claims(session, worker_id="w1", now=now, lease=lease) == 1
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        # The stopping worker's dispatch cannot finish it, and nobody can claim it yet.
        assert not occurrences.finish(session, mine_id, worker_id="w1", status=OccurrenceStatus.FAILED)
        assert occurrences.claim_due(session, worker_id="w3", now=now + timedelta(seconds=1), lease=lease).claimed == []
        assert occurrences.release_claims(session, worker_id="w1", now=now) == 1
    with session_scope(migrated_db.sessions) as session:
        released, other = session.get(Occurrence, mine_id), session.get(Occurrence, theirs_id)
        assert (released.status, released.lease_owner, released.lease_expires_at) == (OccurrenceStatus.SCHEDULED,
                                                                                       None, None)
        assert released.claim_count == 1  # kept: the next claim is a take-over, which checks the join marker
        assert (other.status, other.lease_owner) == (OccurrenceStatus.CLAIMED, "w2")  # another worker's: untouched
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        [taken] = occurrences.claim_due(session, worker_id="w3", now=now + timedelta(seconds=1), lease=lease).claimed
        assert (taken.id, taken.claim_count, taken.lease_owner) == (mine_id, 2, "w3")
        assert occurrences.release_claims(session, worker_id="w1", now=now) == 0  # nothing left to give back


def test_a_long_worker_id_still_fits_its_stopping_name() -> None:
    assert len(occurrences.stopping_owner("h" * 100)) == 100
    assert occurrences.stopping_owner("host:12:abcdef") == "host:12:abcdef/stopping"


# ------------------------------------------------------------------------------------------------ the engine


def test_drain_cuts_short_what_outlives_the_grace_then_cancels_what_does_not_end() -> None:
    engine = DispatchEngine(max_in_flight=4, max_queued=0)
    cut = threading.Event()
    ended: list[str] = []

    async def listens() -> None:
        while not cut.is_set():
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # it records what it knows
        ended.append("reported")

    async def deaf() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            ended.append("cancelled")
            raise

    async def quick() -> None:
        ended.append("finished")

    for job in (listens, deaf, quick):
        assert engine.submit(job)
    started = time.monotonic()
    assert engine.drain(0.3, cut_short=cut.set, settle=0.5) == 2  # two had not finished within the grace
    assert time.monotonic() - started < 3
    assert sorted(ended) == ["cancelled", "finished", "reported"]
    refused = engine.submit(quick)
    assert not refused.accepted and refused.stopping  # the caller can say "stopping", not "busy"
    engine.stop(timeout=0)


def test_drain_does_not_cut_short_when_everything_finished_in_time() -> None:
    engine = DispatchEngine(max_in_flight=2, max_queued=0)
    calls: list[str] = []

    async def quick() -> None:
        await asyncio.sleep(0.01)

    assert engine.submit(quick)
    assert engine.drain(2, cut_short=lambda: calls.append("cut")) == 0
    assert calls == []
    engine.stop(timeout=0)


# ------------------------------------------------------------------------------------------------ the dispatch flow

SLOW_POLICY = DispatchPolicy(watch_timeout=60.0, poll_interval=0.05, first_poll_delay=0.0)


def submit_join(stack: Stack, room: str, results: list[Any]) -> None:
    request = JoinRequest(room, parse_meeting_reference(MEETING_ID), Requester(ALICE), CHANNEL, passcode=PASSCODE)

    async def job() -> None:
        results.append(await stack.async_dispatcher.join(request))

    assert stack.engine.submit(job)


def test_a_watch_cut_short_ends_unconfirmed_in_the_audit_and_for_the_caller_without_a_leave(
        make_stack: Callable[..., Stack]) -> None:
    stack = make_stack(policy=SLOW_POLICY, join_delay_seconds=60)
    stack.admin("POST", "/meetings", {"id": MEETING_ID, "password": PASSCODE})
    results: list[Any] = []
    submit_join(stack, "Boardroom", results)
    wait_until(lambda: join_requests(stack.sim), 20, "the join to be sent")
    started = time.monotonic()
    assert stack.parts.close(timeout=0.2) == 1
    assert time.monotonic() - started < 5
    [result] = results
    assert result.kind is ResultKind.UNCONFIRMED and result.reason.params["poll_error"] == STOPPED_WATCHING
    [row] = dispatches(stack.db.sessions)
    assert row.outcome is DispatchOutcome.FAILED and row.finished_at is not None
    assert RESTARTED in (row.reason or "")
    assert leave_requests(stack.sim) == []  # never a leave sent blind


def test_a_join_not_yet_sent_when_the_watches_stop_is_refused_and_audited(make_stack: Callable[..., Stack]) -> None:
    stack = make_stack(policy=SLOW_POLICY)
    stack.admin("POST", "/meetings", {"id": MEETING_ID, "password": PASSCODE})
    stack.async_dispatcher.stop_watching()
    result = stack.dispatcher.join(JoinRequest("Boardroom", parse_meeting_reference(MEETING_ID), Requester(ALICE),
                                               CHANNEL, passcode=PASSCODE))
    assert result.kind is ResultKind.ZOOM_ERROR and result.reason.why is Why.NOT_SENT_STOPPING
    [row] = dispatches(stack.db.sessions)
    assert row.outcome is DispatchOutcome.REFUSED and "nothing was done" in (row.reason or "")
    assert join_requests(stack.sim) == []


# ------------------------------------------------------------------------------------------------ the worker


@pytest.fixture
def slow_bookings(make_stack: Callable[..., Stack], fake_slack: FakeSlackApi) -> Iterator[tuple[Stack, Services]]:
    stack = make_stack(policy=DispatchPolicy(watch_timeout=30.0, poll_interval=0.05, first_poll_delay=0.0),
                       join_delay_seconds=3.0)
    stack.admin("POST", "/meetings", {"id": MEETING_ID, "password": PASSCODE})
    fake_slack.add_user(ALICE, name="alice", email="alice@example.com")
    services = Services(zoom=None, session_factory=stack.db.sessions, secret_box=SecretBox(TEST_SECRET_KEY),
                        engine=stack.engine, dispatcher=stack.async_dispatcher, meetings=stack.async_meetings)
    services.dispatch_parts = stack.parts
    yield stack, services


def slack_worker(services: Services, slack: FakeSlackApi, worker_id: str) -> BookingWorker:
    client = WebClient(token=slack.bot_token, base_url=slack.api_url)
    config = WorkerConfig(poll_interval=0.05, concurrency=4, lease=timedelta(seconds=30))
    return BookingWorker(services, config, notifier=SlackNotifier(client),
                         requesters=SlackRequesters(directory_of(services), client), worker_id=worker_id)


def test_a_worker_stopped_mid_watch_gives_its_claim_back_and_the_next_one_sends_no_second_join(
        slow_bookings: tuple[Stack, Services], fake_slack: FakeSlackApi) -> None:
    stack, services = slow_bookings
    book(stack.db.sessions, "Boardroom", starts_at=datetime.now(UTC) - timedelta(seconds=2))
    first = slack_worker(services, fake_slack, "first").start()
    wait_until(lambda: join_requests(stack.sim), 20, "the first worker's join")
    started = time.monotonic()
    assert shut_down(services, grace=0.1, worker=first) == 1
    assert time.monotonic() - started < 5

    occurrence = the_occurrence(stack.db.sessions)
    assert (occurrence.status, occurrence.lease_owner, occurrence.claim_count) == (OccurrenceStatus.SCHEDULED,
                                                                                   None, 1)
    with session_scope(stack.db.sessions) as session:
        assert session.get(IdempotencyKey, join_marker(occurrence.id)) is not None  # the join may have left
    [row] = dispatches(stack.db.sessions)
    assert row.outcome is DispatchOutcome.FAILED and RESTARTED in (row.reason or "")
    assert RESTARTED in channel_text(fake_slack, CHANNEL) and "Sending" not in channel_text(fake_slack, CHANNEL)

    # Another instance (its own engine and dispatcher; the same database and Zoom) takes over at once.
    other = build_dispatch(sim_zoom_settings(stack.sim), stack.db.sessions, SecretBox(TEST_SECRET_KEY),
                           policy=DispatchPolicy(watch_timeout=30.0, poll_interval=0.05, first_poll_delay=0.0),
                           status_listing_interval=0.02)
    other_services = Services(session_factory=stack.db.sessions, secret_box=SecretBox(TEST_SECRET_KEY),
                              engine=other.engine, dispatcher=other.dispatcher, meetings=other.meetings)
    second = slack_worker(other_services, fake_slack, "second")
    try:
        assert second.run_once().claimed == 1
    finally:
        second.stop()
        other.close(timeout=5)
    finished = the_occurrence(stack.db.sessions)
    assert finished.status is OccurrenceStatus.DISPATCHED and finished.claim_count == 2, finished.outcome_reason
    assert len(join_requests(stack.sim)) == 1  # the join marker: watched, not sent again
    [card] = fake_slack.messages_in(CHANNEL)  # one message, never left at "Sending…"
    assert "Sending" not in card.text and "waiting for" not in card.text


# ------------------------------------------------------------------------------------------------ real processes


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log_path = log
        self._log = log.open("w")
        self.process = subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=REPO, env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT)

    def output(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()

    def terminate(self) -> float:
        """SIGTERM; the seconds it took to exit."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_BOUND + 30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(5)
            self._log.close()
        return time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        if not self._log.closed:
            self._log.close()


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        process.kill()


def worker_env(sim: SimulatorServer, slack: FakeSlackApi, database_url: str) -> dict[str, str]:
    return full_env(sim, slack, database_url, ROOMBOT_SHUTDOWN_GRACE_SECONDS=str(GRACE),
                    ROOMBOT_WORKER_POLL_SECONDS="0.1", SLACK_SIGNING_SECRET="")


def test_sigterm_on_a_worker_mid_watch_records_reports_and_hands_over_without_a_second_join(
        migrated_db: Any, make_zoom_sim: Callable[..., SimulatorServer], fake_slack: FakeSlackApi,
        processes: list[Process], tmp_path: Path) -> None:
    sim = make_zoom_sim(join_delay_seconds=SLOW_JOIN)
    sim_admin(sim, "POST", "/meetings", {"id": MEETING_ID, "password": PASSCODE})
    fake_slack.add_user(ALICE, name="alice", email="alice@example.com")
    with ZoomClient(sim_zoom_settings(sim)) as zoom:
        sync_rooms_from_zoom(zoom, migrated_db.sessions)
    book(migrated_db.sessions, "Boardroom", starts_at=datetime.now(UTC) - timedelta(seconds=2), key=SECRET_KEY)
    env = worker_env(sim, fake_slack, migrated_db.url)
    # A lease far longer than the test: the second worker can only take over because the first gave it back.
    args = ["worker", "--lease-seconds", "300"]
    first = Process(args, env, tmp_path / "first.log")
    processes.append(first)
    wait_until(lambda: join_requests(sim), 60, "the first worker's join")
    wait_until(lambda: "Zoom accepted" in channel_text(fake_slack, CHANNEL), 10, "the progress message")

    took = first.terminate()
    output = first.output()
    assert first.process.returncode == 0, output
    assert took < STOP_BOUND, output
    assert "Traceback" not in output and "gave back 1 claims" in output
    occurrence = the_occurrence(migrated_db.sessions)
    assert (occurrence.status, occurrence.lease_owner) == (OccurrenceStatus.SCHEDULED, None), output
    [row] = dispatches(migrated_db.sessions)
    assert row.outcome is DispatchOutcome.FAILED and RESTARTED in (row.reason or ""), row.reason
    said = channel_text(fake_slack, CHANNEL)
    assert RESTARTED in said and "Sending" not in said and "waiting for" not in said

    second = Process(args, env, tmp_path / "second.log")
    processes.append(second)
    taken_over = time.monotonic()
    wait_until(lambda: the_occurrence(migrated_db.sessions).claim_count == 2, 30, "the second worker's claim")
    assert time.monotonic() - taken_over < 25  # at once, not when a lease runs out (300 s)
    wait_until(lambda: the_occurrence(migrated_db.sessions).status is OccurrenceStatus.DISPATCHED, 60,
               "the take-over to finish")
    assert len(join_requests(sim)) == 1, "a second join was sent"
    assert second.terminate() < STOP_BOUND


def serve_ready(port: int, process: Process, timeout: float = 60) -> None:
    def up() -> bool:
        assert process.process.poll() is None, process.output()
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(up, timeout, "serve to answer /healthz")


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
def test_sigterm_on_serve_mid_dispatch_ends_the_dispatch_recorded_and_its_message_edited(
        migrated_db: Any, make_zoom_sim: Callable[..., SimulatorServer], fake_slack: FakeSlackApi,
        processes: list[Process], tmp_path: Path) -> None:
    sim = make_zoom_sim(join_delay_seconds=SLOW_JOIN)
    sim_admin(sim, "POST", "/meetings", {"id": MEETING_ID, "password": PASSCODE})
    with ZoomClient(sim_zoom_settings(sim)) as zoom:
        sync_rooms_from_zoom(zoom, migrated_db.sessions)
    port = closed_port()
    env = full_env(sim, fake_slack, migrated_db.url, PORT=str(port), HOST="127.0.0.1",
                   ROOMBOT_SHUTDOWN_GRACE_SECONDS=str(GRACE))
    serve = Process(["serve", "--no-worker", "--threads", "2"], env, tmp_path / "serve.log")
    processes.append(serve)
    serve_ready(port, serve)
    client = SignedSlackClient(fake_slack, SIGNING_SECRET, lambda: f"http://127.0.0.1:{port}/slack/events")
    try:
        assert client.slash("/room", f"join Boardroom {MEETING_ID} {PASSCODE}", channel_id="C1").status_code == 200
        wait_until(lambda: join_requests(sim), 30, "the join")
        wait_until(lambda: "Zoom accepted" in channel_text(fake_slack, "C1"), 10, "the progress message")
    finally:
        client.close()

    took = serve.terminate()
    output = serve.output()
    assert serve.process.returncode == 0, output
    assert took < STOP_BOUND, output
    assert "Traceback" not in output and "1 dispatches cut short" in output
    [row] = dispatches(migrated_db.sessions)
    assert row.outcome is DispatchOutcome.FAILED and RESTARTED in (row.reason or ""), row.reason
    [card] = fake_slack.messages_in("C1")
    assert RESTARTED in card.text and "Sending" not in card.text and "waiting for" not in card.text
    assert leave_requests(sim) == []


@pytest.mark.parametrize(("value", "expected"), [(None, 30.0), ("0", 0.0), (" 45 ", 45.0), ("2.5", 2.5)])
def test_the_grace_is_read_from_the_environment(value: str | None, expected: float) -> None:
    from bot.config import Settings

    environ = {"ROOMBOT_SHUTDOWN_GRACE_SECONDS": value} if value is not None else {}
    assert Settings.from_env(environ, require_slack=False, require_secret_key=False,
                             require_zoom=False).shutdown_grace == expected


@pytest.mark.parametrize("value", ["soon", "-1", "601", "nan", "inf"])
def test_a_bad_grace_is_refused_in_one_line_naming_the_variable(value: str) -> None:
    from bot.config import Settings
    from bot.config_errors import ConfigError

    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"ROOMBOT_SHUTDOWN_GRACE_SECONDS": value}, require_slack=False, require_secret_key=False,
                          require_zoom=False)
    assert str(refused.value).startswith("ROOMBOT_SHUTDOWN_GRACE_SECONDS: ") and value not in str(refused.value)
