"""The demo's Slack side: type commands and click buttons as people would, and print what Slack shows.

Every request goes through the real HTTP endpoint, signed like Slack signs it.  After each interaction
the new and edited messages are printed, each line prefixed with who can see it: ``#general |`` for the
channel, ``@alice (only you can see this) |`` for ephemerals.  Checks (``expect_*``) wait for an outcome,
then print a ✓ or ✗ line; a ✗ marks the step failed and the demo exits non-zero.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from bot.demo.environment import CHANNEL_ID, CHANNEL_NAME, USER_NAMES, DemoEnvironment
from bot.demo.render import message_lines
from bot.devtools.fake_slack import FakeMessage

PRIVATE_MARK = "(only you can see this)"
WAIT_SECONDS = 20.0  # generous: a dispatch takes about a second against the simulator
QUIET_SECONDS = 0.4  # no new Slack traffic for this long = the app has finished talking


class StepFailed(Exception):
    pass


@dataclass
class StepReport:
    title: str
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


class Conversation:
    def __init__(self, env: DemoEnvironment, out: TextIO) -> None:
        self.env = env
        self.out = out
        self.report = StepReport("setup")
        self._seen: dict[str, tuple[str, str]] = {}  # ts -> (text, blocks) as last printed
        self._acks_seen = 0
        self._pending_checks: list[tuple[bool, str]] = []  # printed by show(), after the messages
        self.channel_log: list[str] = []  # every channel line printed, for the passcode check

    # ----- output -------------------------------------------------------------------------------------
    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def narrate(self, *paragraphs: str) -> None:
        for paragraph in paragraphs:
            self.line(f"   {paragraph}")
        self.line()

    def ok(self, text: str) -> None:
        self.line(f"   ✓ {text}")

    def fail(self, text: str) -> None:
        self.line(f"   ✗ {text}")
        self.report.failures.append(text)

    # ----- acting -------------------------------------------------------------------------------------
    def say(self, user: str, text: str) -> None:
        """``user`` types a slash command in #general."""
        command, _, rest = text.partition(" ")
        self.line(f"   {USER_NAMES[user]} types:  {text}")
        assert self.env.client is not None
        delivery = self.env.client.slash(command, rest, user_id=user, channel_id=CHANNEL_ID)
        if delivery.status_code != 200:
            self.fail(f"the app answered HTTP {delivery.status_code} to {command}")

    def click(self, user: str, label: str, *, containing: str = "") -> bool:
        """``user`` clicks the newest button whose label contains ``label`` (on a message containing ``containing``)."""
        found = self._find_button(user, label, containing)
        if found is None:
            self.fail(f"no [{label}] button to click")
            return False
        message, button = found
        text = button["text"]["text"]
        self.line(f"   {USER_NAMES[user]} clicks [{text}]" + (" and confirms" if button.get("confirm") else ""))
        assert self.env.client is not None
        delivery = self.env.client.block_action(
            button["action_id"], button.get("value", ""), user_id=user, channel_id=message.channel,
            block_id=button.get("_block_id", "actions"), message_ts=message.ts, label=text,
            message={"text": message.text, "blocks": message.blocks}, is_ephemeral=message.ephemeral_to is not None)
        if delivery.status_code != 200:
            self.fail(f"the app answered HTTP {delivery.status_code} to the click")
        return True

    def _find_button(self, user: str, label: str, containing: str) -> tuple[FakeMessage, dict[str, Any]] | None:
        for message in reversed(self.visible_to(user)):
            if containing and containing.lower() not in self.text_of(message).lower():
                continue
            for block in message.blocks:
                elements = block.get("elements") or [] if block.get("type") == "actions" else []
                accessory = block.get("accessory")
                for element in [*elements, *([accessory] if isinstance(accessory, dict) else [])]:
                    if element.get("type") == "button" and label.lower() in element["text"]["text"].lower():
                        return message, {**element, "_block_id": block.get("block_id", "actions")}
        return None

    # ----- reading Slack ------------------------------------------------------------------------------
    def visible_to(self, user: str) -> list[FakeMessage]:
        return [m for m in self.env.slack.all_messages()
                if (m.channel == CHANNEL_ID and m.ephemeral_to in (None, user)) or m.channel in (user, f"D{user}")]

    def channel_messages(self) -> list[FakeMessage]:
        return [m for m in self.env.slack.all_messages() if m.channel == CHANNEL_ID and m.ephemeral_to is None]

    def private_to(self, user: str) -> list[FakeMessage]:
        return [m for m in self.visible_to(user) if m.ephemeral_to == user or m.channel != CHANNEL_ID]

    @staticmethod
    def text_of(message: FakeMessage) -> str:
        return "\n".join([message.text, *message_lines(message.text, message.blocks)])

    # ----- waiting and checking -----------------------------------------------------------------------
    def expect(self, description: str, condition: Callable[[], Any], *, timeout: float = WAIT_SECONDS) -> Any:
        """Wait until ``condition()`` is truthy; print ✓/✗ ``description``.  Returns the condition's value."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                self._pending_checks.append((True, description))
                return value
            if time.monotonic() >= deadline:
                self._pending_checks.append((False, f"{description} — not seen within {timeout:g} s"))
                return None
            time.sleep(0.05)

    def show(self) -> None:
        """Wait for Slack traffic to settle, then print new/edited messages and the checks made since last time."""
        self._settle()
        self._print_new_messages()
        for passed, description in self._pending_checks:
            (self.ok if passed else self.fail)(description)
        self._pending_checks = []
        self.line()

    def _settle(self) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        count, quiet_since = len(self.env.slack.calls()), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now_count = len(self.env.slack.calls())
            if now_count != count:
                count, quiet_since = now_count, time.monotonic()
            elif time.monotonic() - quiet_since >= QUIET_SECONDS:
                return

    def _print_new_messages(self) -> None:
        acks = self.env.slack.calls("ack")[self._acks_seen:]
        self._acks_seen += len(acks)
        for ack in acks:
            text = str(ack.params.get("text") or "")
            blocks = list(ack.params.get("blocks") or [])
            if text or blocks:
                public = ack.params.get("response_type") == "in_channel"
                self._print_message(f"#{CHANNEL_NAME}" if public else None, text, blocks, edited=False, user=None)
        for message in self.env.slack.all_messages():
            snapshot = (message.text, json.dumps(message.blocks, sort_keys=True))
            before = self._seen.get(message.ts)
            if before == snapshot:
                continue
            self._seen[message.ts] = snapshot
            public = message.channel == CHANNEL_ID and message.ephemeral_to is None
            where = f"#{CHANNEL_NAME}" if public else None
            user = message.ephemeral_to or (message.channel.lstrip("D") if not public else None)
            self._print_message(where, message.text, message.blocks, edited=before is not None, user=user)

    def _print_message(self, where: str | None, text: str, blocks: list[Any], *, edited: bool,
                       user: str | None) -> None:
        if where is not None:
            prefix = f"{where}{' (edited)' if edited else ''} |"
        else:
            name = USER_NAMES.get(user or "", "requester")
            prefix = f"@{name} {PRIVATE_MARK}{' (edited)' if edited else ''} |"
        for rendered in message_lines(text, blocks, USER_NAMES, {CHANNEL_ID: CHANNEL_NAME}):
            self.line(f"   {prefix} {rendered}")
            if where is not None:
                self.channel_log.append(rendered)
        self.line(f"   {prefix}")
