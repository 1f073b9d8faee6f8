"""Acknowledgements first: background threads step aside while Slack waits for an answer.

CPython runs one thread at a time.  An acknowledgement is a few milliseconds of work, but in a process that is
also dispatching it takes turns at the GIL with every store call, Slack post and listener-lane step that is
runnable at that moment, and under load the turns add up (``bench/bench_ack.py``: at ten concurrent requests a
p99 three to four times a bare Bolt app's).  So the request path marks itself (``FOREGROUND.serving()``, in
``bot.web``) and the background pools — the listener lane and the dispatch engine's store and messaging
threads — call ``FOREGROUND.step_aside()`` before each piece of work: while an answer is being prepared they
wait for it, at most ``MAX_STEP_ASIDE_SECONDS`` each time, so a steady stream of requests slows background
work but never stops it.  A waiting thread holds no GIL; work already running is not interrupted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

MAX_STEP_ASIDE_SECONDS = 0.02


class Foreground:
    def __init__(self, max_step_aside: float = MAX_STEP_ASIDE_SECONDS) -> None:
        self.max_step_aside = max_step_aside
        self._serving = 0
        self._idle = threading.Condition()

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Around the work of answering one request."""
        with self._idle:
            self._serving += 1
        try:
            yield
        finally:
            with self._idle:
                self._serving -= 1
                if not self._serving:
                    self._idle.notify_all()

    def step_aside(self) -> None:
        """Before a piece of background work: wait while a request is being answered (bounded)."""
        if not self._serving:  # the common case, without the lock
            return
        with self._idle:
            self._idle.wait_for(lambda: not self._serving, timeout=self.max_step_aside)

    @property
    def busy(self) -> bool:
        return self._serving > 0


FOREGROUND = Foreground()
