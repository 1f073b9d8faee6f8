"""The one dispatch flow (SPEC §7) that `/room join`, buttons, shortcuts and the booking worker all call.

Order of work for a join: resolve the room (store) → find the passcode (stated, pasted, or read from Zoom
when the meeting is on the bot's account and no usable passcode is known) → pre-flight (online, not busy,
passcode usable, attempts left) → room control → watch the room until it is ``InMeeting`` or the watch
times out, then ``leave`` to clear a stuck passcode prompt.  Every request leaves an audit row; passcodes
never leave this module except to Zoom (and, for meetings the bot creates or repairs, to the requester via
``passcode_for_requester``).

The flow is async and runs on the dispatch engine's loop (``bot.dispatch.engine``): Zoom calls, the pause
before the first status poll and the pauses between polls are awaited, holding no thread; store calls run
on the engine's I/O threads (``to_thread``).  Room status comes from the shared ``RoomStatusBoard``.  A
warm join with a usable passcode costs at most three Zoom requests: the pre-flight status (often answered
from a listing another dispatch just took), the control call, and a status read once the room can have
joined.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot import logcontext
from bot.dispatch.engine import to_thread
from bot.dispatch.outcomes import (
    DispatchResult,
    Fix,
    JoinRequest,
    ProgressCallback,
    ProgressChain,
    Requester,
    ResultKind,
    Stage,
    format_meeting_number,
    no_progress,
)
from bot.dispatch.passcode_source import PasscodeSource, account_meeting, find_passcode, may_repair
from bot.dispatch.reasons import Reason, Why, ZoomAction, reason
from bot.dispatch.status_board import RoomStatusBoard
from bot.dispatch.third_party import stored_service
from bot.dispatch.third_party_flow import ThirdPartyFlow
from bot.dispatch.trail import AuditTrail, reason_codes
from bot.dispatch.zoom_answers import failure_reason, is_passcode_error, zoom_error_detail
from bot.meetings import MeetingReference, quote_typed, rooms_compatibility
from bot.meetings.reference import Provider
from bot.store import audit
from bot.store import rooms as room_store
from bot.store.crypto import SecretBox
from bot.store.db import session_scope
from bot.store.models import Room
from bot.store.types import DispatchAction, DispatchOutcome, DispatchSource
from bot.zoom.errors import (
    ZoomError,
    ZoomRateLimited,
    ZoomRoomOffline,
    ZoomUnavailable,
    ZoomValidationError,
)
from bot.zoom.models import ControlAck, Meeting, ThirdPartyJoin
from bot.zoom.models import Room as ZoomRoom
from bot.zoom.settings import ZoomSettings

log = logging.getLogger("bot.dispatch")

ONLINE = frozenset({"Available", "InMeeting"})
MAX_PLAUSIBLE_PASSCODE = 64  # Zoom passcodes have at most 10 characters; anything this long is a bad paste
_NO_MEETING = MeetingReference()  # leave requests name no meeting
# When the process stops (``DispatchService.stop_watching``): why a watch ended unconfirmed, and why a join
# that had not left yet was never sent.
STOPPED_WATCHING = "roombot restarted before it could confirm the join"


# An audit row as the flow carries it: its id (buttons carry it) and its reference (what people see).
DispatchRow = tuple[int, str | None]


@dataclass(frozen=True)
class JoinMarker:
    """A key committed together with the dispatch row, before the join leaves: the booking worker's durable
    answer to "may a join have been sent for this occurrence?"."""

    key: str
    ttl: timedelta


class RoomControlApi(Protocol):
    """What the flow needs from Zoom (``bot.zoom.aclient.AsyncZoomClient``)."""

    settings: ZoomSettings

    async def join_room(self, room: ZoomRoom, meeting_number: str, passcode: str | None = None,
                        force_accept: bool = False) -> ControlAck: ...

    async def leave_room(self, room: ZoomRoom) -> ControlAck: ...

    async def join_third_party(self, room: ZoomRoom, join: ThirdPartyJoin) -> ControlAck: ...

    async def get_meeting(self, meeting_id: int | str) -> Meeting: ...


@dataclass(frozen=True)
class DispatchPolicy:
    watch_timeout: float = 45.0  # seconds to wait for InMeeting after Zoom accepted
    poll_interval: float = 2.0
    passcode_attempt_limit: int = audit.PASSCODE_ATTEMPT_LIMIT
    # A room needs a few seconds to get into a meeting: a status read sooner only spends the rate limit.
    first_poll_delay: float = 2.0


@dataclass(frozen=True)
class RoomTarget:
    """A stored room, detached from its session."""

    key: int
    name: str
    zoom_room_id: str
    zoom_id: str | None

    def as_zoom(self) -> ZoomRoom:
        return ZoomRoom(id=self.zoom_id or self.zoom_room_id, room_id=self.zoom_room_id, name=self.name, status="")


@dataclass(frozen=True)
class WatchResult:
    last: str | None  # the last status Zoom reported (None: never readable)
    joined: bool
    poll_error: str | None = None  # the kind of error the last failed poll had, for the message


class DispatchService:
    def __init__(
        self,
        zoom: RoomControlApi,
        board: RoomStatusBoard,
        session_factory: sessionmaker[Session],
        *,
        policy: DispatchPolicy = DispatchPolicy(),
        secret_box: SecretBox | None = None,  # without one, passcodes are not remembered
        describe: Callable[[Reason], str] = reason_codes,  # words reasons for the audit trail (bot.slack.wording)
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.zoom = zoom
        self.board = board
        self.sessions = session_factory
        self.describe = describe
        self.trail = AuditTrail(session_factory, secret_box, zoom.settings.rooms_api, describe)
        self.policy = policy
        self._sleep = sleep
        self._monotonic = monotonic
        self.monotonic = monotonic
        self.third_party = ThirdPartyFlow(self)
        self.stopping = False  # set by stop_watching

    def stop_watching(self) -> None:
        """The process is stopping and its grace is over (``bot.runtime.shut_down``): every watch ends at its next
        poll as unconfirmed — the join was sent, so the audit row and the channel say the bot restarted before
        it could confirm, and no leave is sent blind — and a join that has not left yet is refused, not sent."""
        self.stopping = True

    @property
    def protocol(self) -> str:
        return self.zoom.settings.rooms_api

    # ------------------------------------------------------------------------------------ rooms

    async def resolve(self, room_text: str, requester: Requester, channel_id: str | None,
                      source: DispatchSource, action: DispatchAction, *,
                      room_key: int | None = None) -> RoomTarget | DispatchResult:
        """The stored room the user meant, or the refusal to show (unknown room, not allowed), audited.
        ``room_key``: the room is known by its stored id (a booking's); ``room_text`` then only names it."""
        return await to_thread(self.resolve_now, room_text, requester, channel_id, source, action, room_key=room_key)

    def resolve_now(self, room_text: str, requester: Requester, channel_id: str | None,
                    source: DispatchSource, action: DispatchAction, *,
                    room_key: int | None = None) -> RoomTarget | DispatchResult:
        """``resolve`` for a caller on a thread of its own (a Slack listener checking before it submits)."""
        # A read: no write lock unless it is refused.
        found = self._look_up(room_text, requester, channel_id, room_key=room_key)
        if not isinstance(found, DispatchResult):
            return found
        with self.trail.writing() as session:
            found = self._lookup(session, room_text, requester, channel_id, room_key=room_key)
            if isinstance(found, DispatchResult):
                room = session.get(Room, found.room_key) if found.room_key else None
                # Typed text may hold a passcode or a pwd= token: the audit trail keeps it as it is quoted back.
                self.trail.refusal(session, requester, channel_id, source, action, room,
                                   None if room else quote_typed(room_text), found.reason)
            return found

    @staticmethod
    def _lookup(session: Session, room_text: str, requester: Requester, channel_id: str | None, *,
                room_key: int | None = None) -> RoomTarget | DispatchResult:
        if room_key is not None:
            room = session.get(Room, room_key)
        else:
            room = room_store.find_room_or_unique_prefix(session, room_text)
        if room is None:
            suggestions = tuple(room_store.suggest_rooms(session, room_text))
            return DispatchResult(ResultKind.UNKNOWN_ROOM, room_text.strip() or "?",
                                  reason(Why.UNKNOWN_ROOM, typed=quote_typed(room_text), suggestions=suggestions),
                                  suggestions=suggestions)
        if not room_store.is_dispatch_allowed(session, room, user_id=requester.user_id, channel_id=channel_id,
                                              usergroup_ids=requester.usergroup_ids):
            return DispatchResult(ResultKind.NOT_ALLOWED, room.name, reason(Why.NOT_ALLOWED, room=room.name),
                                  room_key=room.id)
        return RoomTarget(room.id, room.name, room.zoom_room_id, room.zoom_id)

    async def live_status(self, target: RoomTarget, *, watching: bool = False) -> str:
        """``watching``: the room is being watched after a join or leave (``RoomStatusBoard.status``)."""
        return await self.board.status(target.as_zoom(), watching=watching)

    # ------------------------------------------------------------------------------------ join

    async def join(self, request: JoinRequest, progress: ProgressCallback = no_progress, *,
                   target: RoomTarget | None = None) -> DispatchResult:
        """Check the reference, resolve the room (unless the caller already did: ``target``), find the passcode,
        then dispatch."""
        ref = request.meeting
        if ref.is_third_party:  # Teams, Meet, SIP: zoomroom.thirdparty_meeting_join
            return await self.third_party.join(request, progress, target=target)
        if not ref.is_valid:
            return DispatchResult(ResultKind.INVALID_REFERENCE, request.room,
                                  reason(Why.BAD_REFERENCE, detail=ref.reason))
        stated = request.passcode or ref.passcode
        if stated is not None and len(stated) > MAX_PLAUSIBLE_PASSCODE:
            return DispatchResult(ResultKind.INVALID_REFERENCE, request.room, reason(Why.PASSCODE_TOO_LONG))
        if not ref.meeting_id:
            return DispatchResult(ResultKind.INVALID_REFERENCE, request.room, reason(Why.PERSONAL_LINK))
        if target is None:
            found = await self.resolve(request.room, request.requester, request.channel_id, request.source,
                                       DispatchAction.JOIN)
            if isinstance(found, DispatchResult):
                return found
            target = found
        try:
            source = await find_passcode(request, self.account_meeting)
        except ZoomError as error:  # only raised for errors that make the lookup meaningless
            return await self._zoom_failure(target, ref.meeting_id, error, request, None)
        return await self.dispatch(target, request, source, progress)

    async def dispatch(self, target: RoomTarget, request: JoinRequest, source: PasscodeSource,
                       progress: ProgressCallback = no_progress, notes: tuple[Reason, ...] = (), *,
                       join_marker: JoinMarker | None = None) -> DispatchResult:
        """Pre-flight, room control and watch for a resolved room and a known passcode source."""
        meeting_id = request.meeting.meeting_id or ""
        number = format_meeting_number(meeting_id)
        passcode = source.passcode
        room = target.name
        base = DispatchResult(ResultKind.ZOOM_ERROR, room, reason(Why.ZOOM_ERROR), meeting_id=meeting_id,
                              room_key=target.key, notes=notes)
        if passcode is None and not request.without_passcode and source.meeting is None:
            return await self._refuse(base, request, ResultKind.NEEDS_PASSCODE,
                                      reason(Why.NEEDS_PASSCODE, room=room, number=number),
                                      (Fix.ENTER_PASSCODE, Fix.JOIN_WITHOUT_PASSCODE))
        try:
            status = await self.live_status(target)
        except ZoomError as error:
            return await self._zoom_failure(target, meeting_id, error, request, None)
        base = replace(base, room_status=status)
        if status not in ONLINE:
            return await self._refuse(base, request, ResultKind.ROOM_OFFLINE,
                                      reason(Why.ROOM_NOT_ONLINE, room=room, status=status), (Fix.RETRY,), passcode)
        if status == "InMeeting" and not request.force_accept:
            return await self._refuse(base, request, ResultKind.ROOM_BUSY,
                                      reason(Why.ROOM_BUSY, room=room, number=number), (Fix.JOIN_ANYWAY, Fix.LEAVE),
                                      passcode)
        if passcode:
            compatibility = rooms_compatibility(passcode)
            if not compatibility.ok:
                repair = (Fix.REPAIR_PASSCODE,) if self.may_repair(request.requester, source.meeting) else ()
                if self.protocol == "jsonrpc":
                    incompatible = reason(Why.PASSCODE_INCOMPATIBLE, room=room, detail=compatibility.reason,
                                          repairable=bool(repair))
                    return await self._refuse(base, request, ResultKind.PASSCODE_INCOMPATIBLE, incompatible,
                                              (*repair, Fix.ENTER_PASSCODE))
                may_stall = reason(Why.NOTE_PASSCODE_MAY_STALL, detail=compatibility.reason)
                base = replace(base, notes=(*base.notes, may_stall))
        return await self._send_and_watch(base, target, request, passcode, source, progress, join_marker)

    async def _send_and_watch(self, base: DispatchResult, target: RoomTarget, request: JoinRequest,
                              passcode: str | None, source: PasscodeSource, progress: ProgressCallback,
                              join_marker: JoinMarker | None) -> DispatchResult:
        if self.stopping:  # see stop_watching: audited as refused, and the requester is told
            return await self._refuse(base, request, ResultKind.ZOOM_ERROR,
                                      reason(Why.NOT_SENT_STOPPING), (Fix.RETRY,), passcode)
        chain = ProgressChain(progress)
        try:
            return await self._send_and_watch_reporting(base, target, request, passcode, source, chain, join_marker)
        finally:
            await chain.drain()

    async def _send_and_watch_reporting(self, base: DispatchResult, target: RoomTarget, request: JoinRequest,
                                        passcode: str | None, source: PasscodeSource, progress: ProgressChain,
                                        join_marker: JoinMarker | None) -> DispatchResult:
        meeting_id = base.meeting_id or ""
        number = format_meeting_number(meeting_id)
        started_row = await to_thread(self._start_join_row, base, target, request, passcode, join_marker)
        if isinstance(started_row, DispatchResult):
            return started_row
        dispatch_id, dispatch_ref, attempt_id = started_row
        base = replace(base, dispatch_id=dispatch_id, dispatch_ref=dispatch_ref)
        progress.emit(Stage.DISPATCHING, reason(Why.SENDING, room=target.name, number=number))
        started = self._monotonic()
        try:
            ack = await self.zoom.join_room(target.as_zoom(), meeting_id, passcode, request.force_accept)
        except ZoomError as error:
            await to_thread(self.trail.settle_attempt, attempt_id, succeeded=False)
            return await self._zoom_failure(target, meeting_id, error, request, source,
                                            row=(dispatch_id, dispatch_ref), notes=base.notes, sent=True)
        self.board.control_sent(target.zoom_room_id)
        await to_thread(self.trail.record, dispatch_id, "join", http_status=ack.http_status,
                        elapsed=self._monotonic() - started, outcome=DispatchOutcome.ACCEPTED, ack=ack)
        progress.emit(Stage.ACCEPTED, reason(Why.WAITING_FOR_JOIN, room=target.name, number=number))
        # GET /rooms says InMeeting but not which meeting: a room pulled out of another meeting must first be
        # seen leaving it, or its old meeting would pass for the new one.
        watch = await self._watch(target, must_leave_first=base.room_status == "InMeeting")
        if watch.joined:
            # Zoom reports a room in the waiting room as InMeeting: say what it is really waiting for.
            waiting = source.meeting is not None and source.meeting.waiting_room
            joined = reason(Why.IN_WAITING_ROOM if waiting else Why.IN_MEETING, room=target.name, number=number)
            await to_thread(self.trail.record, dispatch_id, "status", room_status=watch.last,
                            outcome=DispatchOutcome.JOINED, reason=joined, settled_attempt=attempt_id)
            return replace(base, kind=ResultKind.IN_MEETING, reason=joined, room_status=watch.last,
                           fixes=(Fix.LEAVE,))
        if watch.last == "InMeeting" or watch.last is None:
            return await self._unconfirmed(base, target, dispatch_id, watch)
        return await self._stuck(base, target, request, passcode, source, dispatch_id, attempt_id, watch.last)

    def _start_join_row(self, base: DispatchResult, target: RoomTarget, request: JoinRequest, passcode: str | None,
                        join_marker: JoinMarker | None) -> tuple[int, str | None, int | None] | DispatchResult:
        """One short write transaction: the dispatch row, with a passcode its attempt (or the refusal), and
        the join marker."""
        meeting_id = base.meeting_id or ""
        with self.trail.writing() as session:
            # Statements built once, nothing loaded: this runs for every join (bot.store.prepared).
            present = (audit.lock_room_for_passcode_attempt(session, target.key) if passcode
                       else room_store.room_exists(session, target.key))
            dispatch_id, dispatch_ref = audit.insert_dispatch(
                session, requested_by=request.requester.user_id, channel_id=request.channel_id, source=request.source,
                action=DispatchAction.JOIN, room_id=target.key if present else None, room_name=target.name,
                zoom_room_id=target.zoom_room_id, meeting_id=meeting_id, protocol=self.protocol,
                passcode_used=bool(passcode), force_accept=request.force_accept, passcode=self.trail.sealed(passcode))
            # From here on the work's log lines carry the row (an ORM insert would have told bot.logcontext itself).
            logcontext.note(dispatch_id=dispatch_id, dispatch_ref=dispatch_ref)
            if not present:  # removed since it was resolved: refused, audited
                gone = reason(Why.UNKNOWN_ROOM, typed=quote_typed(target.name), suggestions=())
                audit.update_dispatch_outcome(session, dispatch_id, DispatchOutcome.REFUSED, self.trail.describe(gone))
                return replace(base, kind=ResultKind.UNKNOWN_ROOM, reason=gone, room_key=None,
                               dispatch_id=dispatch_id, dispatch_ref=dispatch_ref)
            attempt_id = None
            if passcode:
                attempt_id = audit.try_record_passcode_attempt(session, target.key, dispatch_id=dispatch_id,
                                                               limit=self.policy.passcode_attempt_limit,
                                                               room_locked=True)
                if attempt_id is None:
                    limit = self.policy.passcode_attempt_limit
                    pending = audit.count_pending_passcode_attempts(session, target.key)
                    if pending:  # say so: those joins may still work, they are not failures (yet)
                        refusal = reason(Why.TOO_MANY_PENDING, room=target.name, limit=limit, pending=pending)
                    else:
                        free_at = audit.passcode_attempts_free_at(session, target.key, limit=limit)
                        refusal = reason(Why.TOO_MANY_FAILED, room=target.name, limit=limit,
                                         free_at=f"{free_at:%H:%M}" if free_at else None)
                    audit.update_dispatch_outcome(session, dispatch_id, DispatchOutcome.REFUSED,
                                                  self.trail.describe(refusal))
                    return replace(base, kind=ResultKind.TOO_MANY_ATTEMPTS, reason=refusal, dispatch_id=dispatch_id,
                                   dispatch_ref=dispatch_ref)
            if join_marker is not None:
                audit.claim_once(session, join_marker.key, ttl=join_marker.ttl)
            return dispatch_id, dispatch_ref, attempt_id

    async def watch_join(self, target: RoomTarget) -> WatchResult:
        """Watch a room that a join was (maybe) sent to earlier, as the flow watches its own joins."""
        return await self._watch(target, must_leave_first=False)

    async def _watch(self, target: RoomTarget, *, must_leave_first: bool) -> WatchResult:
        """Poll the room until it is seen joining, or the watch times out.

        Any Zoom error while polling is only logged: the join was already sent, so the flow must still end
        with an honest result (and never a leave sent blind, which could pull a room out of a meeting it
        joined correctly).
        """
        deadline = self._monotonic() + self.policy.watch_timeout
        last: str | None = None
        left_previous = not must_leave_first
        error_name: str | None = None
        await self._sleep(min(self.policy.first_poll_delay, self.policy.watch_timeout))
        while True:
            if self.stopping:  # see stop_watching: unconfirmed (no status), never a leave
                return WatchResult(None, joined=False, poll_error=STOPPED_WATCHING)
            try:
                last = await self.live_status(target, watching=True)
            except ZoomError as error:
                error_name = type(error).__name__
                log.info("room status poll failed for %s: %s", target.name, error_name)
            if last is not None and last != "InMeeting":
                left_previous = True
            if (last == "InMeeting" and left_previous) or self._monotonic() >= deadline:
                return WatchResult(last, joined=last == "InMeeting" and left_previous, poll_error=error_name)
            await self._sleep(self.policy.poll_interval)

    async def _unconfirmed(self, base: DispatchResult, target: RoomTarget, dispatch_id: int,
                     watch: WatchResult) -> DispatchResult:
        """Zoom accepted, but its status cannot tell whether the room joined: say so, change nothing."""
        number = format_meeting_number(base.meeting_id)
        if watch.last is None:
            unsure = reason(Why.UNCONFIRMED_NO_STATUS, room=target.name, poll_error=watch.poll_error)
        else:
            unsure = reason(Why.UNCONFIRMED_WAS_BUSY, room=target.name, number=number)
        await to_thread(self.trail.record, dispatch_id, "status", room_status=watch.last,
                        outcome=DispatchOutcome.FAILED, reason=unsure)
        return replace(base, kind=ResultKind.UNCONFIRMED, reason=unsure, room_status=watch.last,
                       fixes=(Fix.LEAVE, Fix.RETRY))

    async def _stuck(self, base: DispatchResult, target: RoomTarget, request: JoinRequest, passcode: str | None,
                     source: PasscodeSource, dispatch_id: int, attempt_id: int | None,
                     final_status: str | None) -> DispatchResult:
        await to_thread(self.trail.settle_attempt, attempt_id, succeeded=False)
        cleared = True
        try:
            await self.zoom.leave_room(target.as_zoom())
            self.board.control_sent(target.zoom_room_id)
        except ZoomError as error:
            cleared = False
            log.warning("leave after a stuck join failed for %s: %s", target.name, type(error).__name__)
        stuck = reason(Why.STUCK, room=target.name, number=format_meeting_number(base.meeting_id),
                       seconds=int(self.policy.watch_timeout), with_passcode=bool(passcode), cleared=cleared)
        await to_thread(self.trail.record, dispatch_id, "leave" if cleared else "status", room_status=final_status,
                        outcome=DispatchOutcome.FAILED, reason=stuck)
        fixes = [Fix.ENTER_PASSCODE, Fix.RETRY]
        meeting = source.meeting
        if passcode and meeting is None:
            # Only now does whose meeting it is matter: may the requester repair its passcode?
            meeting = await self.account_meeting(base.meeting_id)
        if passcode and self.may_repair(request.requester, meeting):
            fixes.insert(0, Fix.REPAIR_PASSCODE)
        return replace(base, kind=ResultKind.STUCK_ON_PROMPT, reason=stuck, room_status=final_status,
                       fixes=tuple(fixes))

    # ------------------------------------------------------------------------------------ leave / status

    async def leave(self, room_text: str, requester: Requester, channel_id: str | None,
                    source: DispatchSource = DispatchSource.COMMAND, *,
                    target: RoomTarget | None = None) -> DispatchResult:
        if target is None:
            found = await self.resolve(room_text, requester, channel_id, source, DispatchAction.LEAVE)
            if isinstance(found, DispatchResult):
                return found
            target = found
        dispatch_id, dispatch_ref, service = await to_thread(self._start_leave_row, target, requester, channel_id,
                                                             source)
        request = JoinRequest(room_text, _NO_MEETING, requester, channel_id, source)
        try:
            ack = await self.zoom.leave_room(target.as_zoom())
        except ZoomError as error:
            return await self._zoom_failure(target, None, error, request, None, row=(dispatch_id, dispatch_ref),
                                            sent=True)
        self.board.control_sent(target.zoom_room_id)
        kind, left = ResultKind.LEFT, reason(Why.LEAVING, room=target.name)
        if service is None:
            await to_thread(self.trail.record, dispatch_id, "leave", http_status=ack.http_status,
                            outcome=DispatchOutcome.LEFT, reason=left, ack=ack)
        else:  # Zoom may not honour a leave for a third-party call: only the room's status proves it
            await to_thread(self.trail.record, dispatch_id, "leave", http_status=ack.http_status, ack=ack)
            if await self.watch_leave(target):
                left = reason(Why.LEFT_THIRD_PARTY, room=target.name, service=service)
            else:
                kind, left = ResultKind.UNCONFIRMED, reason(Why.LEAVE_UNCONFIRMED, room=target.name, service=service)
            await to_thread(self.trail.record, dispatch_id, "status", reason=left, outcome=DispatchOutcome.LEFT
                            if kind is ResultKind.LEFT else DispatchOutcome.FAILED)
        return DispatchResult(kind, target.name, left, room_key=target.key, dispatch_id=dispatch_id,
                              dispatch_ref=dispatch_ref, service=service)

    async def watch_leave(self, target: RoomTarget) -> bool:
        """Whether the room is seen out of its meeting within the watch's time (a third-party call's leave)."""
        deadline = self._monotonic() + self.policy.watch_timeout
        await self._sleep(min(self.policy.first_poll_delay, self.policy.watch_timeout))
        while True:
            try:
                if await self.live_status(target, watching=True) != "InMeeting":
                    return True
            except ZoomError as error:
                log.info("room status poll failed for %s: %s", target.name, type(error).__name__)
            if self._monotonic() >= deadline:
                return False
            await self._sleep(self.policy.poll_interval)

    def _start_leave_row(self, target: RoomTarget, requester: Requester, channel_id: str | None,
                         source: DispatchSource) -> tuple[int, str | None, Provider | None]:
        """The leave's audit row, and the service of the meeting the room was last sent into (None: Zoom)."""
        with self.trail.writing() as session:
            service = stored_service(audit.last_joined_provider(session, target.key))
            dispatch = audit.start_dispatch(
                session, requested_by=requester.user_id, channel_id=channel_id, source=source,
                action=DispatchAction.LEAVE, room=session.get(Room, target.key), protocol=self.protocol)
            return dispatch.id, dispatch.reference, service

    async def status(self, room_text: str, requester: Requester, channel_id: str | None) -> DispatchResult:
        """Live status, for people allowed to use the room (a lookup: not audited)."""
        target = await to_thread(self._look_up, room_text, requester, channel_id)
        if isinstance(target, DispatchResult):
            return target
        try:
            status = await self.live_status(target)
        except ZoomError as error:
            return DispatchResult(ResultKind.ZOOM_ERROR, target.name, reason(Why.ZOOM_ERROR, detail=error.explain()),
                                  room_key=target.key,
                                  zoom_error=zoom_error_detail(error), fixes=(Fix.RETRY,))
        fixes = (Fix.LEAVE,) if status == "InMeeting" else ()
        return DispatchResult(ResultKind.STATUS, target.name, reason(Why.STATUS, room=target.name, status=status),
                              room_key=target.key, room_status=status, fixes=fixes)

    # ------------------------------------------------------------------------------------ passcodes

    def _look_up(self, room_text: str, requester: Requester, channel_id: str | None, *,
                 room_key: int | None = None) -> RoomTarget | DispatchResult:
        with session_scope(self.sessions) as session:
            return self._lookup(session, room_text, requester, channel_id, room_key=room_key)

    async def account_meeting(self, meeting_id: str | None) -> Meeting | None:
        return await account_meeting(self.zoom, meeting_id)

    may_repair = staticmethod(may_repair)

    # ------------------------------------------------------------------------------------ audit helpers

    async def _refuse(self, base: DispatchResult, request: JoinRequest, kind: ResultKind, refusal: Reason,
                      fixes: tuple[Fix, ...], passcode: str | None = None) -> DispatchResult:
        dispatch_id, dispatch_ref = await to_thread(self._refusal_row, base, request, refusal, passcode)
        return replace(base, kind=kind, reason=refusal, fixes=fixes, dispatch_id=dispatch_id,
                       dispatch_ref=dispatch_ref)

    def _refusal_row(self, base: DispatchResult, request: JoinRequest, refusal: Reason,
                     passcode: str | None) -> DispatchRow:
        with self.trail.writing() as session:
            room = session.get(Room, base.room_key) if base.room_key else None
            dispatch = self.trail.refusal(session, request.requester, request.channel_id, request.source,
                                         DispatchAction.JOIN, room, base.room_name, refusal,
                                         meeting_id=base.meeting_id, force_accept=request.force_accept)
            # "Join anyway" / "Retry" on this refusal must not ask for the passcode again.
            self.trail.remember(dispatch, passcode)
            return dispatch.id, dispatch.reference

    def remembered_passcode(self, dispatch_id: int) -> str | None:
        return self.trail.remembered_passcode(dispatch_id)

    async def _zoom_failure(self, target: RoomTarget, meeting_id: str | None, error: ZoomError,
                            request: JoinRequest, source: PasscodeSource | None, *, row: DispatchRow | None = None,
                            notes: tuple[Reason, ...] = (), sent: bool = False) -> DispatchResult:
        """``sent``: the failing call was a room control request (a join or leave), not a lookup before it.
        ``row``: the dispatch's audit row, when there is one already."""
        kind = ResultKind.ROOM_OFFLINE if isinstance(error, ZoomRoomOffline) else ResultKind.ZOOM_ERROR
        number = format_meeting_number(meeting_id) if meeting_id else None
        failure = failure_reason(target.name, ZoomAction.SEND, number, error, sent=sent)
        fixes: list[Fix] = []
        if isinstance(error, ZoomValidationError) and is_passcode_error(error):
            meeting = source.meeting if source else None
            if self.may_repair(request.requester, meeting):
                fixes.append(Fix.REPAIR_PASSCODE)
            fixes.append(Fix.ENTER_PASSCODE)
        if isinstance(error, (ZoomRateLimited, ZoomUnavailable, ZoomRoomOffline)) or not fixes:
            if not (isinstance(error, ZoomRateLimited) and error.daily):
                fixes.append(Fix.RETRY)
        dispatch_id, dispatch_ref = await to_thread(self._failure_row, target, meeting_id, error, request, failure, row)
        return DispatchResult(kind, target.name, failure, meeting_id=meeting_id, room_key=target.key,
                              zoom_error=zoom_error_detail(error), fixes=tuple(fixes), dispatch_id=dispatch_id,
                              dispatch_ref=dispatch_ref, notes=notes)

    def _failure_row(self, target: RoomTarget, meeting_id: str | None, error: ZoomError, request: JoinRequest,
                     failure: Reason, row: DispatchRow | None) -> DispatchRow:
        if row is None:
            with self.trail.writing() as session:
                dispatch = audit.start_dispatch(
                    session, requested_by=request.requester.user_id, channel_id=request.channel_id,
                    source=request.source, action=DispatchAction.JOIN, room=session.get(Room, target.key),
                    meeting_id=meeting_id, protocol=self.protocol)
                row = dispatch.id, dispatch.reference
        self.trail.record(row[0], "join", error=error, outcome=DispatchOutcome.FAILED, reason=failure)
        return row
