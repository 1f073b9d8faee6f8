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
5. The booking's notifier (``bot.scheduling.ports.BookingNotifier``) shows one progress message, edited as the
   dispatch advances, then the result; the message's reference is stored, so a worker taking over edits it.

Everything here runs on the dispatch engine's loop, through the same ``DispatchService`` (and so the same
room-status board) as Slack's commands; store calls run on the engine's I/O threads, notifier calls on its
messaging threads.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot import logcontext, metrics
from bot.dispatch.engine import DispatchEngine, to_messaging_thread, to_thread
from bot.dispatch.meetings import MeetingService, security_notes
from bot.dispatch.outcomes import DispatchResult, JoinRequest, Requester, ResultKind, Stage, format_meeting_number
from bot.dispatch.reasons import Reason, Why, reason
from bot.dispatch.service import DispatchRow, DispatchService, JoinMarker, PasscodeSource
from bot.dispatch.third_party import open_target
from bot.meetings import MeetingReference, UnsatisfiableRequirement
from bot.scheduling.occurrence import OccurrenceView, view_of
from bot.scheduling.ports import BookingBackends, BookingNotifier, MessageRef
from bot.store import occurrences
from bot.store.crypto import Sealed
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
    passcode: Sealed | None  # the occurrence's for `new`, else the booking's
    reminder_message_ts: MessageRef | None
    progress_message_ts: MessageRef | None = None  # posted by an earlier worker: edit it, do not post another
    third_party: Sealed | None = None  # a Teams, Meet or SIP meeting: where to send the room (encrypted)

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
            third_party=booking.third_party,
        )


