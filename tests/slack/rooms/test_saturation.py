"""More work than the dispatch engine admits, over real HTTP: every request is answered at once, the extra ones
are told the truth in their own message, and every accepted dispatch reaches Zoom exactly once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.slack.ids import ActionId
from tests.slack.rooms.conftest import EXTERNAL_ID, RoomBot, block_text, button

ROOMS = tuple(f"Room {n}" for n in range(1, 7))
SIM_ROOMS = [{"id": f"ZrId{n}", "room_id": f"RoomId{n}", "name": name, "status": "Available"}
             for n, name in enumerate(("Boardroom", *ROOMS))]
REFUSED = "so nothing was sent"


def _saturated_bot(make_room_bot) -> tuple[RoomBot, object]:
    bot: RoomBot = make_room_bot(max_in_flight=2, max_queued=1, rooms=SIM_ROOMS)
    bot.room(f"join Boardroom {EXTERNAL_ID} Xk7_9ab", channel="C0")
    card = bot.card("C0")  # in the meeting, with a Leave button
    # From now on Zoom holds every rooms call for 1.5 s: the two dispatches in flight stay in flight.
    bot.stack.admin("POST", "/faults", {"path_prefix": "/v2/rooms", "latency_ms": 1500})
    return bot, card


def _wait_until_full(bot: RoomBot) -> None:
    engine = bot.stack.engine
    bot.slack.wait_for(lambda: engine.load().in_flight == 2 and engine.load().queued == 1, 15,
                       what="two dispatches in flight and one queued")


def test_commands_beyond_the_engine_are_answered_and_told_the_truth(make_room_bot) -> None:
    bot, _card = _saturated_bot(make_room_bot)
    with ThreadPoolExecutor(3) as pool:
        first = list(pool.map(lambda i: bot.client.slash("/room", f"join {ROOMS[i]} {EXTERNAL_ID} Xk7_9ab",
                                                        channel_id=f"C{i + 1}"), range(3)))
    _wait_until_full(bot)
    extra = [bot.client.slash("/room", f"join {ROOMS[i - 1]} {EXTERNAL_ID} Xk7_9ab", channel_id=f"C{i}")
             for i in (4, 5)]
    for delivery in first + extra:  # every request acknowledged, none "not handled"
        assert delivery.status_code == 200 and "handle" not in delivery.response.text
    queued = [c for c in bot.slack.calls("chat.update") if "Queued behind 1" in str(c.params)]
    assert len(queued) == 1  # the third command was told it waits, in its own message
    for channel in ("C4", "C5"):
        refused = bot.card(channel)
        assert REFUSED in block_text(refused)
    for channel in ("C1", "C2", "C3"):
        assert "is in meeting" in block_text(bot.card(channel))
    # Each accepted dispatch reached Zoom once; the refused ones never did.
    assert len(bot.joins_sent()) == 1 + 3
    assert sorted(r["json"]["params"]["meeting_number"] for r in bot.joins_sent()) == [EXTERNAL_ID] * 4


def test_a_button_clicked_while_saturated_is_refused_in_its_card(make_room_bot) -> None:
    bot, card = _saturated_bot(make_room_bot)
    leave_value = button(card, ActionId.LEAVE)["value"]
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda i: bot.client.slash("/room", f"join {ROOMS[i]} {EXTERNAL_ID} Xk7_9ab",
                                                 channel_id=f"C{i + 1}"), range(3)))
    _wait_until_full(bot)
    delivery = bot.click(card, ActionId.LEAVE, value=leave_value)
    assert delivery.status_code == 200 and "handle" not in delivery.response.text
    refused = bot.slack.wait_for(lambda: REFUSED in block_text(bot.slack.messages_in("C0")[-1]) or None, 15,
                                 what="the clicked card saying nothing was sent")
    assert refused
    for channel in ("C1", "C2", "C3"):
        bot.card(channel)
    leaves = [r for r in bot.stack.zoom_requests("/events") if r["json"]["method"] == "zoomroom.meeting_leave"]
    assert leaves == []  # the refused click never reached Zoom


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
def test_ten_concurrent_commands_and_clicks_on_the_embedded_sqlite_store_all_go_through(make_room_bot) -> None:
    rooms = [{"id": f"ZrId{n}", "room_id": f"RoomId{n}", "name": f"Room {n}", "status": "Available"}
             for n in range(1, 11)]
    bot: RoomBot = make_room_bot(rooms=rooms)
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(lambda n: bot.client.slash("/room", f"join Room {n} {EXTERNAL_ID} Xk7_9ab",
                                                 channel_id=f"C{n}"), range(1, 11)))
        cards = [bot.card(f"C{n}") for n in range(1, 11)]
        assert all("is in meeting" in block_text(card) for card in cards), [c.text for c in cards]
        # Ten Leave clicks at once: each is claimed once in the store (a write) and sent once.
        values = [button(card, ActionId.LEAVE)["value"] for card in cards]
        list(pool.map(lambda pair: bot.click(pair[0], ActionId.LEAVE, value=pair[1]), zip(cards, values, strict=True)))
    bot.slack.wait_for(lambda: all("leaving" in block_text(bot.slack.messages_in(f"C{n}")[-1])
                                   for n in range(1, 11)), 20, what="ten rooms leaving")
    text = " ".join(block_text(m) for n in range(1, 11) for m in bot.slack.messages_in(f"C{n}"))
    assert "database" not in text
    leaves = [r for r in bot.stack.zoom_requests("/events") if r["json"]["method"] == "zoomroom.meeting_leave"]
    assert len(leaves) == 10 and len(bot.joins_sent()) == 10
