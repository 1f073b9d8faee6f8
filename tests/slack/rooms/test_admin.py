"""Admin subcommands: sync, add, alias, remove, allow, audit — and the refusal for everyone else."""

from __future__ import annotations

import pytest

from bot.store import rooms as room_store
from bot.store.db import session_scope
from tests.slack.rooms.conftest import EXTERNAL_ID, RoomBot
from tests.support.stack import SHORT_WATCH

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])
ADMIN = "UADMIN"


def admin(bot: RoomBot, text: str) -> str:
    reply = bot.reply(bot.room(text, user=ADMIN))
    assert reply.params["response_type"] == "ephemeral"
    return reply.params["text"] + str(reply.params.get("blocks"))


@pytest.mark.parametrize("text", ["sync", "add X Y", "alias Boardroom br", "remove Boardroom",
                                  "allow Boardroom everyone", "audit"])
def test_admin_commands_are_refused_to_others(room_bot: RoomBot, text: str) -> None:
    reply = room_bot.reply(room_bot.room(text, user="U1"))
    assert "is for roombot admins" in reply.params["text"]


def test_sync_reports_added_and_unchanged(room_bot: RoomBot) -> None:
    with session_scope(room_bot.stack.db.sessions) as session:
        room_store.remove_room(session, room_store.resolve_room(session, "Huddle 3"))
    answer = admin(room_bot, "sync")
    assert "Synced 4 rooms from Zoom." in answer and "Added (1): Huddle 3" in answer and "Unchanged (3)" in answer


def test_add_checks_zoom_first_and_accepts_either_zoom_id(room_bot: RoomBot) -> None:
    assert "Zoom has no room with the id `NoSuchRoom`" in admin(room_bot, "add Ghost NoSuchRoom")
    assert "already known as 'Boardroom'" in admin(room_bot, "add Board Two qMOLddnySIGGVycz8aX_JQ")
    assert "Nothing was changed." in admin(room_bot, "add Board Two qMOLddnySIGGVycz8aX_JQ")
    assert "Usage: `/room add <name> <zoom room id>`" in admin(room_bot, "add Lonely")
    with session_scope(room_bot.stack.db.sessions) as session:
        room_store.remove_room(session, room_store.resolve_room(session, "Huddle 3"))
    answer = admin(room_bot, "add Huddle Three Zr2hUdDlE3iDbBbBbBbBbB")  # Zoom's `id`, not `room_id`
    assert "Added *Huddle Three* (Zoom room `63UtYMhSQZaBRPCNRXrD8A`)" in answer
    status = room_bot.reply(room_bot.room("status huddle three"))
    assert status.params["text"].startswith("Huddle Three: Available")


def test_alias_then_use_it(room_bot: RoomBot) -> None:
    assert "*Boardroom* can now also be called *br*." in admin(room_bot, "alias Boardroom br")
    assert "already used by room 'Boardroom'" in admin(room_bot, "alias Huddle 3 br")
    assert room_bot.reply(room_bot.room("status BR")).params["text"].startswith("Boardroom: Available")
    assert "Did you mean" in admin(room_bot, "alias Bordroom big")


def test_remove(room_bot: RoomBot) -> None:
    assert "Removed *Huddle 3*" in admin(room_bot, "remove huddle 3")
    assert "No room called 'huddle 3'" in admin(room_bot, "remove huddle 3")


def test_allow_parses_slack_mentions_and_restricts_the_room(room_bot: RoomBot) -> None:
    assert "has no access rules" in admin(room_bot, "allow Boardroom")
    assert "<#C_EXEC> may now use *Boardroom*" in admin(room_bot, "allow Boardroom <#C_EXEC|exec>")
    assert "group `@design` may now use *Boardroom*" in admin(room_bot, "allow Boardroom <!subteam^S0DESIGN|@design>")
    assert "<@U2> may now use *Boardroom*" in admin(room_bot, "allow Boardroom <@U2|bob>")
    assert "could already use" in admin(room_bot, "allow Boardroom <@U2>")
    rules = admin(room_bot, "allow boardroom")
    assert "<#C_EXEC>" in rules and "group S0DESIGN" in rules and "<@U2>" in rules

    refused = room_bot.reply(room_bot.room(f"join Boardroom {EXTERNAL_ID} Xk7_9ab", user="U1", channel="C1"))
    assert "Boardroom is not available to you here" in refused.params["text"]
    assert room_bot.slack.messages_in("C1") == [] and room_bot.joins_sent() == []

    assert "may no longer use" in admin(room_bot, "allow Boardroom <@U2> off")
    assert "Pick the channel, group or person" in admin(room_bot, "allow Boardroom #exec")


def test_a_group_rule_lets_its_members_send_the_room_and_only_them(room_bot: RoomBot) -> None:
    room_bot.slack.add_usergroup("S0DESIGN", "design", ["U2"])  # read over HTTP with usergroups.list
    admin(room_bot, "allow Boardroom <!subteam^S0DESIGN|@design>")
    room_bot.stack.admin("POST", "/meetings", {"id": EXTERNAL_ID, "password": "Xk7_9ab"})
    refused = room_bot.reply(room_bot.room(f"join Boardroom {EXTERNAL_ID} Xk7_9ab", user="U1"))
    assert "Boardroom is not available to you here" in refused.params["text"]
    room_bot.room(f"join Boardroom {EXTERNAL_ID} Xk7_9ab", user="U2")
    room_bot.slack.wait_for(lambda: room_bot.slack.messages_in("C1")
                            and room_bot.slack.messages_in("C1")[0].text.startswith("Boardroom is in meeting"),
                            15, what="the group member's join")
    assert len(room_bot.joins_sent()) == 1


def test_audit_shows_zoom_codes_and_never_passcodes(make_room_bot) -> None:
    room_bot = make_room_bot(policy=SHORT_WATCH)  # the room will sit on a passcode prompt
    room_bot.stack.admin("POST", "/meetings", {"id": EXTERNAL_ID, "password": "Right_1"})
    room_bot.room(f"join Boardroom {EXTERNAL_ID} Wrong_77")  # the room sits on the prompt, then is cleared
    room_bot.card()
    room_bot.reply(room_bot.room(f"join bordroom {EXTERNAL_ID}"))
    answer = admin(room_bot, "audit")
    assert "*Boardroom* join → meeting 855 1234 5678 by <@U1> in <#C1> via command — *failed* (passcode sent)" \
        in answer
    assert "join HTTP 202" in answer and "leave" in answer
    assert "*bordroom* join by <@U1> in <#C1> via command — *refused*" in answer
    assert "Wrong_77" not in room_bot.slack.all_text()
    assert "*Boardroom*" in admin(room_bot, "audit boardroom")
    assert "bordroom" not in admin(room_bot, "audit boardroom")
