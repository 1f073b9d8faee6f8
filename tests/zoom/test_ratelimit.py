"""CategoryRateLimiter with a fake clock: never more than a per-second window's worth, even spacing, per-category
independence, pause, threads.

Zoom (and the simulator, bot/zoom/simulator/ratelimit.py) count requests per second and answer 429 past the
limit. The old token bucket let a full second's burst go *on top of* the rate, so the first second of a burst
carried up to twice the limit; the window tests below fail against it.
"""

from __future__ import annotations

import math
import random
import threading

import pytest

from bot.zoom import ZoomSettings
from bot.zoom.ratelimit import DEFAULT_MARGIN, CategoryRateLimiter


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


def send_times(limiter: CategoryRateLimiter, fake: FakeTime, category: str, count: int) -> list[float]:
    """When each of ``count`` requests reserved at the current fake instant may be sent."""
    return [fake.now + limiter.reserve(category) for _ in range(count)]


def max_in_any_window(times: list[float], length: float = 1.0) -> int:
    """The most sends inside any half-open span of ``length`` seconds (a span starting at a send is the worst)."""
    ordered = sorted(times)
    return max(sum(1 for t in ordered if start <= t < start + length) for start in ordered)


def per_zoom_second(times: list[float], phase: float) -> int:
    """The most sends counted in one of the simulator's whole-second windows, its clock ``phase`` s off ours."""
    counts: dict[int, int] = {}
    for t in times:
        second = math.floor(t + phase)
        counts[second] = counts.get(second, 0) + 1
    return max(counts.values())


# ---------------------------------------------------------------------------------------------- the window


@pytest.mark.parametrize("qps", [1, 2, 5, 15, 25])
def test_a_burst_never_puts_more_than_qps_in_any_second(qps: int) -> None:
    fake = FakeTime()
    limiter = CategoryRateLimiter({"medium": qps}, clock=fake.clock, sleep=fake.sleep)
    times = send_times(limiter, fake, "medium", 5 * qps + 3)
    assert max_in_any_window(times) == qps


@pytest.mark.parametrize("qps", [2, 15, 20])
def test_whole_second_windows_at_any_phase_see_at_most_qps(qps: int) -> None:
    """As the simulator counts: floor(now) windows, whatever the offset between its clock and ours."""
    fake = FakeTime()
    limiter = CategoryRateLimiter({"medium": qps}, clock=fake.clock, sleep=fake.sleep)
    times = send_times(limiter, fake, "medium", 100)
    for step in range(100):
        assert per_zoom_second(times, step / 100) <= qps


def test_the_margin_absorbs_late_arrivals() -> None:
    """Requests reaching Zoom up to the margin later than their slot (any mix of delays) still fit."""
    qps = 15
    fake = FakeTime()
    limiter = CategoryRateLimiter({"medium": qps}, clock=fake.clock, sleep=fake.sleep)
    times = send_times(limiter, fake, "medium", 120)
    rng = random.Random(7)
    for _ in range(50):
        arrivals = [t + rng.uniform(0, DEFAULT_MARGIN * 0.99) for t in times]
        assert max_in_any_window(arrivals) <= qps


def test_only_the_first_window_goes_at_once_then_requests_are_evenly_spaced() -> None:
    fake = FakeTime()
    limiter = CategoryRateLimiter({"medium": 4}, clock=fake.clock, sleep=fake.sleep, margin=0.0)
    waits = [limiter.reserve("medium") for _ in range(12)]
    assert waits[:4] == [0.0] * 4
    # Not 0.25, 0.5, ... on top of the burst (the old bucket): the next one waits for the window to pass.
    assert waits[4:] == pytest.approx([1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 2.75])


def test_default_margin_spreads_slots_a_little_wider() -> None:
    fake = FakeTime()
    limiter = CategoryRateLimiter({"medium": 2}, clock=fake.clock, sleep=fake.sleep)
    waits = [limiter.reserve("medium") for _ in range(5)]
    window = 1.0 + DEFAULT_MARGIN
    assert waits == pytest.approx([0.0, 0.0, window, window + window / 2, 2 * window])


def test_the_window_slides_rather_than_refilling() -> None:
    """Half a second after a full burst nothing is free yet (a token bucket would have refilled half)."""
    fake = FakeTime()
    limiter = CategoryRateLimiter({"light": 4}, clock=fake.clock, sleep=fake.sleep, margin=0.0)
    for _ in range(4):
        assert limiter.reserve("light") == 0.0
    fake.now += 0.5
    assert limiter.reserve("light") == pytest.approx(0.5)
    fake.now += 10  # long idle: a full window is free again, not more
    assert [limiter.reserve("light") for _ in range(4)] == [0.0] * 4
    assert limiter.reserve("light") == pytest.approx(1.0)


def test_requests_arriving_at_the_rate_never_wait() -> None:
    fake = FakeTime()
    limiter = CategoryRateLimiter({"medium": 10}, clock=fake.clock, sleep=fake.sleep)
    for _ in range(50):
        assert limiter.reserve("medium") == 0.0
        fake.now += 0.11


