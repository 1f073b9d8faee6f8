"""The scenarios that also run on PostgreSQL: the claim-once keys, the audit rows and the sealed passcodes
live in the store, so the whole path is exercised on both backends (db_backend is not narrowed here)."""

from __future__ import annotations

from bot.slack.ids import ActionId
from tests.slack.rooms.conftest import EXTERNAL_ID, PROGRESS_PREFIX, RoomBot, block_text, button_ids

PASSCODE = "Xk7_9ab"


def external_meeting(bot: RoomBot, password: str = PASSCODE) -> None:
    bot.stack.admin("POST", "/meetings", {"id": EXTERNAL_ID, "password": password})


def test_join_edits_one_message_through_the_stages(room_bot: RoomBot) -> None:
    external_meeting(room_bot)
    room_bot.room(f"join Boardroom {EXTERNAL_ID} {PASSCODE}")
    card = room_bot.card()
    assert card.text.startswith("Boardroom is in meeting 855 1234 5678.")
    posts = room_bot.slack.calls("chat.postMessage")
    assert len(posts) == 1
    assert posts[0].params["text"] == f"{PROGRESS_PREFIX} Sending Boardroom to meeting 855 1234 5678…"
    updates = [c.params["text"] for c in room_bot.slack.calls("chat.update")]
    assert any("Zoom accepted; waiting for Boardroom" in text for text in updates)
    assert updates[-1] == card.text and all(c.params["ts"] == card.ts for c in room_bot.slack.calls("chat.update"))
    assert button_ids(card) == [ActionId.LEAVE]
    assert "requested by <@U1>" in block_text(card)
    assert room_bot.stack.sim_room("Boardroom")["meeting_number"] == EXTERNAL_ID
    assert room_bot.joins_sent()[0]["json"]["params"]["passcode"] == PASSCODE
    assert PASSCODE not in room_bot.slack.all_text()


