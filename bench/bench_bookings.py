"""Booking bursts: N occurrences due in the same second, and how close the worker gets to Zoom's rate limit.

Run: `python -m bench.bench_bookings` (or `python bench/bench_bookings.py`) from the repository root.
`--scenario a|b|c` runs one scenario (default: all three, side by side); `--quick` runs smaller bursts;
`--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test` runs on PostgreSQL (default: a temporary
SQLite file); `--compare` adds, for each scenario, the same run with per-dispatch status reads.

Scenarios (N occurrences, Zoom's Medium limit in requests/s):
  (a) 300 at 20/s    (b) 1,000 at 60/s    (c) 1,000 at 20/s          (`--quick`: 100, 300 and 300)

Set-up, the same for each run, everything on 127.0.0.1:
- the Zoom simulator in a process of its own (`python -m bot zoom-sim --port 0 --state FILE`), so the
  benchmark measures the bot rather than a GIL it shares with the simulator: N rooms, one meeting with a
  passcode, the Medium per-second limit set to the scenario's rate (room control and the room listing are
  Medium) and, once set-up is done, 100 ms added to every `/v2/rooms` request (POST /_sim/faults); its join
  delay is the simulator's default;
- the fake Slack Web API in a process of its own too (`python -m bench._ackstack fake-slack`); both keep HTTP/1.1
  connections open between requests, as Zoom and Slack do (bot/devtools/keepalive.py);
- in this process, the bot as `roombot serve` wires it: Slack calls through `bot_client` (kept-alive
  connections, bot/slack/webclient.py), `bot.runtime.build_dispatch` (one DispatchEngine,
  AsyncZoomClient paced at the scenario's rate, one RoomStatusBoard refreshed at most once a second) and one
  `BookingWorker` on it, with a fresh, migrated database: a SQLite file, or with `--database-url` a new
  database created on that PostgreSQL server for the run (the URL's own database is only used to create
  and drop it);
- one booking per room (a stated passcode), all due at the same second; their reminders are posted before
  that second (as a running worker would have 10 minutes earlier), so each dispatch also edits its reminder.
The dispatch policy is production's except for a faster watch: first status read after the simulator's
join delay, then every 1 s (the board's listing interval).  The worker looks at the database every second (its
default) and is started 2 s before the due second, as a running worker would be (it wakes on the due second).
As in serve's work process, glibc's malloc arenas are capped at two (``bot.cli.malloc``), the sync Zoom
client shares the async client's rate limiter and the GIL switch interval is CPython's default (only serve's
answering process shortens it).  The header names the commit measured (the numbers belong to that code).

A join needs one Medium request, so no dispatcher can finish N joins faster than N / rate seconds (the bound).
Printed per scenario: the time from the due second until the last join request reached Zoom (every room
dispatched) and its ratio to the bound (target ≤ 1.1), the time until every occurrence was finished (the join
seen in the room's status, the result posted: the join delay and one more listing later) and its ratio, the
429s the simulator answered, Medium requests per dispatch (split into room listings, room control and other),
the most dispatches in flight, and the outcomes (all must be joined: dispatch audit `joined`, occurrence
`dispatched`, the simulator's join count). Also per run, to tell where time went: when the first occurrences
were on the engine, the first and last join and every room-listing page as the simulator saw them, the spread
of finish times, the Slack calls, the CPU time of this process, the simulator and the fake Slack, and this
process's CPU by thread (engine loop, store threads, Slack threads, worker).  Log records of the bot at INFO
and above are counted rather than printed, and summarised per run.  Zoom's time stamps are the
simulator's (after its added latency); t=0 is the due second.

At the end: this process's peak RSS (`ru_maxrss`), the serve-process memory figure (target ≤ 120 MB after
≥ 500 dispatches).  It is the peak over every run made by this process, and memory freed between runs is
not all given back, so `--scenario b` alone gives the figure for one 1,000-dispatch burst.  Nothing from
`bot.zoom.simulator` is imported here, so its imports do not count.

`--compare` replaces the shared listing with one `GET /rooms?query_name=` per status read (what a
dispatcher treating each booking alone would do); off by default because it doubles the run time (about
three Medium requests per dispatch instead of one).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import func, make_url, select
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.malloc import limit_malloc_arenas
from bot.cli.serve_work import WORK_SWITCH_INTERVAL
from bot.config import Settings
from bot.dispatch.room_sync import sync_rooms_from_zoom
from bot.dispatch.service import DispatchPolicy
from bot.runtime import DispatchParts, build_dispatch
from bot.scheduling.worker import BookingWorker, WorkerConfig
from bot.services import Services
from bot.slack.bookings.notifier import SlackNotifier, SlackRequesters, bot_client
from bot.slack.directory import directory_of
from bot.store import bookings as booking_store
from bot.store import rooms as room_store
from bot.store.crypto import SecretBox
from bot.store.db import create_engine_for_url, session_factory, session_scope
from bot.store.migrate import upgrade_to_head
from bot.store.models import Dispatch, Occurrence, Room
from bot.store.types import DispatchSource, MeetingMode, OccurrenceStatus
from bot.zoom import ZoomClient, ZoomSettings

# Nothing from bot.zoom.simulator is imported here: the simulator runs in its own process, and its imports
# (jsonschema and the request schemas) would inflate this process's memory figure.

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
LATENCY_MS = 100
TARGET_RATIO = 1.1
TARGET_RSS_MB = 120
MEETING_ID = "85512345678"
PASSCODE = "Xk7_9ab"
SECRET_KEY = "roombot bench key: not a secret"
BOT_TOKEN = "xoxb-bench-token"
REQUESTER = "U1"  # one of the fake Slack's default users (users.info knows them)
CHANNEL = "C_BENCH"
CREDENTIALS = {"account_id": "sim-account", "client_id": "sim-client-id", "client_secret": "sim-client-secret"}
POLL_INTERVAL = 1.0  # the watch reads the room's status every second: the board's listing interval
WORKER_LEAD = 2.0  # seconds the worker runs before the due second
WORKER = WorkerConfig().check()  # as shipped: a look at the database every second
START_TIMEOUT = 30.0  # seconds for a child process to say it is listening
FINAL_STATUSES = (OccurrenceStatus.DISPATCHED, OccurrenceStatus.FAILED, OccurrenceStatus.SKIPPED)


@dataclass(frozen=True)
class Scenario:
    key: str
    rooms: int
    rate: int

    @property
    def bound(self) -> float:
        return self.rooms / self.rate


SCENARIOS = {"a": Scenario("a", 300, 20), "b": Scenario("b", 1000, 60), "c": Scenario("c", 1000, 20),
             # memory: the serve-process figure after 500 dispatches (target: peak RSS at most 120 MB)
             "m": Scenario("m", 500, 20)}
DEFAULT_SCENARIOS = ("a", "b", "c")
QUICK_ROOMS = {"a": 100, "b": 300, "c": 300, "m": 500}


class BenchError(RuntimeError):
    pass


# ----- child processes ----------------------------------------------------------------------------------
@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def wait_for(self, pattern: str, timeout: float = START_TIMEOUT) -> str:
        """The first group of ``pattern`` once the process printed it (its output goes to ``log``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.text())
            if found:
                return found.group(1)
            if self.popen.poll() is not None:
                raise BenchError(f"{self.name} exited ({self.popen.returncode}): {self.text()[-2000:]}")
            time.sleep(0.05)
        raise BenchError(f"{self.name} printed nothing matching {pattern!r} within {timeout:.0f} s: "
                         f"{self.text()[-2000:]}")

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far (Linux /proc), 0 when unknown."""
        try:
            fields = Path(f"/proc/{self.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """SIGTERM to the process group started here, SIGKILL after 5 s."""
        if self.popen.stdin is not None:
            with contextlib.suppress(OSError):
                self.popen.stdin.close()
        if self.popen.poll() is not None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout=5)
                return
            except subprocess.TimeoutExpired:
                continue


def spawn(name: str, args: list[str], workdir: Path) -> Proc:
    log = workdir / f"{name}.log"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("SLACK_", "ZOOM_", "ROOMBOT_", "DATABASE_URL"))}
    env.update(PYTHONUNBUFFERED="1", SLACK_BOT_TOKEN=BOT_TOKEN)
    with log.open("wb") as handle:
        popen = subprocess.Popen([PYTHON, *args], cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                 stdin=subprocess.PIPE, start_new_session=True)
    return Proc(name, popen, log)


# ----- the simulator ------------------------------------------------------------------------------------
def sim_state(scenario: Scenario, rooms: int) -> dict[str, Any]:
    return {
        "rooms": [{"id": f"Zr{k:04d}IdAaAaAaAaAaAaAaA", "room_id": f"Rm{k:04d}RoomIdBbBbBbBbBbBb",
                   "name": f"Room {k:04d}", "status": "Available"} for k in range(rooms)],
        "meetings": [],
        "rate_limits": {"medium": scenario.rate},
    }


def category_of(method: str, path: str) -> str:
    """Zoom's rate-limit category of a request, as the simulator counts it (bot/zoom/simulator/app.py ROUTES)."""
    path = path.rstrip("/")
    if path.startswith("/v2/meetings/") or (method == "POST" and re.fullmatch(r"/v2/users/[^/]+/meetings", path)):
        return "light"
    if path == "/v2/rooms" or path.startswith(("/v2/rooms/", "/v2/accounts/")):
        return "medium"
    if method == "GET" and re.fullmatch(r"/v2/users/[^/]+(/settings)?", path):
        return "medium"
    return "other"


