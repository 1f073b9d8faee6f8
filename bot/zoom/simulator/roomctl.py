"""What a Zoom Room client does with a join or leave, shared by the `/events` and legacy JSON-RPC APIs.

Zoom accepts the control request (202 / JSON-RPC result) before the room acts, so "accepted" and "joined" are
separate states here too:
- a good join leaves the room's status as it was until `join_delay_seconds` pass, then `InMeeting`;
- a missing or wrong passcode on a protected meeting leaves the room `Available` on a passcode prompt
  (`prompt: "passcode"`) until `meeting_leave` (field report, reference §1.2) — a prompt also ignores new joins
  without `force_accept`, like a busy room;
- ten wrong passcodes lock passcode joins on that room for 30 minutes (`prompt: "passcode_locked"`, KB0057750).

Third-party meetings (`zoomroom.thirdparty_meeting_join`; Zoom documents none of this beyond the request, see
docs/zoom-simulator.md "Third-party meetings"):
- a room with `interop` off, a busy room, or a `join_url` outside the hosts Zoom Rooms join accepts the request
  and does nothing (`third_party_result` says which);
- otherwise the room records the call (`third_party`) and after `join_delay_seconds` is `InMeeting`, or first
  waits `lobby` seconds (or, with `"never"`, until `POST /_sim/rooms/{room}/admit`) in the lobby, reporting
  `Available` with `prompt: "lobby"`;
- `meeting_leave` / `meeting_end` take it out of the call only when `third_party_leave` allows (by default not
  for Teams, reference third-party-meetings.md §0.3).
Transitions are computed lazily from the simulated clock (`refresh`), so `clock.advance()` drives them.
"""

from __future__ import annotations

import re
from typing import Any

from .state import Meeting, Room, SimState

# Hosts whose links a room joins, per meeting_source_type (KB-Teams: commercial, GCC and GCC High; not free
# Teams (teams.live.com), DoD or 21Vianet). teams.cloud.microsoft is unconfirmed either way and let in.
JOINABLE_HOSTS = {
    "MS_TEAMS": ("teams.microsoft.com", "gov.teams.microsoft.us", "teams.cloud.microsoft"),
    "GOOGLE_MEET": ("meet.google.com",),
}
# The authority of an http(s) link as a browser reads it: up to the first / ? # or backslash.
_AUTHORITY = re.compile(r"https?://([^/?#\\]*)", re.IGNORECASE)
# The params a room keeps of a third-party join (never the passcode).
_CALL_KEYS = ("join_type", "join_url", "third_party_meeting_id", "sip_address")


def refresh(state: SimState, room: Room, now: float) -> None:
    if room.passcode_locked_until is not None and now >= room.passcode_locked_until:
        room.passcode_locked_until = None
        room.failed_passcodes = 0
    if room.join_at is not None and now >= room.join_at:
        joined_at, room.join_at = room.join_at, None
        if room.third_party is not None and room.lobby != 0:
            room.prompt = "lobby"
            room.admit_at = None if room.lobby == "never" else joined_at + float(room.lobby)
        else:
            _enter(room)
    if room.admit_at is not None and now >= room.admit_at:
        admit(room)


def _enter(room: Room) -> None:
    room.status = "InMeeting"
    room.joins += 1


def admit(room: Room) -> None:
    """Someone in the third-party meeting lets the room in from the lobby."""
    room.admit_at = None
    room.prompt = None
    _enter(room)


def refresh_all(state: SimState, now: float) -> None:
    for room in state.rooms:
        refresh(state, room, now)


def is_online(room: Room) -> bool:
    return room.status not in ("Offline", "UnderConstruction")


def is_busy(room: Room) -> bool:
    return room.status == "InMeeting" or room.join_at is not None or room.prompt is not None


def leave(room: Room) -> None:
    """Drop whatever the room is doing (admin status change, restart, an honoured leave)."""
    if room.status == "InMeeting":
        room.status = "Available"
    room.meeting_number = None
    room.prompt = None
    room.join_at = None
    room.third_party = None
    room.admit_at = None


def leave_honoured(room: Room) -> bool:
    """Whether a leave request (meeting_leave / meeting_end, or force_accept) gets the room out of what it is in:
    always for Zoom meetings; for a third-party call as `third_party_leave` says (default: not for Teams)."""
    if room.third_party is None or room.third_party_leave == "honoured":
        return True
    if room.third_party_leave == "ignored":
        return False
    return room.third_party.get("provider") != "MS_TEAMS"


def request_leave(room: Room) -> str:
    """`zoomroom.meeting_leave` / `meeting_end` (or legacy `leave` / `end`): what the room did."""
    if not leave_honoured(room):
        return "ignored_third_party"
    leave(room)
    return "left"


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
        if not leave_honoured(room):
            return "ignored_third_party"  # a Teams call the room cannot be made to leave holds it
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


def _link_joinable(source: str, join_url: str) -> bool:
    match = _AUTHORITY.match(join_url)
    host = match.group(1).lower() if match else ""
    return host in JOINABLE_HOSTS.get(source, ())  # userinfo (@) or a port never matches a listed host


def third_party_join(state: SimState, room: Room, params: dict[str, Any], now: float) -> str:
    """Apply a `zoomroom.thirdparty_meeting_join` the API accepted (params already checked); returns and records
    in `third_party_result` what the room did (never sent to clients)."""
    refresh(state, room, now)
    result = _start_third_party(state, room, params, now)
    room.third_party_result = result
    return result


def _start_third_party(state: SimState, room: Room, params: dict[str, Any], now: float) -> str:
    if not room.interop:
        return "interop_off"
    if params.get("event_id"):
        return "calendar_event"
    if is_busy(room):
        return "ignored_busy"  # the method has no force_accept; a busy room is left alone
    source = params.get("meeting_source_type")
    if params["join_type"] == "url" and not _link_joinable(str(source), str(params["join_url"])):
        return "refused_link"
    call = {key: params[key] for key in _CALL_KEYS if params.get(key)}
    room.third_party = {"provider": source if params["join_type"] != "sip" else "SIP", **call}
    room.join_at = now + max(0.0, float(state.join_delay_seconds))
    refresh(state, room, now)
    return "joining"
