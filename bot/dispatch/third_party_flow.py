"""The dispatch flow for Teams, Google Meet and SIP meetings: the same steps as a Zoom meeting's — room resolved
and allowed, pre-flight, busy-room safety, one audited dispatch, progress, verified by watching the room — through
``zoomroom.thirdparty_meeting_join``, with what differs said plainly (see ``bot.dispatch.third_party``).

- Only on the current ``events`` Rooms API (the legacy one has no such method): refused before Zoom is called.
- No ``force_accept`` exists for this method, so "Join anyway" first asks the busy room to leave and waits to
  see it leave; a room that stays in its meeting is not sent.
- A watch that times out sends no leave: the room may be waiting in the meeting's lobby, and a leave would take
  it out of there.  The result names the likely causes instead (lobby, interop not enabled).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot.dispatch.engine import to_thread
from bot.dispatch.outcomes import (
    DispatchResult,
    Fix,
    JoinRequest,
    ProgressCallback,
    ProgressChain,
    ResultKind,
    Stage,
    no_progress,
)
from bot.dispatch.reasons import Reason, Why, ZoomAction, reason
from bot.dispatch.third_party import audit_meeting_id, seal_target, third_party_join
from bot.dispatch.zoom_answers import failure_reason, zoom_error_detail
from bot.store import audit
from bot.store.models import Room
from bot.store.types import DispatchAction, DispatchOutcome
from bot.zoom.errors import ZoomError, ZoomRoomOffline
from bot.zoom.models import ThirdPartyJoin

if TYPE_CHECKING:
    from bot.dispatch.service import DispatchRow, DispatchService, JoinMarker, RoomTarget

ONLINE = frozenset({"Available", "InMeeting"})


class ThirdPartyFlow:
    def __init__(self, service: DispatchService) -> None:
        self.service = service

    async def join(self, request: JoinRequest, progress: ProgressCallback = no_progress, *,
                   target: RoomTarget | None = None, join_marker: JoinMarker | None = None) -> DispatchResult:
        ref, service = request.meeting, request.meeting.provider
        if self.service.protocol != "events":
            return DispatchResult(ResultKind.CONFIG_ERROR, request.room,
                                  reason(Why.THIRD_PARTY_NEEDS_EVENTS_API, service=service), service=service)
        passcode = request.passcode or ref.passcode
        join = third_party_join(ref, passcode)
        if isinstance(join, Reason):
            return DispatchResult(ResultKind.INVALID_REFERENCE, request.room, join, service=service)
        if target is None:
            found = await self.service.resolve(request.room, request.requester, request.channel_id, request.source,
                                               DispatchAction.JOIN)
            if isinstance(found, DispatchResult):
                return replace(found, service=service)
            target = found
        base = DispatchResult(ResultKind.ZOOM_ERROR, target.name, reason(Why.ZOOM_ERROR), room_key=target.key,
                              meeting_id=audit_meeting_id(ref), service=service)
        refused = await self._preflight(base, target, request, passcode)
        if refused is not None:
            return refused
        if self.service.stopping:  # the process is stopping (DispatchService.stop_watching): nothing is sent
            return await self._refuse(base, request, ResultKind.ZOOM_ERROR,
                                      reason(Why.NOT_SENT_STOPPING), (Fix.RETRY,), passcode)
        chain = ProgressChain(progress)
        try:
            return await self._send_and_watch(base, target, request, join, passcode, chain, join_marker)
        finally:
            await chain.drain()

    async def _preflight(self, base: DispatchResult, target: RoomTarget, request: JoinRequest,
                         passcode: str | None) -> DispatchResult | None:
        service = base.service
        try:
            status = await self.service.live_status(target)
        except ZoomError as error:
            return await self._failure(base, target, request, error, sent=False)
        base = replace(base, room_status=status)
        if status not in ONLINE:
            return await self._refuse(base, request, ResultKind.ROOM_OFFLINE,
                                      reason(Why.ROOM_NOT_ONLINE, room=target.name, status=status), (Fix.RETRY,),
                                      passcode)
        if status == "InMeeting" and not request.force_accept:
            return await self._refuse(base, request, ResultKind.ROOM_BUSY,
                                      reason(Why.ROOM_BUSY_THIRD_PARTY, room=target.name, service=service),
                                      (Fix.JOIN_ANYWAY, Fix.LEAVE), passcode)
        if status == "InMeeting" and not await self._pull_out(target):
            return await self._refuse(base, request, ResultKind.ROOM_BUSY,
                                      reason(Why.ROOM_STAYED_BUSY, room=target.name, service=service), (Fix.LEAVE,),
                                      passcode)
        return None

    async def _pull_out(self, target: RoomTarget) -> bool:
        """"Join anyway": the method has no force_accept, so ask the room to leave and wait to see it go."""
        try:
            await self.service.zoom.leave_room(target.as_zoom())
        except ZoomError:
            return False
        self.service.board.control_sent(target.zoom_room_id)
        return await self.service.watch_leave(target)

    async def _send_and_watch(self, base: DispatchResult, target: RoomTarget, request: JoinRequest,
                              join: ThirdPartyJoin, passcode: str | None, progress: ProgressChain,
                              join_marker: JoinMarker | None) -> DispatchResult:
        service, trail = base.service, self.service.trail
        dispatch_id, dispatch_ref = row = await to_thread(self._start_row, base, target, request, passcode,
                                                          join_marker)
        base = replace(base, dispatch_id=dispatch_id, dispatch_ref=dispatch_ref)
        progress.emit(Stage.DISPATCHING, reason(Why.SENDING_THIRD_PARTY, room=target.name, service=service))
        started = self.service.monotonic()
        try:
            ack = await self.service.zoom.join_third_party(target.as_zoom(), join)
        except ZoomError as error:
            return await self._failure(base, target, request, error, sent=True, row=row)
        self.service.board.control_sent(target.zoom_room_id)
        await to_thread(trail.record, dispatch_id, "join", http_status=ack.http_status,
                        elapsed=self.service.monotonic() - started, outcome=DispatchOutcome.ACCEPTED, ack=ack)
        progress.emit(Stage.ACCEPTED, reason(Why.WAITING_THIRD_PARTY, room=target.name, service=service))
        watch = await self.service.watch_join(target)
        if watch.joined:
            joined = reason(Why.IN_THIRD_PARTY, room=target.name, service=service)
            await to_thread(trail.record, dispatch_id, "status", room_status=watch.last,
                            outcome=DispatchOutcome.JOINED, reason=joined)
            return replace(base, kind=ResultKind.IN_MEETING, reason=joined, room_status=watch.last,
                           fixes=(Fix.LEAVE,))
        # No leave: the room may be in the lobby, and a leave would take it out of there.
        unseen = reason(Why.THIRD_PARTY_NOT_SEEN, room=target.name, service=service,
                        seconds=int(self.service.policy.watch_timeout), poll_error=watch.poll_error)
        await to_thread(trail.record, dispatch_id, "status", room_status=watch.last,
                        outcome=DispatchOutcome.FAILED, reason=unseen)
        return replace(base, kind=ResultKind.UNCONFIRMED, reason=unseen, room_status=watch.last,
                       fixes=(Fix.RETRY, Fix.LEAVE))

    def _start_row(self, base: DispatchResult, target: RoomTarget, request: JoinRequest, passcode: str | None,
                   join_marker: JoinMarker | None) -> DispatchRow:
        """The dispatch row, and in the same transaction the booking worker's join marker (exactly once)."""
        trail = self.service.trail
        with trail.writing() as session:
            dispatch = audit.start_dispatch(
                session, requested_by=request.requester.user_id, channel_id=request.channel_id,
                source=request.source, action=DispatchAction.JOIN, room=session.get(Room, target.key),
                meeting_id=base.meeting_id, protocol=self.service.protocol, passcode_used=bool(passcode),
                force_accept=request.force_accept)
            dispatch.provider = base.service
            dispatch.third_party = seal_target(trail.secret_box, request.meeting, passcode)
            if join_marker is not None:
                audit.claim_once(session, join_marker.key, ttl=join_marker.ttl)
            return dispatch.id, dispatch.reference

    async def _refuse(self, base: DispatchResult, request: JoinRequest, kind: ResultKind, refusal: Reason,
                      fixes: tuple[Fix, ...], passcode: str | None) -> DispatchResult:
        dispatch_id, dispatch_ref = await to_thread(self._refusal_row, base, request, refusal, passcode)
        return replace(base, kind=kind, reason=refusal, fixes=fixes, dispatch_id=dispatch_id,
                       dispatch_ref=dispatch_ref)

    def _refusal_row(self, base: DispatchResult, request: JoinRequest, refusal: Reason,
                     passcode: str | None) -> DispatchRow:
        trail = self.service.trail
        with trail.writing() as session:
            room = session.get(Room, base.room_key) if base.room_key else None
            dispatch = trail.refusal(session, request.requester, request.channel_id, request.source,
                                     DispatchAction.JOIN, room, base.room_name, refusal, meeting_id=base.meeting_id,
                                     force_accept=request.force_accept)
            # "Join anyway" / "Retry" on this refusal send the same meeting again.
            dispatch.provider = base.service
            dispatch.third_party = seal_target(trail.secret_box, request.meeting, passcode)
            return dispatch.id, dispatch.reference

    async def _failure(self, base: DispatchResult, target: RoomTarget, request: JoinRequest, error: ZoomError, *,
                       sent: bool, row: DispatchRow | None = None) -> DispatchResult:
        failure = failure_reason(target.name, ZoomAction.SEND_THIRD_PARTY, None, error, sent=sent,
                                 service=base.service)
        kind = ResultKind.ROOM_OFFLINE if isinstance(error, ZoomRoomOffline) else ResultKind.ZOOM_ERROR
        if row is None:
            row = await to_thread(self._refusal_row, base, request, failure, request.passcode)
        else:
            await to_thread(self.service.trail.record, row[0], "join", error=error, outcome=DispatchOutcome.FAILED,
                            reason=failure)
        daily = getattr(error, "daily", False)
        return replace(base, kind=kind, reason=failure, zoom_error=zoom_error_detail(error),
                       fixes=() if daily else (Fix.RETRY,), dispatch_id=row[0], dispatch_ref=row[1])
