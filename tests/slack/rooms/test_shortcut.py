"""The message shortcut "Send a room to this meeting"."""

from __future__ import annotations

import pytest

from bot.slack.ids import CallbackId
from tests.slack.rooms.conftest import EXTERNAL_ID, RoomBot

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])
INVITATION = (f"Alice is inviting you to a scheduled Zoom meeting.\nJoin Zoom Meeting\n"
              f"https://us02web.zoom.us/j/{EXTERNAL_ID}?pwd=QWxhZGRpbjpvcGVuIHNlc2FtZQ.1\n\n"
              f"Meeting ID: 855 1234 5678\nPasscode: Qr5_6st\n")


def room_option(view: dict, name: str) -> dict:
    select = next(b for b in view["blocks"] if b.get("block_id") == "room")["element"]
    return next(o for o in select["options"] if o["text"]["text"] == name)


def test_shortcut_sends_the_chosen_room_with_the_stated_passcode(room_bot: RoomBot) -> None:
    room_bot.stack.admin("POST", "/meetings", {"id": EXTERNAL_ID, "password": "Qr5_6st"})
    room_bot.client.message_shortcut(CallbackId.SEND_ROOM_SHORTCUT, INVITATION, channel_id="C7")
    [opened] = room_bot.slack.wait_for(lambda: room_bot.slack.calls("views.open"), what="modal")
    assert "Loading the rooms" in str(opened.params["view"])
    [filled] = room_bot.slack.wait_for(lambda: room_bot.slack.calls("views.update"), what="rooms modal")
    view = filled.params["view"]
    assert view["callback_id"] == CallbackId.SEND_ROOM_MODAL and "855 1234 5678" in str(view["blocks"])
    assert "The message states the passcode" in str(view["blocks"])
    assert "Qr5_6st" not in room_bot.slack.all_text()  # only sealed in private_metadata

    no_room = room_bot.client.view_submission(CallbackId.SEND_ROOM_MODAL, {}, private_metadata=view["private_metadata"])
    assert no_room.response.json()["errors"] == {"room": "Choose the room to send."}

    values = {"room": {"room_select": {"type": "static_select", "selected_option": room_option(view, "Huddle 3")}},
              "passcode": {"passcode_input": {"type": "plain_text_input", "value": None}}}
    sent = room_bot.client.view_submission(CallbackId.SEND_ROOM_MODAL, values,
                                           private_metadata=view["private_metadata"])
    assert sent.response.content == b"", sent.response.text
    assert room_bot.card("C7").text.startswith("Huddle 3 is in meeting 855 1234 5678.")
    assert room_bot.joins_sent()[0]["json"]["params"]["passcode"] == "Qr5_6st"
    assert "Qr5_6st" not in room_bot.slack.all_text()


@pytest.mark.parametrize("text, reason", [
    ("lunch anyone?", "I could not find a meeting"),
    ("https://zoom.us.evil.com/j/85512345678", "zoom.us.evil.com"),
    ("my room: https://zoom.us/my/alice", "personal"),
])
def test_shortcut_on_a_message_without_a_usable_meeting_says_why(room_bot: RoomBot, text: str, reason: str) -> None:
    room_bot.client.message_shortcut(CallbackId.SEND_ROOM_SHORTCUT, text)
    [opened] = room_bot.slack.wait_for(lambda: room_bot.slack.calls("views.open"), what="notice")
    assert reason in str(opened.params["view"]["blocks"])
    assert room_bot.slack.calls("views.update") == []
