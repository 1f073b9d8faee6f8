"""The dispatch engine on its own: bounded admission decided at once, accepted work run exactly once, waits that
hold no thread, and a stop that lets accepted work finish."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

import pytest

from bot.dispatch.engine import DispatchEngine, to_messaging_thread, to_thread


@pytest.fixture
def engine():
    engine = DispatchEngine(max_in_flight=2, max_queued=1, blocking_threads=2)
    yield engine
    engine.stop(timeout=5)


def _gate(engine: DispatchEngine) -> asyncio.Event:
    async def make() -> asyncio.Event:
        return asyncio.Event()

    return engine.run(make())


def test_admission_says_at_once_who_starts_who_waits_and_who_is_refused(engine: DispatchEngine) -> None:
    gate = _gate(engine)
    ran: Counter[int] = Counter()
    done = threading.Event()

    def job(n: int):
        async def work() -> None:
            await gate.wait()
            ran[n] += 1
            if sum(ran.values()) == 3:
                done.set()
        return work

    answers = [engine.submit(job(n)) for n in range(4)]
    assert [a.accepted for a in answers] == [True, True, True, False]
    assert [a.ahead for a in answers[:3]] == [0, 0, 1]  # the third waits for one of the two in flight
    assert not answers[0].queued and answers[2].queued
    engine.run(asyncio.sleep(0.05))  # let the loop start what it accepted
    assert engine.load().in_flight == 2 and engine.load().queued == 1
    engine.loop.call_soon_threadsafe(gate.set)
    assert done.wait(5)
    assert ran == Counter({0: 1, 1: 1, 2: 1})  # every accepted job exactly once, the refused one never
    assert engine.refused == 1


def test_waiting_dispatches_hold_no_thread() -> None:
    engine = DispatchEngine(max_in_flight=500, max_queued=0, blocking_threads=2)
    try:
        gate = _gate(engine)
        threads_before = threading.active_count()

        async def wait_on_zoom() -> None:
            await gate.wait()

        assert all(engine.submit(wait_on_zoom) for _ in range(500))
        engine.run(asyncio.sleep(0.05))
        assert engine.load().in_flight == 500
        assert threading.active_count() <= threads_before + 2  # 500 waits, no thread each
        engine.loop.call_soon_threadsafe(gate.set)
    finally:
        engine.stop(timeout=5)
    assert engine.completed == 500


def test_stop_lets_accepted_work_finish_and_refuses_new_work(engine: DispatchEngine) -> None:
    finished = []

    async def short() -> None:
        await asyncio.sleep(0.1)
        finished.append(True)

    assert engine.submit(short) and engine.submit(short)
    assert engine.stop(timeout=5) == 0
    assert finished == [True, True]
    assert not engine.submit(short).accepted  # stopped: nothing new is taken


def test_stop_reports_work_that_could_not_finish_in_time() -> None:
    engine = DispatchEngine(max_in_flight=2, max_queued=0)

    async def forever() -> None:
        await asyncio.Event().wait()

    assert engine.submit(forever)
    engine.run(asyncio.sleep(0.05))
    assert engine.drain(timeout=0.2) == 1
    assert not engine.submit(forever).accepted  # draining: no new work
    engine.stop(timeout=0)


def test_blocking_calls_run_on_the_engines_io_threads(engine: DispatchEngine) -> None:
    async def where() -> str:
        return await engine.blocking(lambda: threading.current_thread().name)

    assert engine.run(where()).startswith("dispatch-io")


def test_slack_calls_that_hang_hold_no_thread_the_store_work_needs() -> None:
    """More Slack calls stuck on the network than there are store threads: store work still runs."""
    engine = DispatchEngine(max_in_flight=10, max_queued=0, blocking_threads=2, messaging_threads=4)
    slack_answers = threading.Event()
    stored = threading.Event()
    try:
        async def post_to_slack() -> None:
            await to_messaging_thread(slack_answers.wait, 30)

        async def write_the_store() -> None:
            await to_thread(stored.set)

        assert all(engine.submit(post_to_slack) for _ in range(4))
        assert engine.submit(write_the_store)
        assert stored.wait(10)  # with one pool for both, the two threads would be stuck in Slack calls
    finally:
        slack_answers.set()
        engine.stop(timeout=5)
