"""Typed, immutable views of the Zoom responses the bot uses.

Each model keeps the full response in ``raw`` (excluded from repr) so callers can reach fields not modelled
here. Secrets (meeting passcodes, ``start_url`` with its host token, a room's admin passcode) are excluded
from ``repr`` so that logging a model never leaks them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

RoomStatus = Literal["Offline", "Available", "InMeeting", "UnderConstruction"]
Protocol = Literal["events", "jsonrpc"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else _EMPTY


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


@dataclass(frozen=True)
class Room:
    """An entry of ``GET /rooms``. ``id`` and ``room_id`` differ in real accounts; see ``control.py``."""

    id: str
    room_id: str
    name: str
    status: str
    location_id: str | None = None
    type: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_zoom(cls, body: Mapping[str, Any]) -> Room:
        return cls(
            id=str(body.get("id") or ""),
            room_id=str(body.get("room_id") or body.get("id") or ""),
            name=str(body.get("name") or ""),
            status=str(body.get("status") or ""),
            location_id=body.get("location_id") or None,
            type=body.get("type") or None,
            raw=body,
        )

    @property
    def online(self) -> bool:
        return self.status in ("Available", "InMeeting")


@dataclass(frozen=True)
class RoomProfile:
    """``GET /rooms/{roomId}`` → ``basic``. Has no status (Zoom only reports status via ``GET /rooms``)."""

    room_id: str
    name: str
    display_name: str | None
    location_id: str | None
    zoom_room_type: str | None
    capacity: int | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)  # holds basic.room_passcode

    @classmethod
    def from_zoom(cls, room_id: str, body: Mapping[str, Any]) -> RoomProfile:
        basic = _mapping(body.get("basic"))
        capacity = basic.get("capacity")
        return cls(
            room_id=room_id,
            name=str(basic.get("name") or ""),
            display_name=basic.get("display_name") or None,
            location_id=basic.get("location_id") or None,
            zoom_room_type=basic.get("zoom_room_type") or None,
            capacity=capacity if isinstance(capacity, int) else None,
            raw=body,
        )


@dataclass(frozen=True)
class Meeting:
    """A meeting as returned by create (201) or ``GET /meetings/{id}``; ``password`` is the plain passcode."""

    id: int
    uuid: str
    topic: str
    type: int | None
    host_id: str | None
    host_email: str | None
    status: str | None
    start_time: str | None
    duration: int | None
    timezone: str | None
    join_url: str | None = field(repr=False)  # its pwd= token lets anyone in without the passcode
    password: str | None = field(default=None, repr=False)
    h323_password: str | None = field(default=None, repr=False)
    pstn_password: str | None = field(default=None, repr=False)
    encrypted_password: str | None = field(default=None, repr=False)
    start_url: str | None = field(default=None, repr=False)  # carries the host's ZAK token
    waiting_room: bool | None = None
    meeting_authentication: bool | None = None
    authentication_option: str | None = None
    join_before_host: bool | None = None
    settings: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_zoom(cls, body: Mapping[str, Any]) -> Meeting:
        settings = _mapping(body.get("settings"))
        duration = body.get("duration")
        kind = body.get("type")
        return cls(
            id=int(body.get("id") or 0),
            uuid=str(body.get("uuid") or ""),
            topic=str(body.get("topic") or ""),
            type=kind if isinstance(kind, int) else None,
            host_id=body.get("host_id"),
            host_email=body.get("host_email"),
            status=body.get("status"),
            start_time=body.get("start_time"),
            duration=duration if isinstance(duration, int) else None,
            timezone=body.get("timezone"),
            join_url=body.get("join_url"),
            # Zoom answers "" when the meeting has no passcode; None means "not told".
            password=body.get("password") if "password" in body else None,
            h323_password=body.get("h323_password"),
            pstn_password=body.get("pstn_password"),
            encrypted_password=body.get("encrypted_password"),
            start_url=body.get("start_url"),
            waiting_room=_bool(settings.get("waiting_room")),
            meeting_authentication=_bool(settings.get("meeting_authentication")),
            authentication_option=settings.get("authentication_option") or None,
            join_before_host=_bool(settings.get("join_before_host")),
            settings=settings,
            raw=body,
        )

    @property
    def has_passcode(self) -> bool:
        return bool(self.password)


@dataclass(frozen=True)
class SecuritySettings:
    """Passcode / waiting-room / authentication settings of a user or the account.

    Built from either the plain settings (``schedule_meeting`` + ``in_meeting``) or ``option=meeting_security``;
    fields the response did not carry stay None. ``meeting_password_requirement`` is the raw Zoom dict, for
    ``bot.meetings.passcodes.PasscodeRequirement.from_zoom``.
    """

    meeting_password_requirement: Mapping[str, Any]
    require_password_for_scheduling_new_meetings: bool | None = None
    require_password_for_instant_meetings: bool | None = None
    meeting_password: bool | None = None  # meeting_security: all meetings passcode-protected
    waiting_room: bool | None = None
    meeting_authentication: bool | None = None
    embed_password_in_join_link: bool | None = None
    auto_security: bool | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_zoom(cls, body: Mapping[str, Any]) -> SecuritySettings:
        schedule = _mapping(body.get("schedule_meeting"))
        in_meeting = _mapping(body.get("in_meeting"))
        security = _mapping(body.get("meeting_security"))

        def first_bool(*values: Any) -> bool | None:
            return next((v for v in values if isinstance(v, bool)), None)

        requirement = security.get("meeting_password_requirement") or schedule.get("meeting_password_requirement")
        return cls(
            meeting_password_requirement=dict(_mapping(requirement)),
            require_password_for_scheduling_new_meetings=first_bool(
                schedule.get("require_password_for_scheduling_new_meetings"),
                security.get("require_password_for_scheduled_meeting"),
            ),
            require_password_for_instant_meetings=first_bool(schedule.get("require_password_for_instant_meetings")),
            meeting_password=first_bool(security.get("meeting_password")),
            waiting_room=first_bool(security.get("waiting_room"), in_meeting.get("waiting_room")),
            meeting_authentication=first_bool(
                schedule.get("meeting_authentication"),
                # option=meeting_authentication nests it: authentication_options.meeting_authentication.*
                _mapping(_mapping(body.get("authentication_options")).get("meeting_authentication")).get(
                    "meeting_authentication"
                ),
            ),
            embed_password_in_join_link=first_bool(
                security.get("embed_password_in_join_link"), schedule.get("embed_password_in_join_link")
            ),
            auto_security=first_bool(security.get("auto_security")),
            raw=body,
        )

    @property
    def passcode_required(self) -> bool | None:
        return (
            self.meeting_password
            if self.meeting_password is not None
            else self.require_password_for_scheduling_new_meetings
        )


# The design calls the user flavour UserSecuritySettings; accounts use the same shape.
UserSecuritySettings = SecuritySettings
AccountSecuritySettings = SecuritySettings


@dataclass(frozen=True)
class LockSettings:
    """``GET /accounts/{id}/lock_settings``: which settings the account has locked (True = locked)."""

    schedule_meeting: Mapping[str, Any]
    meeting_security: Mapping[str, Any]
    in_meeting: Mapping[str, Any]
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_zoom(cls, body: Mapping[str, Any]) -> LockSettings:
        return cls(
            schedule_meeting=dict(_mapping(body.get("schedule_meeting"))),
            meeting_security=dict(_mapping(body.get("meeting_security"))),
            in_meeting=dict(_mapping(body.get("in_meeting"))),
            raw=body,
        )

    def _any(self, *keys: tuple[Mapping[str, Any], str]) -> bool:
        return any(section.get(key) is True for section, key in keys)

    @property
    def passcode_locked(self) -> bool:
        return self._any(
            (self.meeting_security, "meeting_password"),
            (self.schedule_meeting, "require_password_for_scheduling_new_meetings"),
        )

    @property
    def waiting_room_locked(self) -> bool:
        return self._any((self.meeting_security, "waiting_room"), (self.in_meeting, "waiting_room"))

    @property
    def meeting_authentication_locked(self) -> bool:
        return self._any(
            (self.schedule_meeting, "meeting_authentication"),
            (self.meeting_security, "only_authenticated_can_join_from_webclient"),
        )

    @property
    def embed_password_locked(self) -> bool:
        return self._any(
            (self.meeting_security, "embed_password_in_join_link"),
            (self.schedule_meeting, "embed_password_in_join_link"),
        )


@dataclass(frozen=True)
class ControlAck:
    """Zoom accepted a room-control request. This is NOT proof the room joined: poll the room's status.

    ``events``: HTTP 202 with no body. ``jsonrpc``: HTTP 200 with ``result{room_id, send_at}`` and an ``id``.
    """

    protocol: Protocol
    method: str
    room_id: str
    accepted: bool
    http_status: int
    request_id: str | None = None
    sent_at: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # For the audit trail (not part of what the ack says): the request's method and path, and the paths Zoom
    # answered 404 code 1012 for before this one worked (the room's other id was tried once).
    path: str | None = field(default=None, compare=False)
    http_method: str | None = field(default=None, compare=False)
    not_found_paths: tuple[str, ...] = field(default=(), compare=False)
