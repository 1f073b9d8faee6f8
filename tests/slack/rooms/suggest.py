"""Helpers for tests of room pickers and big room lists: simulated rooms, Slack's ``block_suggestion``
request (an external_select's type-ahead, answered in the HTTP response), and Block Kit limit checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from bot.devtools.fake_slack import TEAM_ID
from bot.devtools.slack_signing import SignedSlackClient
from bot.slack.ids import ActionId, BlockId

MESSAGE_BLOCKS, VIEW_BLOCKS = 50, 100
SECTION_TEXT, OPTION_TEXT, OPTION_VALUE, BUTTON_VALUE, STATIC_OPTIONS = 3000, 75, 150, 2000, 100


def sim_rooms(count: int, *, name: str = "Room {:04d}", in_meeting_every: int = 7) -> list[dict[str, Any]]:
    """``count`` Zoom Rooms for the simulator (``make_room_bot(rooms=...)``); every ``in_meeting_every``-th is in
    a meeting."""
    return [{"id": f"Zid{i:05d}aaaaaaaaaaaaaa", "room_id": f"Rid{i:05d}bbbbbbbbbbbbbb", "name": name.format(i),
             "status": "InMeeting" if i % in_meeting_every == 3 else "Available",
             **({"meeting_number": "81234567890"} if i % in_meeting_every == 3 else {})}
            for i in range(count)]


def suggest(client: SignedSlackClient, callback_id: str, value: str, *, user_id: str = "U1",
            action_id: str = ActionId.ROOM_SELECT, block_id: str = BlockId.ROOM) -> dict[str, Any]:
    """What Slack sends while someone types ``value`` into an external_select of the open modal ``callback_id``;
    returns the app's answer (the options), which Slack needs within 3 seconds, in the HTTP response."""
    payload = {
        "type": "block_suggestion", "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
        "container": {"type": "view", "view_id": "V0SUGGEST"}, "api_app_id": "A0TEST",
        "token": "deprecated-verification-token", "action_id": action_id, "block_id": block_id, "value": value,
        "team": {"id": TEAM_ID, "domain": "roombot-test"}, "enterprise": None, "is_enterprise_install": False,
        "view": {"id": "V0SUGGEST", "team_id": TEAM_ID, "type": "modal", "callback_id": callback_id,
                 "private_metadata": "", "blocks": [], "state": {"values": {}}, "hash": "1.2"},
    }
    response = client.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
    assert response.status_code == 200, response.text
    return response.json()


def answered_options(answer: dict[str, Any]) -> list[dict[str, Any]]:
    if "option_groups" in answer:
        return [option for group in answer["option_groups"] for option in group["options"]]
    return answer["options"]


def text_objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every Block Kit text object (``{"type": "mrkdwn" | "plain_text", "text": ...}``) inside ``value``."""
    if isinstance(value, dict):
        if value.get("type") in ("mrkdwn", "plain_text") and isinstance(value.get("text"), str):
            yield value
        for item in value.values():
            yield from text_objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from text_objects(item)


def mrkdwn_texts(message: dict[str, Any]) -> list[str]:
    """The strings Slack reads as mrkdwn: a message's fallback ``text`` and every mrkdwn text object."""
    texts = [message["text"]] if isinstance(message.get("text"), str) else []
    return texts + [t["text"] for t in text_objects(message.get("blocks") or []) if t["type"] == "mrkdwn"]


def check_limits(blocks: list[dict[str, Any]], *, max_blocks: int) -> None:
    """Slack's limits on what the builders produce (slack_sdk checks some of these, not all)."""
    assert len(blocks) <= max_blocks, f"{len(blocks)} blocks"
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_TEXT
        for element in [*block.get("elements", []), *([block["element"]] if "element" in block else [])]:
            if element.get("type") == "button":
                assert len(element.get("value", "")) <= BUTTON_VALUE
            if element.get("type") == "static_select":
                assert len(element["options"]) <= STATIC_OPTIONS
                check_options(element["options"])


def check_options(options: list[dict[str, Any]]) -> None:
    assert len(options) <= STATIC_OPTIONS
    for option in options:
        assert option["text"]["type"] == "plain_text"
        assert 1 <= len(option["text"]["text"]) <= OPTION_TEXT and 1 <= len(option["value"]) <= OPTION_VALUE
