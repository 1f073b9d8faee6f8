"""Client-side rate limiting per Zoom rate-limit category (Light / Medium / Heavy).

Zoom's limits are per account and shared by every app on it, so the bot paces itself below them instead of
discovering them through 429s. A token bucket per category: ``capacity`` requests may burst, then requests
are spaced at ``1/qps``. Hand-written (about 60 lines) because no rate-limit library is in the dependency
set; the clock and sleep are injectable so tests need no real waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Clock = Callable[[], float]
Sleep = Callable[[float], None]

LIGHT = "light"
MEDIUM = "medium"
HEAVY = "heavy"


@dataclass
class _Bucket:
    qps: float
    capacity: float
    tokens: float
    updated: float
    paused_until: float = 0.0


class CategoryRateLimiter:
    """Thread-safe token buckets keyed by category name (case-insensitive)."""

    def __init__(
        self,
        qps: Mapping[str, float],
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        burst_seconds: float = 1.0,
    ) -> None:
        now = clock()
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        for name, rate in qps.items():
            capacity = max(1.0, rate * burst_seconds)
            self._buckets[name.lower()] = _Bucket(qps=rate, capacity=capacity, tokens=capacity, updated=now)

    def reserve(self, category: str) -> float:
        """Take one slot and return how long the caller must wait before using it (0 when free now).

        Slots are handed out in order even while callers wait, so waiting threads never stampede.
        """
        with self._lock:
            bucket = self._buckets.get(category.lower())
            if bucket is None:
                return 0.0
            now = self._clock()
            bucket.tokens = min(bucket.capacity, bucket.tokens + (now - bucket.updated) * bucket.qps)
            bucket.updated = now
            bucket.tokens -= 1.0
            wait = 0.0 if bucket.tokens >= 0 else -bucket.tokens / bucket.qps
            return max(wait, bucket.paused_until - now)

    def acquire(self, category: str) -> float:
        """Block until a request in ``category`` may be sent; returns the time waited."""
        wait = self.reserve(category)
        if wait > 0:
            self._sleep(wait)
        return wait

    def pause(self, category: str, seconds: float) -> None:
        """After a QPS 429, hold every request of that category back for ``seconds``."""
        with self._lock:
            bucket = self._buckets.get(category.lower())
            if bucket is not None:
                bucket.paused_until = max(bucket.paused_until, self._clock() + seconds)
