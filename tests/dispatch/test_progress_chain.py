"""ProgressChain: progress reports of one dispatch go out in order, in the background (pure asyncio)."""

from __future__ import annotations

import asyncio

from bot.dispatch.outcomes import ProgressChain, Stage
from bot.dispatch.reasons import Why, reason


def test_reports_go_out_in_order_and_one_overtaken_while_waiting_is_dropped() -> None:
    delivered: list[Stage] = []

    async def scenario() -> None:
        release = asyncio.Event()

        async def slow_slack(stage: Stage, doing: object) -> None:
            delivered.append(stage)
            if len(delivered) == 1:
                await release.wait()  # Slack is slow to take the first report

        chain = ProgressChain(slow_slack)
        sending = reason(Why.SENDING, room="Boardroom", number="855 1234 5678")
        waiting = reason(Why.WAITING_FOR_JOIN, room="Boardroom", number="855 1234 5678")
        chain.emit(Stage.DISPATCHING, sending)
        await asyncio.sleep(0)  # the first report is on its way
        chain.emit(Stage.ACCEPTED, waiting)  # waits behind it ...
        chain.emit(Stage.FINISHED, waiting)  # ... and is overtaken before it could go out
        release.set()
        await chain.drain()

    asyncio.run(scenario())
    assert delivered == [Stage.DISPATCHING, Stage.FINISHED]
