"""The rooms surface end to end: real Bolt app over loopback HTTP, signed requests, FakeSlackApi, the Zoom
simulator and a migrated database.  ``room_bot`` (or ``make_room_bot(rooms_api=...)``) wires them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.services import Services
from bot.slack.rooms import RoomsFeature, install
from tests.support.slack import FakeSlackApi, SignedSlackClient, SlackAppServers, SlackDelivery, strings_in
from tests.support.stack import Stack

PROGRESS_PREFIX = ":hourglass_flowing_sand:"
EXTERNAL_ID = "85512345678"  # a meeting on someone else's account
HOST_USER = "UHOST"  # the simulator's host user, host@example.com


@dataclass
class RoomBot:
    stack: Stack
    services: Services
    feature: RoomsFeature
    slack: FakeSlackApi
    client: SignedSlackClient

    # -- sending ------------------------------------------------------------------------------------------
    def room(self, text: str, *, user: str = "U1", channel: str = "C1") -> SlackDelivery:
        delivery = self.client.slash("/room", text, user_id=user, channel_id=channel)
        assert delivery.status_code == 200, delivery.response.text
        return delivery

    def click(self, message: Any, action_id: str, *, user: str = "U1", value: str | None = None) -> SlackDelivery:
        """Click a button on a channel message (FakeMessage objects change in place when the message is edited,
        so pass ``value`` read beforehand to click a button that is no longer shown, as a double click does)."""
        value = value if value is not None else button(message, action_id)["value"]
        delivery = self.client.block_action(action_id, value, user_id=user, channel_id=message.channel,
                                            message_ts=message.ts)
        assert delivery.status_code == 200
        return delivery

    def click_ephemeral(self, value: str, action_id: str, *, user: str = "U1", channel: str = "C1") -> SlackDelivery:
        """A click on an ephemeral message (e.g. /room list): Slack marks the container is_ephemeral."""
        ts = "1700000000.999999"
        response_url = self.slack.new_response_url(channel_id=channel, user_id=user)
        payload = {
            "type": "block_actions", "user": {"id": user, "username": user.lower(), "team_id": "T0TEST"},
            "team": {"id": "T0TEST", "domain": "roombot-test"}, "api_app_id": "A0TEST",
            "token": "deprecated-verification-token", "trigger_id": self.slack.new_trigger_id(),
            "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value,
                         "action_ts": ts}],
            "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": True},
            "channel": {"id": channel, "name": "general"}, "response_url": response_url,
            "is_enterprise_install": False, "enterprise": None,
        }
        response = self.client.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
        assert response.status_code == 200
        return SlackDelivery(response, payload, response_url)

    # -- waiting ------------------------------------------------------------------------------------------
    def settled(self, channel: str = "C1", count: int = 1, timeout: float = 15.0) -> list[Any]:
        """Wait until ``channel`` holds ``count`` visible messages and none is still in progress."""
        def done() -> list[Any] | None:
            messages = self.slack.messages_in(channel)
            if len(messages) >= count and not any(m.text.startswith(PROGRESS_PREFIX) for m in messages):
                return messages
            return None
        return self.slack.wait_for(done, timeout, what=f"{count} settled message(s) in {channel}")

    def card(self, channel: str = "C1", count: int = 1) -> Any:
        return self.settled(channel, count)[-1]

    def reply(self, delivery: SlackDelivery, timeout: float = 10.0) -> Any:
        """The (first) response_url post for a command or click."""
        return self.slack.wait_for(lambda: self.slack.responses(delivery.response_url), timeout,
                                   what="response_url reply")[0]

    def ephemeral_to(self, user: str, contains: str = "", timeout: float = 10.0) -> Any:
        return self.slack.wait_for(
            lambda: [m for m in self.slack.ephemerals(user) if contains in m.text], timeout,
            what=f"ephemeral to {user} containing {contains!r}")[-1]

    def joins_sent(self) -> list[dict[str, Any]]:
        events = [r for r in self.stack.zoom_requests("/events", "PATCH")
                  if r["json"]["method"] == "zoomroom.meeting_join"]
        legacy = [r for r in self.stack.zoom_requests("/meetings", "POST") if r["path"].startswith("/v2/rooms/")
                  and r["json"].get("method") == "join"]
        return events + legacy


def button(message: Any, action_id: str) -> dict[str, Any]:
    for block in message.blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button in {message.text!r}")


def button_ids(message: Any) -> list[str]:
    return [e["action_id"] for b in message.blocks if b.get("type") == "actions" for e in b.get("elements", [])]


def block_text(message: Any) -> str:
    return "\n".join([message.text, *strings_in(message.blocks)])


@pytest.fixture
def make_room_bot(make_stack: Callable[..., Stack], slack_app_server: SlackAppServers, fake_slack: FakeSlackApi,
                  slack_client: SignedSlackClient) -> Iterator[Callable[..., RoomBot]]:
    fake_slack.add_user(HOST_USER, name="hana", email="host@example.com")

    def factory(**stack_options: Any) -> RoomBot:
        stack = make_stack(**stack_options)
        services = Services(zoom=stack.zoom, session_factory=stack.db.sessions, engine=stack.engine,
                            dispatcher=stack.async_dispatcher, meetings=stack.async_meetings,
                            secret_box=stack.async_dispatcher.trail.secret_box)
        feature = install(services)
        slack_app_server(services=services)
        return RoomBot(stack, services, feature, fake_slack, slack_client)

    yield factory


@pytest.fixture
def room_bot(make_room_bot: Callable[..., RoomBot]) -> RoomBot:
    return make_room_bot()
