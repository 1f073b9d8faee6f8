"""Carrying out one claimed occurrence: the same dispatch flow as `/room join`, exactly once.

Order of work (each step its own short transaction, none held while Zoom is called):

1. The occurrence was claimed with a lease (``bot.store.occurrences.claim_due`` / ``claim_now``).
2. A reclaimed occurrence (``claim_count > 1``: a worker died holding it) whose join may already have been
   sent — the marker below exists — is re-checked first: if its room is in a meeting now, the earlier join
   worked and nothing is sent again.
3. ``DispatchService.dispatch`` (pre-flight, join with ``force_accept=false``, watch), which writes the
   dispatch audit in its own transactions.  Right before the join request leaves, the marker
   ``occurrence:<id>:join`` is committed, so "was a join maybe sent?" has a durable answer.
4. ``finish`` records the result kind, reason and dispatch id in one transaction, only while this worker
   still holds the lease.
5. The channel sees one progress message edited as the dispatch advances, then the result card.

Everything here runs on the dispatch engine's loop, through the same ``DispatchService`` (and so the same
room-status board) as Slack's commands; store and Slack calls run on the engine's I/O threads.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.dispatch.engine import to_thread
from bot.dispatch.meetings import MeetingService, security_notes
from bot.dispatch.outcomes import DispatchResult, JoinRequest, Requester, ResultKind, Stage, format_meeting_number
from bot.dispatch.service import DispatchRow, DispatchService, JoinMarker, PasscodeSource
from bot.meetings import MeetingReference, UnsatisfiableRequirement
from bot.scheduling import messages
from bot.scheduling.messages import OccurrenceView
from bot.slack.directory import directory_of
from bot.store import occurrences
from bot.store.db import session_scope
from bot.store.models import Booking, Dispatch, IdempotencyKey, Occurrence
from bot.store.types import DispatchAction, DispatchSource, MeetingMode, OccurrenceStatus
from bot.zoom.errors import ZoomError

log = logging.getLogger("bot.scheduling")

JOIN_MARKER_TTL = timedelta(days=2)


def join_marker(occurrence_id: int) -> str:
    return f"occurrence:{occurrence_id}:join"


@dataclass(frozen=True)
class Job:
    """A claimed occurrence, detached from its session."""

    view: OccurrenceView
    claim_count: int
    room_id: int
    zoom_room_id: str
    meeting_mode: MeetingMode
    passcode: Any  # Sealed (occurrence's for `new`, else the booking's) or None
    reminder_message_ts: str | None
    progress_message_ts: str | None = None  # posted by an earlier worker: edit it, do not post another

    @classmethod
    def of(cls, occurrence: Occurrence) -> Job:
        booking = occurrence.booking
        return cls(
            view=view_of(occurrence),
            claim_count=occurrence.claim_count,
            room_id=booking.room_id,
            zoom_room_id=booking.room.zoom_room_id,
            meeting_mode=booking.meeting_mode,
            passcode=occurrence.passcode if booking.meeting_mode is MeetingMode.NEW else booking.passcode,
            reminder_message_ts=occurrence.reminder_message_ts,
            progress_message_ts=occurrence.progress_message_ts,
        )


def view_of(occurrence: Occurrence) -> OccurrenceView:
    booking = occurrence.booking
    return OccurrenceView(
        occurrence_id=occurrence.id, booking_id=booking.id, room_name=booking.room.name,
        starts_at=occurrence.starts_at, ends_at=occurrence.ends_at, tz_name=booking.tz_name,
        requester_user_id=booking.requester_user_id, channel_id=booking.channel_id,
        is_new_meeting=booking.meeting_mode is MeetingMode.NEW,
        meeting_id=occurrence.meeting_id or booking.meeting_id, join_url=occurrence.join_url, rrule=booking.rrule,
        topic=booking.topic,
    )


# Slack's answers meaning "the bot cannot post in that conversation" (a private channel or DM it is not in).
NOT_POSTABLE = frozenset({"channel_not_found", "not_in_channel", "is_archived", "restricted_action",
                          "team_access_not_granted", "ekm_access_denied"})
MOVED_MESSAGES_KEPT = 5000


class SlackPoster:
    """Channel posts of the worker; Slack failing never stops or fails a dispatch.

    A booking's channel may be one the bot cannot post in (a private channel or DM it was never invited to):
    posts naming a ``booker`` then go to the booker as a direct message, with a note saying how to get them
    into the channel, and later edits of that message follow it there."""

    def __init__(self, client: WebClient | None) -> None:
        self.client = client
        self._moved: OrderedDict[str, tuple[str, Block]] = OrderedDict()  # ts -> (DM channel, note)

    def post(self, channel: str | None, message: messages.SlackMessage, *, booker: str | None = None) -> str | None:
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

    def _post_to_booker(self, booker: str, channel: str, code: str, message: messages.SlackMessage) -> str | None:
        assert self.client is not None
        note = ContextBlock(elements=[MarkdownTextObject(
            text=f"I could not post this in <#{channel}> (Slack said `{code}`), so it comes to you. Invite me "
                 "to that channel (`/invite @roombot`) to see this booking's reminders and results there.")])
        try:
            answer = self.client.chat_postMessage(channel=booker, **_with_note(message, note).as_kwargs())
        except SlackApiError as error:
            log.warning("could not reach booker %s either: %s", booker, error.response.get("error"))
            return None
        ts = answer.get("ts")
        if ts:
            self._moved[ts] = (str(answer.get("channel") or booker), note)
            while len(self._moved) > MOVED_MESSAGES_KEPT:
                self._moved.popitem(last=False)
        return ts

    def update(self, channel: str | None, ts: str | None, message: messages.SlackMessage) -> bool:
        if self.client is None or not channel or not ts:
            return False
        if ts in self._moved:  # the message went to the booker: edit it there, note kept
            channel, note = self._moved[ts]
            message = _with_note(message, note)
        try:
            self.client.chat_update(channel=channel, ts=ts, **message.as_kwargs())
            return True
        except SlackApiError as error:
            log.info("could not update a message in %s: %s", channel, error.response.get("error"))
            return False

    def tell(self, channel: str | None, user_id: str, message: messages.SlackMessage) -> None:
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


def _with_note(message: messages.SlackMessage, note: Block) -> messages.SlackMessage:
    return messages.SlackMessage(text=message.text, blocks=(*message.blocks, note))


class OccurrenceRunner:
    def __init__(self, services: Any, *, worker_id: str, lease: timedelta = occurrences.DEFAULT_LEASE) -> None:
        self.sessions = services.session_factory
        self.secret_box = services.secret_box
        self.directory = directory_of(services)
        self.worker_id = worker_id
        self.lease = lease
        # The same dispatch flow (and room-status board) as `/room join`.
        self.dispatcher: DispatchService = services.dispatcher
        self.meetings: MeetingService = services.meetings
        self.engine = services.engine

    # ------------------------------------------------------------------------------------ meetings

    async def ensure_meeting(self, view: OccurrenceView, slack: SlackPoster) -> OccurrenceView:
        """Create the `new` booking's meeting for this occurrence (once; a loser deletes its meeting) and
        post its link in the channel; the passcode goes to the booker alone."""
        if not view.is_new_meeting or view.meeting_id:
            return view
        topic = view.topic or f"{view.room_name} meeting"
        meeting, passcode = await self.meetings.create_compatible_meeting(topic, room_name=view.room_name)
        sealed = self.secret_box.seal(passcode) if passcode else None
        attached = await to_thread(self._attach_meeting, view.occurrence_id, str(meeting.id), sealed,
                                   meeting.join_url)
        if not attached:
            try:
                await self.meetings.zoom.delete_meeting(meeting.id)
            except ZoomError as error:
                log.warning("could not delete the duplicate meeting %s: %s", meeting.id, type(error).__name__)
            return await to_thread(self._reload, view.occurrence_id)
        ready = replace(view, meeting_id=str(meeting.id), join_url=meeting.join_url)
        notes = security_notes(meeting, view.room_name)
        await to_thread(slack.post, view.channel_id, messages.meeting_ready_message(ready, notes),
                        booker=view.requester_user_id)
        if passcode:
            await to_thread(slack.tell, view.channel_id, view.requester_user_id, messages.info(
                f"Passcode of meeting {format_meeting_number(str(meeting.id))} (booking #{view.booking_id}), "
                f"for you only: `{passcode}`"))
        return ready

    def _attach_meeting(self, occurrence_id: int, meeting_id: str, sealed: Any, join_url: str | None) -> bool:
        with session_scope(self.sessions, write_lock=True) as session:
            return occurrences.set_meeting(session, occurrence_id, meeting_id=meeting_id, passcode=sealed,
                                           join_url=join_url)

    def _reload(self, occurrence_id: int) -> OccurrenceView:
        with session_scope(self.sessions) as session:
            return view_of(self._load(session, occurrence_id))

    # ------------------------------------------------------------------------------------ dispatch

    async def run(self, job: Job, slack: SlackPoster, *, requester: Requester | None = None) -> DispatchResult:
        """Dispatch a claimed occurrence and finish it.  Never raises for Zoom or Slack trouble; a crash
        (or a database outage) leaves the lease to expire so another worker takes over safely."""
        view = job.view
        if requester is None:
            requester = await to_thread(self.booker, view, slack)
        previous = await self._earlier_join(job, requester) if job.claim_count > 1 else None
        if previous is not None:
            result = previous
        else:
            result = await self._dispatch(job, view, requester, slack)
        await to_thread(self._finish, view, result)
        return result

    def _finish(self, view: OccurrenceView, result: DispatchResult) -> None:
        status = OccurrenceStatus.DISPATCHED if result.ok else OccurrenceStatus.FAILED
        with session_scope(self.sessions, write_lock=True) as session:
            won = occurrences.finish(session, view.occurrence_id, worker_id=self.worker_id, status=status,
                                     dispatch_id=result.dispatch_id, reason=result.reason)
        if not won:
            log.warning("occurrence %s: lease lost before finishing (%s)", view.occurrence_id, result.kind.value)

    async def _dispatch(self, job: Job, view: OccurrenceView, requester: Requester,
                        slack: SlackPoster) -> DispatchResult:
        progress = _ProgressPost(slack, view, self, ts=job.progress_message_ts)
        try:
            view = await self.ensure_meeting(view, slack)
        except (ZoomError, UnsatisfiableRequirement) as error:
            result = DispatchResult(ResultKind.ZOOM_ERROR, view.room_name, f"I could not create the meeting: {error}",
                                    room_key=job.room_id)
            await to_thread(progress.finish, result)
            return result
        target = await self.dispatcher.resolve(job.zoom_room_id, requester, view.channel_id, DispatchSource.BOOKING,
                                               DispatchAction.JOIN)
        if isinstance(target, DispatchResult):
            await to_thread(progress.finish, target)
            return target
        passcode = self.secret_box.open_optional(job.passcode) if job.passcode is not None else None
        meeting = None
        if passcode is None and job.meeting_mode is MeetingMode.LINK:
            meeting = await self.dispatcher.account_meeting(view.meeting_id)
            passcode = (meeting.password or None) if meeting is not None else None
        request = JoinRequest(job.zoom_room_id, MeetingReference(meeting_id=view.meeting_id, kind="meeting"),
                              requester, view.channel_id, DispatchSource.BOOKING, without_passcode=passcode is None)
        marker = JoinMarker(join_marker(view.occurrence_id), JOIN_MARKER_TTL)
        result = await self.dispatcher.dispatch(target, request, PasscodeSource(passcode, meeting), progress.on_stage,
                                                join_marker=marker)
        if view.join_url and not result.join_url:
            result = replace(result, join_url=view.join_url)
        await to_thread(progress.finish, result)
        return result

    def remember_progress_message(self, occurrence_id: int, ts: str) -> None:
        with session_scope(self.sessions, write_lock=True) as session:
            occurrences.set_progress_message(session, occurrence_id, ts)

    def extend_lease(self, occurrence_id: int) -> None:
        with session_scope(self.sessions, write_lock=True) as session:
            occurrences.extend_lease(session, occurrence_id, worker_id=self.worker_id, lease=self.lease)

    def booker(self, view: OccurrenceView, slack: SlackPoster, *, is_admin: bool = False) -> Requester:
        """The booker, looked up like a `/room join` requester: room rules for their groups apply too."""
        return self.directory.requester(slack.client, view.requester_user_id, is_admin=is_admin)

    def _earlier_dispatch(self, job: Job) -> tuple[bool, DispatchRow | None]:
        """Whether a join may have left for this occurrence, and the dispatch that sent it (id, reference)."""
        view = job.view
        with session_scope(self.sessions) as session:
            if session.get(IdempotencyKey, join_marker(view.occurrence_id)) is None:
                return False, None  # no join ever left for this occurrence: dispatching now is the first
            row = session.execute(
                select(Dispatch.id, Dispatch.reference)
                .where(Dispatch.room_id == job.room_id, Dispatch.source == DispatchSource.BOOKING,
                       Dispatch.meeting_id == view.meeting_id,
                       Dispatch.created_at >= view.starts_at - timedelta(days=1))
                .order_by(Dispatch.id.desc()).limit(1)).first()
            return True, (row[0], row[1]) if row is not None else None

    async def _earlier_join(self, job: Job, requester: Requester) -> DispatchResult | None:
        """The result of an earlier worker's join, when one was sent and the room got into a meeting.

        The earlier join may still be on its way into the meeting (its worker stalled or died after sending
        it), so the room is watched as a dispatch watches its own join: pre-flighting it instead would see the
        room that join sent and refuse it as busy."""
        view = job.view
        sent, earlier = await to_thread(self._earlier_dispatch, job)
        if not sent:
            return None
        target_room = await self.dispatcher.resolve(job.zoom_room_id, requester, view.channel_id,
                                                    DispatchSource.BOOKING, DispatchAction.JOIN)
        if isinstance(target_room, DispatchResult):
            return None
        watch = await self.dispatcher.watch_join(target_room)
        if not watch.joined:
            return None  # the earlier join did not get the room in: send it (force_accept=false) again
        status = watch.last
        number = format_meeting_number(view.meeting_id)
        reason = f"{view.room_name} is in meeting {number} (sent by an earlier attempt)."
        log.info("occurrence %s: earlier join worked; not sending it again", view.occurrence_id)
        dispatch_id, dispatch_ref = earlier if earlier is not None else (None, None)
        return DispatchResult(ResultKind.IN_MEETING, view.room_name, reason, meeting_id=view.meeting_id,
                              room_key=job.room_id, dispatch_id=dispatch_id, dispatch_ref=dispatch_ref,
                              room_status=status)

    @staticmethod
    def _load(session: Any, occurrence_id: int) -> Occurrence:
        return session.scalars(select(Occurrence).where(Occurrence.id == occurrence_id).options(
            selectinload(Occurrence.booking).selectinload(Booking.room))).one()


class _ProgressPost:
    """The one channel message of this dispatch: posted when the join is sent, edited, then the result."""

    def __init__(self, slack: SlackPoster, view: OccurrenceView, runner: OccurrenceRunner, *,
                 ts: str | None = None) -> None:
        self.slack = slack
        self.view = view
        self.runner = runner
        self.ts = ts  # an earlier worker's message for this occurrence, or None

    async def on_stage(self, stage: Stage, text: str) -> None:
        await to_thread(self._on_stage, stage, text)

    def _on_stage(self, stage: Stage, text: str) -> None:
        # Leases of running dispatches are renewed by the worker's lease timer, however long the watch takes.
        message = messages.progress_message(text)
        if self.ts is None or not self.slack.update(self.view.channel_id, self.ts, message):
            self.ts = self.slack.post(self.view.channel_id, message, booker=self.view.requester_user_id)
            if self.ts:  # a worker that takes this occurrence over edits this message instead of posting
                self.runner.remember_progress_message(self.view.occurrence_id, self.ts)

    def finish(self, result: DispatchResult) -> None:
        card = messages.result_message(result, self.view)
        if not self.slack.update(self.view.channel_id, self.ts, card):
            self.slack.post(self.view.channel_id, card, booker=self.view.requester_user_id)
