"""CategoryRateLimiter with a fake clock: burst, spacing, per-category independence, pause, threads."""

from __future__ import annotations

import threading

import pytest

from bot.zoom.ratelimit import CategoryRateLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)


def test_burst_then_spacing() -> None:
    fake = FakeTime()
    limiter = CategoryRateLimiter({"medium": 2}, clock=fake.clock, sleep=fake.sleep)
    waits = [limiter.reserve("medium") for _ in range(5)]
    assert waits[:2] == [0.0, 0.0]
    assert waits[2:] == pytest.approx([0.5, 1.0, 1.5])


def test_tokens_refill_with_time() -> None:
    fake = FakeTime()
    limiter = CategoryRateLimiter({"light": 4}, clock=fake.clock, sleep=fake.sleep)
    for _ in range(4):
        assert limiter.reserve("light") == 0.0
    assert limiter.reserve("light") == pytest.approx(0.25)
    fake.now += 10  # long idle: refills to capacity, not beyond
    assert [limiter.reserve("light") for _ in range(4)] == [0.0] * 4
    assert limiter.reserve("light") > 0


def test_categories_are_independent_and_case_insensitive() -> None:
    fake = FakeTime()
    limiter = CategoryRateLimiter({"light": 1, "medium": 1}, clock=fake.clock, sleep=fake.sleep)
    assert limiter.reserve("Light") == 0.0
    assert limiter.reserve("MEDIUM") == 0.0
    assert limiter.reserve("light") == pytest.approx(1.0)
    assert limiter.reserve("unknown-category") == 0.0


def test_acquire_sleeps_the_reserved_wait() -> None:
    fake = FakeTime()
    limiter = CategoryRateLimiter({"heavy": 1}, clock=fake.clock, sleep=fake.sleep)
    limiter.acquire("heavy")
    limiter.acquire("heavy")
    assert fake.slept == [pytest.approx(1.0)]


def test_pause_after_a_429_holds_the_category_back() -> None:
    fake = FakeTime()
    limiter = CategoryRateLimiter({"medium": 100}, clock=fake.clock, sleep=fake.sleep)
    limiter.pause("Medium", 2.0)
    assert limiter.reserve("medium") == pytest.approx(2.0)
    fake.now += 2.0
    assert limiter.reserve("medium") == 0.0


def test_threads_get_distinct_slots() -> None:
    fake = FakeTime()
    limiter = CategoryRateLimiter({"medium": 10}, clock=fake.clock, sleep=fake.sleep)
    results: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            wait = limiter.reserve("medium")
            with lock:
                results.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 80 requests at 10/s with a burst of 10: the last one waits 7 s, and no two share a slot.
    assert sorted(results)[-1] == pytest.approx(7.0)
    assert len({round(w, 6) for w in results if w > 0}) == 70
