"""Meetings the bot creates or repairs so that Zoom Rooms can join them (SPEC §7).

`/room new` generates a passcode that is Rooms-compatible *and* meets the host's passcode requirement,
creates the meeting, reads back what Zoom really applied (account locks can force a waiting room, add
authentication or forbid the passcode — the "secure with one option" scenario tables), replaces a passcode
Zoom substituted if the room could not type it, and dispatches the room.  A repair gives an existing meeting
on the bot's account a new compatible passcode, for its host or an admin only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from bot.dispatch.outcomes import (
    DispatchResult,
    Fix,
    JoinRequest,
    ProgressCallback,
    Requester,
    ResultKind,
    Stage,
    format_meeting_number,
    no_progress,
    report_progress,
)
from bot.dispatch.reasons import Reason, Why, ZoomAction, reason
from bot.dispatch.service import DispatchService, PasscodeSource, RoomTarget
from bot.dispatch.zoom_answers import zoom_error_detail
from bot.meetings import (
    MeetingReference,
    PasscodeRequirement,
    UnsatisfiableRequirement,
    generate_passcode,
    requirement_violations,
    rooms_compatibility,
)
from bot.store.types import DispatchAction, DispatchSource
from bot.zoom.errors import ZoomError
from bot.zoom.models import Meeting, SecuritySettings
from bot.zoom.settings import ZoomSettings

log = logging.getLogger("bot.dispatch")

REQUIREMENT_TTL_SECONDS = 600.0  # hosts rarely change passcode rules; re-read every 10 minutes
DEFAULT_DURATION_MINUTES = 60


@dataclass
class _CachedRequirement:
    requirement: PasscodeRequirement
    fetched_at: float


class MeetingApi(Protocol):
    """What meeting creation and repair need from Zoom (``bot.zoom.aclient.AsyncZoomClient``)."""

    settings: ZoomSettings

    async def get_user_settings(self, user_id: str | None = None, option: str | None = None) -> SecuritySettings: ...

    async def create_meeting(self, user_id: str | None, body: dict[str, object]) -> Meeting: ...

    async def get_meeting(self, meeting_id: int | str) -> Meeting: ...

    async def update_meeting(self, meeting_id: int | str, body: dict[str, object]) -> None: ...

    async def delete_meeting(self, meeting_id: int | str) -> None: ...


class RequirementCache:
    """The host's ``meeting_password_requirement``, read from Zoom and kept for a while (on the engine's loop,
    so no lock is needed)."""

    def __init__(self, zoom: MeetingApi, *, ttl: float = REQUIREMENT_TTL_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._zoom = zoom
        self._ttl = ttl
        self._monotonic = monotonic
        self._entries: dict[str, _CachedRequirement] = {}

    async def get(self, user_id: str) -> PasscodeRequirement:
        entry = self._entries.get(user_id)
        if entry and self._monotonic() - entry.fetched_at < self._ttl:
            return entry.requirement
        settings = await self._zoom.get_user_settings(user_id)
        requirement = PasscodeRequirement.from_zoom(dict(settings.meeting_password_requirement))
        self._entries[user_id] = _CachedRequirement(requirement, self._monotonic())
        return requirement


def security_notes(meeting: Meeting, room_name: str) -> tuple[Reason, ...]:
    """What the meeting's effective security settings mean for a room joining it."""
    notes = []
    if meeting.waiting_room:
        notes.append(reason(Why.NOTE_WAITING_ROOM, room=room_name))
    if meeting.meeting_authentication:
        notes.append(reason(Why.NOTE_AUTHENTICATION, room=room_name))
    return tuple(notes)