def watch_policy(join_delay: float) -> DispatchPolicy:
    """Production's policy (45 s watch timeout) with a faster watch: the first status read once the room can
    have joined (the simulator's join delay), then every second."""
    return DispatchPolicy(poll_interval=POLL_INTERVAL, first_poll_delay=join_delay)


def sim_admin(url: str, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(method, f"{url}/_sim{path}", json=body, timeout=30)
    response.raise_for_status()
    return response.json() if response.content else None


# ----- databases ----------------------------------------------------------------------------------------
@contextlib.contextmanager
def fresh_database(database_url: str | None, workdir: Path) -> Any:
    """A migrated, empty database for one run: a SQLite file in ``workdir``, or a new PostgreSQL database on
    the server of ``database_url`` (dropped afterwards)."""
    if not database_url:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        upgrade_to_head(url)
        yield url
        return
    parsed = make_url(database_url)
    if parsed.get_backend_name() != "postgresql":
        raise BenchError(f"--database-url must be PostgreSQL (got {parsed.get_backend_name()})")
    import psycopg  # the driver SQLAlchemy uses for PostgreSQL anyway

    admin = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"roombot_bench_{uuid.uuid4().hex[:10]}"

    def execute(statement: str) -> None:
        try:
            with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
                connection.execute(statement)
        except psycopg.Error as error:
            raise BenchError(f"PostgreSQL at {parsed.render_as_string(hide_password=True)}: {error}") from None

    execute(f'CREATE DATABASE "{name}"')
    try:
        url = parsed.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
        upgrade_to_head(url)
        yield url
    finally:
        execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ----- log records of the bot, counted --------------------------------------------------------------------
class CountingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self.samples: dict[tuple[str, str, str], str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        key = (record.levelname, record.name, str(record.msg))
        self.counts[key] += 1
        if key not in self.samples:
            try:
                text = record.getMessage()
            except Exception:  # noqa: BLE001 - a bad format string must not break the bench
                text = str(record.msg)
            if record.exc_info and record.exc_info[1] is not None:
                text += f" [{type(record.exc_info[1]).__name__}: {record.exc_info[1]}]"
            self.samples[key] = text[:300]

    def reset(self) -> None:
        self.counts.clear()
        self.samples.clear()

    def summary(self, top: int = 8) -> list[str]:
        return [f"{count:6d} × {level:<7} {name}: {self.samples[(level, name, msg)]}"
                for (level, name, msg), count in self.counts.most_common(top)]


LOG_COUNTER = CountingHandler()


# ----- one run --------------------------------------------------------------------------------------------
@dataclass
class RunResult:
    label: str
    scenario: Scenario
    rooms: int
    database: str
    elapsed: float | None  # None: not every occurrence finished before the deadline
    finished: int
    medium: int
    listings: int
    controls: int
    throttled: int
    cpu: dict[str, float]  # process -> CPU seconds used during the burst
    thread_cpu: Counter[str]  # the bot's threads, by name -> CPU seconds used during the burst
    rss: tuple[float, float]  # this process's RSS (MB) when the burst began, and the most sampled during it
    slack_calls: Counter[str]  # Slack Web API method -> calls during the burst
    first_start: float | None
    first_join: float | None
    last_join: float | None
    listing_times: list[float]
    medium_per_second: list[int]  # Medium requests Zoom saw in each second after the due second (t=0-1, 1-2…)
    finish_times: list[float]  # seconds after the due second at which each occurrence was finished
    peak_in_flight: int
    engine_capacity: int
    dispatch_outcomes: Counter[str]
    occurrence_statuses: Counter[str]
    sim_joins: int
    board_listings: int
    unfinished_at_close: int
    log_lines: list[str] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def bound(self) -> float:
        return self.rooms / self.scenario.rate

    @property
    def ratio(self) -> float | None:
        """Every room dispatched: the last join request reaching Zoom, over the bound."""
        return self.last_join / self.bound if self.last_join is not None and self.all_joined else None

    @property
    def finished_ratio(self) -> float | None:
        """Every occurrence finished (join verified, result card posted), over the bound."""
        return self.elapsed / self.bound if self.elapsed is not None else None

    @property
    def all_joined(self) -> bool:
        return (self.dispatch_outcomes.get("joined", 0) == self.rooms and self.sim_joins == self.rooms
                and self.occurrence_statuses.get("dispatched", 0) == self.rooms)


def run_once(scenario: Scenario, rooms: int, database_url: str | None, *, shared_status: bool = True) -> RunResult:
    """One burst against fresh child processes and a fresh database; every process started here is killed."""
    LOG_COUNTER.reset()
    procs: list[Proc] = []
    with tempfile.TemporaryDirectory(prefix="bench-bookings-") as scratch:
        workdir = Path(scratch)
        try:
            state_file = workdir / "zoom-state.json"
            state_file.write_text(json.dumps(sim_state(scenario, rooms)), encoding="utf-8")
            procs.append(spawn("zoom-sim", ["-m", "bot", "zoom-sim", "--port", "0", "--state", str(state_file)],
                               workdir))
            procs.append(spawn("fake-slack", ["-m", "bench._ackstack", "fake-slack"], workdir))
            sim_url = procs[0].wait_for(r"zoom-sim listening on (http://127\.0\.0\.1:\d+)")
            slack_url = procs[1].wait_for(r"READY (http://127\.0\.0\.1:\d+)")
            with fresh_database(database_url, workdir) as url:
                bot = BotUnderTest(scenario, rooms, url, sim_url, slack_url, shared_status=shared_status)
                try:
                    return bot.run(procs)
                finally:  # before the database is dropped
                    bot.close()
        finally:
            for proc in reversed(procs):
                proc.stop()


class BotUnderTest:
    """The bot as `roombot serve` wires it, in this process, against the simulator and the fake Slack."""

    def __init__(self, scenario: Scenario, rooms: int, url: str, sim_url: str, slack_url: str, *,
                 shared_status: bool) -> None:
        self.scenario, self.rooms, self.sim_url, self.slack_url = scenario, rooms, sim_url, slack_url
        self.label = f"({scenario.key}) {rooms}@{scenario.rate}/s" + ("" if shared_status else " per-dispatch status")
        self.database = make_url(url).get_backend_name()
        sim_admin(sim_url, "POST", "/meetings", {"id": MEETING_ID, "password": PASSCODE})
        join_delay = float(sim_admin(sim_url, "GET", "/state")["join_delay_seconds"])
        print(f"   simulator at {sim_url} (join delay {join_delay} s), fake Slack at {slack_url}", flush=True)
        self.engine = create_engine_for_url(url)
        self.sessions = session_factory(self.engine)
        settings = ZoomSettings(api_url=f"{sim_url}/v2", oauth_url=f"{sim_url}/oauth/token", qps_light=100,
                                qps_medium=scenario.rate, read_timeout=30, **CREDENTIALS)
        self.box = SecretBox(SECRET_KEY)
        self.parts: DispatchParts | None = build_dispatch(settings, self.sessions, self.box,
                                                          policy=watch_policy(join_delay))
        # As bot.runtime.build_services: the sync client (room sync here) paces against the same budget.
        self.zoom = ZoomClient(settings, limiter=self.parts.zoom.limiter)
        if not shared_status:
            zoom = self.parts.zoom

            async def room_status(room: Any, *, watching: bool = False) -> str:
                return await zoom.room_status(room)

            self.parts.board.status = room_status  # type: ignore[method-assign]
        services = Services(zoom=self.zoom, session_factory=self.sessions, secret_box=self.box,
                            engine=self.parts.engine, dispatcher=self.parts.dispatcher, meetings=self.parts.meetings)
        services.dispatch_parts = self.parts
        client = bot_client(Settings(slack_bot_token=BOT_TOKEN, slack_api_url=f"{slack_url}/api/"))  # as serve's
        assert client is not None
        self.worker = BookingWorker(services.wired(), WORKER, notifier=SlackNotifier(client),
                                    requesters=SlackRequesters(directory_of(services), client))

    def close(self) -> None:
        self.worker.stop(timeout=5)
        if self.parts is not None:
            self.parts.close(timeout=5)
        self.zoom.close()
        self.engine.dispose()

    def book(self) -> datetime:
        """One booking per room, all due at the same second, with their reminders posted; returns the second."""
        sync_rooms_from_zoom(self.zoom, self.sessions)
        lead = 3.0 + WORKER_LEAD + self.rooms * 0.03
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=math.ceil(lead) + 1)
        with session_scope(self.sessions) as session:
            room_ids = [room.id for room in room_store.list_rooms(session)]
        for chunk in range(0, len(room_ids), 100):  # small transactions: set-up is not what is measured
            with session_scope(self.sessions, write_lock=True) as session:
                for room_id in room_ids[chunk:chunk + 100]:
                    booking_store.create_booking(
                        session, room=session.get(Room, room_id), requester_user_id=REQUESTER, channel_id=CHANNEL,
                        tz_name="UTC", starts_at=due, duration=timedelta(minutes=15), meeting_mode=MeetingMode.LINK,
                        meeting_id=MEETING_ID, passcode=self.box.seal(PASSCODE), now=due - timedelta(hours=1))
        while self.worker.run_once(wait_for_dispatches=False).reminders:  # the worker posts 20 a tick
            pass
        reminded = self._count(Occurrence.reminder_message_ts.is_not(None))
        spare = (due - datetime.now(UTC)).total_seconds()
        if reminded != self.rooms or spare < WORKER_LEAD + 0.3:
            raise BenchError(f"set-up too slow: {reminded}/{self.rooms} reminders posted, {spare:.1f} s left before "
                             "the due second")
        return due

    def _count(self, condition: Any) -> int:
        with session_scope(self.sessions) as session:
            return session.scalar(select(func.count()).select_from(Occurrence).where(condition)) or 0

    def _slack_calls(self, since: int) -> dict[str, Any]:
        response = httpx.get(f"{self.slack_url}/_bench/calls", params={"since": since}, timeout=30)
        response.raise_for_status()
        return dict(response.json())

    def run(self, procs: list[Proc]) -> RunResult:
        assert self.parts is not None
        due = self.book()
        sim_admin(self.sim_url, "POST", "/faults", {"path_prefix": "/v2/rooms", "latency_ms": LATENCY_MS,
                                                    "count": None})
        sim_admin(self.sim_url, "DELETE", "/requests")  # set-up requests (token, room sync) are not counted
        slack_before = int(self._slack_calls(0)["total"])
        LOG_COUNTER.reset()
        # A worker that is already running when the burst is due, as in production (it wakes on the due second
        # and has the room-status listing taken just before): its CPU from its start on counts.
        while datetime.now(UTC) < due - timedelta(seconds=WORKER_LEAD):
            time.sleep(0.002)
        # Read before the bot's own CPU, so that reading /proc is not counted as the bot's.
        postgres_before = postgres_cpu_seconds() if self.database == "postgresql" else 0.0
        cpu_before = {"bot": own_cpu_seconds(), **{proc.name: proc.cpu_seconds() for proc in procs}}
        threads_before = thread_cpu_seconds()
        self.worker.start()
        while datetime.now(UTC) < due:
            time.sleep(0.002)
        started = time.monotonic()
        deadline = started + max(60.0, 4 * self.scenario.bound + 60)
        finished = peak = 0
        rss_before = rss_burst = current_rss_mb()
        first_start: float | None = None  # when the engine first had work (claimed and submitted)
        # The bench's own polling runs in the bot's process and counts as its CPU: ask the database only when
        # the engine has completed enough jobs (or once a second), not every sample.
        completed_before, last_count = self.parts.engine.completed, 0.0
        while time.monotonic() < deadline:
            load = self.parts.engine.load()
            peak = max(peak, load.in_flight)
            if first_start is None and load.in_flight + load.queued > 0:
                first_start = time.monotonic() - started
            rss_burst = max(rss_burst, current_rss_mb())
            if (self.parts.engine.completed - completed_before >= self.rooms
                    or time.monotonic() - last_count >= 1.0):
                last_count = time.monotonic()
                finished = self._count(Occurrence.status.in_(FINAL_STATUSES))
                if finished >= self.rooms:
                    break
            time.sleep(0.1)
        cpu = {"bot": own_cpu_seconds() - cpu_before["bot"],
               **{proc.name: proc.cpu_seconds() - cpu_before[proc.name] for proc in procs}}
        if postgres_before > 0:  # a PostgreSQL server on this machine
            cpu["postgres"] = postgres_cpu_seconds() - postgres_before
        threads = thread_cpu_seconds()
        threads.subtract(threads_before)
        self.worker.stop(timeout=10)
        unfinished = self.parts.close(timeout=10)
        board_listings, capacity = self.parts.board.listings, self.parts.engine.max_in_flight
        self.parts = None

        due_epoch = due.timestamp()
        slack_calls = Counter(str(call["method"]) for call in self._slack_calls(slack_before)["calls"])
        requests = sim_admin(self.sim_url, "GET", "/requests")["requests"]
        medium = [r for r in requests if category_of(r["method"], r["path"]) == "medium"]
        listings = [r["at"] - due_epoch for r in medium
                    if r["method"] == "GET" and r["path"].rstrip("/") == "/v2/rooms"]
        controls = [r for r in medium if r["path"].endswith("/events")]
        joins = [r["at"] - due_epoch for r in controls
                 if (r.get("json") or {}).get("method") == "zoomroom.meeting_join" and r["status"] < 300]
        medium_times = [r["at"] - due_epoch for r in medium]
        per_second = Counter(math.floor(t) for t in medium_times if t >= 0)
        medium_per_second = [per_second[second] for second in range(max(per_second, default=-1) + 1)]
        sim_joins = sum(room["joins"] for room in sim_admin(self.sim_url, "GET", "/rooms")["rooms"])
        with session_scope(self.sessions) as session:
            outcomes = Counter(str(o.value) for o in session.scalars(
                select(Dispatch.outcome).where(Dispatch.source == DispatchSource.BOOKING)))
            statuses = Counter(str(s.value) for s in session.scalars(select(Occurrence.status)))
            finish_times = sorted(_as_utc(at).timestamp() - due_epoch for at in session.scalars(
                select(Occurrence.finished_at).where(Occurrence.finished_at.is_not(None))))
            reasons = Counter((r or "")[:140] for r in session.scalars(
                select(Occurrence.outcome_reason).where(Occurrence.status != OccurrenceStatus.DISPATCHED)))
        return RunResult(
            label=self.label, scenario=self.scenario, rooms=self.rooms, database=self.database,
            # The last occurrence's finished_at, not when the loop above noticed it (it looks every 0.1 s).
            elapsed=finish_times[-1] if finished >= self.rooms and finish_times else None,
            finished=finished, medium=len(medium), listings=len(listings), controls=len(controls),
            throttled=sum(1 for r in requests if r["status"] == 429), cpu=cpu, thread_cpu=threads,
            rss=(rss_before, rss_burst),
            slack_calls=slack_calls, first_start=first_start, first_join=min(joins) if joins else None,
            last_join=max(joins) if joins else None, listing_times=sorted(listings),
            medium_per_second=medium_per_second, finish_times=finish_times,
            peak_in_flight=peak, engine_capacity=capacity, dispatch_outcomes=outcomes, occurrence_statuses=statuses,
            sim_joins=sim_joins, board_listings=board_listings, unfinished_at_close=unfinished,
            log_lines=LOG_COUNTER.summary(), reasons=reasons)


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(share * len(values)))] if values else float("nan")


