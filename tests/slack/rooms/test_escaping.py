"""Slack's text escaping, over real HTTP: `&`, `<`, `>` arrive in slash-command text as `&amp;`, `&lt;`, `&gt;`.

They are decoded once on the way in (so a Zoom Room called `R&D` can be used by name in every subcommand, and a
topic reaches Zoom as typed) and escaped once on the way out (so people see `R&D`, never `&amp;amp;`, and a room
called `Lab <!channel>` mentions nobody).  Slack's own markup in the text — `<https://…|label>` links and
`<#C…|name>` mentions — is still understood.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.services import Services
from bot.slack.ids import ActionId
from bot.slack.subcommands import SubcommandRequest
from bot.store import rooms as room_store
from bot.store.db import session_scope
from bot.store.types import AccessPrincipal
from tests.slack.rooms.conftest import EXTERNAL_ID, RoomBot, block_text
from tests.slack.rooms.suggest import mrkdwn_texts, text_objects
from tests.support.slack import TEST_ADMIN

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])
PASSCODE = "Xk7_9ab"
ROOMS = [
    {"id": "ZidRnD0000aaaaaaaaaaaa", "room_id": "RidRnD0000bbbbbbbbbbbb", "name": "R&D", "status": "Available"},
    {"id": "ZidLab0000aaaaaaaaaaaa", "room_id": "RidLab0000bbbbbbbbbbbb", "name": "Lab <!channel>",
     "status": "InMeeting", "meeting_number": "81234567890"},
    {"id": "ZidBrd0000aaaaaaaaaaaa", "room_id": "RidBrd0000bbbbbbbbbbbb", "name": "Boardroom", "status": "Available"},
]


def slack_escaped(text: str) -> str:
    """What Slack sends for ``text`` typed in a slash command."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.fixture
def bot(make_room_bot: Any) -> RoomBot:
    made = make_room_bot(rooms=ROOMS)
    made.stack.admin("POST", "/meetings", {"id": EXTERNAL_ID, "password": PASSCODE})
    return made


def said(bot: RoomBot, text: str, *, user: str = "U1") -> Any:
    return bot.reply(bot.room(text, user=user))


def everything(params: dict[str, Any]) -> str:
    return params["text"] + " " + str(params.get("blocks"))


def no_live_mentions(message: dict[str, Any]) -> None:
    """No mrkdwn Slack reads (blocks or the fallback text) holds a raw mention; plain_text is shown as is."""
    for text in mrkdwn_texts(message):
        assert "<!channel>" not in text and "&amp;amp;" not in text and "&amp;lt;" not in text, text


def test_a_room_called_r_and_d_is_found_by_name(bot: RoomBot) -> None:
    status = said(bot, slack_escaped("status R&D")).params
    assert "There is no room" not in status["text"]
    assert "*R&amp;D*: :large_green_circle: Available" in str(status["blocks"])  # escaped once: shows “R&D”

    link = f"https://zoom.us/j/{EXTERNAL_ID}?from=addon&uname=ada"  # Slack sends a link as <url|label>, escaped
    bot.room(f"join R&amp;D <{slack_escaped(link)}|{slack_escaped(link)}> {PASSCODE}")
    card = bot.card()
    assert card.text.startswith("R&amp;D is in meeting 855 1234 5678.") and "&amp;amp;" not in block_text(card)
    assert bot.stack.sim_room("R&D")["meeting_number"] == EXTERNAL_ID

    bot.room(slack_escaped("leave R&D"))
    assert bot.card(count=2).text.startswith("R&amp;D is leaving its meeting.")
    assert bot.stack.sim_room("R&D")["status"] == "Available"


def test_a_topic_reaches_zoom_as_typed_and_is_shown_escaped_once(bot: RoomBot) -> None:
    bot.room(slack_escaped("new R&D Q&A <draft>"))
    card = bot.card()
    assert card.text.startswith("R&amp;D is in meeting"), card.text
    [created] = bot.stack.zoom_requests("/meetings", "POST")
    assert created["json"]["topic"] == "Q&A <draft>"
    assert "&amp;amp;" not in block_text(card) and "&amp;lt;" not in block_text(card)


