"""Teams, Google Meet and SIP meetings from the same commands: `/room join`, the buttons, the message shortcut,
over real HTTP against the simulator's `zoomroom.thirdparty_meeting_join`."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.slack.ids import ActionId, CallbackId
from bot.store.db import session_scope
from bot.store.models import Dispatch
from tests.slack.rooms.conftest import RoomBot, button, button_ids
from tests.support.stack import SHORT_WATCH

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])

HASHED = "lu3d1SdNShj6ak9H0S"  # a Teams short link's ?p=: a hashed passcode, never shown or logged
TEAMS = f"https://teams.microsoft.com/meet/219137232612292?p={HASHED}"
MEET = "https://meet.google.com/abc-defg-hij"
TEAMS_INVITATION = f"""Microsoft Teams meeting
Join: {TEAMS}
Meeting ID: 219 137 232 612 292
Passcode: hb9VA7oG
________________________________
Need help?<https://aka.ms/JoinTeamsMeeting?omkt=en-US>
Dial in by phone
+1 567-249-1957,,400968124#<tel:+15672491957,,400968124#> United States, Toledo
Phone conference ID: 400 968 124#
"""


def third_party_joins(bot: RoomBot) -> list[dict[str, Any]]:
    return [r for r in bot.stack.zoom_requests("/events", "PATCH")
            if r["json"]["method"] == "zoomroom.thirdparty_meeting_join"]


def leaves(bot: RoomBot) -> list[dict[str, Any]]:
    return [r for r in bot.stack.zoom_requests("/events", "PATCH") if r["json"]["method"] == "zoomroom.meeting_leave"]


def set_room(bot: RoomBot, name: str, **fields: Any) -> None:
    bot.stack.admin("PATCH", f"/rooms/{name}", fields)


def test_a_teams_link_sends_the_room_by_url_and_the_card_names_the_service(room_bot: RoomBot, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    room_bot.room(f"join Boardroom <{TEAMS}>")
    card = room_bot.card()
    assert card.text.startswith("Boardroom is in the Microsoft Teams meeting.")
    assert "may wait in the meeting's lobby" in str(card.blocks) and "Microsoft Teams meeting" in str(card.blocks)
    [sent] = third_party_joins(room_bot)
    assert sent["json"]["params"] == {"join_type": "url", "meeting_source_type": "MS_TEAMS", "join_url": TEAMS}
    assert room_bot.joins_sent() == []  # never as a Zoom meeting
    assert room_bot.stack.sim_room("Boardroom")["status"] == "InMeeting"
    assert HASHED not in room_bot.slack.all_text() and HASHED not in caplog.text
    assert button_ids(card) == [ActionId.LEAVE]


def test_a_meet_link_as_slack_sends_it_is_unescaped_once(room_bot: RoomBot) -> None:
    room_bot.room(f"join Huddle 3 <{MEET}?authuser=0&amp;hs=178|Join with Google Meet>")
    assert room_bot.card().text.startswith("Huddle 3 is in the Google Meet meeting.")
    [sent] = third_party_joins(room_bot)
    assert sent["json"]["params"]["meeting_source_type"] == "GOOGLE_MEET"
    assert sent["json"]["params"]["join_url"] == f"{MEET}?authuser=0&hs=178"


def test_a_sip_address_is_sent_as_sip(room_bot: RoomBot) -> None:
    room_bot.room("join Boardroom sip:24357724034@ietf.webex.com")
    assert room_bot.card().text.startswith("Boardroom is in the SIP call.")
    [sent] = third_party_joins(room_bot)
    assert sent["json"]["params"] == {"join_type": "sip", "sip_address": "24357724034@ietf.webex.com"}


@pytest.mark.parametrize("link, words", [
    ("https://teams.live.com/meet/9356969621606?p=08ogAWeCL73fVssuEK", "free Microsoft Teams"),
    ("https://dod.teams.microsoft.us/l/meetup-join/19%3ameeting_x%40thread.v2/0?context=%7b%7d", "DoD"),
])
def test_teams_clouds_zoom_rooms_cannot_join_are_refused_before_zoom_is_called(room_bot: RoomBot, link: str,
                                                                               words: str) -> None:
    delivery = room_bot.room(f"join Boardroom {link}")
    reply = room_bot.reply(delivery).params["text"]
    assert words in reply and "Nothing was sent" in reply
    assert third_party_joins(room_bot) == [] and room_bot.slack.messages_in("C1") == []


def test_the_legacy_rooms_api_refuses_third_party_meetings_clearly(make_room_bot) -> None:
    bot = make_room_bot(rooms_api="jsonrpc")
    bot.room(f"join Boardroom {TEAMS}")
    card = bot.card()
    assert "ZOOM_ROOMS_API=jsonrpc" in card.text or "ZOOM_ROOMS_API=jsonrpc" in str(card.blocks)
    assert third_party_joins(bot) == [] and bot.joins_sent() == []


def test_interop_off_is_reported_with_its_likely_causes_and_no_leave_then_retry_resends_the_link(
        make_room_bot) -> None:
    room_bot = make_room_bot(policy=SHORT_WATCH)
    set_room(room_bot, "Boardroom", interop=False)
    room_bot.room(f"join Boardroom {TEAMS}")
    card = room_bot.card()
    assert card.text.startswith("Boardroom: Zoom accepted, but I did not see it join the Microsoft Teams meeting.")
    blocks = str(card.blocks)
    assert "lobby" in blocks and "Support Interoperability for Zoom Rooms" in blocks and "passcode" not in blocks
    assert leaves(room_bot) == []  # a room waiting in a lobby is not pulled out of it
    assert button_ids(card) == [ActionId.RETRY, ActionId.LEAVE]
    assert HASHED not in button(card, ActionId.RETRY)["value"]

    set_room(room_bot, "Boardroom", interop=True)
    room_bot.click(card, ActionId.RETRY)
    room_bot.slack.wait_for(lambda: room_bot.slack.messages_in("C1")[0].text.startswith(
        "Boardroom is in the Microsoft Teams meeting."), 15, what="joined card")
    first, again = third_party_joins(room_bot)
    assert again["json"]["params"] == first["json"]["params"]  # the same link, read back from the audit row
    with session_scope(room_bot.stack.db.sessions) as session:
        rows = session.query(Dispatch).order_by(Dispatch.id).all()
        assert [row.provider for row in rows] == ["teams", "teams"]
        assert all(HASHED not in (row.third_party.token if row.third_party else "") for row in rows)


def test_a_busy_room_is_asked_to_leave_first_when_joining_anyway(room_bot: RoomBot) -> None:
    room_bot.room(f"join Training Room {MEET}")
    card = room_bot.card()
    assert card.text.startswith("Training Room is busy, so it was not sent to the Google Meet meeting.")
    assert third_party_joins(room_bot) == []
    room_bot.click(card, ActionId.JOIN_ANYWAY)
    room_bot.slack.wait_for(lambda: room_bot.slack.messages_in("C1")[0].text.startswith(
        "Training Room is in the Google Meet meeting."), 20, what="joined card")
    assert len(leaves(room_bot)) == 1 and len(third_party_joins(room_bot)) == 1


def test_a_leave_teams_does_not_honour_is_reported_as_unconfirmed(make_room_bot) -> None:
    room_bot = make_room_bot(policy=SHORT_WATCH)
    room_bot.room(f"join Boardroom {TEAMS}")
    assert room_bot.card().text.startswith("Boardroom is in the Microsoft Teams meeting.")
    room_bot.room("leave Boardroom")
    card = room_bot.card(count=2)
    assert card.text.startswith("Boardroom may still be in the Microsoft Teams meeting.")
    assert "Press Leave on the room's controller" in str(card.blocks)
    assert room_bot.stack.sim_room("Boardroom")["status"] == "InMeeting"


def test_a_leave_meet_honours_is_reported_as_left(room_bot: RoomBot) -> None:
    room_bot.room(f"join Boardroom {MEET}")
    room_bot.card()
    room_bot.room("leave Boardroom")
    assert room_bot.card(count=2).text.startswith("Boardroom left the Google Meet meeting.")


def test_the_shortcut_on_a_teams_invitation_sends_the_join_link_not_the_dial_in(room_bot: RoomBot) -> None:
    room_bot.client.message_shortcut(CallbackId.SEND_ROOM_SHORTCUT, TEAMS_INVITATION, channel_id="C7")
    [filled] = room_bot.slack.wait_for(lambda: room_bot.slack.calls("views.update"), what="rooms modal")
    view = filled.params["view"]
    assert "the Microsoft Teams meeting" in str(view["blocks"])
    assert HASHED not in view["private_metadata"] and "hb9VA7oG" not in view["private_metadata"]
    select = next(b for b in view["blocks"] if b.get("block_id") == "room")["element"]
    option = next(o for o in select["options"] if o["text"]["text"] == "Huddle 3")
    values = {"room": {"room_select": {"type": "static_select", "selected_option": option}}}
    sent = room_bot.client.view_submission(CallbackId.SEND_ROOM_MODAL, values,
                                           private_metadata=view["private_metadata"])
    assert sent.response.content == b"", sent.response.text
    assert room_bot.card("C7").text.startswith("Huddle 3 is in the Microsoft Teams meeting.")
    [join] = third_party_joins(room_bot)
    assert join["json"]["params"]["join_url"] == TEAMS and room_bot.joins_sent() == []
    assert "hb9VA7oG" not in room_bot.slack.all_text() and HASHED not in room_bot.slack.all_text()


def test_a_teams_dial_in_line_alone_is_never_sent_as_a_zoom_meeting(room_bot: RoomBot) -> None:
    delivery = room_bot.room("join Boardroom Dial in by phone +1 567-249-1957,,400968124# Phone conference ID: "
                             "400 968 124#")
    assert room_bot.joins_sent() == [] and third_party_joins(room_bot) == []
    assert "Nothing was done" in room_bot.reply(delivery).params["text"]


def test_the_list_join_a_meeting_form_takes_a_meet_link(room_bot: RoomBot) -> None:
    delivery = room_bot.room("list")
    reply = room_bot.reply(delivery)
    actions = [b for b in reply.params["blocks"] if b["type"] == "actions"]
    room_bot.click_ephemeral(actions[0]["elements"][0]["value"], ActionId.JOIN_MEETING)  # Boardroom
    [opened] = room_bot.slack.wait_for(lambda: room_bot.slack.calls("views.open"), what="modal")
    values = {"meeting": {"meeting_input": {"type": "plain_text_input", "value": f"Join with Google Meet: {MEET}"}},
              "passcode": {"passcode_input": {"type": "plain_text_input", "value": None}}}
    sent = room_bot.client.view_submission(CallbackId.JOIN_MEETING_MODAL, values,
                                           private_metadata=opened.params["view"]["private_metadata"])
    assert sent.response.content == b"", sent.response.text
    assert room_bot.card().text.startswith("Boardroom is in the Google Meet meeting.")
    [join] = third_party_joins(room_bot)
    assert join["json"]["params"]["join_url"] == MEET


@pytest.mark.parametrize("link, words", [
    ("https://teams.microsoft.com.evil.example/meet/219137232612292?p=x", "teams.microsoft.com.evil.example"),
    ("https://meet.google.com@evil.example/abc-defg-hij", "behind an '@'"),
    ("https://acme.webex.com/meet/alice", "SIP"),
])
def test_look_alike_hosts_and_webex_links_are_refused_with_the_reason(room_bot: RoomBot, link: str,
                                                                       words: str) -> None:
    reply = room_bot.reply(room_bot.room(f"join Boardroom {link}")).params["text"]
    assert words in reply and "Nothing was done" in reply
    assert third_party_joins(room_bot) == [] and room_bot.joins_sent() == []
