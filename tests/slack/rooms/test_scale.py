"""Rooms at scale, over real HTTP against the simulator: 1,000 Zoom Rooms.

`/room list` pages through every room (Slack allows 50 blocks per message) and filters with `/room list <text>`;
the message shortcut's room select searches by type-ahead once there are more rooms than a static_select holds
(100); the Home tab shows the first rooms and counts the rest instead of clipping a section at 3,000 characters.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.slack.rooms.names import KnownRoomNames
from bot.store import rooms as room_store
from bot.store.db import session_scope
from tests.slack.rooms.conftest import EXTERNAL_ID, RoomBot
from tests.slack.rooms.suggest import (
    MESSAGE_BLOCKS,
    VIEW_BLOCKS,
    answered_options,
    check_limits,
    check_options,
    sim_rooms,
    suggest,
)

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])
ROOMS = 1000
ROOM_LINE = re.compile(r"^\*(Room \d{4}[^*]*)\* — ", re.MULTILINE)


@pytest.fixture
def big_bot(make_room_bot: Any) -> RoomBot:
    return make_room_bot(rooms=sim_rooms(ROOMS))


def sections(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def listed(blocks: list[dict[str, Any]]) -> list[str]:
    return [name for text in sections(blocks) for name in ROOM_LINE.findall(text)]


def nav(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any] | None:
    pages = [b for b in blocks if b.get("block_id") == BlockId.LIST_PAGES]
    return next((e for b in pages for e in b["elements"] if e["action_id"] == action_id), None)


def walk(bot: RoomBot, first: Any) -> list[str]:
    """Click Next until there is none; every page replaces the ephemeral list."""
    seen, params = [], first.params
    while True:
        check_limits(params["blocks"], max_blocks=MESSAGE_BLOCKS)
        seen += listed(params["blocks"])
        following = nav(params["blocks"], ActionId.LIST_NEXT)
        if following is None:
            return seen
        reply = bot.reply(bot.click_ephemeral(following["value"], ActionId.LIST_NEXT))
        assert reply.params["replace_original"] in (True, "true") and reply.params["response_type"] == "ephemeral"
        params = reply.params


def test_room_list_reaches_every_one_of_a_thousand_rooms(big_bot: RoomBot) -> None:
    first = big_bot.reply(big_bot.room("list"))
    assert "*Zoom Rooms* (1000)" in sections(first.params["blocks"])[0]
    assert "page 1 of 50" in sections(first.params["blocks"])[0]
    assert first.params["text"].startswith("Zoom Rooms 1–20 of 1000: Room 0000 (Available)")
    seen = walk(big_bot, first)
    assert seen == [f"Room {i:04d}" for i in range(ROOMS)]  # every room, once, in order


def test_previous_goes_back_and_buttons_on_later_pages_work(big_bot: RoomBot) -> None:
    first = big_bot.reply(big_bot.room("list"))
    assert nav(first.params["blocks"], ActionId.LIST_PREVIOUS) is None
    second = big_bot.reply(big_bot.click_ephemeral(nav(first.params["blocks"], ActionId.LIST_NEXT)["value"],
                                                   ActionId.LIST_NEXT))
    assert listed(second.params["blocks"])[0] == "Room 0020"
    back = big_bot.reply(big_bot.click_ephemeral(nav(second.params["blocks"], ActionId.LIST_PREVIOUS)["value"],
                                                 ActionId.LIST_PREVIOUS))
    assert listed(back.params["blocks"]) == listed(first.params["blocks"])
    # A room on page 2 is in a meeting (every 7th): its Leave button works like on page 1.
    leave = next(e for b in second.params["blocks"] if b["type"] == "actions"
                 for e in b["elements"] if e["action_id"] == ActionId.LEAVE)
    big_bot.click_ephemeral(leave["value"], ActionId.LEAVE)
    assert big_bot.card().text.startswith("Room 0024 is leaving its meeting.")


def test_room_list_filter_finds_rooms_and_pages_through_the_matches(big_bot: RoomBot) -> None:
    one = big_bot.reply(big_bot.room("list 0999"))
    assert listed(one.params["blocks"]) == ["Room 0999"]
    assert "(1 of 1000)" in sections(one.params["blocks"])[0] and nav(one.params["blocks"], ActionId.LIST_NEXT) is None
    hundred = big_bot.reply(big_bot.room("list ROOM 09"))  # capitals and spaces do not matter
    assert "(100 of 1000)" in sections(hundred.params["blocks"])[0]
    assert walk(big_bot, hundred) == [f"Room {i:04d}" for i in range(900, 1000)]
    none = big_bot.reply(big_bot.room("list boardroom"))
    assert "No room matches “boardroom”" in none.params["text"] and "all 1000 rooms" in none.params["text"]


def test_message_shortcut_searches_a_thousand_rooms_and_sends_the_one_picked(big_bot: RoomBot) -> None:
    big_bot.stack.admin("POST", "/meetings", {"id": EXTERNAL_ID, "password": "Qr5_6st"})
    big_bot.client.message_shortcut(CallbackId.SEND_ROOM_SHORTCUT,
                                    f"Join https://zoom.us/j/{EXTERNAL_ID}\nPasscode: Qr5_6st", channel_id="C7")
    [filled] = big_bot.slack.wait_for(lambda: big_bot.slack.calls("views.update"), 10, what="rooms modal")
    view = filled.params["view"]
    check_limits(view["blocks"], max_blocks=VIEW_BLOCKS)
    room_input = next(b for b in view["blocks"] if b.get("block_id") == BlockId.ROOM)
    select = room_input["element"]
    assert select["type"] == "external_select" and select["action_id"] == ActionId.ROOM_SELECT
    assert "options" not in select and select["min_query_length"] == 1
    assert "1000 rooms" in room_input["hint"]["text"]

    answer = suggest(big_bot.client, CallbackId.SEND_ROOM_MODAL, "room 0999")
    [option] = answered_options(answer)
    assert option["text"]["text"] == "Room 0999"
    broad = suggest(big_bot.client, CallbackId.SEND_ROOM_MODAL, "room")
    [group] = broad["option_groups"]  # more than Slack's 100 match: says so, instead of hiding the others
    assert group["label"]["text"].startswith("First 100 of 1000 matching rooms") and len(group["label"]["text"]) <= 75
    check_options(group["options"])
    assert answered_options(suggest(big_bot.client, CallbackId.SEND_ROOM_MODAL, "no such room")) == []

    values = {"room": {"room_select": {"type": "external_select", "selected_option": option}},
              "passcode": {"passcode_input": {"type": "plain_text_input", "value": None}}}
    sent = big_bot.client.view_submission(CallbackId.SEND_ROOM_MODAL, values, private_metadata=view["private_metadata"])
    assert sent.response.content == b"", sent.response.text
    assert big_bot.card("C7").text.startswith("Room 0999 is in meeting 855 1234 5678.")
    assert big_bot.stack.sim_room("Room 0999")["meeting_number"] == EXTERNAL_ID


def test_home_tab_shows_the_first_rooms_and_counts_the_rest(make_room_bot: Any) -> None:
    # Long names: 30 of them no longer fit in one 3,000-character section.
    long = "Room {:04d} — " + ", ".join(["Conference centre, north wing, level 3"] * 2)
    bot = make_room_bot(rooms=sim_rooms(ROOMS, name=long))
    bot.client.app_home_opened("U1")
    view = bot.slack.wait_for(lambda: bot.slack.home_views.get("U1"), 20, what="home tab")
    check_limits(view["blocks"], max_blocks=VIEW_BLOCKS)
    texts = sections(view["blocks"])
    shown = [name for text in texts for name in ROOM_LINE.findall(text)]
    assert shown == [long.format(i) for i in range(len(shown))] and 0 < len(shown) <= 60
    assert all(not text.endswith("…") for text in texts)  # nothing clipped
    context = " ".join(e["text"] for b in view["blocks"] if b["type"] == "context" for e in b["elements"])
    assert f"…and {ROOMS - len(shown)} more: `/room list`" in context
    assert "1000 rooms: 857 :large_green_circle: Available · 143 :red_circle: In a meeting" in context


def test_a_pasted_invitation_sends_the_room_named_before_it(big_bot: RoomBot) -> None:
    big_bot.stack.admin("POST", "/meetings", {"id": EXTERNAL_ID, "password": "Qr5_6st"})
    invitation = (f"Alice is inviting you to a scheduled Zoom meeting. Topic: Weekly sync Join Zoom Meeting "
                  f"https://us02web.zoom.us/j/{EXTERNAL_ID} Meeting ID: 855 1234 5678 Passcode: Qr5_6st")
    big_bot.room(f"join room 0999 {invitation}")
    assert big_bot.card().text.startswith("Room 0999 is in meeting 855 1234 5678.")


def test_room_names_are_split_off_as_the_store_would_match_them(big_bot: RoomBot) -> None:
    with session_scope(big_bot.stack.db.sessions, write_lock=True) as session:
        room_store.add_alias(session, room_store.find_room(session, "Room 0042"), "the lab", created_by="U1")
    texts = ["Room 0999", "room-0999", "ROOM 0999 x", "Room 099", "Room 09999", "room 1", "roo", "ro", "the lab",
             "the l", "th", "Rid00042bbbbbbbbbbbbbb", "Zid00007aaaaaaaaaaaaaa", "", "  ", "&", "Room 0042 (old)"]
    with session_scope(big_bot.stack.db.sessions) as session:
        known = KnownRoomNames.read(session)
        for text in texts:
            assert known.names_a_room(text) is (room_store.find_room_or_unique_prefix(session, text) is not None), text


def test_room_sync_of_a_thousand_rooms_answers_with_counts_not_a_wall_of_names(big_bot: RoomBot) -> None:
    reply = big_bot.reply(big_bot.room("sync", user="UADMIN"))
    text = " ".join(sections(reply.params["blocks"]))
    assert "Synced 1000 rooms from Zoom" in text
    assert re.search(r"Unchanged \(1000\): .* and 985 more", text)
    assert all(len(section) <= 3000 for section in sections(reply.params["blocks"]))
