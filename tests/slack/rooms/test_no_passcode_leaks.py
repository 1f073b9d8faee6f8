"""A mix of scenarios, then a scan of everything Slack received and everything logged for every passcode used.

The rule (SPEC §5): a passcode is never posted in a channel or written to a log; only the requester sees it,
ephemerally.  So each passcode may appear in exactly one kind of call — ``chat.postEphemeral`` addressed to
the person who created or repaired the meeting — and nowhere else: not in channel posts or edits, not in
response_url posts (in_channel or not), acks, modals, button values or private_metadata, and not in any log
record at DEBUG level from any logger (slack_sdk prints request bodies at DEBUG).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from bot.slack.ids import ActionId, CallbackId
from tests.slack.rooms.conftest import EXTERNAL_ID, HOST_USER, RoomBot, button
from tests.support.slack import SlackCall, strings_in

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])

STATED = "Xk7_9ab"  # typed after the meeting id
TYPED_IN_MODAL = "Mn8_2pq"
IN_SHARED_MESSAGE = "Qr5_6st"
SEED = "w46!(i{74n"  # Zoom-generated, Rooms-incompatible
SECOND_ID, THIRD_ID = "85598765432", "85511112222"


def leaks(calls: list[SlackCall], secret: str, allowed_user: str | None) -> list[str]:
    found = []
    for call in calls:
        if call.method == "chat.postEphemeral" and allowed_user and call.params.get("user") == allowed_user:
            continue
        if any(secret in text for text in strings_in(call.params)):
            found.append(call.method)
    return found


def wait_first_card(bot: RoomBot, index: int, prefix: str) -> None:
    bot.slack.wait_for(lambda: len(bot.slack.messages_in("C1")) > index
                       and bot.slack.messages_in("C1")[index].text.startswith(prefix), 15, what=prefix)


def test_no_passcode_reaches_a_channel_or_a_log(make_room_bot: Callable[..., RoomBot],
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bot = make_room_bot(rooms_api="jsonrpc")
    for meeting_id, password in ((EXTERNAL_ID, STATED), (SECOND_ID, TYPED_IN_MODAL), (THIRD_ID, IN_SHARED_MESSAGE)):
        bot.stack.admin("POST", "/meetings", {"id": meeting_id, "password": password})

    # 1. a stated passcode; 2. a busy room, Join anyway reusing the remembered passcode
    bot.room(f"join Boardroom {EXTERNAL_ID} {STATED}")
    wait_first_card(bot, 0, "Boardroom is in meeting")
    bot.room(f"join Training Room {EXTERNAL_ID} {STATED}")
    busy = bot.card(count=2)
    bot.click(busy, ActionId.JOIN_ANYWAY)
    wait_first_card(bot, 1, "Training Room is in meeting")

    # 3. a pwd link whose passcode the requester types into the modal
    bot.room(f"join Huddle 3 https://zoom.us/j/{SECOND_ID}?pwd=c2VjcmV0LXRva2Vu.1")
    needs = bot.card(count=3)
    bot.click(needs, ActionId.ENTER_PASSCODE)
    opened = bot.slack.wait_for(lambda: bot.slack.calls("views.open"), what="modal")[-1]
    bot.client.view_submission(CallbackId.PASSCODE_MODAL,
                               {"passcode": {"passcode_input": {"type": "plain_text_input", "value": TYPED_IN_MODAL}}},
                               private_metadata=opened.params["view"]["private_metadata"])
    wait_first_card(bot, 2, "Huddle 3 is in meeting")

    # 4. a generated passcode (/room new)
    bot.room("leave Boardroom")
    bot.card(count=4)
    bot.room("new Boardroom Planning")
    wait_first_card(bot, 4, "Boardroom is in meeting")
    generated = bot.stack.admin("GET", f"/meetings/{bot.stack.sim_room('Boardroom')['meeting_number']}")["password"]
    bot.ephemeral_to("U1", contains=generated)

    # 5. the seed passcode on the legacy API, repaired by the host
    seed_meeting = str(bot.stack.zoom.create_meeting(None, {"topic": "Seed", "type": 2, "password": SEED}).id)
    bot.room("leave Huddle 3")
    bot.card(count=6)
    bot.room(f"join Huddle 3 {seed_meeting}", user=HOST_USER)
    incompatible = bot.card(count=7)
    assert SEED not in button(incompatible, ActionId.REPAIR_PASSCODE)["value"]
    bot.click(incompatible, ActionId.REPAIR_PASSCODE, user=HOST_USER)
    wait_first_card(bot, 6, "Huddle 3 is in meeting")
    repaired = bot.stack.admin("GET", f"/meetings/{seed_meeting}")["password"]
    bot.ephemeral_to(HOST_USER, contains=repaired)

    # 6. the message shortcut on an invitation that states its passcode
    bot.room("leave Training Room")
    bot.card(count=8)
    invitation = (f"Join Zoom Meeting\nhttps://zoom.us/j/{THIRD_ID}\nMeeting ID: 855 1111 2222\n"
                  f"Passcode: {IN_SHARED_MESSAGE}")
    bot.client.message_shortcut(CallbackId.SEND_ROOM_SHORTCUT, invitation)
    filled = bot.slack.wait_for(lambda: bot.slack.calls("views.update"), what="rooms modal")[-1].params["view"]
    training = next(o for o in next(b for b in filled["blocks"] if b.get("block_id") == "room")["element"]["options"]
                    if o["text"]["text"] == "Training Room")
    bot.client.view_submission(CallbackId.SEND_ROOM_MODAL,
                               {"room": {"room_select": {"type": "static_select", "selected_option": training}}},
                               private_metadata=filled["private_metadata"])
    wait_first_card(bot, 8, "Training Room is in meeting")

    sent = {(r["json"]["params"] or {}).get("password") for r in bot.joins_sent()}
    assert {STATED, TYPED_IN_MODAL, generated, repaired, IN_SHARED_MESSAGE} <= sent  # every passcode was used

    calls = bot.slack.calls()
    allowed = {STATED: None, TYPED_IN_MODAL: None, IN_SHARED_MESSAGE: None, SEED: None,
               generated: "U1", repaired: HOST_USER}
    for secret, user in allowed.items():
        assert leaks(calls, secret, user) == [], f"passcode {secret!r} reached Slack outside an ephemeral"
    logged = caplog.text + "\n".join(record.getMessage() for record in caplog.records)
    assert any(record.name.startswith("slack_sdk") and record.levelno == logging.DEBUG for record in caplog.records)
    assert "[passcode redacted]" in logged  # slack_sdk did try to log the ephemeral's body, without the passcode
    for secret in allowed:
        assert secret not in logged, f"passcode {secret!r} was logged"
