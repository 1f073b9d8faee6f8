"""Log hygiene: what users type never reaches a log, and what reaches a log cannot forge lines or carry a
``pwd=`` token — over real HTTP with signed requests, every `/room` subcommand and its refusals, every
logger at DEBUG.

The rule: logs carry reason codes (an error class, a short fixed code), room names and meeting numbers, never
text a user typed.  Replies may quote what the requester typed back to them alone (ephemerally); a channel
message never carries a passcode or a ``pwd=`` token.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.dispatch.service import DispatchPolicy
from bot.scheduling import install as install_scheduling
from bot.services import Services
from bot.slack.rooms import install as install_rooms
from tests.support.slack import (
    TEST_ADMIN,
    FakeSlackApi,
    SignedSlackClient,
    SlackAppServers,
    SlackCall,
    SlackDelivery,
    strings_in,
)
from tests.support.stack import Stack

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])

SEED = "w46!(i{74n"  # a Zoom-generated passcode a room cannot type
STATED = "Xk7_9ab"
PWD_TOKEN = "AbCdEfGh12"
MEETING = "85512345678"
LINK = f"https://zoom.us/j/{MEETING}?pwd={PWD_TOKEN}"
SECRETS = (SEED, STATED, PWD_TOKEN)
PWD = re.compile(r"pwd(?:=|%3D)(?!\[redacted\])[^&\s]+", re.IGNORECASE)
USER, HOST = "U1", "UHOST"
CHANNEL = "C1"
PROGRESS_PREFIX = ":hourglass_flowing_sand:"
POLICY = DispatchPolicy(watch_timeout=3.0, poll_interval=0.05, first_poll_delay=0.0)


@dataclass
class Bot:
    stack: Stack
    slack: FakeSlackApi
    client: SignedSlackClient

    def room(self, text: str, *, user: str = USER) -> SlackDelivery:
        delivery = self.client.slash("/room", text, user_id=user, channel_id=CHANNEL)
        assert delivery.status_code == 200, delivery.response.text
        return delivery

    def ask(self, text: str, *, user: str = USER, contains: str = "") -> str:
        """`/room <text>`; wait for the (first) reply through the response_url and return all its text."""
        delivery = self.room(text, user=user)
        reply = self.slack.wait_for(lambda: self.slack.responses(delivery.response_url), 15,
                                    what=f"reply to /room {text}")[0]
        said = "\n".join([str(reply.params.get("text", "")), *strings_in(reply.params.get("blocks") or [])])
        assert contains in said, said
        return said

    def dispatch(self, text: str, *, settled_prefix: str, user: str = USER) -> Any:
        """`/room <text>` that posts a card in the channel; wait until that card no longer shows progress."""
        before = len(self.slack.messages_in(CHANNEL))
        self.room(text, user=user)

        def card() -> Any:
            messages = self.slack.messages_in(CHANNEL)
            if len(messages) > before and not messages[before].text.startswith(PROGRESS_PREFIX):
                return messages[before]
            return None

        settled = self.slack.wait_for(card, 20, what=f"a settled card after /room {text}")
        assert settled.text.startswith(settled_prefix), settled.text
        return settled


@pytest.fixture
def bot(make_stack: Callable[..., Stack], slack_app_server: SlackAppServers, fake_slack: FakeSlackApi,
        slack_client: SignedSlackClient) -> Iterator[Bot]:
    fake_slack.add_user(HOST, name="hana", email="host@example.com")
    fake_slack.add_user(TEST_ADMIN, name="admin", email="admin@example.com")
    stack = make_stack(rooms_api="events", policy=POLICY)
    services = Services(zoom=stack.zoom, session_factory=stack.db.sessions, engine=stack.engine,
                        dispatcher=stack.async_dispatcher, meetings=stack.async_meetings,
                        secret_box=stack.async_dispatcher.trail.secret_box)
    install_rooms(services)
    install_scheduling(services)
    slack_app_server(services=services)
    stack.admin("POST", "/meetings", {"id": MEETING, "password": STATED})
    yield Bot(stack, fake_slack, slack_client)


def texts_of(record: logging.LogRecord) -> str:
    parts = [record.getMessage()]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


def logged_secrets(records: list[logging.LogRecord]) -> list[tuple[str, str, str]]:
    found = []
    for record in records:
        text = texts_of(record)
        for secret in SECRETS:
            if secret in text:
                found.append((record.name, secret, text[:300]))
        if PWD.search(text):
            found.append((record.name, "pwd=", text[:300]))
    return found


def strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings(item)]
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in strings(item)]
    return []


def public(call: SlackCall) -> bool:
    """Could people other than the requester see what this call sent?"""
    if call.method in ("chat.postEphemeral", "ack", "views.open", "views.update", "views.push", "views.publish"):
        return False
    if call.method == "response_url":
        return call.params.get("response_type") == "in_channel"
    return True


def test_every_subcommand_and_refusal_keeps_secrets_out_of_logs(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    # -- the shell: help, unknown words, admin-only refusals ------------------------------------------
    bot.ask(f"help {STATED}")
    bot.ask(STATED)  # not a subcommand: "did you mean"
    bot.ask(f"sync {STATED}", contains="admin")  # not an admin
    bot.ask(f"list {SEED}")

    # -- join: usage, unknown room (the passcode as the room name), bad links, then real joins -----------
    bot.ask(f"join {STATED}")
    bot.ask(f"join {SEED} {MEETING} {STATED}")
    bot.ask(f"join {STATED} {LINK}")
    bot.ask(f"join Boardroom https://example.com/j/{MEETING}?pwd={PWD_TOKEN}")
    bot.ask(f"join Boardroom https://zoom.us/my/{STATED}?pwd={PWD_TOKEN}")
    bot.dispatch(f"join Boardroom {MEETING} {STATED}", settled_prefix="Boardroom is in meeting")
    bot.dispatch("leave Boardroom", settled_prefix="Boardroom is leaving")
    bot.dispatch(f"join Boardroom {LINK} {STATED}", settled_prefix="Boardroom is in meeting")
    bot.dispatch("leave Boardroom", settled_prefix="Boardroom is leaving")
    # a wrong passcode the room cannot type: the room sits on the passcode prompt and is cleared
    bot.dispatch(f"join Huddle 3 {MEETING} {SEED}", settled_prefix="")

    # -- new / leave / status ----------------------------------------------------------------------------
    bot.ask(f"new {SEED}")
    bot.ask(f"new {SEED} Planning {STATED}")
    bot.ask(f"leave {SEED}")
    bot.ask(f"leave {STATED} {PWD_TOKEN}")
    bot.ask(f"status {SEED}")
    bot.ask(f"status {LINK}")
    bot.ask("status Boardroom")

    # -- bookings ------------------------------------------------------------------------------------------
    bot.ask(f"book Boardroom tomorrow 9am {MEETING} {STATED} for -1h {STATED}")
    bot.ask(f"book Boardroom tomorrow 9am {LINK} for {SEED}")
    bot.ask(f"book Boardroom tomorrow 9am {MEETING} {STATED} every {SEED}")
    bot.ask(f"book Boardroom {SEED} {MEETING} {STATED}")
    bot.ask(f"book {SEED} tomorrow 9am {MEETING} {STATED}")
    bot.ask(f"book Boardroom tomorrow 9am https://example.com/j/1?pwd={PWD_TOKEN}")
    bot.ask(f"book Boardroom tomorrow 9am {LINK} {STATED} for 30m", contains="Booked")
    bot.ask(f"bookings {SEED}")
    bot.ask(f"bookings {STATED}?pwd={PWD_TOKEN}")
    bot.ask("bookings mine")
    bot.ask(f"cancel {SEED}")
    bot.ask(f"cancel 999 {STATED}")

    # -- admin ---------------------------------------------------------------------------------------------
    bot.ask(f"sync {STATED}", user=TEST_ADMIN)
    bot.ask("add Boardroom", user=TEST_ADMIN)
    # the last word is a Zoom room id, which goes into Zoom's URL (and so the access log): not a secret
    bot.ask(f"add {SEED} {STATED} NoSuchZoomRoomId", user=TEST_ADMIN, contains="NoSuchZoomRoomId")
    bot.ask(f"alias {SEED} {STATED}", user=TEST_ADMIN)
    bot.ask(f"alias {STATED}", user=TEST_ADMIN)
    bot.ask(f"remove {SEED}", user=TEST_ADMIN)
    bot.ask(f"allow {SEED} <#C1>", user=TEST_ADMIN)
    bot.ask(f"allow {SEED}", user=TEST_ADMIN)
    bot.ask(f"allow Boardroom {STATED}", user=TEST_ADMIN)
    bot.ask(f"audit {SEED}", user=TEST_ADMIN)
    bot.ask("audit", user=TEST_ADMIN)
    time.sleep(0.3)  # late log lines (progress edits, audit rows) of the last dispatches

    assert any(r.name.startswith("slack_sdk") and r.levelno == logging.DEBUG for r in caplog.records)
    leaks = logged_secrets(caplog.records)
    assert leaks == [], "\n".join(map(str, leaks))

    calls = bot.slack.calls()
    for call in calls:
        sent = "\n".join(strings(call.params))
        import sys
        for secret in (*SECRETS, "pwd="):
            if secret in sent:
                print("ECHO", call.method, call.params.get("response_type"), public(call), secret, "|", sent[:160].replace("\n", " / "), file=sys.stderr)
        if public(call):
            for secret in SECRETS:
                assert secret not in sent, f"{secret!r} reached the channel in {call.method}: {sent[:300]}"