class OccurrenceRunner:
    def __init__(self, services: BookingBackends, *, worker_id: str) -> None:
        self.sessions = services.session_factory
        self.secret_box = services.secret_box
        self.worker_id = worker_id
        # The same dispatch flow (and room-status board) as `/room join`.
        self.dispatcher: DispatchService = services.dispatcher
        self.meetings: MeetingService = services.meetings
        self.engine: DispatchEngine = services.engine

    # ------------------------------------------------------------------------------------ meetings

    async def ensure_meeting(self, view: OccurrenceView, notifier: BookingNotifier) -> OccurrenceView:
        """Create the `new` booking's meeting for this occurrence (once; a loser deletes its meeting) and
        announce its link; the passcode goes to the booker alone."""
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
        await to_messaging_thread(notifier.meeting_ready, ready, notes)
        if passcode:
            await to_messaging_thread(notifier.meeting_passcode, ready, passcode)
        return ready

    def _attach_meeting(self, occurrence_id: int, meeting_id: str, sealed: Sealed | None, join_url: str | None) -> bool:
        with session_scope(self.sessions, write_lock=True) as session:
            return occurrences.set_meeting(session, occurrence_id, meeting_id=meeting_id, passcode=sealed,
                                           join_url=join_url)

    def _reload(self, occurrence_id: int) -> OccurrenceView:
        with session_scope(self.sessions) as session:
            return view_of(self._load(session, occurrence_id))

    # ------------------------------------------------------------------------------------ dispatch

    async def run(self, job: Job, notifier: BookingNotifier, *, requester: Requester) -> DispatchResult:
        """Dispatch a claimed occurrence for ``requester`` (its booker, looked up like a `/room join` requester:
        room rules for their groups apply too) and finish it.  Never raises for Zoom or notifier trouble; a
        crash (or a database outage) leaves the lease to expire so another worker takes over safely.

        Counted as a booking dispatch and as a finished occurrence (``bot.metrics``); its log lines carry the
        occurrence id."""
        with logcontext.bound(occurrence_id=job.view.occurrence_id):
            result = await metrics.counted(DispatchSource.BOOKING, self._run(job, notifier, requester))
        metrics.occurrence_finished(result.kind)
        return result

    async def _run(self, job: Job, notifier: BookingNotifier, requester: Requester) -> DispatchResult:
        view = job.view
        previous = await self._earlier_join(job, requester) if job.claim_count > 1 else None
        if previous is not None:  # the earlier worker's message says "restarted": it gets the result
            result = previous
            await to_messaging_thread(_ProgressPost(notifier, view, self, ts=job.progress_message_ts).finish, result)
        else:
            result = await self._dispatch(job, view, requester, notifier)
        await to_thread(self._finish, view, result)
        return result

    def _finish(self, view: OccurrenceView, result: DispatchResult) -> None:
        status = OccurrenceStatus.DISPATCHED if result.ok else OccurrenceStatus.FAILED
        with session_scope(self.sessions, write_lock=True) as session:
            won = occurrences.finish(session, view.occurrence_id, worker_id=self.worker_id, status=status,
                                     dispatch_id=result.dispatch_id, reason=self.dispatcher.describe(result.reason))
        if not won:
            log.warning("occurrence %s: lease lost before finishing (%s)", view.occurrence_id, result.kind.value)

    async def _dispatch(self, job: Job, view: OccurrenceView, requester: Requester,
                        notifier: BookingNotifier) -> DispatchResult:
        progress = _ProgressPost(notifier, view, self, ts=job.progress_message_ts)
        try:
            view = await self.ensure_meeting(view, notifier)
        except (ZoomError, UnsatisfiableRequirement) as error:
            result = DispatchResult(ResultKind.ZOOM_ERROR, view.room_name,
                                    reason(Why.MEETING_NOT_CREATED, detail=str(error)), room_key=job.room_id)
            await to_messaging_thread(progress.finish, result)
            return result
        target = await self.dispatcher.resolve(job.zoom_room_id, requester, view.channel_id, DispatchSource.BOOKING,
                                               DispatchAction.JOIN, room_key=job.room_id)
        if isinstance(target, DispatchResult):
            await to_messaging_thread(progress.finish, target)
            return target
        marker = JoinMarker(join_marker(view.occurrence_id), JOIN_MARKER_TTL)
        if job.third_party is not None:  # Teams, Meet, SIP: the same flow as `/room join` with such a link
            ref, stated = open_target(self.secret_box, job.third_party)
            result = await self.dispatcher.third_party.join(
                JoinRequest(job.zoom_room_id, ref, requester, view.channel_id, DispatchSource.BOOKING, passcode=stated),
                progress.on_stage, target=target, join_marker=marker)
            await to_messaging_thread(progress.finish, result)
            return result
        passcode = self.secret_box.open_optional(job.passcode) if job.passcode is not None else None
        meeting = None
        if passcode is None and job.meeting_mode is MeetingMode.LINK:
            meeting = await self.dispatcher.account_meeting(view.meeting_id)
            passcode = (meeting.password or None) if meeting is not None else None
        request = JoinRequest(job.zoom_room_id, MeetingReference(meeting_id=view.meeting_id, kind="meeting"),
                              requester, view.channel_id, DispatchSource.BOOKING, without_passcode=passcode is None)
        result = await self.dispatcher.dispatch(target, request, PasscodeSource(passcode, meeting), progress.on_stage,
                                                join_marker=marker)
        if view.join_url and not result.join_url:
            result = replace(result, join_url=view.join_url)
        await to_messaging_thread(progress.finish, result)
        return result

    def remember_progress_message(self, occurrence_id: int, ts: str) -> None:
        with session_scope(self.sessions, write_lock=True) as session:
            occurrences.set_progress_message(session, occurrence_id, ts)

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
                                                    DispatchSource.BOOKING, DispatchAction.JOIN, room_key=job.room_id)
        if isinstance(target_room, DispatchResult):
            return None
        watch = await self.dispatcher.watch_join(target_room)
        if not watch.joined:
            return None  # the earlier join did not get the room in: send it (force_accept=false) again
        status = watch.last
        number = format_meeting_number(view.meeting_id)
        earlier_join = reason(Why.IN_MEETING_EARLIER, room=view.room_name, number=number)
        log.info("occurrence %s: earlier join worked; not sending it again", view.occurrence_id)
        dispatch_id, dispatch_ref = earlier if earlier is not None else (None, None)
        return DispatchResult(ResultKind.IN_MEETING, view.room_name, earlier_join, meeting_id=view.meeting_id,
                              room_key=job.room_id, dispatch_id=dispatch_id, dispatch_ref=dispatch_ref,
                              room_status=status)

    @staticmethod
    def _load(session: Session, occurrence_id: int) -> Occurrence:
        return session.scalars(select(Occurrence).where(Occurrence.id == occurrence_id).options(
            selectinload(Occurrence.booking).selectinload(Booking.room))).one()


class _ProgressPost:
    """The one progress message of this dispatch: posted when the join is sent, edited, then the result."""

    def __init__(self, notifier: BookingNotifier, view: OccurrenceView, runner: OccurrenceRunner, *,
                 ts: MessageRef | None = None) -> None:
        self.notifier = notifier
        self.view = view
        self.runner = runner
        self.ts = ts  # an earlier worker's message for this occurrence, or None

    async def on_stage(self, stage: Stage, doing: Reason) -> None:
        await to_messaging_thread(self._on_stage, stage, doing)

    def _on_stage(self, stage: Stage, doing: Reason) -> None:
        # Leases of running dispatches are renewed by the worker's lease timer, however long the watch takes.
        if not self.ts or not self.notifier.edit_progress(self.view, self.ts, stage, doing):
            self.ts = self.notifier.post_progress(self.view, stage, doing)
            if self.ts:  # a worker that takes this occurrence over edits this message instead of posting
                self.runner.remember_progress_message(self.view.occurrence_id, self.ts)

    def finish(self, result: DispatchResult) -> None:
        if not self.ts or not self.notifier.edit_result(self.view, self.ts, result):
            self.notifier.post_result(self.view, result)
