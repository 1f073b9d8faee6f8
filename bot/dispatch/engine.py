"""The one dispatch engine: an asyncio event loop in its own thread that runs every dispatch.

Slack listeners (through the listener lane) and the booking worker submit work here; nothing else sends a
room anywhere.  A dispatch spends most of its life waiting — on Zoom's answers, between status polls, on the
rate limiter, for a room to get into its meeting — and here a wait is an ``await``: it holds no OS thread, so
the number of dispatches in flight is bounded by Zoom's rate limits (``max_in_flight``), not by a thread pool.

Admission is decided at once and never blocks the caller: ``submit`` either accepts the work (it starts now,
or once ``ahead`` dispatches before it have finished) or refuses it because in-flight plus queued work is at
its bound; the caller then tells the requester the truth.  Accepted work is never dropped: ``stop`` lets it
finish within a bound and says how much could not.

Blocking calls a dispatch still makes run on two executors of the engine's own, so the loop never waits on
them: store work (SQLAlchemy) on a few threads (``to_thread``) — its round trips are short, and more threads
would only fight over the GIL — and Slack's sync ``WebClient`` on more (``to_messaging_thread``), because a
Slack call can wait on the network for seconds and must not hold a thread the store work needs.
The loop thread starts on first use, and again in a forked child (gunicorn forks after the services are built).
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import logging
import os
import queue
import threading
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from bot import logcontext, metrics

log = logging.getLogger("bot.dispatch")

T = TypeVar("T")
P = ParamSpec("P")
Job = Callable[[], Awaitable[object]]

DEFAULT_MAX_IN_FLIGHT = 200
DEFAULT_MAX_QUEUED = 1000
# Store work.  A call's CPU is a millisecond or two, but on PostgreSQL each of its round trips gives up the GIL
# and waits to get it back, so under a burst one call takes 10-40 ms of wall time: four threads capped a burst
# at about 30 dispatches a second.  1,000 due at 60/s on PostgreSQL, runs alternated: four 1.80x and 2.06x the
# bound, eight 1.63x and 1.77x (1.11-1.39x earlier the same day), with less CPU (a burst that keeps up needs
# fewer status listings); twelve burned more CPU in GIL hand-offs (1.58x).  SQLite: eight 1.09x, four 1.11x.
DEFAULT_BLOCKING_THREADS = 8
# Slack calls: they mostly wait on the network (up to seconds when Slack is slow or rate-limits).
DEFAULT_MESSAGING_THREADS = 16
# After ``drain``'s timeout, ``cut_short`` asks the running jobs to end; they get this long to say so.
CUT_SHORT_SETTLE_SECONDS = 10.0
CANCEL_WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class Admission:
    """The engine's answer to a submission: ``accepted``, and how many accepted jobs start before it."""

    accepted: bool
    ahead: int = 0  # dispatches that must finish before this one can start (0: it starts now)
    in_flight: int = 0
    limit: int = 0
    stopping: bool = False  # refused because the engine is draining (the process is stopping), not for load

    @property
    def queued(self) -> bool:
        return self.accepted and self.ahead > 0

    def __bool__(self) -> bool:
        return self.accepted


@dataclass(frozen=True)
class EngineLoad:
    in_flight: int
    queued: int
    max_in_flight: int
    max_queued: int

    @property
    def free(self) -> int:
        """Jobs that would start at once if submitted now."""
        return max(0, self.max_in_flight - self.in_flight - self.queued)


# The order in which the engine started the job a piece of blocking work belongs to: the I/O threads serve the
# oldest job first, so a burst moves through its steps as a pipeline (the first dispatches reach Zoom while
# later ones are still being read from the store) instead of every dispatch doing step one before any does two.
JOB_ORDER: ContextVar[int] = ContextVar("roombot_job_order", default=1 << 62)


class OldestJobFirstExecutor(ThreadPoolExecutor):
    """A thread pool whose queue is ordered by ``JOB_ORDER`` (then by submission).  A ThreadPoolExecutor only
    because asyncio accepts nothing else as a loop's default executor; its own queue and threads are unused.
    Its attributes keep clear of the base class's (``_threads``, ``_shutdown``, ``_work_queue``…)."""

    def __init__(self, threads: int, name: str) -> None:
        super().__init__(max_workers=threads, thread_name_prefix=name)
        self._size = threads
        self._name = name
        self._queue: queue.PriorityQueue[tuple[int, int, Callable[[], None] | None]] = queue.PriorityQueue()
        self._sequence = itertools.count()
        self._pool_threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as error:  # noqa: BLE001 - handed to whoever awaits the future
                future.set_exception(error)

        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new work after shutdown")
            self._queue.put((JOB_ORDER.get(), next(self._sequence), run))
            if len(self._pool_threads) < self._size:
                worker = threading.Thread(target=self._work, name=f"{self._name}_{len(self._pool_threads)}",
                                          daemon=True)
                self._pool_threads.append(worker)
                worker.start()
        return future

    def _work(self) -> None:
        while True:
            _, _, run = self._queue.get()
            if run is None:
                return
            run()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._pool_threads)
        for _ in workers:
            self._queue.put((1 << 63, next(self._sequence), None))
        if wait:
            for worker in workers:
                worker.join()


