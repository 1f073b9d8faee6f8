"""`/room join` and the buttons on its result card, over real HTTP against the simulator."""

from __future__ import annotations

import pytest

from bot.slack.ids import ActionId, CallbackId
from bot.store import rooms as room_store
from bot.store.db import session_scope
from tests.slack.rooms.conftest import EXTERNAL_ID, RoomBot, block_text, button, button_ids

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])
PASSCODE = "Xk7_9ab"


def external_meeting(bot: RoomBot, password: str = PASSCODE) -> None:
    bot.stack.admin("POST", "/meetings", {"id": EXTERNAL_ID, "password": password})


def passcode_values(passcode: str) -> dict:
    return {"passcode": {"passcode_input": {"type": "plain_text_input", "value": passcode}}}


def test_needs_passcode_then_enter_passcode_modal_joins(room_bot: RoomBot) -> None:
    external_meeting(room_bot)
    room_bot.room(f"join Boardroom https://us02web.zoom.us/j/{EXTERNAL_ID}?pwd=QWxhZGRpbjpvcGVuIHNlc2FtZQ.1")
    card = room_bot.card()
    assert card.text.startswith("Boardroom was not sent to meeting 855 1234 5678: the passcode is needed.")
    assert button_ids(card) == [ActionId.ENTER_PASSCODE, ActionId.JOIN_WITHOUT_PASSCODE]
    assert room_bot.joins_sent() == []

    room_bot.click(card, ActionId.ENTER_PASSCODE)
    [opened] = room_bot.slack.wait_for(lambda: room_bot.slack.calls("views.open"), what="passcode modal")
    view = opened.params["view"]
    assert view["callback_id"] == CallbackId.PASSCODE_MODAL and "855 1234 5678" in str(view["blocks"])
    metadata = view["private_metadata"]

    empty = room_bot.client.view_submission(CallbackId.PASSCODE_MODAL, passcode_values("  "), private_metadata=metadata)
    assert empty.response.json()["response_action"] == "errors" and "passcode" in empty.response.json()["errors"]
    too_long = room_bot.client.view_submission(CallbackId.PASSCODE_MODAL, passcode_values("x" * 65),
                                               private_metadata=metadata)
    assert "64 characters" in too_long.response.json()["errors"]["passcode"]
    assert room_bot.joins_sent() == []

    room_bot.client.view_submission(CallbackId.PASSCODE_MODAL, passcode_values(PASSCODE), private_metadata=metadata)
    room_bot.slack.wait_for(lambda: room_bot.slack.messages_in("C1")[0].text.startswith("Boardroom is in meeting"),
                            15, what="joined card")
    assert len(room_bot.slack.calls("chat.postMessage")) == 1  # the same card was edited
    assert room_bot.joins_sent()[0]["json"]["params"]["passcode"] == PASSCODE
    assert PASSCODE not in room_bot.slack.all_text()


def test_join_without_passcode_button_sends_none(room_bot: RoomBot) -> None:
    room_bot.room(f"join Huddle 3 https://zoom.us/j/{EXTERNAL_ID}?pwd=abc")
    room_bot.click(room_bot.card(), ActionId.JOIN_WITHOUT_PASSCODE)
    room_bot.slack.wait_for(lambda: room_bot.slack.messages_in("C1")[0].text.startswith("Huddle 3 is in meeting"),
                            15, what="joined card")
    assert "passcode" not in room_bot.joins_sent()[0]["json"]["params"]


