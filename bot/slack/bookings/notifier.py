"""The booking worker's ports in Slack: :class:`SlackNotifier` (``bot.scheduling.ports.BookingNotifier``) posts
reminders, meeting links, progress and results in the booking's channel, and :class:`SlackRequesters`
(``RequesterDirectory``) looks bookers up in the workspace.  Slack failing never stops or fails a dispatch.

``roombot worker`` and ``roombot serve`` build both with the bot token's client (:func:`bot_client`)::

    client = bot_client(settings)
    BookingWorker(services.wired(), config, notifier=SlackNotifier(client),
                  requesters=SlackRequesters(directory_of(services), client))
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject

from bot.config import Settings
from bot.dispatch.outcomes import DispatchResult, Requester, Stage
from bot.dispatch.reasons import Reason
from bot.scheduling.occurrence import OccurrenceView
from bot.scheduling.ports import MessageRef, ReminderOutcome
from bot.slack.blocks import SlackMessage
from bot.slack.bookings import messages
from bot.slack.bookings.wording import REMINDER_OUTCOMES
from bot.slack.directory import SlackDirectory
from bot.slack.webclient import PooledWebClient
from bot.slack.wording import describe

log = logging.getLogger(__name__)

# Slack's answers meaning "the bot cannot post in that conversation" (a private channel or DM it is not in).
NOT_POSTABLE = frozenset({"channel_not_found", "not_in_channel", "is_archived", "restricted_action",
                          "team_access_not_granted", "ekm_access_denied"})
MOVED_MESSAGES_KEPT = 5000


def bot_client(settings: Settings) -> WebClient | None:
    """The worker's Web API client: the bot token's, or None without one (then nothing is posted)."""
    if not settings.slack_bot_token:
        return None
    return PooledWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)


class SlackPoster:
    """Channel posts of bookings; Slack failing is logged, never raised.

    A booking's channel may be one the bot cannot post in (a private channel or DM it was never invited to):
    posts naming a ``booker`` then go to the booker as a direct message, with a note saying how to get them
    into the channel, and later edits of that message follow it there."""

    def __init__(self, client: WebClient | None) -> None:
        self.client = client
        self._moved: OrderedDict[str, tuple[str, Block]] = OrderedDict()  # ts -> (DM channel, note)

    def post(self, channel: str | None, message: SlackMessage, *, booker: str | None = None) -> str | None:
        if self.client is None or not channel:
            return None
        try:
            return self.client.chat_postMessage(channel=channel, **message.as_kwargs()).get("ts")
        except SlackApiError as error:
            code = str(error.response.get("error"))
            log.info("could not post in %s: %s", channel, code)
            if booker is None or code not in NOT_POSTABLE:
                return None
        return self._post_to_booker(booker, channel, code, message)

    def _post_to_booker(self, booker: str, channel: str, code: str, message: SlackMessage) -> str | None:
        assert self.client is not None
        note = ContextBlock(elements=[MarkdownTextObject(
            text=f"I could not post this in <#{channel}> (Slack said `{code}`), so it comes to you. Invite me "
                 "to that channel (`/invite @roombot`) to see this booking's reminders and results there.")])
        try:
            answer = self.client.chat_postMessage(channel=booker, **with_note(message, note).as_kwargs())
        except SlackApiError as error:
            log.warning("could not reach booker %s either: %s", booker, error.response.get("error"))
            return None
        ts = answer.get("ts")
        if ts:
            self._moved[ts] = (str(answer.get("channel") or booker), note)
            while len(self._moved) > MOVED_MESSAGES_KEPT:
                self._moved.popitem(last=False)
        return ts

    def update(self, channel: str | None, ts: str | None, message: SlackMessage) -> bool:
        if self.client is None or not channel or not ts:
            return False
        if ts in self._moved:  # the message went to the booker: edit it there, note kept
            channel, note = self._moved[ts]
            message = with_note(message, note)
        try:
            self.client.chat_update(channel=channel, ts=ts, **message.as_kwargs())
            return True
        except SlackApiError as error:
            log.info("could not update a message in %s: %s", channel, error.response.get("error"))
            return False

    def tell(self, channel: str | None, user_id: str, message: SlackMessage) -> None:
        """Only ``user_id`` sees it (in the channel, else as a direct message)."""
        if self.client is None:
            return
        try:
            if channel:
                self.client.chat_postEphemeral(channel=channel, user=user_id, **message.as_kwargs())
                return
        except SlackApiError as error:
            log.info("could not post ephemerally: %s", error.response.get("error"))
        try:
            self.client.chat_postMessage(channel=user_id, **message.as_kwargs())
        except SlackApiError as error:
            log.info("could not message the booker: %s", error.response.get("error"))


def with_note(message: SlackMessage, note: Block) -> SlackMessage:
    return SlackMessage(text=message.text, blocks=(*message.blocks, note))


class SlackNotifier:
    """``BookingNotifier`` in Slack: everything in the booking's channel (or, when the bot cannot post there, to
    the booker directly), the passcode of a meeting made for a booking to the booker alone."""

    def __init__(self, client: WebClient | None) -> None:
        self.poster = SlackPoster(client)

    def reminder(self, view: OccurrenceView) -> MessageRef | None:
        return self._post(view, messages.reminder_message(view))

    def reminder_settled(self, view: OccurrenceView, reminder: MessageRef, outcome: ReminderOutcome) -> bool:
        return self.poster.update(view.channel_id, reminder,
                                  messages.reminder_done_message(view, REMINDER_OUTCOMES[outcome]))

    def meeting_ready(self, view: OccurrenceView, notes: Sequence[Reason]) -> None:
        self._post(view, messages.meeting_ready_message(view, [describe(note) for note in notes]))

    def meeting_passcode(self, view: OccurrenceView, passcode: str) -> None:
        self.poster.tell(view.channel_id, view.requester_user_id, messages.passcode_message(view, passcode))

    def skipped(self, view: OccurrenceView, reason: str) -> None:
        self._post(view, messages.skipped_message(view, reason))

    def post_progress(self, view: OccurrenceView, stage: Stage, doing: Reason) -> MessageRef | None:
        return self._post(view, messages.progress_message(describe(doing)))

    def edit_progress(self, view: OccurrenceView, message: MessageRef, stage: Stage, doing: Reason) -> bool:
        return self.poster.update(view.channel_id, message, messages.progress_message(describe(doing)))

    def post_result(self, view: OccurrenceView, result: DispatchResult) -> MessageRef | None:
        return self._post(view, messages.result_message(result, view))

    def edit_result(self, view: OccurrenceView, message: MessageRef, result: DispatchResult) -> bool:
        return self.poster.update(view.channel_id, message, messages.result_message(result, view))

    def _post(self, view: OccurrenceView, message: SlackMessage) -> MessageRef | None:
        return self.poster.post(view.channel_id, message, booker=view.requester_user_id)


class SlackRequesters:
    """``RequesterDirectory`` in Slack: profile email and user groups, through the process's one directory."""

    def __init__(self, directory: SlackDirectory, client: WebClient | None) -> None:
        self.directory = directory
        self.client = client

    def requester(self, user_id: str, *, is_admin: bool) -> Requester:
        return self.directory.requester(self.client, user_id, is_admin=is_admin)

    def known_requester(self, user_id: str, *, is_admin: bool) -> Requester | None:
        return self.directory.known_requester(user_id, is_admin=is_admin)
