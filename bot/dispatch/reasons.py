"""Why a dispatch ended as it did, or what it is doing: a code and its parameters, never prose.

The dispatch flow, meeting creation and the booking worker return these; the Slack layer words them
(``bot.slack.wording``), the audit trail and the bookings store keep them (code and parameters as JSON),
and ``/room audit`` and the booking messages word the stored ones the same way.  Parameters are plain
data: room names, formatted meeting numbers, counts, and the explanations the parser and the Zoom client
give (``detail``) — never a passcode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

Param = str | int | bool | None | tuple[str, ...]


class Why(StrEnum):
    # The request itself
    BAD_REFERENCE = "bad_reference"  # detail: the parser's reason (or None)
    PASSCODE_TOO_LONG = "passcode_too_long"
    PERSONAL_LINK = "personal_link"
    UNKNOWN_ROOM = "unknown_room"  # typed (quoted as typed), suggestions
    NOT_ALLOWED = "not_allowed"  # room
    TEAMS_CLOUD_UNSUPPORTED = "teams_cloud_unsupported"  # cloud (bot.meetings.reference.TeamsCloud value)
    THIRD_PARTY_NEEDS_LINK = "third_party_needs_link"  # service: a Teams meeting ID without its passcode
    THIRD_PARTY_NEEDS_EVENTS_API = "third_party_needs_events_api"  # service
    # Before Zoom is asked to move the room
    NEEDS_PASSCODE = "needs_passcode"  # room, number
    ROOM_NOT_ONLINE = "room_not_online"  # room, status
    ROOM_BUSY = "room_busy"  # room, number
    ROOM_BUSY_THIRD_PARTY = "room_busy_third_party"  # room, service
    ROOM_STAYED_BUSY = "room_stayed_busy"  # room, service: "Join anyway" asked it to leave; it did not
    PASSCODE_INCOMPATIBLE = "passcode_incompatible"  # room, detail, repairable
    TOO_MANY_PENDING = "too_many_pending"  # room, limit, pending
    TOO_MANY_FAILED = "too_many_failed"  # room, limit, free_at ("HH:MM" UTC or None)
    # Progress
    SENDING = "sending"  # room, number
    WAITING_FOR_JOIN = "waiting_for_join"  # room, number
    SENDING_THIRD_PARTY = "sending_third_party"  # room, service
    WAITING_THIRD_PARTY = "waiting_third_party"  # room, service
    CREATING_MEETING = "creating_meeting"  # room
    REPAIRING_PASSCODE = "repairing_passcode"  # number
    # Results of a join, leave or status
    IN_MEETING = "in_meeting"  # room, number
    IN_WAITING_ROOM = "in_waiting_room"  # room, number
    IN_THIRD_PARTY = "in_third_party"  # room, service
    THIRD_PARTY_NOT_SEEN = "third_party_not_seen"  # room, service, seconds, poll_error
    IN_MEETING_EARLIER = "in_meeting_earlier"  # room, number: a reclaimed booking whose first join worked
    UNCONFIRMED_NO_STATUS = "unconfirmed_no_status"  # room, poll_error
    UNCONFIRMED_WAS_BUSY = "unconfirmed_was_busy"  # room, number
    STUCK = "stuck"  # room, number, seconds, with_passcode, cleared
    LEAVING = "leaving"  # room
    LEFT_THIRD_PARTY = "left_third_party"  # room, service: seen leaving
    LEAVE_UNCONFIRMED = "leave_unconfirmed"  # room, service: Zoom accepted, the room stayed in the call
    STATUS = "status"  # room, status
    # Zoom trouble; action: one of ZoomAction's values
    ZOOM_REFUSED = "zoom_refused"  # room, action, number, detail (the Zoom client's explanation)
    ZOOM_MAYBE_RECEIVED = "zoom_maybe_received"  # room, action, number
    ZOOM_UNREACHABLE = "zoom_unreachable"  # room, action, number
    ZOOM_ERROR = "zoom_error"  # detail (a status lookup that Zoom refused)
    NOT_SENT_STOPPING = "not_sent_stopping"  # the process is stopping: the join was not sent
    # Meetings the bot creates or repairs
    NEW_ROOM_OFFLINE = "new_room_offline"  # room
    NEW_ROOM_BUSY = "new_room_busy"  # room
    UNSATISFIABLE_NEW = "unsatisfiable_new"  # detail
    UNSATISFIABLE_REPAIR = "unsatisfiable_repair"  # detail
    MEETING_NOT_CREATED = "meeting_not_created"  # detail (a booking's `new` meeting)
    REPAIR_NOT_ON_ACCOUNT = "repair_not_on_account"  # number
    REPAIR_NOT_HOST = "repair_not_host"  # number
    # Notes beside a result
    NOTE_PASSCODE_MAY_STALL = "note_passcode_may_stall"  # detail
    NOTE_WAITING_ROOM = "note_waiting_room"  # room
    NOTE_AUTHENTICATION = "note_authentication"  # room
    NOTE_NO_PASSCODE_ALLOWED = "note_no_passcode_allowed"
    NOTE_PASSCODE_CHANGED = "note_passcode_changed"


class ZoomAction(StrEnum):
    """What the bot was doing when Zoom failed (a ``Why.ZOOM_*`` reason's ``action``)."""

    SEND = "send"  # sending the room to a meeting (number)
    SEND_THIRD_PARTY = "send_third_party"  # sending the room to a meeting on another service (service)
    REACH = "reach"  # reaching the room (a leave, or a lookup before the join)
    CHECK_ROOM = "check_room"
    CREATE_MEETING = "create_meeting"
    CHANGE_PASSCODE = "change_passcode"  # of meeting number


@dataclass(frozen=True)
class Reason:
    why: Why
    params: Mapping[str, Param] = field(default_factory=dict)

    def param(self, name: str) -> str:
        """A parameter as text ("" when absent)."""
        value = self.params.get(name)
        return "" if value is None else str(value)

    def to_json(self) -> dict[str, Param | list[str]]:
        """For the store's JSON column: tuples become lists."""
        return {key: list(value) if isinstance(value, tuple) else value for key, value in self.params.items()}

    @classmethod
    def stored(cls, code: str | None, params: Mapping[str, object] | None) -> Reason | None:
        """A reason read back from the store (None for rows written before codes, or an unknown code)."""
        if code is None or code not in Why._value2member_map_:
            return None
        return cls(Why(code), {key: _param(value) for key, value in (params or {}).items()})


def reason(why: Why, **params: Param) -> Reason:
    return Reason(why, params)


def _param(value: object) -> Param:
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)
