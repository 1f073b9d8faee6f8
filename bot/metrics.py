"""Prometheus metrics: what they are, where they are recorded, and what ``GET /metrics`` serves.

Every metric is named ``roombot_…`` and its labels take a small, fixed set of values: no room names, user
or channel ids, meeting numbers or paths with ids in them (docs/operating.md#monitoring lists them all).

=========================================  ====================================  ==============================
metric                                     labels                                recorded by
=========================================  ====================================  ==============================
``roombot_dispatches_total``               ``trigger``, ``outcome``              ``counted`` (below)
``roombot_zoom_requests_total``            ``category``, ``operation``,          both Zoom transports
                                           ``status``
``roombot_zoom_request_duration_seconds``  ``category``, ``operation``           both Zoom transports
``roombot_zoom_rate_limited_total``        ``category``                          both Zoom transports
``roombot_slack_ack_duration_seconds``     ``status``                            ``bot.web`` (/slack/events)
``roombot_dispatch_engine_jobs``           ``state`` (in_flight, queued)         ``bot.dispatch.engine``
``roombot_dispatch_engine_refused_total``  ``reason`` (full, stopping)           ``bot.dispatch.engine``
``roombot_booking_lag_seconds``            ``claim`` (first, taken_over)         ``bot.scheduling.worker``
``roombot_booking_occurrences_total``      ``outcome``                           ``bot.scheduling``
``roombot_database_up``                    —                                     at scrape time (``bot.web``)
=========================================  ====================================  ==============================

Dispatches: a ``DispatchResult`` is made in many places (each refusal, each Zoom failure, each success), and
what every finished dispatch passes through is the call that asked for it: ``DispatchService.join`` and
``leave``, ``MeetingService.new_meeting`` and ``repair`` (Slack), ``DispatchService.resolve_now`` for a
room the Slack side refused before submitting, and ``OccurrenceRunner.run`` (bookings).  ``counted`` counts
the outermost of these once — nested calls (``join`` → ``dispatch`` → ``resolve``) see a context variable
and are not counted again — with the request's ``DispatchSource`` as ``trigger`` and the result's
``ResultKind`` as ``outcome`` (``exception`` when the flow raised).  ``observe_dispatches`` wraps the Slack
entry points of a dispatcher; ``bot.web.create_wsgi_app`` calls it for the services it serves.

Multi-process mode (gunicorn with several workers): prometheus_client keeps each process's samples in files
under ``PROMETHEUS_MULTIPROC_DIR`` when that variable is set before it is first imported, and a scrape must
then merge those files (``MultiProcessCollector``) instead of reading this process's memory.  roombot follows
the library's own decision (``multiprocess_mode``), so the collector and the value files cannot disagree.
``roombot serve`` wires the two gunicorn pieces: ``prepare_multiprocess_dir`` in the master before gunicorn
starts (stale files of an earlier run are removed) and ``child_exit`` as gunicorn's hook of that name.

The engine gauges are updated when the engine's counts change (``engine_jobs``), not read at scrape time
(``Gauge.set_function``): a function gauge is not supported in multi-process mode and would show only the
scraped worker's engine.  ``livesum`` adds up every live process's engines and drops a dead worker's value.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import os
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, multiprocess, values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

T = TypeVar("T")

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own variable (it reads it itself)
EXCEPTION = "exception"  # the outcome of a dispatch whose flow raised instead of returning a result
TRANSPORT_ERROR = "error"  # the status of a Zoom request that got no HTTP answer (connect failure, timeout)

DISPATCHES = Counter(
    "roombot_dispatches_total",
    "Finished dispatches, by what asked for them (DispatchSource) and how they ended (ResultKind).",
    ["trigger", "outcome"])
ZOOM_REQUESTS = Counter(
    "roombot_zoom_requests_total",
    "HTTP requests sent to the Zoom API (each retry counts), by rate-limit category, operation and status.",
    ["category", "operation", "status"])
ZOOM_SECONDS = Histogram(
    "roombot_zoom_request_duration_seconds",
    "Time from sending a Zoom API request to its answer (after the rate limiter let it go).",
    ["category", "operation"], buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
ZOOM_RATE_LIMITED = Counter(
    "roombot_zoom_rate_limited_total", "Zoom API answers with HTTP 429, by rate-limit category.", ["category"])
SLACK_ACK_SECONDS = Histogram(
    "roombot_slack_ack_duration_seconds",
    "Time from receiving a request on /slack/events to the answer (Slack waits 3 seconds), by HTTP status.",
    ["status"], buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0))
ENGINE_JOBS = Gauge(
    "roombot_dispatch_engine_jobs",
    "Jobs accepted by the dispatch engine: in_flight (running) and queued (waiting for a slot).",
    ["state"], multiprocess_mode="livesum")
ENGINE_REFUSED = Counter(
    "roombot_dispatch_engine_refused_total",
    "Jobs the dispatch engine refused (nothing was sent): full (in-flight plus queued work at its bound) or "
    "stopping.", ["reason"])
BOOKING_LAG = Histogram(
    "roombot_booking_lag_seconds",
    "Time from a booked occurrence's start to the booking worker starting its dispatch; claim: first, or "
    "taken_over from a worker that went quiet (its lease had to expire first).",
    ["claim"], buckets=(0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0))
BOOKING_OCCURRENCES = Counter(
    "roombot_booking_occurrences_total",
    "Booking occurrences finished, by outcome: a ResultKind, missed (too late: skipped), or crashed "
    "(the dispatch raised; its lease expires and a worker takes it over).",
    ["outcome"])

# Every metric has labels, so no sample file is opened before a process records something: importing this
# module (every Zoom client does) writes nothing, in multi-process mode or not.

# ---------------------------------------------------------------------------------------- recording


def zoom_operation(method: str, path: str) -> str:
    """``PATCH /rooms/{id}/events``: the request's method and path with every id replaced by ``{id}``."""
    segments = [segment if segment in _ZOOM_PATH_WORDS else "{id}" for segment in path.strip("/").split("/")]
    return f"{method} /{'/'.join(segments)}"