# ----- report ---------------------------------------------------------------------------------------------
def source_revision() -> str:
    """The checked-out commit, and whether the work tree differs from it (the numbers belong to that code)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "bot", "migrations"],
                               cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head or 'unknown'}{' + uncommitted changes under bot/ or migrations/' if dirty else ''}"


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def postgres_cpu_seconds() -> float:
    """CPU seconds used so far by this machine's PostgreSQL server processes (Linux /proc; backends that have
    exited count in the postmaster's children time), 0 when none is seen: on a shared two-core machine the
    server's work for the bot takes CPU from the bot too."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, tail = stat.read_text().rsplit(")", 1)
        except (OSError, ValueError):
            continue
        if head.split("(", 1)[-1].startswith("postgres"):
            fields = tail.split()
            total += sum(int(field) for field in fields[11:15])  # utime, stime, cutime, cstime
    return total / tick


def thread_cpu_seconds() -> Counter[str]:
    """CPU seconds used so far by this process's live threads, grouped by thread name without its number
    (Linux /proc): which part of the bot the CPU went to."""
    groups: Counter[str] = Counter()
    tick = os.sysconf("SC_CLK_TCK")
    for thread in threading.enumerate():
        try:
            fields = Path(f"/proc/self/task/{thread.native_id}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        name = re.sub(r"[_-]?\d+$", "", thread.name)
        groups[name] += (int(fields[11]) + int(fields[12])) / tick
    return groups


def current_rss_mb() -> float:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def outcome_text(run: RunResult) -> str:
    def fmt(counts: Counter[str]) -> str:
        return " ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "none"

    return (f"dispatches[{fmt(run.dispatch_outcomes)}] occurrences[{fmt(run.occurrence_statuses)}] "
            f"sim joins={run.sim_joins}")


def print_table(runs: list[RunResult]) -> None:
    header = (f"{'run':<34} {'db':<10} {'N':>5} {'rate':>5} {'bound':>7} {'lastjoin':>8} {'ratio':>6} {'finished':>8} "
              f"{'ratio':>6} {'429s':>5} {'Med/N':>6} {'list':>5} {'ctrl':>5} {'inflight':>9} {'joined':>7}")
    print(header)
    print("-" * len(header))
    for run in runs:
        time_text = f"{run.elapsed:7.2f}s" if run.elapsed is not None else "  >limit"
        ratio_text = f"{run.ratio:6.2f}" if run.ratio is not None else "     -"
        finished_ratio = f"{run.finished_ratio:6.2f}" if run.finished_ratio is not None else "     -"
        last_join = f"{run.last_join:7.2f}s" if run.last_join is not None else "       -"
        inflight = f"{run.peak_in_flight}/{run.engine_capacity}"
        print(f"{run.label:<34} {run.database:<10} {run.rooms:5d} {run.scenario.rate:5d} {run.bound:6.1f}s "
              f"{last_join:>8} {ratio_text:>6} {time_text:>8} {finished_ratio:>6} {run.throttled:5d} "
              f"{run.medium / run.rooms:6.2f} {run.listings:5d} {run.controls:5d} {inflight:>9} "
              f"{run.dispatch_outcomes.get('joined', 0):7d}")


def main(argv: list[str] | None = None) -> int:
    limit_malloc_arenas(os.environ)  # as `roombot serve` and `roombot worker` do, before any thread starts
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), action="append",
                        help="run only this scenario (repeatable; default: a, b and c; m: 500 at 20/s, for memory)")
    parser.add_argument("--quick", action="store_true", help="smaller bursts (100, 300 and 300 occurrences)")
    parser.add_argument("--compare", action="store_true",
                        help="also run each scenario with per-dispatch status reads (doubles the run time)")
    parser.add_argument("--database-url", help="a PostgreSQL server to run on, e.g. "
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test (a fresh database is created there "
                        "for each run and dropped after it; default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    bot_logger = logging.getLogger("bot")
    bot_logger.setLevel(logging.INFO)
    bot_logger.addHandler(LOG_COUNTER)
    bot_logger.propagate = False  # counted and summarised per run instead of flooding the terminal

    # As serve's work process (bot.cli.serve_work), which runs the dispatch engine and the booking worker: the
    # default GIL switch interval (the 1 ms ACK_SWITCH_INTERVAL is for the process answering Slack).
    sys.setswitchinterval(WORK_SWITCH_INTERVAL)
    keys = args.scenario or list(DEFAULT_SCENARIOS)
    revision = source_revision()
    print(f"roombot source: {revision}; GIL switch interval {sys.getswitchinterval() * 1000:g} ms "
          "(as serve's work process)")
    policy = watch_policy(0.0)
    print(f"Zoom simulator in its own process: Medium limit = the scenario's rate, +{LATENCY_MS} ms per /v2/rooms "
          f"request; watch: first read after the simulator's join delay, then every {policy.poll_interval} s "
          f"(timeout {policy.watch_timeout:.0f} s); database: "
          f"{'PostgreSQL (fresh database per run)' if args.database_url else 'SQLite (temporary file)'}; "
          f"peak RSS after imports {peak_rss_mb():.0f} MB")
    runs: list[RunResult] = []
    failures: list[str] = []
    for key in keys:
        scenario = SCENARIOS[key]
        rooms = QUICK_ROOMS[key] if args.quick else scenario.rooms
        for shared in (True, False) if args.compare else (True,):
            what = f"({key}) {rooms} occurrences at {scenario.rate}/s" + ("" if shared else ", per-dispatch status")
            print(f"\n== {what}: bound {rooms}/{scenario.rate} = {rooms / scenario.rate:.1f} s", flush=True)
            try:
                run = run_once(scenario, rooms, args.database_url, shared_status=shared)
            except (BenchError, OSError, httpx.HTTPError, SQLAlchemyError) as error:
                failures.append(f"{what}: {error}")
                print(f"   FAILED: {error}", flush=True)
                continue
            runs.append(run)
            elapsed = f"{run.elapsed:.2f} s" if run.elapsed is not None else f"not done ({run.finished}/{rooms})"
            print(f"   finished: {elapsed}; {outcome_text(run)}; board listings {run.board_listings}; "
                  f"unfinished at close {run.unfinished_at_close}")
            print(f"   RSS: {run.rss[0]:.0f} MB when the burst began, at most {run.rss[1]:.0f} MB during it (sampled "
                  f"every 0.1 s); peak RSS of the process so far {peak_rss_mb():.0f} MB")
            first = f"{run.first_join:.2f}" if run.first_join is not None else "-"
            last = f"{run.last_join:.2f}" if run.last_join is not None else "-"
            start = f"{run.first_start:.1f}" if run.first_start is not None else "-"
            print(f"   first occurrences claimed and on the engine by t≈{start} s (sampled every 0.1 s); joins reached "
                  f"Zoom from t={first} s to t={last} s; GET /rooms pages at t= "
                  + " ".join(f"{t:.2f}" for t in run.listing_times[:40])
                  + (" …" if len(run.listing_times) > 40 else ""))
            print("   Medium requests Zoom saw per second from t=0 (the pacer's rate when the bot keeps up): "
                  + " ".join(str(count) for count in run.medium_per_second))
            times = run.finish_times
            print("   Slack calls during the burst: " + (", ".join(
                f"{method} {count}" for method, count in run.slack_calls.most_common()) or "none"))
            if run.elapsed:
                print("   CPU during the burst: " + ", ".join(
                    f"{name} {seconds:.1f} s ({100 * seconds / run.elapsed:.0f}% of one core)"
                    for name, seconds in run.cpu.items()) + f"; {os.cpu_count()} cores")
                print("   the bot's CPU by thread: " + ", ".join(
                    f"{name} {seconds:.1f} s" for name, seconds in run.thread_cpu.most_common() if seconds >= 0.05))
            marks = {"first": 0.0, "p10": 0.1, "p50": 0.5, "p90": 0.9, "last": 1.0}
            print("   occurrences finished at t= " + " / ".join(f"{name} {percentile(times, share):.2f}"
                                                            for name, share in marks.items()) + " s")
            for reason, count in run.reasons.most_common(3):
                print(f"   not dispatched ×{count}: {reason}")
            print("   bot log records (INFO+): " + ("none" if not run.log_lines else ""))
            for line in run.log_lines:
                print(f"   {line}")
    print()
    if runs:
        print_table(runs)
        print("\nbound: N / Medium rate; lastjoin: the last join request reaching Zoom after the due second (every "
              "room dispatched), and its ratio to the bound; finished: every occurrence finished (join seen in "
              "the room's status, result posted), and its ratio; Med/N: Medium requests per dispatch (list: "
              "GET /rooms pages, ctrl: PATCH /rooms/{id}/events); inflight: most dispatches in flight / engine "
              "capacity")
        for run in runs:
            ok = run.ratio is not None and run.ratio <= TARGET_RATIO
            print(f"{run.label}: {'meets' if ok else 'misses'} ratio ≤ {TARGET_RATIO} to dispatch every room "
                  f"({run.ratio if run.ratio is not None else float('nan'):.2f}; finished "
                  f"{run.finished_ratio if run.finished_ratio is not None else float('nan'):.2f}); "
                  f"all joined: {run.all_joined}")
    dispatches = sum(run.finished for run in runs)
    rss = peak_rss_mb()
    print(f"\nserve-process memory: peak RSS of this process (dispatch engine, worker, Zoom clients, database "
          f"pool) = {rss:.1f} MB after {dispatches} dispatches (target ≤ {TARGET_RSS_MB} MB after ≥ 500): "
          f"{'meets' if rss <= TARGET_RSS_MB and dispatches >= 500 else 'misses' if rss > TARGET_RSS_MB else 'n/a'}")
    if source_revision() != revision:
        print(f"WARNING: the source tree changed during the run ({revision} → {source_revision()}); child "
              "processes started later ran the newer code")
    for failure in failures:
        print(f"FAILED {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
