"""Slack's Block Kit limits on the builders' own output, for any room names and any number of rooms:
50 blocks per message, 100 per modal or Home tab, 3,000 characters per section, 75 per option text (150 per
value), 100 options in a static_select, 2,000 per button value — and no room is ever dropped silently."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import SectionBlock

from bot.slack import blocks
from bot.slack.bookings.messages import booking_view
from bot.slack.ids import ActionId, BlockId
from bot.slack.rooms import modals, room_list
from bot.slack.rooms.values import DispatchKey, ModalContext, StaleValue
from tests.slack.rooms.suggest import (
    MESSAGE_BLOCKS,
    OPTION_TEXT,
    VIEW_BLOCKS,
    check_limits,
    check_options,
    mrkdwn_texts,
)

HOSTILE = st.text(alphabet=st.sampled_from("ab <>&!@#*_~`|\n:é😀"), min_size=1, max_size=200)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def numbered(count: int, name: str = "Room {:04d}") -> list[room_list.RoomView]:
    return [room_list.RoomView(i + 1, name.format(i), status=("Available", "InMeeting", "Offline", None)[i % 4])
            for i in range(count)]


def pages_of(rooms: list[room_list.RoomView], **options: Any) -> list[dict[str, Any]]:
    first = room_list.rooms_list_message(rooms, **options).as_kwargs()
    pages = [first]
    while nxt := next((e for b in pages[-1]["blocks"] if b.get("block_id") == BlockId.LIST_PAGES
                       for e in b["elements"] if e["action_id"] == ActionId.LIST_NEXT), None):
        page = room_list.ListPage.decode(nxt["value"])
        pages.append(room_list.rooms_list_message(rooms, page=page.page, query=page.query, **options).as_kwargs())
    return pages


def room_keys(message: dict[str, Any]) -> list[int]:
    return [DispatchKey.decode(e["value"]).room for b in message["blocks"] if b["type"] == "actions"
            for e in b["elements"] if e["action_id"] == ActionId.JOIN_MEETING]


@pytest.mark.parametrize("count", [1, 20, 21, 43, 60, 300, 1000])
def test_every_room_is_on_exactly_one_list_page(count: int) -> None:
    rooms = numbered(count)
    pages = pages_of(rooms, zoom_problem="Zoom said <!channel> & left")
    for page in pages:
        check_limits(page["blocks"], max_blocks=MESSAGE_BLOCKS)
        assert all("<!channel>" not in text for text in mrkdwn_texts(page))
    assert [key for page in pages for key in room_keys(page)] == [room.key for room in rooms]
    assert len(pages) == -(-count // room_list.ROOMS_PER_PAGE)
    if count > room_list.ROOMS_PER_PAGE:
        assert f"page {len(pages)} of {len(pages)}" in pages[-1]["blocks"][0]["text"]["text"]


@settings(max_examples=40, deadline=None)
@given(names=st.lists(HOSTILE, min_size=1, max_size=70), query=st.text(max_size=300), page=st.integers(1, 10))
def test_list_pages_stay_within_limits_for_any_names(names: list[str], query: str, page: int) -> None:
    rooms = [room_list.RoomView(i, name, aliases=(name[::-1],), status="InMeeting") for i, name in enumerate(names)]
    message = room_list.rooms_list_message(rooms, page=page, query=query[:room_list.MAX_LIST_QUERY],
                                           total=len(rooms) + 5)
    payload = message.as_kwargs()  # slack_sdk validates the rest on to_dict()
    check_limits(payload["blocks"], max_blocks=MESSAGE_BLOCKS)
    assert all("<!" not in text for text in mrkdwn_texts(payload))


@given(page=st.integers(1, 10**9), query=st.text(max_size=500))
def test_list_page_buttons_round_trip_within_slacks_limit(page: int, query: str) -> None:
    encoded = room_list.ListPage(page, query).encode()
    assert len(encoded) <= 2000
    assert room_list.ListPage.decode(encoded) == room_list.ListPage(page, query[:room_list.MAX_LIST_QUERY])


@pytest.mark.parametrize("stale", ["", "{}", "[1]", '{"page": 0}', '{"page": "2"}', '{"page": true}', "x"])
def test_stale_list_page_values_are_refused(stale: str) -> None:
    with pytest.raises(StaleValue):
        room_list.ListPage.decode(stale)


@pytest.mark.parametrize("count, name", [(0, "R{}"), (4, "Room {}"), (60, "Room {:04d}"), (1000, "Room {:04d}"),
                                         (5000, "Room {:04d} " + "x" * 180)])
def test_home_section_shows_some_rooms_in_full_and_counts_the_others(count: int, name: str) -> None:
    rooms = numbered(count, name)
    section = room_list.home_blocks(rooms, problem="Live status unavailable: <!here>")
    view = blocks.home_view([section, [SectionBlock(text="*Your bookings*")]], available=frozenset({"help"})).to_dict()
    check_limits(view["blocks"], max_blocks=VIEW_BLOCKS)
    texts = [t for t in mrkdwn_texts({"blocks": view["blocks"]})]
    assert all("<!here>" not in text for text in texts)
    shown = [line for text in texts for line in text.splitlines() if re.match(r"\*R.*\* — :", line)]
    assert all(not line.endswith("…") for line in shown)
    more = re.search(r"…and (\d+) more", " ".join(texts))
    assert len(shown) + (int(more.group(1)) if more else 0) == count
    assert len(shown) <= room_list.HOME_ROOMS


@pytest.mark.parametrize("count", [1, 100])
def test_send_room_modal_lists_up_to_a_hundred_rooms(count: int) -> None:
    modal = ModalContext(DispatchKey(op="join", room=0, meeting="81234567890"), "C1")
    view = modals.send_room_modal(modal, numbered(count, "Room {:04d} " + "y" * 120), passcode_stated=False).to_dict()
    check_limits(view["blocks"], max_blocks=VIEW_BLOCKS)
    select = view["blocks"][1]["element"]
    assert select["type"] == "static_select" and len(select["options"]) == count
    assert [int(o["value"]) for o in select["options"]] == list(range(1, count + 1))


def test_send_room_modal_searches_more_than_a_hundred_rooms() -> None:
    modal = ModalContext(DispatchKey(op="join", room=0, meeting="81234567890"), "C1")
    view = modals.send_room_modal(modal, numbered(101), passcode_stated=True).to_dict()
    check_limits(view["blocks"], max_blocks=VIEW_BLOCKS)
    room = view["blocks"][1]
    assert room["element"]["type"] == "external_select" and room["element"]["action_id"] == ActionId.ROOM_SELECT
    assert "Only the first" not in json.dumps(view)  # nothing is left out any more
    assert room["hint"] == {"type": "plain_text", "text": "101 rooms: type part of a room's name (or an alias) to "
                                                          "find it.", "emoji": True}


@settings(max_examples=40, deadline=None)
@given(names=st.lists(HOSTILE, min_size=1, max_size=300, unique=True), query=st.text(max_size=80))
def test_room_options_stay_within_limits(names: list[str], query: str) -> None:
    rooms = [room_list.RoomView(i, name) for i, name in enumerate(names)]
    answer = room_list.room_options(rooms, query)
    options = answer["options"] if "options" in answer else answer["option_groups"][0]["options"]
    check_options(options)
    assert len(answer) == 1 and len(answer.get("option_groups", [])) <= 1
    for group in answer.get("option_groups", []):
        assert len(group["label"]["text"]) <= OPTION_TEXT


def test_typing_a_whole_name_finds_that_room_first_among_many() -> None:
    rooms = [room_list.RoomView(i, f"Room {i}") for i in range(2000)]  # "Room 1" is the start of 1,111 names
    for wanted in ("Room 1", "room-1", "ROOM 19", "Room 1999"):
        answer = room_list.room_options(rooms, wanted)
        options = answer["options"] if "options" in answer else answer["option_groups"][0]["options"]
        assert options[0]["text"]["text"] == " ".join(wanted.replace("-", " ").split()).title()
    aliased = [room_list.RoomView(1, "Boardroom", aliases=("R&D lab",)), room_list.RoomView(2, "Other")]
    assert room_list.room_options(aliased, "r&d")["options"][0]["value"] == "1"
    assert room_list.room_options(aliased, "&")["options"][0]["value"] == "1"  # punctuation only: as typed


@pytest.mark.parametrize("count", [3, 100, 101, 1000])
def test_booking_modal_room_select(count: int) -> None:
    names = [f"Room {i:04d} " + "z" * 180 for i in range(count)]
    view = booking_view(names, now=NOW).to_dict()
    check_limits(view["blocks"], max_blocks=VIEW_BLOCKS)
    room = view["blocks"][0]
    if count <= 100:
        assert room["element"]["type"] == "static_select" and len(room["element"]["options"]) == count
        assert room["element"]["options"][0]["value"] == names[0][:150]  # books by name: as much of it as fits
        assert "hint" not in room
    else:
        assert room["element"]["type"] == "external_select" and room["element"]["min_query_length"] == 1
        assert f"{count} rooms" in room["hint"]["text"]


def test_booking_modal_hints_are_plain_text_without_markup() -> None:
    view = booking_view(["Boardroom"], now=NOW).to_dict()
    hints = [b["hint"] for b in view["blocks"] if "hint" in b]
    assert hints and all(h["type"] == "plain_text" and "`" not in h["text"] and "*" not in h["text"] for h in hints)
    meeting = next(b for b in view["blocks"] if b["block_id"] == BlockId.MEETING)
    assert meeting["hint"]["text"] == "A Zoom link, a meeting ID, or “new” for a new meeting the room can join"