_ZOOM_PATH_WORDS = frozenset({"rooms", "meetings", "users", "accounts", "settings", "lock_settings", "events",
                              "devices", "locations", "zrc", "recordings", "webinars", "registrants", "status"})


def zoom_request(category: str, method: str, path: str, status: int | None, seconds: float) -> None:
    """One Zoom API request and its answer (``status`` None: no HTTP answer at all)."""
    category = category.lower()
    operation = zoom_operation(method, path)
    ZOOM_REQUESTS.labels(category, operation, TRANSPORT_ERROR if status is None else str(status)).inc()
    ZOOM_SECONDS.labels(category, operation).observe(seconds)
    if status == 429:
        ZOOM_RATE_LIMITED.labels(category).inc()


def slack_ack(status: str, seconds: float) -> None:
    SLACK_ACK_SECONDS.labels(status).observe(seconds)


def engine_jobs(*, in_flight: int = 0, queued: int = 0) -> None:
    """The dispatch engine's counts changed by these amounts."""
    if in_flight:
        ENGINE_JOBS.labels("in_flight").inc(in_flight)
    if queued:
        ENGINE_JOBS.labels("queued").inc(queued)


def engine_refused(reason: str) -> None:
    ENGINE_REFUSED.labels(reason).inc()


def booking_lag(seconds: float, *, taken_over: bool = False) -> None:
    BOOKING_LAG.labels("taken_over" if taken_over else "first").observe(max(0.0, seconds))


def occurrence_finished(outcome: str) -> None:
    BOOKING_OCCURRENCES.labels(str(outcome)).inc()


# ---------------------------------------------------------------------------------------- dispatches

_COUNTING: ContextVar[bool] = ContextVar("roombot_dispatch_counted", default=False)


async def counted(trigger: str, work: Awaitable[T]) -> T:
    """Await ``work`` (one dispatch) and count how it ended — unless an enclosing call counts it already."""
    if _COUNTING.get():
        return await work
    token = _COUNTING.set(True)
    try:
        result = await work
    except asyncio.CancelledError:
        raise
    except Exception:
        DISPATCHES.labels(str(trigger), EXCEPTION).inc()
        raise
    finally:
        _COUNTING.reset(token)
    _count(trigger, result)
    return result


def _count(trigger: str, result: object) -> None:
    kind = getattr(result, "kind", None)  # a DispatchResult; a RoomTarget (resolved, not finished) has none
    if kind is not None:
        DISPATCHES.labels(str(trigger), str(kind)).inc()


def observe_dispatches(dispatcher: object | None, meetings: object | None) -> None:
    """Count every dispatch the Slack side asks ``dispatcher`` (a ``DispatchService``) and ``meetings`` (a
    ``MeetingService``) for: their entry points are wrapped in place with ``counted``.  Idempotent."""
    for owner, name in ((dispatcher, "join"), (dispatcher, "leave"), (meetings, "new_meeting"),
                        (meetings, "repair")):
        if owner is not None:
            _wrap(owner, name, asynchronous=True)
    if dispatcher is not None:
        _wrap(dispatcher, "resolve_now", asynchronous=False)


