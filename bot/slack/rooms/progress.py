"""The one channel message a dispatch posts and then edits: "⏳ Sending…" → "Zoom accepted…" → result card.

Slack rate-limits posting to about one message per second per channel, and a channel full of "sending…"
messages is noise, so a dispatch owns exactly one message and edits it with ``chat.update``.  When the bot
cannot post in the channel (not invited, a DM with someone else), the result reaches the requester privately
(through the command's ``response_url``, ephemerally, or a direct message) with a note saying how to get it
into the channel.  Never ``in_channel`` there: Slack then shows the original command text to the channel,
and that text can hold a passcode.  Nothing here ever handles a passcode except ``deliver_privately``, which only uses
ephemeral replies or a direct message to the requester.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

import bot.slack.rooms.render as render
from bot.dispatch.outcomes import Stage
from bot.slack.blocks import SlackMessage

log = logging.getLogger(__name__)

Respond = Callable[..., object]  # Bolt's Respond, or anything that posts to a response_url
# slack_sdk logs whole request bodies at DEBUG (WebClient and the response_url WebhookClient); the one request
# that carries a passcode must not put it in a log, whatever level an operator chooses.
SLACK_SDK_BODY_LOGGERS = ("slack_sdk.web.base_client", "slack_sdk.webhook.client")
REDACTED = "[passcode redacted]"


class _SecretsInFlight(logging.Filter):
    """Replaces passcodes being sent right now in records of the slack_sdk loggers that print bodies."""

    def __init__(self) -> None:
        super().__init__("roombot-passcodes")
        self._lock = threading.Lock()
        self._secrets: dict[str, int] = {}

    @contextmanager
    def hiding(self, secret: str) -> Iterator[None]:
        with self._lock:
            self._secrets[secret] = self._secrets.get(secret, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                self._secrets[secret] -= 1
                if not self._secrets[secret]:
                    del self._secrets[secret]

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        if secrets:
            text = record.getMessage()
            if any(secret in text for secret in secrets):
                for secret in secrets:
                    text = text.replace(secret, REDACTED)
                record.msg, record.args = text, ()
        return True


SECRETS_IN_FLIGHT = _SecretsInFlight()
for _name in SLACK_SDK_BODY_LOGGERS:
    if SECRETS_IN_FLIGHT not in logging.getLogger(_name).filters:
        logging.getLogger(_name).addFilter(SECRETS_IN_FLIGHT)


class ProgressMessage:
    """Posts (or adopts) one message in ``channel`` and edits it as the dispatch advances."""

    def __init__(self, client: WebClient, channel: str | None, user_id: str, *, ts: str | None = None,
                 respond: Respond | None = None) -> None:
        self.client = client
        self.channel = channel
        self.user_id = user_id
        self.ts = ts  # None: there is no channel message to edit (not posted yet, or posting failed)
        self.respond = respond
        self.post_error: str | None = None
        self._last_text: str | None = None

    @classmethod
    def start(cls, client: WebClient, channel: str | None, user_id: str, text: str, *,
              respond: Respond | None = None) -> ProgressMessage:
        """Post the "⏳ …" message now, so the channel sees at once that something is happening."""
        progress = cls(client, channel, user_id, respond=respond)
        message = render.progress_message(text)
        if not channel:
            progress.post_error = "no channel"
            return progress
        try:
            answer = client.chat_postMessage(channel=channel, **message.as_kwargs())
            progress.ts = answer.get("ts")
            progress.channel = answer.get("channel") or channel
            progress._last_text = text
        except SlackApiError as error:
            progress.post_error = _slack_error(error)
            log.info("could not post progress in %s: %s", channel, progress.post_error)
        return progress

    @classmethod
    def adopt(cls, client: WebClient, channel: str, user_id: str, ts: str, text: str, *,
              respond: Respond | None = None) -> ProgressMessage:
        """Reuse an existing card (the one whose button was clicked) as the progress message."""
        progress = cls(client, channel, user_id, ts=ts, respond=respond)
        progress.update(text)
        return progress

    # -- as the dispatch advances -------------------------------------------------------------------------

    def on_stage(self, stage: Stage, text: str) -> None:
        """The dispatch flow's progress callback (SPEC §5: dispatching → accepted by Zoom → in the meeting)."""
        if stage is not Stage.FINISHED:
            self.update(text)

    def update(self, text: str) -> None:
        if self.ts is None or self.channel is None or text == self._last_text:
            return
        self._last_text = text
        try:
            self.client.chat_update(channel=self.channel, ts=self.ts, **render.progress_message(text).as_kwargs())
        except SlackApiError as error:  # progress is a courtesy; the final card is what matters
            log.info("could not update progress message: %s", _slack_error(error))

    def finish(self, message: SlackMessage) -> None:
        """Replace the progress message with the result; if there is none, deliver the result another way."""
        if self.ts is not None and self.channel is not None:  # a message to edit needs both
            try:
                self.client.chat_update(channel=self.channel, ts=self.ts, **message.as_kwargs())
                return
            except SlackApiError as error:
                self.post_error = _slack_error(error)
                log.info("could not edit the progress message: %s", self.post_error)
        self._deliver_elsewhere(message)

    def _deliver_elsewhere(self, message: SlackMessage) -> None:
        note = render.not_in_channel_note(self.post_error or "unknown error")
        with_note = SlackMessage(text=message.text, blocks=(*message.blocks, render.note_block(note)))
        if self.respond is not None:
            try:
                self.respond(response_type="ephemeral", replace_original=False, **with_note.as_kwargs())
                return
            except Exception as error:  # noqa: BLE001 - fall through to another private reply
                log.info("could not answer through response_url: %s", type(error).__name__)
        if self.channel and self.channel != self.user_id:
            try:
                self.client.chat_postEphemeral(channel=self.channel, user=self.user_id, **with_note.as_kwargs())
                return
            except SlackApiError as error:
                log.info("could not post the result ephemerally: %s", _slack_error(error))
        direct_message(self.client, self.user_id, with_note)


def deliver_privately(client: WebClient, channel: str | None, user_id: str, message: SlackMessage, *,
                      respond: Respond | None = None, secret: str | None = None) -> bool:
    """Show ``message`` to ``user_id`` alone: ephemeral in the channel, else ephemeral via response_url, else a
    direct message from the app (also private).  ``secret`` (the passcode it carries) is kept out of
    slack_sdk's debug logs meanwhile.  Returns whether any of them worked."""
    if secret:
        with SECRETS_IN_FLIGHT.hiding(secret):
            return deliver_privately(client, channel, user_id, message, respond=respond)
    if channel:
        try:
            client.chat_postEphemeral(channel=channel, user=user_id, **message.as_kwargs())
            return True
        except SlackApiError as error:
            log.info("could not post an ephemeral message: %s", _slack_error(error))
    if respond is not None:
        try:
            respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())
            return True
        except Exception as error:  # noqa: BLE001 - try the direct message next
            log.info("could not answer ephemerally through response_url: %s", type(error).__name__)
    return direct_message(client, user_id, message)


def direct_message(client: WebClient, user_id: str, message: SlackMessage) -> bool:
    try:
        client.chat_postMessage(channel=user_id, **message.as_kwargs())
        return True
    except SlackApiError as error:
        log.warning("could not reach user %s at all: %s", user_id, _slack_error(error))
        return False


def _slack_error(error: SlackApiError) -> str:
    response = getattr(error, "response", None)
    try:
        return str(response.get("error")) if response is not None else type(error).__name__
    except Exception:  # noqa: BLE001 - a malformed response is still an error to report
        return type(error).__name__