def test_late_callers_queue_behind_waiting_ones() -> None:
    """A caller arriving while others wait never jumps the queue, even once the window has room."""
    fake = FakeTime()
    limiter = CategoryRateLimiter({"medium": 2}, clock=fake.clock, sleep=fake.sleep, margin=0.0)
    first = send_times(limiter, fake, "medium", 6)  # 0, 0, 1, 1.5, 2, 2.5
    fake.now += 1.2
    later = fake.now + limiter.reserve("medium")
    assert later == pytest.approx(first[-1] + 0.5)


@pytest.mark.parametrize(("qps", "limit", "window"), [(0.5, 1, 2.0), (2.5, 2, 0.8), (1, 1, 1.0)])
def test_fractional_rates(qps: float, limit: int, window: float) -> None:
    fake = FakeTime()
    limiter = CategoryRateLimiter({"heavy": qps}, clock=fake.clock, sleep=fake.sleep, margin=0.0)
    times = send_times(limiter, fake, "heavy", 20)
    assert times[:limit] == [fake.now] * limit
    assert max_in_any_window(times, window) == limit
    # The first window at once, then evenly `window / limit` apart.
    assert times[-1] - times[0] == pytest.approx(window + (20 - limit - 1) * window / limit)


def test_for_settings_uses_the_three_categories() -> None:
    fake = FakeTime()
    settings = ZoomSettings(qps_light=3, qps_medium=2, qps_heavy=1)
    limiter = CategoryRateLimiter.for_settings(settings, clock=fake.clock, sleep=fake.sleep)
    for category, qps in (("light", 3), ("medium", 2), ("heavy", 1)):
        assert max_in_any_window(send_times(limiter, fake, category, 10)) == qps


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        CategoryRateLimiter({"light": 0})
    with pytest.raises(ValueError):
        CategoryRateLimiter({"light": 1}, margin=-1)


# ---------------------------------------------------------------------------------------------- the API


def test_categories_are_independent_and_case_insensitive() -> None:
    fake = FakeTime()
    limiter = CategoryRateLimiter({"light": 1, "medium": 1}, clock=fake.clock, sleep=fake.sleep, margin=0.0)
    assert limiter.reserve("Light") == 0.0
    assert limiter.reserve("MEDIUM") == 0.0
    assert limiter.reserve("light") == pytest.approx(1.0)
    assert limiter.reserve("unknown-category") == 0.0


def test_acquire_sleeps_the_reserved_wait() -> None:
    fake = FakeTime()
    limiter = CategoryRateLimiter({"heavy": 1}, clock=fake.clock, sleep=fake.sleep, margin=0.0)
    assert limiter.acquire("heavy") == 0.0
    assert limiter.acquire("heavy") == pytest.approx(1.0)
    assert fake.slept == [pytest.approx(1.0)]


def test_pause_after_a_429_holds_the_category_back() -> None:
    fake = FakeTime()
    limiter = CategoryRateLimiter({"medium": 100}, clock=fake.clock, sleep=fake.sleep)
    limiter.pause("Medium", 2.0)
    assert limiter.reserve("medium") == pytest.approx(2.0)
    fake.now += 2.0
    assert limiter.reserve("medium") == 0.0


def test_requests_queued_during_a_pause_resume_evenly_spaced() -> None:
    """After a 429 the waiting requests do not all come back in the same instant."""
    fake = FakeTime()
    limiter = CategoryRateLimiter({"medium": 4}, clock=fake.clock, sleep=fake.sleep, margin=0.0)
    limiter.pause("medium", 1.0)
    waits = [limiter.reserve("medium") for _ in range(4)]
    assert waits == pytest.approx([1.0, 1.25, 1.5, 1.75])


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
    # 80 requests at 10/s: one window's worth at once, then one every (1 + margin) / 10 s; no two share a slot.
    spacing = (1 + DEFAULT_MARGIN) / 10
    assert sorted(results)[-1] == pytest.approx((1 + DEFAULT_MARGIN) + 69 * spacing)
    assert len({round(w, 6) for w in results if w > 0}) == 70
    assert max_in_any_window([fake.now + w for w in results]) == 10


def test_slots_used_late_are_held_back_so_actual_sends_never_bunch() -> None:
    """A busy process runs the waiters of three slots late, all at the moment the next slots are due: without
    the send-time check they would leave together with those, more than the limit within one second."""
    fake = FakeTime()
    limiter = CategoryRateLimiter({"medium": 5}, clock=fake.clock, sleep=fake.sleep, margin=0.0)
    slots = send_times(limiter, fake, "medium", 10)  # 5 at once, then one every 0.2 s
    left: list[float] = []
    for number, slot in enumerate(slots):
        fake.now = max(slot, 1000.6) if number >= 2 else slot  # slots 2-4 used 0.6 s late, all at once
        left.append(fake.now + limiter.send_delay("medium"))
    assert max_in_any_window(left, 1.0) <= 5
    assert max_in_any_window(slots, 1.0) <= 5  # the slots themselves were fine
    assert left[:2] == slots[:2]  # on time: not held


def test_send_delay_records_nothing_for_unlimited_categories() -> None:
    limiter = CategoryRateLimiter({"medium": 5}, margin=0.0)
    assert all(limiter.send_delay("light") == 0.0 for _ in range(50))