def _wrap(owner: object, name: str, *, asynchronous: bool) -> None:
    method = getattr(owner, name, None)
    if method is None or getattr(method, "_roombot_counted", False):
        return
    trigger_of = _trigger_reader(method)

    if asynchronous:
        @functools.wraps(method)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            return await counted(trigger_of(args, kwargs), method(*args, **kwargs))
    else:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if _COUNTING.get():
                return method(*args, **kwargs)
            result = method(*args, **kwargs)
            _count(trigger_of(args, kwargs), result)
            return result

    wrapper._roombot_counted = True  # type: ignore[attr-defined]
    setattr(owner, name, wrapper)


def _trigger_reader(method: Callable[..., object]) -> Callable[[tuple[Any, ...], dict[str, Any]], str]:
    """Where a call's ``DispatchSource`` is: ``request.source`` (a ``JoinRequest``) or its ``source`` argument."""
    signature = inspect.signature(method)

    def trigger(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            return "unknown"
        bound.apply_defaults()
        request = bound.arguments.get("request")
        source = getattr(request, "source", None) if request is not None else bound.arguments.get("source")
        return str(source) if source is not None else "unknown"

    return trigger


# ---------------------------------------------------------------------------------------- scraping


def multiprocess_mode() -> bool:
    """Whether prometheus_client writes samples to files (``PROMETHEUS_MULTIPROC_DIR`` was set when it was
    first imported), so that a scrape must merge every process's files."""
    return values.ValueClass is not values.MutexValue


class _Forward(Collector):
    """The process's default registry (roombot's metrics, process and GC metrics), inside another registry."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


class AvailabilityCollector(Collector):
    """``roombot_database_up``: 1 when the health check answers, 0 when it fails — run at each scrape."""

    def __init__(self, name: str, documentation: str, check: Callable[[], bool | None]) -> None:
        self._name = name
        self._documentation = documentation
        self._check = check  # None: nothing to check (no such dependency in this process): no sample

    def collect(self) -> Iterator[Metric]:
        passes = self._check()
        if passes is not None:
            yield GaugeMetricFamily(self._name, self._documentation, value=1.0 if passes else 0.0)


def scrape_registry(extra: Iterable[Collector] = ()) -> CollectorRegistry:
    """What ``GET /metrics`` serves: this process's metrics, or every process's (multi-process mode), plus
    ``extra`` collectors evaluated at each scrape."""
    registry = CollectorRegistry()
    if multiprocess_mode():
        multiprocess.MultiProcessCollector(registry)  # reads PROMETHEUS_MULTIPROC_DIR at each collect
    else:
        registry.register(_Forward())
    for collector in extra:
        registry.register(collector)
    return registry


# ---------------------------------------------------------------------------------------- gunicorn


def multiprocess_dir(environ: Mapping[str, str]) -> str | None:
    """``PROMETHEUS_MULTIPROC_DIR`` in ``environ`` (the command's environment), or None when unset."""
    value = (environ.get(MULTIPROC_DIR_VARIABLE) or "").strip()
    return value or None


def prepare_multiprocess_dir(path: str | os.PathLike[str]) -> int:
    """Create the multi-process directory, or empty it of an earlier run's sample files (whose counters would
    otherwise be added to this run's); this process's own files are kept.  Returns how many were removed.

    Call it in gunicorn's master before the workers start (``roombot serve``, before ``GunicornServer.run``)."""
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    removed = 0
    for file in directory.glob("*.db"):
        pid = re.search(r"_(\d+)\.db$", file.name)
        if pid is not None and int(pid.group(1)) == os.getpid():
            continue
        file.unlink(missing_ok=True)
        removed += 1
    return removed


def child_exit(_server: object, worker: Any) -> None:
    """gunicorn's ``child_exit`` hook (in the master, when a worker has exited): drop that worker's live
    gauges, so its engine no longer counts in ``roombot_dispatch_engine_jobs``."""
    if multiprocess_mode():
        multiprocess.mark_process_dead(worker.pid)


def gunicorn_hooks(environ: Mapping[str, str]) -> dict[str, Callable[..., None]]:
    """The gunicorn options multi-process metrics need (none when ``PROMETHEUS_MULTIPROC_DIR`` is unset), with
    the directory prepared: ``options.update(metrics.gunicorn_hooks(environ))`` before ``GunicornServer.run``."""
    path = multiprocess_dir(environ)
    if path is None:
        return {}
    removed = prepare_multiprocess_dir(path)
    log.info("metrics: multi-process mode in %s (%d stale file(s) removed)", path, removed)
    return {"child_exit": child_exit}



if not multiprocess_mode():  # shown as 0 from the start (in multi-process mode that would open files at import)
    for _state in ("in_flight", "queued"):
        ENGINE_JOBS.labels(_state)
