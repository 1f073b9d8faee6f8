"""What the dispatch flow tells its callers: requests in, results and progress out (SPEC §7).

A ``DispatchResult`` carries everything a channel message needs — room, meeting number, Zoom's code, field
and message, the reason as a code with parameters and the fixes to offer — and never the passcode.  The
Slack layer words and renders it; the booking worker stores its ``kind`` and its worded ``reason``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

from bot.dispatch.reasons import Reason
from bot.meetings import MeetingReference
from bot.meetings.reference import Provider
from bot.store.types import DispatchSource

log = logging.getLogger("bot.dispatch")


class ResultKind(StrEnum):
    IN_MEETING = "in_meeting"  # the room was seen InMeeting after Zoom accepted
    LEFT = "left"  # a leave request was accepted
    STATUS = "status"  # a status lookup
    INVALID_REFERENCE = "invalid_reference"  # the link / id could not be used
    UNKNOWN_ROOM = "unknown_room"
    NOT_ALLOWED = "not_allowed"
    NEEDS_PASSCODE = "needs_passcode"  # the meeting (probably) needs a passcode nobody gave
    ROOM_OFFLINE = "room_offline"
    ROOM_BUSY = "room_busy"  # already in a meeting: "join anyway" sends force_accept
    PASSCODE_INCOMPATIBLE = "passcode_incompatible"  # the legacy Rooms API would refuse it
    TOO_MANY_ATTEMPTS = "too_many_attempts"  # protects the room from Zoom's 30-minute passcode lockout
    STUCK_ON_PROMPT = "stuck_on_prompt"  # Zoom accepted, the room never joined: passcode wrong or missing
    UNCONFIRMED = "unconfirmed"  # Zoom accepted; its status cannot show whether the room joined
    ZOOM_ERROR = "zoom_error"  # Zoom said no
    NOT_PERMITTED = "not_permitted"  # e.g. a passcode repair by someone who is neither host nor admin
    CONFIG_ERROR = "config_error"  # e.g. a passcode requirement no Rooms-compatible passcode can meet


SUCCESS_KINDS = frozenset({ResultKind.IN_MEETING, ResultKind.LEFT, ResultKind.STATUS})


class Fix(StrEnum):
    """Buttons the channel is offered; the Slack layer maps each to an action id."""

    RETRY = "retry"
    JOIN_ANYWAY = "join_anyway"
    ENTER_PASSCODE = "enter_passcode"
    JOIN_WITHOUT_PASSCODE = "join_without_passcode"
    REPAIR_PASSCODE = "repair_passcode"
    LEAVE = "leave"


class Stage(StrEnum):
    """Progress of one dispatch, for the message that is edited as it goes."""

    DISPATCHING = "dispatching"
    ACCEPTED = "accepted"
    FINISHED = "finished"


@dataclass(frozen=True)
class Requester:
    user_id: str
    is_admin: bool = False
    email: str | None = None  # Slack profile email: matched against the meeting host for repairs
    usergroup_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class JoinRequest:
    room: str  # as the user typed it (name or alias) or a stored room id as text for buttons
    meeting: MeetingReference
    requester: Requester
    channel_id: str | None
    source: DispatchSource = DispatchSource.COMMAND
    passcode: str | None = field(default=None, repr=False)  # stated by the user; wins over the pasted text
    force_accept: bool = False  # only ever set by an explicit "join anyway"
    without_passcode: bool = False  # the requester chose "join without passcode"


@dataclass(frozen=True)
class ZoomErrorDetail:
    status: int | None
    code: int | None
    field: str | None
    message: str


@dataclass(frozen=True)
class DispatchResult:
    kind: ResultKind
    room_name: str
    reason: Reason  # what happened, as a code with parameters (worded by bot.slack.wording)
    meeting_id: str | None = None
    room_key: int | None = None  # the store's room id, for buttons
    zoom_error: ZoomErrorDetail | None = None
    fixes: tuple[Fix, ...] = ()
    notes: tuple[Reason, ...] = ()  # extra warnings (waiting room, authentication, incompatible passcode...)
    suggestions: tuple[str, ...] = ()  # closest room names on an unknown room
    dispatch_id: int | None = None  # the audit row; buttons carry it
    dispatch_ref: str | None = None  # the audit row's reference, shown to people (never repeats)
    join_url: str | None = None  # for /room new: the link to post in the channel
    room_status: str | None = None
    service: Provider | None = None  # "teams", "meet" or "sip" for a third-party meeting; None for Zoom
    # Only for meetings the bot created or repaired; shown to the requester alone (ephemeral), never posted.
    passcode_for_requester: str | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.kind in SUCCESS_KINDS


# Called as the dispatch advances with its stage and what it is doing; may be a coroutine function (the Slack
# layer edits a message).
ProgressCallback = Callable[[Stage, Reason], Awaitable[None] | None]


def no_progress(_stage: Stage, _doing: Reason) -> None:
    return None


def format_meeting_number(meeting_id: str | None) -> str:
    """Zoom's own grouping: 812 3456 7890 (11 digits), 812 345 6789 (10), 812 345 678 (9)."""
    if not meeting_id:
        return "?"
    digits = meeting_id
    if len(digits) == 11:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if len(digits) == 10:
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    if len(digits) == 9:
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    return digits


async def report_progress(progress: ProgressCallback, stage: Stage, doing: Reason) -> None:
    """Call a progress callback, awaiting it when it is a coroutine function."""
    answer = progress(stage, doing)
    if answer is not None:
        await answer


class ProgressChain:
    """Progress reports of one dispatch, delivered in order in the background: the dispatch never waits on
    Slack to send a room, and ``drain`` (before the result is reported) lets the last report land first.
    A report that has not started when a newer one comes is dropped: the message shows the newer state, and
    a backlog of Slack calls (a burst of bookings) is not made longer by states already past."""

    def __init__(self, progress: ProgressCallback) -> None:
        self._progress = progress
        self._last: asyncio.Task[None] | None = None
        self._emitted = 0

    def emit(self, stage: Stage, doing: Reason) -> None:
        previous = self._last
        self._emitted += 1
        number = self._emitted

        async def deliver() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            if number != self._emitted:
                return  # superseded before it could go out
            try:
                await report_progress(self._progress, stage, doing)
            except Exception as error:  # noqa: BLE001 - progress is a courtesy; the result card is what matters
                log.info("a progress report failed: %s", type(error).__name__)

        self._last = asyncio.ensure_future(deliver())

    async def drain(self) -> None:
        if self._last is not None:
            await asyncio.wait([self._last])
