"""Client-side rate limiting per Zoom rate-limit category (Light / Medium / Heavy).

Zoom's limits are per account and shared by every app on it, so the bot paces itself below them instead of
discovering them through 429s. Zoom counts requests per second, so the limiter guarantees that no span of
``window`` seconds ever holds more than ``limit`` request slots (``limit = floor(qps)``, at least 1, and
``window = limit / qps + margin``, i.e. just over one second for an integer rate):

- after an idle moment up to ``limit`` requests go at once: exactly what one per-second window admits;
- once that is used up, requests are spaced evenly, ``window / limit`` apart, never bunched;
- ``margin`` (25 ms by default) absorbs network and scheduling jitter: a request that reaches Zoom a little late cannot
  land in the same Zoom second as a full second's worth of requests that follow it.

The old token bucket allowed a one-second burst *on top of* the rate, so a burst of bookings sent up to
twice the per-second limit in the first second and collected 429s; this never does.

Slots are handed out in order under a lock (``reserve`` only computes the wait; the caller sleeps, with
``time.sleep`` or ``await asyncio.sleep``), so waiting threads or tasks never stampede. Hand-written because
no rate-limit library is in the dependency set; the clock and sleep are injectable so tests need no waiting.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.zoom.settings import ZoomSettings

Clock = Callable[[], float]
Sleep = Callable[[float], None]

LIGHT = "light"
MEDIUM = "medium"
HEAVY = "heavy"

# Seconds added to each window: requests reaching Zoom up to this much later than their slot still fit.
DEFAULT_MARGIN = 0.025


@dataclass
class _Window:
    qps: float
    limit: int  # at most this many slots ...
    window: float  # ... in any span of this many seconds
    spacing: float  # gap between slots once requests have to wait
    slots: deque[float] = field(default_factory=deque)  # the last `limit` slots handed out, ascending
    sent: deque[float] = field(default_factory=deque)  # when the last `limit` requests actually left
    paused_until: float = 0.0


class CategoryRateLimiter:
    """Thread-safe sliding-window pacing keyed by category name (case-insensitive). Categories not
    configured are not limited."""

    def __init__(
        self,
        qps: Mapping[str, float],
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        margin: float = DEFAULT_MARGIN,
    ) -> None:
        if margin < 0:
            raise ValueError("margin must be >= 0")
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}
        for name, rate in qps.items():
            if rate <= 0:
                raise ValueError(f"qps for {name!r} must be positive")
            limit = max(1, math.floor(rate))
            window = limit / rate + margin
            self._windows[name.lower()] = _Window(
                qps=rate, limit=limit, window=window, spacing=window / limit, slots=deque(maxlen=limit),
                sent=deque(maxlen=limit))

    @classmethod
    def for_settings(
        cls, settings: ZoomSettings, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
    ) -> CategoryRateLimiter:
        """The limiter for ``settings.qps_light/medium/heavy`` (one per process is best: the limits are per
        account, so a sync and an async client in one process should share it)."""
        return cls(
            {LIGHT: settings.qps_light, MEDIUM: settings.qps_medium, HEAVY: settings.qps_heavy},
            clock=clock,
            sleep=sleep,
        )

    def reserve(self, category: str, *, queued: bool = False) -> float:
        """Take the next slot and return how long the caller must wait before using it (0 when free now).

        ``queued``: the caller stands for a queue of waiters (``AsyncPacer`` asks one slot at a time), so the
        slot is spaced after the last one as if they had all reserved at once."""
        with self._lock:
            state = self._windows.get(category.lower())
            if state is None:
                return 0.0
            now = self._clock()
            slots = state.slots
            slot = max(now, state.paused_until)
            if len(slots) == state.limit:
                # The slot `limit` places back must be a full window earlier.
                slot = max(slot, slots[0] + state.window)
            if slots and (slot > now or slots[-1] > now or queued):
                # Someone is (or this caller will be) waiting: queue behind them, evenly spaced.
                slot = max(slot, slots[-1] + state.spacing)
            slots.append(slot)
            return slot - now

    def send_delay(self, category: str) -> float:
        """Just before a request leaves, its slot in hand: how much longer to hold it; it is recorded as leaving
        then.  A slot used late — its coroutine did not get to run on time, as on a busy process — would
        otherwise leave right next to the slots after it, and more than ``limit`` requests could reach Zoom
        within one of its seconds; this keeps any ``limit`` actual sends a ``window`` apart as well."""
        with self._lock:
            state = self._windows.get(category.lower())
            if state is None:
                return 0.0
            now = self._clock()
            leaves = max(now, state.sent[0] + state.window) if len(state.sent) == state.limit else now
            state.sent.append(leaves)
            return leaves - now

    def acquire(self, category: str) -> float:
        """Block until a request in ``category`` may be sent; returns the time waited."""
        wait = self.reserve(category)
        if wait > 0:
            self._sleep(wait)
        return wait

    def pause(self, category: str, seconds: float) -> None:
        """After a QPS 429, hold every request of that category back for ``seconds`` (slots already handed
        out are not recalled; new ones start after the pause, evenly spaced)."""
        with self._lock:
            state = self._windows.get(category.lower())
            if state is not None:
                state.paused_until = max(state.paused_until, self._clock() + seconds)
