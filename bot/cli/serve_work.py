"""The work process of `roombot serve` over HTTP: the listener lane, the dispatch engine and the booking worker.

gunicorn's worker process answers Slack and hands each request over (``bot.slack.handoff``); this process,
forked from the master before gunicorn starts, does the work.  It ignores SIGTERM and SIGINT: the master
stops it once gunicorn's worker has answered its last request and written out what it handed over, by sending
``STOP``; the work process then reads every connection to its end first, so nothing acknowledged is lost.
When it dies, the master stops serving (``WorkProcess.watch``), so that a supervisor restarts the whole
service instead of a front that acknowledges work nobody does.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.services import Services

if TYPE_CHECKING:
    from bot.scheduling.worker import BookingWorker
    from bot.slack.handoff import Handoff
    from bot.slack.lane import Lane

logger = logging.getLogger("bot.serve")

# CPU priority of the work process below the answering one: when both want a core, the answer gets it (CFS
# weights 1024 against 110 at nice 10), and dispatch work catches up between bursts of requests.
WORK_NICENESS = 10
# CPython's default GIL switch interval: nothing in this process answers Slack, and shorter forced switches
# only cost CPU (bot.cli.serve.ACK_SWITCH_INTERVAL is for the answering process).
WORK_SWITCH_INTERVAL = 0.005
# On a stop, work admitted before it (posting "Sending…", submitting the dispatch) gets this long to finish
# before the engine stops taking new dispatches.
LANE_DRAIN_SECONDS = 5.0
# Beyond the grace and the engine's margin, the master waits this long for the work process to end: reading
# out the answering processes' connections (bot.slack.handoff.READ_OUT_SECONDS), then draining the lane.
STOP_MARGIN_SECONDS = 5.0 + LANE_DRAIN_SECONDS
# The master's STOP reaches a live work process in milliseconds; one that is stuck is killed after this.
TELL_STOP_SECONDS = 10.0
# As gunicorn's worker exits, what it handed over is written out within this long.
WRITE_OUT_SECONDS = 5.0


def drain_lane(lane: Lane, timeout: float) -> None:
    """Wait (at most ``timeout``) for listener work admitted before the stop, so its dispatches reach the engine
    before it drains."""
    deadline = time.monotonic() + timeout
    while lane.pending and time.monotonic() < deadline:
        time.sleep(0.05)
    if lane.pending:
        logger.warning("%d Slack requests were still being handled when the dispatch engine stopped", lane.pending)


def run_work(settings: Settings, services: Services, handoff: Handoff,
             start_worker: Callable[[], BookingWorker | None] | None, parent: int) -> None:
    """The work process's body: serve handed-over requests until the master says stop, then shut down."""
    from bot import metrics
    from bot.app import create_app
    from bot.runtime import engine_of, shut_down
    from bot.slack.handoff import AdmittedLane, Receiver
    from bot.slack.lane import ListenerLane

    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the master decides when this process stops (see above)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.setswitchinterval(WORK_SWITCH_INTERVAL)
    try:
        os.nice(WORK_NICENESS)
    except OSError:  # not allowed here: same priority, still correct
        logger.info("the work process runs at the same CPU priority as the one answering Slack")
    engine = engine_of(services)
    if engine is not None:
        engine.dispose(close=False)  # a pool copied from the master is not this process's to use
    # Admission before the ack bounds it (per answering process, and one that gunicorn restarted may hand over
    # its limit while its predecessor's work still runs): this bound only catches a bug.
    lane = ListenerLane(max_pending=handoff.limit * 4)
    app = create_app(settings, services=services, lane=AdmittedLane(lane), verify_requests=False)
    metrics.observe_dispatches(services.dispatcher, services.meetings)  # roombot_dispatches_total
    worker = start_worker() if start_worker is not None else None
    served = Receiver(handoff, app).serve(parent=parent)
    logger.info("work process stopping after %d Slack requests: running dispatches get %g s to finish",
                served, settings.shutdown_grace)
    drain_lane(lane, LANE_DRAIN_SECONDS)
    shut_down(services, grace=settings.shutdown_grace, worker=worker)


class WorkProcess:
    """The master's handle on the work process: forked with ``os.fork`` (not ``multiprocessing.Process``, whose
    record of children gunicorn's forked workers would inherit and try to join at exit), and watched through a
    pipe whose write end only the work process holds, not by waitpid: gunicorn's arbiter reaps every child of
    the master, this one included."""

    def __init__(self, settings: Settings, services: Services, handoff: Handoff,
                 start_worker: Callable[[], BookingWorker | None] | None) -> None:
        self.handoff = handoff
        self.failed = False
        self.pid = 0
        self._sentinel = -1
        self._stopping = threading.Event()
        self._grace = settings.shutdown_grace
        self._run = functools.partial(run_work, settings, services, handoff, start_worker)

    def start(self) -> WorkProcess:
        parent = os.getpid()
        sentinel, held_open = os.pipe()
        pid = os.fork()
        if pid == 0:  # the work process
            os.close(sentinel)
            code = 1
            try:
                self._run(parent)
                code = 0
            except BaseException:
                logger.exception("the work process failed")
            finally:
                with contextlib.suppress(OSError):
                    os.write(held_open, bytes([code]))  # how it ended, for the master (see exit_code)
                os._exit(code)
        os.close(held_open)
        self.pid, self._sentinel = pid, sentinel
        logger.info("work process started (pid %s)", pid)
        return self

    def watch(self, on_death: Callable[[], object]) -> None:
        """Call ``on_death`` (in a thread of the master) if the work process ends before ``stop``."""

        def wait() -> None:
            self._ended(None)
            if not self._stopping.is_set():
                self.failed = True
                logger.error("the work process ended unexpectedly: stopping, so that the service is restarted")
                on_death()

        threading.Thread(target=wait, name="roombot-work-watch", daemon=True).start()

    def _ended(self, timeout: float | None) -> bool:
        return bool(multiprocessing.connection.wait([self._sentinel], timeout=timeout))

    def stop(self) -> None:
        """Once gunicorn's workers have exited: stop the work process after what they handed over, and wait;
        kill it if it overruns (and say the service failed)."""
        from bot.runtime import SHUTDOWN_MARGIN_SECONDS

        self._stopping.set()
        if not self._ended(0) and not self.handoff.stop(timeout=TELL_STOP_SECONDS):
            logger.error("could not tell the work process to stop within %g s", TELL_STOP_SECONDS)
        if not self._ended(self._grace + SHUTDOWN_MARGIN_SECONDS + STOP_MARGIN_SECONDS):
            logger.error("the work process did not stop in time: killing it")
            self.failed = True
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        elif self.exit_code() != 0:
            logger.error("the work process failed while stopping")
            self.failed = True
        self.handoff.remove()

    def exit_code(self) -> int | None:
        """Once it has ended: the status it wrote (0: stopped cleanly), or None when it died without one."""
        try:
            written = os.read(self._sentinel, 1)
        except OSError:
            return None
        return written[0] if written else None
