"""The booking worker: materialises occurrences, posts reminders, claims due occurrences and dispatches them.

Any number of workers may run against one PostgreSQL database (inside `roombot serve` and alone as
`roombot worker`): every step that must happen once is decided by the database — unique occurrence rows,
leased claims with ``FOR UPDATE SKIP LOCKED``, compare-and-set reminders — never by the worker's memory.
A worker claims only as many occurrences as the dispatch engine can start at once (and no more than
``ROOMBOT_WORKER_CONCURRENCY`` when set), so several workers share a burst.  Claimed occurrences are
dispatched on the process's one dispatch engine, beside Slack's commands: their waits hold no thread.

Reminders, meeting links, progress, results and skips go to a ``BookingNotifier`` and bookers are looked up
in a ``RequesterDirectory`` (``bot.scheduling.ports``): ``roombot worker`` and ``roombot serve`` pass the
Slack layer's implementations.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot import logcontext, metrics
from bot.config import WorkerConfig
from bot.dispatch.engine import to_messaging_thread
from bot.dispatch.outcomes import Requester
from bot.scheduling.occurrence import OccurrenceView, view_of
from bot.scheduling.ports import BookingBackends, BookingNotifier, MessageRef, ReminderOutcome, RequesterDirectory
from bot.scheduling.runner import Job, OccurrenceRunner
from bot.store import bookings as booking_store
from bot.store import occurrences
from bot.store.db import DatabaseUnavailable, session_scope
from bot.store.types import utcnow

log = logging.getLogger("bot.scheduling")

OUTAGE_BACKOFF_INITIAL = 1.0  # seconds between ticks while the database is down: doubled, capped
OUTAGE_BACKOFF_MAX = 30.0
CLAIM_BATCH = 25  # occurrences claimed per transaction


@dataclass
class TickReport:
    claimed: int = 0
    misfired: int = 0
    reminders: int = 0
    meetings: int = 0
    futures: list[Future[None]] = field(default_factory=list)


class BookingWorker:
    """Reminders, results and skips go to ``notifier``; ``requesters`` says who a booker is (their room rules)."""

    def __init__(self, services: BookingBackends, config: WorkerConfig | None = None, *,
                 notifier: BookingNotifier, requesters: RequesterDirectory, worker_id: str | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.config = config or WorkerConfig()
        self.services = services
        self.sessions = services.session_factory
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.notifier = notifier
        self.requesters = requesters
        self.clock = clock
        self.runner = OccurrenceRunner(services, worker_id=self.worker_id)
        self.engine = services.engine
        self.concurrency = self.config.concurrency or self.engine.max_in_flight
        self._in_flight = 0
        self._backlog: list[tuple[Job, Future[None]]] = []  # claimed, but the engine was full: submit next tick
        self._running: set[int] = set()  # occurrence ids being dispatched here: their leases are renewed
        self._futures: set[Future[None]] = set()
        self._last_heartbeat: datetime | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._leases_given_back = threading.Event()  # the lease keeper runs until then, past stop_claiming
        self._thread: threading.Thread | None = None
        self._keeper: threading.Thread | None = None
        self._capacity_limited = False
        self._last_materialised: datetime | None = None

    # ------------------------------------------------------------------------------------ lifecycle

    def start(self) -> BookingWorker:
        self._thread = threading.Thread(target=self._loop, name="booking-worker", daemon=True)
        self._thread.start()
        # Leases are renewed on a timer of their own: a slow tick (a long poll interval, a database that is
        # slow to answer) must never let a live worker's claims expire under it.
        self._keeper = threading.Thread(target=self._keep_leases, name="booking-leases", daemon=True)
        self._keeper.start()
        log.info("booking worker %s started (up to %d dispatches in flight)", self.worker_id, self.concurrency)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop claiming; dispatches already running finish (their leases cover a hard stop)."""
        self.stop_claiming(timeout)
        self._leases_given_back.set()
        if self._keeper is not None:
            self._keeper.join(timeout)
        with self._lock:
            running = list(self._futures)
        wait(running, timeout=timeout)

    # A graceful stop (``bot.runtime.shut_down``): stop_claiming, then retire if dispatches had to be cut short,
    # then release once the dispatch engine has stopped.

    def stop_claiming(self, timeout: float = 10.0) -> None:
        """No more claims, reminders or meetings; dispatches already running go on, their leases still renewed."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def retire(self) -> int:
        """The dispatches still running here are being cut short: move this worker's claims to its stopping name
        (``occurrences.retire_claims``), so that none of them is finished as failed; ``release`` gives them
        back once they have ended.  Returns how many claims were retired."""
        self._leases_given_back.set()
        try:
            with session_scope(self.sessions, write_lock=True) as session:
                retired = occurrences.retire_claims(session, worker_id=self.worker_id, now=self.clock(),
                                                    lease=self.config.lease)
        except Exception as error:  # noqa: BLE001 - then their leases run out, as after a crash
            log.warning("booking worker %s: could not retire its claims: %s", self.worker_id, type(error).__name__)
            return 0
        if retired:
            log.info("booking worker %s: %d claims retired while their dispatches are cut short", self.worker_id,
                     retired)
        return retired

    def release(self) -> int:
        """Give back every claim this worker holds (``occurrences.release_claims``): scheduled again, for another
        worker to take over at once.  Call it only once no dispatch of this worker runs any more (after the
        dispatch engine has stopped).  Returns how many claims were given back."""
        self._leases_given_back.set()
        if self._keeper is not None:
            self._keeper.join(5)
        try:
            with session_scope(self.sessions, write_lock=True) as session:
                released = occurrences.release_claims(session, worker_id=self.worker_id, now=self.clock())
        except Exception as error:  # noqa: BLE001 - then their leases run out, as after a crash
            log.warning("booking worker %s: could not give back its claims (%s); other workers take them over "
                        "when their leases run out", self.worker_id, type(error).__name__)
            return 0
        if released:
            log.info("booking worker %s: gave back %d claims for other workers to take over now", self.worker_id,
                     released)
        return released

    def _loop(self) -> None:
        outage: _Outage | None = None
        while not self._stopping.is_set():
            wait = self.config.poll_interval
            try:
                self.run_once(wait_for_dispatches=False)
                if outage is not None:
                    log.warning("booking worker: the database is back after %.0f s; working again", outage.elapsed())
                    outage = None
            except DatabaseUnavailable as error:  # a database outage must not end the worker, nor flood the log
                if outage is None:
                    outage = _Outage()
                    log.warning("booking worker: the database is unavailable (%s); retrying with backoff",
                                error.reason)
                wait = outage.next_wait()
            except Exception as error:
                if outage is None:
                    outage = _Outage()
                    log.exception("booking worker tick failed (%s); retrying with backoff", type(error).__name__)
                wait = outage.next_wait()
            if outage is None:
                wait = self._until_next_start(wait)
            self._wake.wait(wait)
            self._wake.clear()

    def _until_next_start(self, wait: float) -> float:
        """How long to sleep: until the next occurrence starts, when that is sooner than ``wait`` — a booking
        fires on its second, not up to a poll interval later — with the room-status listing started now, so
        that its first dispatches find a fresh one instead of all waiting for it (``RoomStatusBoard.warm``)."""
        now = self.clock()
        try:
            with session_scope(self.sessions) as session:
                due = occurrences.next_start(session, after=now, until=now + timedelta(seconds=wait))
        except Exception as error:  # noqa: BLE001 - the next tick reports a database outage
            log.debug("could not look for the next occurrence: %s", type(error).__name__)
            return wait
        if due is None:
            return wait
        until = max(0.0, (due - now).total_seconds())
        warming = asyncio.run_coroutine_threadsafe(self.runner.dispatcher.board.warm(ahead=until), self.engine.loop)
        warming.add_done_callback(_warmed)
        return until

    def _keep_leases(self) -> None:
        period = max(0.1, self.config.lease.total_seconds() / 3)
        while not self._leases_given_back.wait(period):
            try:
                self._renew_leases(self.clock())
            except Exception as error:  # noqa: BLE001 - the tick loop reports outages; try again next period
                log.debug("lease renewal failed: %s", type(error).__name__)

    # ------------------------------------------------------------------------------------ one tick

    def run_once(self, now: datetime | None = None, *, wait_for_dispatches: bool = True) -> TickReport:
        now = now or self.clock()
        report = TickReport()
        self._heartbeat(now)
        self._materialise(now)
        report.reminders, report.meetings = self._reminders(now)
        for job, future in self._take_backlog():
            self._submit(job, future)
        free = min(self.concurrency - self._in_flight, self.engine.load().free)
        self._capacity_limited = False
        # Claimed in short batches, each dispatched at once: the first rooms of a burst are on their way to Zoom
        # while the rest are still being claimed, and no claim transaction holds the write lock for long.
        while free > 0 and not self._backlog:
            batch = min(free, CLAIM_BATCH)
            with session_scope(self.sessions, write_lock=True) as session:
                claim = occurrences.claim_due(session, worker_id=self.worker_id, now=now, lease=self.config.lease,
                                              grace=self.config.grace, limit=batch)
                jobs = [Job.of(occurrence) for occurrence in claim.claimed]
                missed = [(view_of(o), o.outcome_reason or "missed", o.reminder_message_ts) for o in claim.misfired]
            for view, reason, reminder_ts in missed:
                self._report_skipped(view, reason, reminder_ts)
            report.claimed += len(jobs)
            report.misfired += len(missed)
            for job in jobs:
                report.futures.append(self._submit(job))
            free -= len(jobs)
            if len(jobs) < batch and len(missed) < batch:
                break  # nothing more is due
        else:
            # Out of slots (or a backlog to submit first) with work perhaps still due: the next finished dispatch
            # wakes the loop.  Otherwise finished dispatches do not: a tick costs store transactions.
            self._capacity_limited = True
        if wait_for_dispatches and report.futures:
            wait(report.futures)
        return report

    def _heartbeat(self, now: datetime) -> None:
        """Renew the leases of running dispatches (every third of a lease), so a slow dispatch — waiting on
        Zoom's rate limit or a slow room — is never taken for a dead worker's."""
        if self._last_heartbeat is not None and now - self._last_heartbeat < self.config.lease / 3:
            return
        self._renew_leases(now)

    def _renew_leases(self, now: datetime) -> None:
        self._last_heartbeat = now
        with self._lock:
            running = sorted(self._running)
        if not running:
            return
        with session_scope(self.sessions, write_lock=True) as session:
            occurrences.extend_leases(session, running, worker_id=self.worker_id, now=now, lease=self.config.lease)

    def _take_backlog(self) -> list[tuple[Job, Future[None]]]:
        with self._lock:
            backlog, self._backlog = self._backlog, []
        return backlog

    def _submit(self, job: Job, future: Future[None] | None = None) -> Future[None]:
        """Hand a claimed occurrence to the engine; the future is done when its dispatch has finished."""
        future = future if future is not None else Future()
        with self._lock:
            self._in_flight += 1
            self._running.add(job.view.occurrence_id)
            self._futures.add(future)
        if not self.engine.submit(lambda: self._run_job(job, future), label=f"occurrence {job.view.occurrence_id}"):
            # Slack took the last places meanwhile: keep the claim (its lease is renewed) and try next tick.
            with self._lock:
                self._in_flight -= 1
                self._backlog.append((job, future))
        return future

    async def _run_job(self, job: Job, future: Future[None]) -> None:
        # From the occurrence's start (its due time) to its dispatch starting here.
        metrics.booking_lag((self.clock() - job.view.starts_at).total_seconds(), taken_over=job.claim_count > 1)
        try:
            with logcontext.bound(occurrence_id=job.view.occurrence_id):
                requester = self.requesters.known_requester(job.view.requester_user_id, is_admin=False)
                if requester is None:  # not cached: ask Slack, off the loop
                    requester = await to_messaging_thread(self.booker, job.view)
                result = await self.runner.run(job, self.notifier, requester=requester)
                if job.reminder_message_ts:
                    outcome = ReminderOutcome.SENT if result.ok else ReminderOutcome.FAILED
                    await to_messaging_thread(self.notifier.reminder_settled, job.view, job.reminder_message_ts,
                                              outcome)
        except Exception:
            metrics.occurrence_finished("crashed")
            log.exception("occurrence %s: dispatch crashed; its lease will expire", job.view.occurrence_id)
        finally:
            with self._lock:
                self._in_flight -= 1
                self._running.discard(job.view.occurrence_id)
                self._futures.discard(future)
            future.set_result(None)
            if self._capacity_limited:
                self._wake.set()  # due work was left unclaimed for want of a slot: claim it now

    def booker(self, view: OccurrenceView) -> Requester:
        """The booker, looked up like a `/room join` requester: room rules for their groups apply too."""
        return self.requesters.requester(view.requester_user_id, is_admin=False)

    def _materialise(self, now: datetime) -> None:
        if self._last_materialised and (now - self._last_materialised).total_seconds() < self.config.materialise_every:
            return
        with session_scope(self.sessions, write_lock=True) as session:
            results = booking_store.materialise_due(session, now=now)
        self._last_materialised = now
        for result in results:
            for start, other in result.conflicts:
                log.info("booking %s: occurrence at %s overlaps booking %s; skipped", result.booking_id, start, other)

    def _reminders(self, now: datetime) -> tuple[int, int]:
        with session_scope(self.sessions, write_lock=True) as session:
            views = [view_of(o) for o in occurrences.claim_reminders(session, now=now, lead=self.config.reminder_lead)]
        meetings = 0
        for view in views:
            try:
                if view.is_new_meeting and not view.meeting_id:
                    view = self.engine.run(self.runner.ensure_meeting(view, self.notifier))
                    meetings += 1
            except Exception as error:  # noqa: BLE001 - the dispatch creates it at the start instead
                log.warning("occurrence %s: creating its meeting failed: %s", view.occurrence_id, type(error).__name__)
            ts = self.notifier.reminder(view)
            if ts:
                with session_scope(self.sessions, write_lock=True) as session:
                    occurrences.set_reminder_message(session, view.occurrence_id, ts)
        meetings += self._late_meetings(now)
        return len(views), meetings

    def _late_meetings(self, now: datetime) -> int:
        """`new` meetings still missing shortly before the start (the reminder's attempt failed or never ran)."""
        with session_scope(self.sessions) as session:
            views = [view_of(o) for o in occurrences.needing_meeting(session, now=now,
                                                                      lead=self.config.meeting_fallback_lead)]
        created = 0
        for view in views:
            try:
                self.engine.run(self.runner.ensure_meeting(view, self.notifier))
                created += 1
            except Exception as error:  # noqa: BLE001
                log.warning("occurrence %s: creating its meeting failed: %s", view.occurrence_id, type(error).__name__)
        return created

    def _report_skipped(self, view: OccurrenceView, reason: str, reminder_ts: MessageRef | None) -> None:
        metrics.occurrence_finished("missed")
        with logcontext.bound(occurrence_id=view.occurrence_id):
            log.info("occurrence %s skipped: %s", view.occurrence_id, reason)
            self.notifier.skipped(view, reason)
            if reminder_ts:
                self.notifier.reminder_settled(view, reminder_ts, ReminderOutcome.MISSED)


def _warmed(listing: Future[None]) -> None:
    if not listing.cancelled() and (error := listing.exception()) is not None:
        log.info("room-status listing before a due booking failed: %s", type(error).__name__)


class _Outage:
    """Backoff while the database (or anything else a tick needs) is down: 1 s, 2 s, 4 s … at most 30 s."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self._wait = OUTAGE_BACKOFF_INITIAL

    def next_wait(self) -> float:
        wait, self._wait = self._wait, min(OUTAGE_BACKOFF_MAX, self._wait * 2)
        return wait

    def elapsed(self) -> float:
        return time.monotonic() - self.started
