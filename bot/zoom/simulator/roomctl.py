"""What a Zoom Room client does with a join or leave, shared by the `/events` and legacy JSON-RPC APIs.

Zoom accepts the control request (202 / JSON-RPC result) before the room acts, so "accepted" and "joined" are
separate states here too:
- a good join leaves the room's status as it was until `join_delay_seconds` pass, then `InMeeting`;
- a missing or wrong passcode on a protected meeting leaves the room `Available` on a passcode prompt
  (`prompt: "passcode"`) until `meeting_leave` (field report, reference §1.2) — a prompt also ignores new joins
  without `force_accept`, like a busy room;
- ten wrong passcodes lock passcode joins on that room for 30 minutes (`prompt: "passcode_locked"`, KB0057750).
Transitions are computed lazily from the simulated clock (`refresh`), so `clock.advance()` drives them.
"""

from __future__ import annotations

from .state import Meeting, Room, SimState


def refresh(state: SimState, room: Room, now: float) -> None:
    if room.passcode_locked_until is not None and now >= room.passcode_locked_until:
        room.passcode_locked_until = None
        room.failed_passcodes = 0
    if room.join_at is not None and now >= room.join_at:
        room.join_at = None
        room.status = "InMeeting"
        room.joins += 1


def refresh_all(state: SimState, now: float) -> None:
    for room in state.rooms:
        refresh(state, room, now)


def is_online(room: Room) -> bool:
    return room.status not in ("Offline", "UnderConstruction")


def is_busy(room: Room) -> bool:
    return room.status == "InMeeting" or room.join_at is not None or room.prompt is not None


def leave(room: Room) -> None:
    if room.status == "InMeeting":
        room.status = "Available"
    room.meeting_number = None
    room.prompt = None
    room.join_at = None


def _instant_meeting_number(state: SimState) -> str:
    return str(state.rng.randrange(80_000_000_000, 89_999_999_999))


def join(state: SimState, room: Room, meeting_number: str, passcode: str | None, force_accept: bool,
         now: float) -> str:
    """Apply a join the API accepted; returns what the room did (for logs and tests, never sent to clients)."""
    refresh(state, room, now)
    if is_busy(room):
        if not force_accept:
            # "The default value is false and current user is in a meeting, the client will ignore the request."
            return "ignored_busy"
        leave(room)
    number = meeting_number.replace(" ", "") or _instant_meeting_number(state)
    room.meeting_number = number
    meeting: Meeting | None = state.meeting(number) if meeting_number else None
    if meeting is None and meeting_number:
        if state.unknown_meetings == "not_found":
            room.prompt = "meeting_not_found"
            return "meeting_not_found"
    required = meeting.password if meeting is not None else ""
    if required:
        if room.passcode_locked_until is not None:
            room.prompt = "passcode_locked"
            return "passcode_locked"
        if not passcode:
            room.prompt = "passcode"
            return "passcode_prompt"
        if passcode != required:
            room.failed_passcodes += 1
            room.prompt = "passcode"
            if room.failed_passcodes >= state.passcode_lockout_failures:
                room.passcode_locked_until = now + state.passcode_lockout_seconds
                room.prompt = "passcode_locked"
            return "wrong_passcode"
        room.failed_passcodes = 0
    if meeting is not None and meeting.settings.get("waiting_room"):
        # The room is in the meeting's waiting room until the host admits it; Zoom reports it as InMeeting.
        room.prompt = "waiting_room"
    room.join_at = now + max(0.0, float(state.join_delay_seconds))
    refresh(state, room, now)
    return "joining"