class MeetingService:
    def __init__(self, dispatcher: DispatchService, zoom: MeetingApi, *,
                 requirements: RequirementCache | None = None) -> None:
        self.dispatcher = dispatcher
        self.zoom = zoom
        self.requirements = requirements or RequirementCache(self.zoom)

    @property
    def host_user(self) -> str:
        return self.zoom.settings.host_user

    async def compatible_passcode(self, host: str) -> str:
        return generate_passcode(await self.requirements.get(host))

    async def new_meeting(self, room_text: str, topic: str | None, requester: Requester, channel_id: str | None,
                    progress: ProgressCallback = no_progress, *, source: DispatchSource = DispatchSource.COMMAND,
                    force_accept: bool = False, target: RoomTarget | None = None) -> DispatchResult:
        if target is None:
            found = await self.dispatcher.resolve(room_text, requester, channel_id, source, DispatchAction.NEW)
            if isinstance(found, DispatchResult):
                return found
            target = found
        # Check the room before creating anything: a meeting nobody can use is clutter on the host's account.
        try:
            status = await self.dispatcher.live_status(target)
        except ZoomError as error:
            return self._failure(target, error, ZoomAction.CHECK_ROOM)
        if status not in ("Available", "InMeeting"):
            return DispatchResult(ResultKind.ROOM_OFFLINE, target.name, reason(Why.NEW_ROOM_OFFLINE, room=target.name),
                                  room_key=target.key, room_status=status, fixes=(Fix.RETRY,))
        if status == "InMeeting" and not force_accept:
            return DispatchResult(ResultKind.ROOM_BUSY, target.name, reason(Why.NEW_ROOM_BUSY, room=target.name),
                                  room_key=target.key, room_status=status, fixes=(Fix.JOIN_ANYWAY, Fix.LEAVE))
        try:
            meeting, passcode = await self.create_compatible_meeting(topic or f"{target.name} meeting", progress,
                                                                     target.name)
        except UnsatisfiableRequirement as error:
            return DispatchResult(ResultKind.CONFIG_ERROR, target.name,
                                  reason(Why.UNSATISFIABLE_NEW, detail=str(error)), room_key=target.key)
        except ZoomError as error:
            return self._failure(target, error, ZoomAction.CREATE_MEETING)
        notes = security_notes(meeting, target.name)
        if not meeting.has_passcode:
            notes += (reason(Why.NOTE_NO_PASSCODE_ALLOWED),)
        request = JoinRequest(room_text, MeetingReference(meeting_id=str(meeting.id), kind="meeting"), requester,
                              channel_id, source, force_accept=force_accept, without_passcode=not passcode)
        result = await self.dispatcher.dispatch(target, request, PasscodeSource(passcode, meeting), progress, notes)
        return replace(result, join_url=meeting.join_url, passcode_for_requester=passcode)

    async def create_compatible_meeting(self, topic: str, progress: ProgressCallback = no_progress,
                                  room_name: str = "the room") -> tuple[Meeting, str | None]:
        """Create the meeting and read it back; returns it with the passcode the room must use (None: none)."""
        host = self.host_user
        passcode = await self.compatible_passcode(host)
        await report_progress(progress, Stage.DISPATCHING, reason(Why.CREATING_MEETING, room=room_name))
        body = {"topic": topic[:200], "type": 2, "duration": DEFAULT_DURATION_MINUTES, "password": passcode,
                "settings": {"join_before_host": True, "jbh_time": 0, "waiting_room": False}}
        created = await self.zoom.create_meeting(host, body)
        meeting = await self.zoom.get_meeting(created.id)  # what Zoom really applied, after account locks
        effective = meeting.password or None
        if effective and not rooms_compatibility(effective).ok:
            # Zoom substituted a passcode the room cannot type: give it one that works.
            effective = await self._replace_passcode(meeting, host)
            meeting = await self.zoom.get_meeting(meeting.id)
        return meeting, effective

    async def repair(self, room_text: str, meeting_id: str, requester: Requester, channel_id: str | None,
               progress: ProgressCallback = no_progress, *, source: DispatchSource = DispatchSource.BUTTON,
               force_accept: bool = False) -> DispatchResult:
        """Give the meeting a Rooms-compatible passcode (host or admin only), then send the room."""
        target = await self.dispatcher.resolve(room_text, requester, channel_id, source, DispatchAction.JOIN)
        if isinstance(target, DispatchResult):
            return target
        meeting = await self.dispatcher.account_meeting(meeting_id)
        number = format_meeting_number(meeting_id)
        if meeting is None:
            return DispatchResult(ResultKind.NOT_PERMITTED, target.name,
                                  reason(Why.REPAIR_NOT_ON_ACCOUNT, number=number), meeting_id=meeting_id,
                                  room_key=target.key, fixes=(Fix.ENTER_PASSCODE,))
        if not self.dispatcher.may_repair(requester, meeting):
            return DispatchResult(ResultKind.NOT_PERMITTED, target.name, reason(Why.REPAIR_NOT_HOST, number=number),
                                  meeting_id=meeting_id, room_key=target.key, fixes=(Fix.ENTER_PASSCODE,))
        await report_progress(progress, Stage.DISPATCHING, reason(Why.REPAIRING_PASSCODE, number=number))
        try:
            passcode = await self._replace_passcode(meeting, meeting.host_id or self.host_user)
        except UnsatisfiableRequirement as error:
            return DispatchResult(ResultKind.CONFIG_ERROR, target.name,
                                  reason(Why.UNSATISFIABLE_REPAIR, detail=str(error)), meeting_id=meeting_id,
                                  room_key=target.key)
        except ZoomError as error:
            return self._failure(target, error, ZoomAction.CHANGE_PASSCODE, meeting_id)
        note = reason(Why.NOTE_PASSCODE_CHANGED)
        request = JoinRequest(room_text, MeetingReference(meeting_id=meeting_id, kind="meeting"), requester,
                              channel_id, source, force_accept=force_accept)
        result = await self.dispatcher.dispatch(target, request, PasscodeSource(passcode, meeting), progress, (note,))
        return replace(result, passcode_for_requester=passcode)

    async def _replace_passcode(self, meeting: Meeting, host: str) -> str:
        requirement = await self.requirements.get(host)
        passcode = generate_passcode(requirement)
        if requirement_violations(passcode, requirement):  # generate_passcode guarantees this; belt and braces
            raise UnsatisfiableRequirement("the generated passcode does not meet the host's requirement")
        await self.zoom.update_meeting(meeting.id, {"password": passcode})
        return passcode

    @staticmethod
    def _failure(target: RoomTarget, error: ZoomError, action: ZoomAction,
                 meeting_id: str | None = None) -> DispatchResult:
        fixes = (Fix.RETRY,) if not getattr(error, "daily", False) else ()
        number = format_meeting_number(meeting_id) if meeting_id else None
        refused = reason(Why.ZOOM_REFUSED, room=target.name, action=action.value, number=number,
                         detail=error.explain())
        return DispatchResult(ResultKind.ZOOM_ERROR, target.name, refused,
                              meeting_id=meeting_id, room_key=target.key, zoom_error=zoom_error_detail(error),
                              fixes=fixes)
