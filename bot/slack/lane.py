"""The ack path: every Slack request is answered at once, and its work runs afterwards in the listener lane.

Bolt runs with ``process_before_response=True``: a listener runs in the thread that serves the HTTP request
(or the Socket Mode envelope), and Slack gets its answer the moment the listener returns.  So a listener
registered through ``deferred`` does nothing but hand its work to the lane and acknowledge:

- the lane is a small, bounded thread pool for the short blocking steps of a listener (reading the store,
  asking Slack who the user is, posting the "⏳ Sending…" message); anything that waits on Zoom is handed on
  to the dispatch engine, whose waits hold no thread (``bot.dispatch.engine``);
- admission is decided before the ack: when the lane is full the request is answered "busy — nothing was
  done", and its work never runs.  A request is therefore either answered and done, or answered as refused
  and never done: Bolt's own 3-second wait for ``ack()`` (and its "not handled" answer when a queued listener
  was too late) is never on this path.

View submissions whose input must be checked inside the modal (``response_action: errors``) are the one
exception: their listener validates (pure work, no Slack, Zoom or database) and acks itself
(``bot.slack.errors.acks_itself``), then hands the rest over with ``defer``.

Whatever the work raises after the ack goes to the one after-ack reporter,
``bot.slack.errors.report_after_ack``: the requester is told, privately, and the work never re-raises into
Bolt.

Every log line of a listener's work — in the lane, and in the dispatches it hands to the engine — carries
the request's team, channel and user ids (``bot.logcontext``): they are bound here, where the work starts.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from slack_bolt import BoltContext

from bot import logcontext
from bot.slack.errors import report_after_ack

log = logging.getLogger(__name__)

LANE_KEY = "roombot_listener_lane"
REQUEST_KEY = "roombot_request"
# Few threads on purpose: every runnable lane thread competes with the threads answering Slack for the GIL, and
# in bench/bench_ack.py 12 threads gave p99 acks of 170-210 ms at ten concurrent clients where 4 gave 80-100 ms.
# A lane job is a few short blocking steps (~150 ms with real Slack latency), so 4 threads still take ~25 jobs/s;
# bursts wait among the pending ones, not in front of an ack.
DEFAULT_LANE_THREADS = 4
DEFAULT_LANE_PENDING = 512
BUSY_TEXT = (":warning: roombot is busy right now and could not take this request, so nothing was done. "
             "Try again in a minute.")


def _already_acknowledged(*_args: Any, **_kwargs: Any) -> None:
    """The ``ack`` a deferred listener gets: Slack was answered before the listener started."""


class Lane(Protocol):
    """Where a listener's work goes after the ack: ``submit`` admits it (True) or refuses it (False) at once.

    ``context`` is the request's: a lane may hand the request itself on instead of running ``work`` here
    (``bot.slack.handoff.ForwardingLane``, in the process of `roombot serve` that answers Slack)."""

    @property
    def pending(self) -> int: ...

    def submit(self, work: Callable[[], object], context: BoltContext | None = None) -> bool: ...


class ListenerLane:
    """A bounded pool for listener work after the ack; ``submit`` never blocks."""

    def __init__(self, threads: int = DEFAULT_LANE_THREADS, max_pending: int = DEFAULT_LANE_PENDING) -> None:
        self.threads = threads
        self.max_pending = max_pending
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="slack-lane")
        self._lock = threading.Lock()
        self._pending = 0
        self.refused = 0

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    def submit(self, work: Callable[[], object], context: BoltContext | None = None) -> bool:
        with self._lock:
            if self._pending >= self.max_pending:
                self.refused += 1
                return False
            self._pending += 1
        try:
            self._executor.submit(self._run, work)
        except RuntimeError:  # shut down
            with self._lock:
                self._pending -= 1
            return False
        return True

    def _run(self, work: Callable[[], object]) -> None:
        try:
            work()
        except Exception:
            log.exception("a Slack listener failed after its request was acknowledged")
        finally:
            with self._lock:
                self._pending -= 1

    def stop(self, wait: bool = True) -> None:
        self._executor.shutdown(wait=wait, cancel_futures=False)


def lane_of(context: BoltContext) -> Lane:
    return context[LANE_KEY]


def defer(context: BoltContext, work: Callable[[], object], *, body: Mapping[str, Any] | None = None) -> bool:
    """Run ``work`` in the lane (for a listener that has already acknowledged); False when refused.

    What ``work`` raises is reported to the requester of ``body`` (or of ``context`` alone when no body is
    given) by ``report_after_ack``."""
    return lane_of(context).submit(functools.partial(_reporting, work, {}, body or {}, context), context)


def _reporting(work: Callable[..., object], arguments: Mapping[str, Any], body: Mapping[str, Any],
               context: BoltContext) -> None:
    with logcontext.bound(**request_ids(context)):  # reset afterwards: lane threads serve many requests
        try:
            work(**arguments)
        except Exception as error:  # noqa: BLE001 - already acknowledged: tell the requester, do not re-raise
            report_after_ack(error, body, context, where=getattr(work, "__name__", "listener"))


def request_ids(context: BoltContext) -> dict[str, str | None]:
    """The Slack request's ids for log lines: team, channel and user."""
    return {"team_id": context.team_id, "channel_id": context.channel_id, "user_id": context.user_id}


def deferred(work: Callable[..., object]) -> Callable[..., None]:
    """The Bolt listener for ``work``: admit it to the lane and acknowledge at once (see the module docstring).

    ``work`` keeps its Bolt-style parameters (``ack``, ``body``, ``client``…); its ``ack`` is a no-op.  What
    it raises is reported to the requester (``report_after_ack``).
    """
    wanted = list(inspect.signature(work).parameters)
    needed = list(dict.fromkeys([*wanted, "ack", "body", "context", "respond"]))

    @functools.wraps(work)
    def listener(**kwargs: Any) -> None:
        ack, body, context = kwargs["ack"], kwargs["body"], kwargs["context"]
        arguments = {name: kwargs.get(name) for name in wanted}
        if "ack" in arguments:
            arguments["ack"] = _already_acknowledged
        if lane_of(context).submit(functools.partial(_reporting, work, arguments, body, context), context):
            ack()
            return
        with logcontext.bound(**request_ids(context)):
            log.warning("listener lane full: refused %s", _kind(body))
        if body.get("command"):
            ack(response_type="ephemeral", text=BUSY_TEXT)  # shown to the requester alone
        else:
            ack()  # clicks and shortcuts cannot carry a reply in the ack: tell the requester by response_url
            _tell_busy(kwargs.get("respond"), body)

    listener.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in needed])
    del listener.__wrapped__  # Bolt reads the parameters above, not those of ``work``
    return listener


_REFUSALS = ThreadPoolExecutor(1, thread_name_prefix="slack-busy")


def _tell_busy(respond: Any, body: Mapping[str, Any]) -> None:
    if respond is None or not body.get("response_url"):
        return

    def send() -> None:
        try:
            respond(response_type="ephemeral", replace_original=False, text=BUSY_TEXT)
        except Exception as error:  # noqa: BLE001 - best effort: Slack already has its answer
            log.info("could not say busy: %s", type(error).__name__)

    _REFUSALS.submit(send)


def _kind(body: Mapping[str, Any]) -> str:
    return str(body.get("command") or body.get("type") or (body.get("event") or {}).get("type") or "request")
