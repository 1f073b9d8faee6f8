"""Acknowledgements first: background pools step aside while a Slack request is being answered."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.dispatch.engine import DispatchEngine, to_thread
from bot.foreground import FOREGROUND, Foreground


def test_step_aside_returns_at_once_when_no_request_is_being_answered() -> None:
    gate = Foreground(max_step_aside=30)
    gate.step_aside()  # would wait 30 s if it thought a request was being served
    assert not gate.busy


def test_step_aside_waits_for_the_answer_and_no_longer() -> None:
    gate = Foreground(max_step_aside=30)
    stepped = threading.Event()

    def background() -> None:
        gate.step_aside()
        stepped.set()

    with gate.serving():
        with gate.serving():  # two requests at once: the background waits for both
            worker = threading.Thread(target=background)
            worker.start()
            assert not stepped.wait(0.2)
        assert not stepped.wait(0.1)
    assert stepped.wait(5)
    worker.join(5)


def test_step_aside_is_bounded_so_a_stream_of_requests_never_stops_background_work() -> None:
    gate = Foreground(max_step_aside=0.05)
    stepped = threading.Event()
    with gate.serving():
        threading.Thread(target=lambda: (gate.step_aside(), stepped.set())).start()
        assert stepped.wait(5)  # still serving: it went on after its bounded wait


def test_dispatch_engine_store_work_waits_while_slack_is_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FOREGROUND, "max_step_aside", 30.0)
    engine = DispatchEngine(max_in_flight=2, max_queued=0, blocking_threads=1)
    stored = threading.Event()

    async def write_the_store() -> None:
        await to_thread(stored.set)

    try:
        engine.run(asyncio.sleep(0))  # the loop is up
        with FOREGROUND.serving():
            assert engine.submit(write_the_store)
            assert not stored.wait(0.3)  # an acknowledgement is being prepared: the store work waits
        assert stored.wait(5)  # and runs as soon as it has been sent
    finally:
        engine.stop(timeout=5)
