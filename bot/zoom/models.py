"""Typed, immutable views of the Zoom responses the bot uses.

Each model keeps the full response in ``raw`` (excluded from repr) so callers can reach fields not modelled
here. Secrets (meeting passcodes, ``start_url`` with its host token, a room's admin passcode) are excluded
from ``repr`` so that logging a model never leaks them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, get_args
from urllib.parse import unquote_plus

RoomStatus = Literal["Offline", "Available", "InMeeting", "UnderConstruction"]
Protocol = Literal["events", "jsonrpc"]
ThirdPartyJoinType = Literal["url", "meeting_id", "sip"]
ThirdPartySource = Literal["MS_TEAMS", "GOOGLE_MEET"]

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


# Which ThirdPartyJoin fields each join_type takes (besides join_type): required, optional. Zoom's spec-2025 text
# for zoomroom.thirdparty_meeting_join (shared/reference/third-party-meetings.md §1).
_THIRD_PARTY_FIELDS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = MappingProxyType({
    "url": (("source", "join_url"), ()),
    "meeting_id": (("source", "meeting_id"), ("passcode",)),  # passcode: required for MS_TEAMS, see below
    "sip": (("sip_address",), ()),
})
_ALL_THIRD_PARTY_FIELDS = ("source", "join_url", "meeting_id", "passcode", "sip_address")


@dataclass(frozen=True)
class ThirdPartyJoin:
    """What ``zoomroom.thirdparty_meeting_join`` sends a room into: a Microsoft Teams or Google Meet meeting by
    link (``url``) or by meeting ID (``meeting_id``), or any SIP address (``sip``).

    Each ``join_type`` takes exactly its own fields; a field of another join type is refused (``ValueError``),
    so nothing the caller set is silently left out of the request:

    - ``url``: ``source`` and ``join_url`` (passed on byte for byte: Microsoft may refuse a rewritten link);
    - ``meeting_id``: ``source``, ``meeting_id`` and, for ``MS_TEAMS``, ``passcode`` (Zoom: "required when
      join_type is meeting_id, and meeting_source_type is MS_TEAMS"); optional for ``GOOGLE_MEET``;
    - ``sip``: ``sip_address`` only (no ``source``).

    Secrets: ``passcode`` is not in the repr; ``join_url`` is shown without its query and fragment (a Teams
    short link's ``?p=`` is a hashed passcode) and ``sip_address`` without its user part (a SIP address may
    carry a passcode spliced in). ``bot.zoom.control`` scrubs the same values from exception text.
    """

    join_type: ThirdPartyJoinType
    source: ThirdPartySource | None = None  # Zoom's meeting_source_type; None only for sip
    join_url: str | None = None
    meeting_id: str | None = None  # Zoom's third_party_meeting_id
    passcode: str | None = field(default=None, repr=False)
    sip_address: str | None = None

    def __post_init__(self) -> None:
        if self.join_type not in _THIRD_PARTY_FIELDS:
            raise ValueError(f"join_type must be one of {list(_THIRD_PARTY_FIELDS)}, not {self.join_type!r}")
        if self.source is not None and self.source not in get_args(ThirdPartySource):
            raise ValueError(f"source must be one of {list(get_args(ThirdPartySource))} or None, not {self.source!r}")
        required, optional = _THIRD_PARTY_FIELDS[self.join_type]
        if self.join_type == "meeting_id" and self.source == "MS_TEAMS":
            required, optional = (*required, "passcode"), ()
        for name in _ALL_THIRD_PARTY_FIELDS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"ThirdPartyJoin.{name} must be a string or None")
            if name in required and not value:
                raise ValueError(f"a {self._kind()} join needs {name}")
            if name not in required and name not in optional and value is not None:
                raise ValueError(f"a {self._kind()} join does not take {name}")

    def _kind(self) -> str:
        source = {"MS_TEAMS": "Teams ", "GOOGLE_MEET": "Google Meet "}.get(self.source or "", "")
        return f"{source if self.join_type != 'sip' else ''}{self.join_type!r}"

    def __repr__(self) -> str:
        shown = [f"join_type={self.join_type!r}"]
        if self.source is not None:
            shown.append(f"source={self.source!r}")
        if self.join_url is not None:
            shown.append(f"join_url={redact_url(self.join_url)!r}")
        if self.meeting_id is not None:
            shown.append(f"meeting_id={self.meeting_id!r}")
        if self.passcode is not None:
            shown.append("passcode=<set>")
        if self.sip_address is not None:
            shown.append(f"sip_address={redact_sip(self.sip_address)!r}")
        return f"ThirdPartyJoin({', '.join(shown)})"


def redact_url(url: str) -> str:
    """``url`` without its query and fragment (they may carry a hashed passcode or a token)."""
    cut = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=-1)
    return url if cut < 0 else url[:cut] + "?[redacted]"


def redact_sip(address: str) -> str:
    """A SIP address without its user part, which may have a conference passcode spliced into it."""
    scheme = "sip:" if address.lower().startswith("sip:") else ""
    rest = address[len(scheme):]
    at = rest.rfind("@")
    return f"{scheme}[redacted]@{rest[at + 1:]}" if at >= 0 else f"{scheme}[redacted]"


def url_secrets(url: str) -> tuple[str, ...]:
    """The parts of a join link to scrub from error text: the link itself, its query and fragment, and each
    query value of 4 characters or more, as sent and percent-decoded (a Teams ``?p=`` is a hashed passcode)."""
    before_fragment, _, fragment = url.partition("#")
    query = before_fragment.partition("?")[2]
    found = [url, query, fragment]
    for pair in query.split("&"):
        value = pair.partition("=")[2]
        found += [value, unquote_plus(value)]
    return tuple(dict.fromkeys(s for s in found if len(s) >= 4))