def test_busy_room_join_anyway_sends_force_accept_once_despite_a_double_click(room_bot: RoomBot) -> None:
    external_meeting(room_bot)
    room_bot.room(f"join Training Room {EXTERNAL_ID} {PASSCODE}")
    card = room_bot.card()
    assert card.text.startswith("Training Room is busy")
    assert button_ids(card) == [ActionId.JOIN_ANYWAY, ActionId.LEAVE]
    assert button(card, ActionId.JOIN_ANYWAY)["confirm"]["confirm"]["text"] == "Join anyway"
    assert PASSCODE not in button(card, ActionId.JOIN_ANYWAY)["value"]

    value = button(card, ActionId.JOIN_ANYWAY)["value"]
    first = room_bot.click(card, ActionId.JOIN_ANYWAY, value=value)
    second = room_bot.click(card, ActionId.JOIN_ANYWAY, value=value)
    room_bot.slack.wait_for(lambda: room_bot.slack.messages_in("C1")[0].text.startswith("Training Room is in meeting"),
                            15, what="joined card")
    assert "already clicked" in room_bot.reply(second).params["text"]
    assert room_bot.slack.responses(first.response_url) == []
    [sent] = room_bot.joins_sent()
    # Join anyway reuses the passcode of the refused dispatch (remembered, sealed) instead of asking again.
    assert sent["json"]["params"] == {"meeting_number": EXTERNAL_ID, "passcode": PASSCODE, "force_accept": True}
    assert room_bot.stack.sim_room("Training Room")["meeting_number"] == EXTERNAL_ID


def test_zoom_503_is_reported_in_the_channel_with_retry_which_then_works(room_bot: RoomBot) -> None:
    room_bot.stack.admin("POST", "/faults", {"path_prefix": "/v2/rooms/", "method": "PATCH", "status": 503,
                                             "count": 1})
    external_meeting(room_bot)
    room_bot.room(f"join Boardroom {EXTERNAL_ID} {PASSCODE}")
    card = room_bot.card()
    text = block_text(card)
    assert card.text.startswith("Boardroom did not join meeting 855 1234 5678.")
    assert "Zoom said (HTTP 503" in text and "Zoom did not answer properly" in text
    assert button_ids(card) == [ActionId.RETRY]
    room_bot.click(card, ActionId.RETRY)
    room_bot.slack.wait_for(lambda: room_bot.slack.messages_in("C1")[0].text.startswith("Boardroom is in meeting"),
                            15, what="joined after retry")
    assert [j["json"]["params"]["passcode"] for j in room_bot.joins_sent()] == [PASSCODE, PASSCODE]


def test_room_removed_from_zoom_reports_code_1012(room_bot: RoomBot) -> None:
    with session_scope(room_bot.stack.db.sessions) as session:
        room_store.add_room(session, "Ghost Room", "GhostRoomIdThatZoomLost")
    room_bot.room(f"join Ghost Room {EXTERNAL_ID} {PASSCODE}")
    card = room_bot.card()
    text = block_text(card)
    assert "Zoom said (HTTP 404, code 1012)" in text and "/room sync" in text
    assert ActionId.RETRY in button_ids(card)


def test_not_in_channel_falls_back_to_response_url_and_says_how_to_fix(room_bot: RoomBot) -> None:
    room_bot.slack.inject_error("chat.postMessage", "not_in_channel")
    external_meeting(room_bot)
    delivery = room_bot.room(f"join Boardroom {EXTERNAL_ID} {PASSCODE}")
    reply = room_bot.reply(delivery, timeout=15)
    # Private: an in_channel reply would make Slack show the command text, passcode included, to everyone.
    assert reply.params["response_type"] == "ephemeral"
    assert reply.params["text"].startswith("Boardroom is in meeting 855 1234 5678.")
    assert "not_in_channel" in str(reply.params["blocks"]) and "/invite @roombot" in str(reply.params["blocks"])


@pytest.mark.parametrize("text, expected", [
    (f"join bordroom {EXTERNAL_ID}", "Did you mean “Boardroom”?"),
    (f"join Boardroom https://zoom.us.evil.com/j/{EXTERNAL_ID}", "zoom.us.evil.com"),
    ("join Boardroom", "Usage: `/room join <room> <meeting link | meeting id> [passcode]`"),
    ("join Boardroom https://zoom.us/my/alice", "personal"),
])
def test_input_problems_are_answered_privately(room_bot: RoomBot, text: str, expected: str) -> None:
    reply = room_bot.reply(room_bot.room(text))
    assert reply.params["response_type"] == "ephemeral"
    assert expected in str(reply.params)
    assert room_bot.slack.messages_in("C1") == [] and room_bot.joins_sent() == []
