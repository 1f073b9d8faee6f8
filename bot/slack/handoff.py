"""The hand-off between the two processes of `roombot serve` over HTTP: one answers Slack, one does the work.

Why two: answering a Slack request costs about a millisecond of CPU, the work behind it (the listener's store
reads and Slack messages, then the dispatch: Zoom calls, store transactions, the result card) some twenty.  In
one process both take turns on one GIL, and at ten concurrent clients the answers waited behind the work: p99
2.4–2.6× a bare Bolt app in bench/bench_ack.py.  So gunicorn's worker process only answers Slack — and what
must be answered in the ack itself: type-ahead options, errors inside a modal — while a second process, forked
from the master before gunicorn starts and run at a lower CPU priority, runs the listener lane, the dispatch
engine and the booking worker.  The OS scheduler, unlike the GIL, preempts: an answer waits for no dispatch.

- The answering process's lane is a ``ForwardingLane``: instead of running a listener's work it puts the
  request itself — Slack's raw body and headers — on the ``Handoff`` queue, and the listener acknowledges.
- Admission stays before the ack: a semaphore shared by both processes counts requests handed over and not yet
  done; when none is free the request is answered "busy, nothing was done" and never handed over.
- The work process takes each request off the queue and runs the same Bolt app on it (``Handoff.serve``) with
  an ``AdmittedLane``: the listeners run again, their ``ack`` goes nowhere, their work runs in a
  ``ListenerLane`` there, and the request's slot is freed when that work has finished.
- Stopping: gunicorn's worker exits first, flushing what it handed over into the pipe (``flush``); then the
  master puts ``STOP`` behind it (``stop``), and the work process handles everything before it, then drains.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from slack_bolt import BoltContext, BoltRequest

from bot.slack.lane import DEFAULT_LANE_PENDING, REQUEST_KEY, ListenerLane

if TYPE_CHECKING:
    from slack_bolt import App

log = logging.getLogger(__name__)

STOP = "stop"
# The work process notes the time this often (``beating``), also while idle, and looks for its master.
HEARTBEAT_SECONDS = 0.5
# /healthz fails when the work process has not noted the time for this long (stuck, or gone).
STALE_HEARTBEAT_SECONDS = 10.0
HANDED_OVER_KEY = "roombot_handed_over"
SLOT_KEY = "roombot_handoff_slot"


class Handoff:
    """A queue of Slack requests from the answering process to the work process, with shared admission.

    Made in the master before either process is forked; both inherit it."""

    def __init__(self, slots: int = DEFAULT_LANE_PENDING) -> None:
        processes = multiprocessing.get_context("fork")
        self.limit = slots
        self._queue: Any = processes.Queue()
        self._slots: Any = processes.Semaphore(slots)
        self._heartbeat: Any = processes.RawValue("d", 0.0)

    @property
    def pending(self) -> int:
        """Requests handed over whose work has not finished."""
        return self.limit - int(self._slots.get_value())

    def hand_over(self, request: BoltRequest) -> bool:
        """Admit ``request`` and queue it for the work process; False (nothing queued) when no slot is free.
        Never blocks: ``put`` only appends to a buffer that a feeder thread writes to the pipe."""
        if not self._slots.acquire(block=False):
            return False
        try:
            self._queue.put((request.raw_body, {name: list(values) for name, values in request.headers.items()}))
        except (ValueError, OSError):  # the queue is closed: this process is stopping
            self._slots.release()
            return False
        return True

    def flush(self) -> None:
        """In an answering process that is exiting: wait until what it handed over is in the pipe."""
        self._queue.close()
        self._queue.join_thread()

    def stop(self, *, wait: bool = True) -> None:
        """In the master, once the answering processes have exited: the work process stops after what is
        queued.  ``wait=False`` when it is gone: nothing would empty the pipe."""
        self._queue.put(STOP)
        if not wait:
            self._queue.cancel_join_thread()
        self.flush()

    def beating(self) -> bool:
        """Whether the work process has noted the time lately (a health check)."""
        return time.time() - float(self._heartbeat.value) < STALE_HEARTBEAT_SECONDS

    def serve(self, app: App, *, parent: int) -> int:
        """In the work process: run each queued request through ``app`` until ``STOP``, or until the master
        (process ``parent``) is gone; returns how many requests were run."""
        served = 0
        while True:
            self._heartbeat.value = time.time()
            try:
                item = self._queue.get(timeout=HEARTBEAT_SECONDS)
            except queue.Empty:
                if os.getppid() != parent:
                    log.error("the roombot serve master is gone: stopping")
                    return served
                continue
            except (EOFError, OSError):  # every writer has closed its end: the master is gone
                log.error("the queue from the roombot serve master was closed: stopping")
                return served
            if item == STOP:
                return served
            self._run(app, item)
            served += 1

    def _run(self, app: App, item: tuple[str, dict[str, str | Sequence[str]]]) -> None:
        body, headers = item
        slot = Slot(self._slots)
        try:
            app.dispatch(BoltRequest(body=body, headers=headers, context={SLOT_KEY: slot}))
        except Exception:
            log.exception("a Slack request handed over by the answering process failed")
        finally:
            if not slot.held:
                # The listener decided otherwise on its second run (a check whose answer changed in between).
                log.warning("a Slack request handed over by the answering process left no work to do")
                slot.release()


class Slot:
    """A handed-over request's place in the shared admission count, freed once."""

    def __init__(self, semaphore: Any) -> None:
        self._semaphore = semaphore
        self._lock = threading.Lock()
        self._freed = False
        self.held = False

    def release(self) -> None:
        with self._lock:
            if self._freed:
                return
            self._freed = True
        self._semaphore.release()


class ForwardingLane:
    """The answering process's lane: hands the request over instead of running the listener's work."""

    def __init__(self, handoff: Handoff) -> None:
        self._handoff = handoff
        self.refused = 0

    @property
    def pending(self) -> int:
        return self._handoff.pending

    def submit(self, work: Callable[[], object], context: BoltContext | None = None) -> bool:
        if context is None or REQUEST_KEY not in context:
            raise TypeError("ForwardingLane.submit needs the request's context (bot.slack.middleware.provide)")
        if context.get(HANDED_OVER_KEY):
            return True  # one request, one hand-over: the work process runs all of its listener again
        if not self._handoff.hand_over(context[REQUEST_KEY]):
            self.refused += 1
            return False
        context[HANDED_OVER_KEY] = True
        return True


class AdmittedLane:
    """The work process's lane: runs the work of handed-over requests, which were admitted before their ack,
    in ``lane``, and frees each request's slot when its work has finished."""

    def __init__(self, lane: ListenerLane) -> None:
        self.lane = lane

    @property
    def pending(self) -> int:
        return self.lane.pending

    def submit(self, work: Callable[[], object], context: BoltContext | None = None) -> bool:
        slot: Slot | None = context.get(SLOT_KEY) if context is not None else None
        if slot is None:
            return self.lane.submit(work, context)
        slot.held = True

        def run() -> None:
            try:
                work()
            finally:
                slot.release()

        if self.lane.submit(run, context):
            return True
        log.error("the work process could not run a Slack request that was acknowledged as taken")
        slot.release()
        return False
