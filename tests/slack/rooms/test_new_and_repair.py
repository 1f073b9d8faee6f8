"""`/room new` (join link in the channel, passcode only to the requester) and the Repair passcode button."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.meetings import is_rooms_compatible
from bot.slack.ids import ActionId
from tests.slack.rooms.conftest import HOST_USER, RoomBot, block_text, button, button_ids

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])
SEED_PASSCODE = "w46!(i{74n"


def meeting_password(bot: RoomBot, meeting_id: str) -> str:
    return bot.stack.admin("GET", f"/meetings/{meeting_id}")["password"]


def test_new_meeting_under_a_forced_waiting_room(room_bot: RoomBot) -> None:
    room_bot.stack.admin("PATCH", "/accounts/me", {"security": {"waiting_room": {"enabled": True, "locked": True}}})
    room_bot.room("new Huddle 3 Design review")
    card = room_bot.card()
    assert card.text.startswith("Huddle 3 is in meeting")
    text = block_text(card)
    assert "*Join link:* <https://" in text
    assert "admit Huddle 3 from the waiting room" in text
    meeting_id = room_bot.stack.sim_room("Huddle 3")["meeting_number"]
    passcode = meeting_password(room_bot, meeting_id)
    assert passcode and is_rooms_compatible(passcode)
    assert room_bot.stack.admin("GET", f"/meetings/{meeting_id}")["topic"] == "Design review"

    private = room_bot.ephemeral_to("U1", contains=passcode)
    assert "Only you can see this message" in private.text
    assert passcode not in room_bot.slack.all_text().replace(private.text, "")
    assert all(passcode not in str(c.params) for c in room_bot.slack.calls()
               if c.method in ("chat.postMessage", "chat.update", "response_url"))


def test_new_meeting_on_a_busy_room_asks_and_join_anyway_creates_it(room_bot: RoomBot) -> None:
    room_bot.room("new Training Room")
    card = room_bot.card()
    assert card.text.startswith("Training Room is busy") and room_bot.stack.zoom_requests("/users/", "POST") == []
    room_bot.click(card, ActionId.JOIN_ANYWAY)
    room_bot.slack.wait_for(lambda: room_bot.slack.messages_in("C1")[0].text.startswith("Training Room is in meeting"),
                            15, what="joined card")
    assert room_bot.joins_sent()[0]["json"]["params"]["force_accept"] is True
    assert len(room_bot.stack.zoom_requests("/users/", "POST")) == 1


def test_new_without_a_known_room_is_answered_privately(room_bot: RoomBot) -> None:
    reply = room_bot.reply(room_bot.room("new"))
    assert "Usage: `/room new <room> [topic…]`" in reply.params["text"]
    reply = room_bot.reply(room_bot.room("new bordroom Planning"))
    assert "There is no room called “bordroom”. Did you mean “Boardroom”?" in reply.params["text"]
    assert room_bot.slack.messages_in("C1") == [] and room_bot.stack.zoom_requests("/users/", "POST") == []


@pytest.fixture
def legacy_bot(make_room_bot: Callable[..., RoomBot]) -> RoomBot:
    return make_room_bot(rooms_api="jsonrpc")


def seed_meeting(bot: RoomBot) -> str:
    created = bot.stack.zoom.create_meeting(None, {"topic": "Seed", "type": 2, "password": SEED_PASSCODE})
    return str(created.id)


def test_seed_passcode_on_legacy_api_is_reported_and_the_host_repairs_it(legacy_bot: RoomBot) -> None:
    meeting_id = seed_meeting(legacy_bot)
    legacy_bot.room(f"join Boardroom {meeting_id}", user=HOST_USER)
    card = legacy_bot.card()
    text = block_text(card)
    assert card.text.startswith("Boardroom did not join meeting")
    assert "Validation Failed" in text and "`params.password`" in text
    assert button_ids(card) == [ActionId.REPAIR_PASSCODE, ActionId.ENTER_PASSCODE]
    confirm = button(card, ActionId.REPAIR_PASSCODE)["confirm"]
    assert "Links and invitations sent before now will ask people for the new passcode" in confirm["text"]["text"]
    assert legacy_bot.joins_sent() == []

    legacy_bot.click(card, ActionId.REPAIR_PASSCODE, user=HOST_USER)
    legacy_bot.slack.wait_for(lambda: legacy_bot.slack.messages_in("C1")[0].text.startswith("Boardroom is in meeting"),
                              15, what="joined after repair")
    new_passcode = meeting_password(legacy_bot, meeting_id)
    assert new_passcode != SEED_PASSCODE and is_rooms_compatible(new_passcode)
    assert "links and invitations sent before now will ask" in block_text(legacy_bot.slack.messages_in("C1")[0])
    private = legacy_bot.ephemeral_to(HOST_USER, contains=new_passcode)
    assert "now has the passcode" in private.text
    assert legacy_bot.slack.ephemerals("U1") == []
    for secret in (new_passcode, SEED_PASSCODE):
        assert secret not in legacy_bot.slack.all_text().replace(private.text, "")


def test_repair_offered_to_an_admin_but_not_to_someone_else(legacy_bot: RoomBot) -> None:
    meeting_id = seed_meeting(legacy_bot)
    legacy_bot.room(f"join Boardroom {meeting_id}", user="U1")
    assert button_ids(legacy_bot.card()) == [ActionId.ENTER_PASSCODE]
    legacy_bot.room(f"join Huddle 3 {meeting_id}", user="UADMIN")
    card = legacy_bot.card(count=2)
    assert ActionId.REPAIR_PASSCODE in button_ids(card)
    # Someone who is neither host nor admin clicking the admin's Repair button is refused in the card.
    legacy_bot.click(card, ActionId.REPAIR_PASSCODE, user="U2")
    legacy_bot.slack.wait_for(lambda: "Only the host" in block_text(legacy_bot.slack.messages_in("C1")[1]), 15,
                              what="refusal")
    assert meeting_password(legacy_bot, meeting_id) == SEED_PASSCODE