class DispatchEngine:
    def __init__(self, *, max_in_flight: int = DEFAULT_MAX_IN_FLIGHT, max_queued: int = DEFAULT_MAX_QUEUED,
                 blocking_threads: int = DEFAULT_BLOCKING_THREADS,
                 messaging_threads: int = DEFAULT_MESSAGING_THREADS, name: str = "dispatch") -> None:
        if max_in_flight < 1 or max_queued < 0 or blocking_threads < 1 or messaging_threads < 1:
            raise ValueError("the dispatch engine needs max_in_flight >= 1, max_queued >= 0 and at least one "
                             "store and one messaging thread")
        self.max_in_flight = max_in_flight
        self.max_queued = max_queued
        self.blocking_threads = blocking_threads
        self.messaging_threads = messaging_threads
        self.name = name
        self._lock = threading.Lock()
        self._running = 0
        self._waiting = 0
        self._pid: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._executor: OldestJobFirstExecutor | None = None
        self._messaging: OldestJobFirstExecutor | None = None
        self._slots: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task[object]] = set()
        self._closing = False
        self._order = itertools.count()
        self.completed = 0  # jobs that ran to their end (for benchmarks and metrics)
        self.refused = 0

    def __repr__(self) -> str:
        load = self.load()
        return f"DispatchEngine(in_flight={load.in_flight}, queued={load.queued}, max_in_flight={self.max_in_flight})"

    # ------------------------------------------------------------------------------------ lifecycle

    def _ensure_started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is not None and self._pid == os.getpid():
                return self._loop
            # First use, or a forked child: the parent's loop thread does not exist here.
            loop = asyncio.new_event_loop()
            self._executor = OldestJobFirstExecutor(self.blocking_threads, f"{self.name}-io")
            loop.set_default_executor(self._executor)
            self._messaging = OldestJobFirstExecutor(self.messaging_threads, f"{self.name}-slack")
            _MESSAGING_EXECUTORS[loop] = self._messaging
            self._slots = None
            self._tasks = set()
            self._running = self._waiting = 0
            if self._pid != os.getpid():
                self._closing = False  # a forked child starts open, whatever its parent was doing
            started = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(started.set)
                loop.run_forever()

            self._thread = threading.Thread(target=run, name=f"{self.name}-loop", daemon=True)
            self._thread.start()
            started.wait()
            self._loop, self._pid = loop, os.getpid()
            return loop

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._ensure_started()

    def in_loop_thread(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    @property
    def started(self) -> bool:
        return self._loop is not None and self._pid == os.getpid()

    def drain(self, timeout: float = 30.0, *, cut_short: Callable[[], object] | None = None,
              settle: float = CUT_SHORT_SETTLE_SECONDS) -> int:
        """Refuse new work and wait up to ``timeout`` for accepted work; returns how many jobs had not finished.

        With ``cut_short``: when jobs are still running after ``timeout``, it is called (in the caller's thread)
        to ask them to end on their own — a dispatch then records and reports what it knows — and they get
        ``settle`` seconds more.  Whatever is still running after that is cancelled."""
        with self._lock:
            self._closing = True
        if not self.started:
            return 0
        try:
            if cut_short is not None:
                running = self.run(self._settled(timeout), timeout=timeout + 10)
                if not running:
                    return 0
                log.warning("%d dispatches still running after %g s: cutting them short", running, timeout)
                cut_short()
                cancelled = self.run(self._drain(settle), timeout=settle + CANCEL_WAIT_SECONDS + 10)
                if cancelled:
                    log.warning("%d dispatches did not end within %g s of being cut short: cancelled", cancelled,
                                settle)
                return running
            return self.run(self._drain(timeout), timeout=timeout + CANCEL_WAIT_SECONDS + 10)
        except Exception:
            log.warning("dispatch engine did not drain cleanly", exc_info=True)
            return 0

    def stop(self, timeout: float = 30.0) -> int:
        """Refuse new work, let accepted work finish within ``timeout`` seconds, then stop the loop.

        Returns how many accepted jobs had not finished (they are cancelled: each job records what it can).
        """
        with self._lock:
            loop = self._loop if self._pid == os.getpid() else None
            self._closing = True
        if loop is None:
            return 0
        unfinished = 0
        try:
            unfinished = asyncio.run_coroutine_threadsafe(self._drain(timeout), loop).result(
                timeout + CANCEL_WAIT_SECONDS + 5)
        except Exception:
            log.warning("dispatch engine did not stop cleanly", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)
        for executor in (self._executor, self._messaging):
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            self._loop = None  # the pid stays: this process's engine is stopped for good
        if unfinished:
            log.warning("dispatch engine stopped with %d dispatches unfinished", unfinished)
        return unfinished

    async def _settled(self, timeout: float) -> int:
        """Wait up to ``timeout`` for the accepted jobs; how many are still running."""
        tasks = set(self._tasks)
        if not tasks:
            return 0
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        return len(pending)

    async def _drain(self, timeout: float) -> int:
        tasks = set(self._tasks)
        if not tasks:
            return 0
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=CANCEL_WAIT_SECONDS)
        return len(pending)

    # ------------------------------------------------------------------------------------ admission

    def load(self) -> EngineLoad:
        with self._lock:
            return EngineLoad(self._running, self._waiting, self.max_in_flight, self.max_queued)

    def submit(self, job: Job, *, label: str = "dispatch") -> Admission:
        """Accept ``job`` (an async function) or refuse it, at once and without blocking."""
        with self._lock:
            stopped = self._closing and self._pid == os.getpid()
        if stopped:
            self.refused += 1
            metrics.engine_refused("stopping")
            return Admission(False, stopping=True)
        loop = self._ensure_started()
        with self._lock:
            admitted = self._running + self._waiting
            ahead = max(0, admitted - self.max_in_flight + 1)
            if self._closing or admitted >= self.max_in_flight + self.max_queued:
                self.refused += 1
                metrics.engine_refused("stopping" if self._closing else "full")
                return Admission(False, ahead, self._running, self.max_in_flight, stopping=self._closing)
            self._waiting += 1
            metrics.engine_jobs(queued=1)
            admission = Admission(True, ahead, self._running, self.max_in_flight)
        loop.call_soon_threadsafe(self._start, job, label)
        return admission

    def _start(self, job: Job, label: str) -> None:
        JOB_ORDER.set(next(self._order))  # copied into the task's context: its blocking calls carry it
        logcontext.fork()  # the job's log ids (the submitter's, and its dispatch id once known) are its own
        task = asyncio.ensure_future(self._run(job, label))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job: Job, label: str) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_in_flight)
        started = False
        try:
            async with self._slots:
                with self._lock:
                    self._waiting -= 1
                    self._running += 1
                    metrics.engine_jobs(in_flight=1, queued=-1)
                started = True
                try:
                    await job()
                finally:
                    with self._lock:
                        self._running -= 1
                        self.completed += 1
                        metrics.engine_jobs(in_flight=-1)
        except asyncio.CancelledError:
            log.warning("%s cancelled while stopping", label)
        except Exception:
            log.exception("%s failed", label)
        finally:
            if not started:
                with self._lock:
                    self._waiting -= 1
                    metrics.engine_jobs(queued=-1)

    # ------------------------------------------------------------------------------------ helpers

    def run(self, awaitable: Coroutine[object, None, T], timeout: float | None = None) -> T:
        """Run ``awaitable`` on the engine's loop and wait for its result (CLI commands, tests, the worker's
        own bookkeeping).  Never call it from the loop thread."""
        if self.in_loop_thread():
            raise RuntimeError("DispatchEngine.run called from the engine's own loop")
        future: Future[T] = asyncio.run_coroutine_threadsafe(awaitable, self._ensure_started())
        return future.result(timeout)

    async def blocking(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking store call on the engine's I/O threads."""
        return await to_thread(function, *args, **kwargs)  # they are its loop's default executor


# Each engine loop's messaging executor (see to_messaging_thread).
_MESSAGING_EXECUTORS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, OldestJobFirstExecutor] = (
    weakref.WeakKeyDictionary())


async def to_thread(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking store call on the running loop's default executor: on the engine's loop, its I/O threads."""
    return await _run_in(None, function, *args, **kwargs)


async def to_messaging_thread(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking call that waits on Slack (a post, an edit, a reply) on the engine's messaging threads
    (off the engine — a test's own loop — on the loop's default executor).  A store write it makes (the
    message's ts) is fine: the threads are for whatever waits on the network."""
    return await _run_in(_MESSAGING_EXECUTORS.get(asyncio.get_running_loop()), function, *args, **kwargs)


async def _run_in(executor: OldestJobFirstExecutor | None, function: Callable[P, T], *args: P.args,
                  **kwargs: P.kwargs) -> T:
    """``function`` on ``executor`` (None: the running loop's default one)."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()  # as asyncio.to_thread: the call's log lines carry the job's ids
    return await loop.run_in_executor(executor, lambda: context.run(function, *args, **kwargs))