def test_unknown_names_are_quoted_back_escaped_once(bot: RoomBot) -> None:
    reply = said(bot, slack_escaped("status X&Y <z>")).params
    assert "There is no room called “X&amp;Y &lt;z&gt;”" in reply["text"]
    no_live_mentions(reply)


def test_admin_subcommands_take_names_with_ampersands(bot: RoomBot) -> None:
    alias = said(bot, slack_escaped("alias R&D r&d lab"), user=TEST_ADMIN).params
    assert "*R&amp;D* can now also be called *r&amp;d lab*" in everything(alias)
    with session_scope(bot.stack.db.sessions) as session:
        assert [a.alias for a in room_store.find_room(session, "R&D").aliases] == ["r&d lab"]
    assert bot.stack.sim_room("R&D")["status"] == "Available"
    # Slack's channel mention (real angle brackets) is still read as a mention next to the decoded name.
    allowed = said(bot, "allow R&amp;D <#C0EXEC|exec>", user=TEST_ADMIN).params
    assert "may now use *R&amp;D*" in everything(allowed), everything(allowed)
    with session_scope(bot.stack.db.sessions) as session:
        rules = room_store.find_room(session, "R&D").access_rules
        assert [(r.principal_kind, r.principal_id) for r in rules] == [(AccessPrincipal.CHANNEL, "C0EXEC")]
    removed = said(bot, slack_escaped("remove r&d lab"), user=TEST_ADMIN).params
    assert "Removed *R&amp;D*" in everything(removed)
    with session_scope(bot.stack.db.sessions) as session:
        assert room_store.find_room(session, "R&D") is None


def test_a_room_named_like_a_mention_pings_nobody(bot: RoomBot) -> None:
    listing = said(bot, "list").params
    no_live_mentions(listing)
    assert "Lab &lt;!channel&gt;" in listing["text"] and "*Lab &lt;!channel&gt;* — :red_circle:" in str(
        listing["blocks"])
    leave = next(e for b in listing["blocks"] if b["type"] == "actions" for e in b["elements"]
                 if e["action_id"] == ActionId.LEAVE)
    assert leave["confirm"]["text"] == {"type": "plain_text", "text": "Lab <!channel> will leave its current meeting.",
                                        "emoji": False}

    status = said(bot, slack_escaped("status Lab <!channel>")).params  # typed name with angle brackets
    assert "There is no room" not in status["text"]
    no_live_mentions(status)
    assert all(t["type"] == "plain_text" for b in status["blocks"] if b["type"] == "actions"
               for e in b["elements"] for t in text_objects(e.get("confirm")))

    bot.client.app_home_opened("U1")
    home = bot.slack.wait_for(lambda: bot.slack.home_views.get("U1"), 20, what="home tab")
    no_live_mentions({"blocks": home["blocks"]})
    assert "*Lab &lt;!channel&gt;*" in str(home["blocks"])


def test_handlers_get_the_text_as_typed_with_slacks_markup_intact(slack_app_server: Any, slack_client: Any,
                                                                 db_backend: str) -> None:
    seen: list[SubcommandRequest] = []
    services = Services()
    services.subcommands.register("join", seen.append)
    slack_app_server(services=services)
    sent = ("join R&amp;D &lt;b&gt; <https://zoom.us/j/81234567890?a=1&amp;pwd=x|zoom.us/j/81234567890> "
            "<#C1|ops> <@U2> <!subteam^S1|@design> &amp;lt;")
    delivery = slack_client.slash("/room", sent)
    assert delivery.status_code == 200
    slack_client.fake.wait_for(lambda: seen, what="the handler")
    assert seen[0].args == ("R&D <b> <https://zoom.us/j/81234567890?a=1&pwd=x|zoom.us/j/81234567890> <#C1|ops> <@U2> "
                            "<!subteam^S1|@design> &lt;")
    assert seen[0].payload["text"] == sent  # the raw payload is still there, untouched
