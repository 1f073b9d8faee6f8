"""Simulator state: accounts, users, rooms, meetings, faults and the simulated clock.

Everything the simulator knows lives in one `SimState`, guarded by one re-entrant lock (`state.lock`), so the
threaded HTTP server, the admin API and tests can all touch it.  The JSON file format (`SimState.from_dict` /
`to_dict`) is documented in docs/zoom-simulator.md; every key is optional and falls back to `default_state()`.
"""

from __future__ import annotations

import copy
import dataclasses
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

ROOM_STATUSES = ("Offline", "Available", "InMeeting", "UnderConstruction")
# Room.third_party_leave: whether meeting_leave / meeting_end take a room out of a third-party call.
THIRD_PARTY_LEAVE = ("default", "honoured", "ignored")  # default: ignored for MS_TEAMS, honoured for Meet and SIP
THIRD_PARTY_PROVIDERS = ("MS_TEAMS", "GOOGLE_MEET", "SIP")
PASSCODE_STYLES = ("zoom-default", "alphanumeric", "numeric")


class SimClock:
    """Wall clock plus an offset that tests move forward instead of sleeping.

    Real time keeps flowing (a room's join delay of 0.5 s passes on its own), while `advance()` jumps ahead
    to test the 1 h token lifetime, the 30 min passcode lockout and the GMT-midnight daily limit reset.
    """

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = float(offset)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self.offset

    def advance(self, seconds: float) -> float:
        with self._lock:
            self.offset += float(seconds)
        return self.now()


@dataclass
class SecuritySetting:
    """One of the three "secure with one option" settings: is it on, and has the account locked it."""

    enabled: bool = False
    locked: bool = False


def _security_defaults() -> dict[str, SecuritySetting]:
    # Pro account with "secure with one security option" on and locked; the three options unlocked, passcode on.
    return {
        "passcode": SecuritySetting(enabled=True, locked=False),
        "waiting_room": SecuritySetting(enabled=False, locked=False),
        "authentication": SecuritySetting(enabled=False, locked=False),
        "auto_security": SecuritySetting(enabled=True, locked=True),
    }


def _requirement_defaults() -> dict[str, Any]:
    return {
        "length": 6,
        "have_letter": False,
        "have_number": False,
        "have_special_character": False,
        "only_allow_numeric": False,
        "have_upper_and_lower_characters": False,
        "consecutive_characters_length": 0,
        "weak_enhance_detection": False,
    }


def _auth_option_defaults() -> list[dict[str, Any]]:
    return [
        {"id": "signIn_D8cJuqWVQ623CI4Q8yQK0Q", "name": "Sign in to Zoom", "type": "enforce_login",
         "default_option": True, "visible": True, "domains": ""},
        {"id": "signIn_Ex4mpleD0ma1nOpt10n", "name": "Sign in with example.com", "type": "enforce_login_with_domains",
         "default_option": False, "visible": True, "domains": "example.com"},
    ]


@dataclass
class Account:
    id: str = "sim-account"
    client_id: str = "sim-client-id"
    client_secret: str = "sim-client-secret"
    api_key: str = "sim-api-key"
    api_secret: str = "sim-api-secret"
    jwt_enabled: bool = True
    security: dict[str, SecuritySetting] = field(default_factory=_security_defaults)
    meeting_password_requirement: dict[str, Any] = field(default_factory=_requirement_defaults)
    embed_password_in_join_link: bool = True
    authentication_options: list[dict[str, Any]] = field(default_factory=_auth_option_defaults)
    # How Zoom generates passcodes for this account's meetings (see security.generate_passcode).
    passcode_style: str = "zoom-default"
    scope: str = ("meeting:read:admin meeting:write:admin room:read:admin room:write:admin "
                  "user:read:admin account:read:admin")


@dataclass
class User:
    id: str = "sim-host-user-id"
    email: str = "host@example.com"
    account_id: str = "sim-account"
    first_name: str = "Sim"
    last_name: str = "Host"
    timezone: str = "UTC"
    # Per-user values of the unlocked security settings ({"waiting_room": true}); locked ones come from the account.
    security: dict[str, bool] = field(default_factory=dict)
    # None: inherit the account's requirement.
    meeting_password_requirement: dict[str, Any] | None = None


@dataclass
class Room:
    id: str
    room_id: str
    name: str
    status: str = "Available"
    location_id: str = ""
    activation_code: str = ""
    type: str = "ZoomRoom"
    tag_ids: list[str] = field(default_factory=list)
    capacity: int = 8
    account_id: str = "sim-account"
    # --- third-party meetings (zoomroom.thirdparty_meeting_join; docs/zoom-simulator.md) ---
    interop: bool = True  # "Support Interoperability for Zoom Rooms"; off: joins get 202 and the room never joins
    lobby: float | str = 0.0  # seconds a third-party meeting keeps the room in its lobby, or "never" (not admitted)
    third_party_leave: str = "default"  # one of THIRD_PARTY_LEAVE
    # --- simulated client state (visible through /_sim/state, never through the Zoom API) ---
    meeting_number: str | None = None  # meeting the room is in, joining, or prompting for
    # None | "passcode" | "passcode_locked" | "waiting_room" | "meeting_not_found" | "lobby" (third-party lobby)
    prompt: str | None = None
    # The third-party call the room is in, joining or waiting in the lobby of: {"provider": MS_TEAMS | GOOGLE_MEET
    # | SIP, "join_type", and join_url / third_party_meeting_id / sip_address as sent (never the passcode)}.
    third_party: dict[str, Any] | None = None
    # What the room did with the last thirdparty_meeting_join Zoom accepted: "joining" | "ignored_busy" |
    # "interop_off" | "refused_link" | "calendar_event" (event_id: no calendar is simulated).
    third_party_result: str | None = None
    admit_at: float | None = None  # clock time at which the third-party lobby admits the room
    join_at: float | None = None  # clock time at which a pending join completes
    status_before_join: str | None = None
    failed_passcodes: int = 0
    passcode_locked_until: float | None = None
    joins: int = 0  # successful joins, so tests can assert "joined exactly once"


@dataclass
class Meeting:
    id: int
    host_id: str
    account_id: str
    topic: str = "Zoom Meeting"
    type: int = 2
    start_time: str | None = None
    duration: int = 60
    timezone: str = "UTC"
    agenda: str = ""
    password: str = ""
    uuid: str = ""
    created_at: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    # External meetings live on another Zoom account: rooms can join them, the API cannot read them.
    external: bool = False
    # For external meetings: "not_found" (GET -> 404 3001) or "no_password" (GET works, password omitted).
    api_visibility: str = "not_found"


@dataclass
class Fault:
    """An injected failure for requests whose path starts with `path_prefix` (and method matches, if set)."""

    path_prefix: str = ""
    method: str | None = None
    latency_ms: int = 0
    status: int | None = None
    timeout: bool = False
    timeout_seconds: float = 30.0
    count: int | None = None  # None: until cleared
    body: dict[str, Any] | None = None


@dataclass
class Token:
    account_id: str
    expires_at: float
    revoked: bool = False


@dataclass
class SimState:
    accounts: list[Account] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    rooms: list[Room] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    # Requests per second per account and category; very high by default so tests are not flaky.
    rate_limits: dict[str, int] = field(default_factory=lambda: {"light": 10000, "medium": 10000, "heavy": 10000})
    daily_meeting_write_limit: int = 100
    join_delay_seconds: float = 0.5
    token_ttl_seconds: int = 3600
    # Meetings the room is sent to that the state does not know: "open" (joinable, no passcode) or "not_found".
    unknown_meetings: str = "not_found"  # a real room cannot join a meeting that does not exist
    # Which of a room's ids its path parameters take ("room_id" or "id"): Zoom's docs do not say, so a client
    # must cope with either (roombot tries the other id once on 404 1012).
    room_path_id: str = "room_id"
    passcode_lockout_failures: int = 10
    passcode_lockout_seconds: int = 1800
    seed: int = 0
    clock_offset: float = 0.0
    # --- runtime (not part of the JSON file) ---
    clock: SimClock = field(default_factory=SimClock, repr=False)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    tokens: dict[str, Token] = field(default_factory=dict, repr=False)
    revoked_jwts: set[str] = field(default_factory=set, repr=False)
    seen_jwts: set[str] = field(default_factory=set, repr=False)
    requests: list[dict[str, Any]] = field(default_factory=list, repr=False)
    counters: dict[str, Any] = field(default_factory=dict, repr=False)
    rng: random.Random = field(default_factory=random.Random, repr=False)

    # ---- lookups (callers hold self.lock) ----
    def account(self, account_id: str) -> Account | None:
        return next((a for a in self.accounts if a.id == account_id), None)

    def user(self, user_id: str, account_id: str | None = None) -> User | None:
        """`me` is the first user of the caller's account; otherwise match the id or (case-insensitive) e-mail."""
        candidates = [u for u in self.users if account_id is None or u.account_id == account_id]
        if user_id == "me":
            return candidates[0] if candidates else None
        wanted = user_id.lower()
        return next((u for u in candidates if u.id == user_id or u.email.lower() == wanted), None)

    def room_by_room_id(self, room_id: str) -> Room | None:
        """The room a path parameter names (by ``room_path_id``: the room's ``room_id`` unless set to ``id``)."""
        if self.room_path_id == "id":
            return next((r for r in self.rooms if r.id == room_id), None)
        return next((r for r in self.rooms if r.room_id == room_id), None)

    def room_any_id(self, ident: str) -> Room | None:
        return next((r for r in self.rooms if ident in (r.room_id, r.id)), None)

    def meeting(self, meeting_id: int | str) -> Meeting | None:
        try:
            number = int(str(meeting_id).replace(" ", ""))
        except ValueError:
            return None
        return next((m for m in self.meetings if m.id == number), None)

    # ---- serialisation ----
    def to_dict(self) -> dict[str, Any]:
        with self.lock:
            return {
                "accounts": [dataclasses.asdict(a) for a in self.accounts],
                "users": [dataclasses.asdict(u) for u in self.users],
                "rooms": [dataclasses.asdict(r) for r in self.rooms],
                "meetings": [dataclasses.asdict(m) for m in self.meetings],
                "faults": [dataclasses.asdict(f) for f in self.faults],
                "rate_limits": dict(self.rate_limits),
                "daily_meeting_write_limit": self.daily_meeting_write_limit,
                "join_delay_seconds": self.join_delay_seconds,
                "token_ttl_seconds": self.token_ttl_seconds,
                "unknown_meetings": self.unknown_meetings,
                "room_path_id": self.room_path_id,
                "passcode_lockout_failures": self.passcode_lockout_failures,
                "passcode_lockout_seconds": self.passcode_lockout_seconds,
                "seed": self.seed,
                "clock_offset": self.clock.offset,
                "now": self.clock.now(),
            }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SimState:
        data = dict(data or {})
        base = default_state_dict()
        for key in ("accounts", "users", "rooms"):
            data.setdefault(key, base[key])
        state = cls(
            accounts=[_account(a) for a in data["accounts"]],
            users=[_build(User, u) for u in data["users"]],
            rooms=[_build(Room, r) for r in data["rooms"]],
            meetings=[_build(Meeting, m) for m in data.get("meetings", [])],
            faults=[_build(Fault, f) for f in data.get("faults", [])],
        )
        for key in ("daily_meeting_write_limit", "join_delay_seconds", "token_ttl_seconds", "unknown_meetings",
                    "room_path_id", "passcode_lockout_failures", "passcode_lockout_seconds", "seed"):
            if key in data:
                setattr(state, key, data[key])
        state.rate_limits.update(data.get("rate_limits") or {})
        state.clock = SimClock(float(data.get("clock_offset", 0.0)))
        state.rng = random.Random(state.seed or None)
        validate_state(state)
        return state

    def replace_with(self, other: SimState) -> None:
        """Swap in another state's data in place (PUT /_sim/state), keeping this object, its lock and tokens."""
        with self.lock:
            for f in dataclasses.fields(self):
                if f.name not in ("lock", "tokens", "requests", "revoked_jwts", "seen_jwts"):
                    setattr(self, f.name, getattr(other, f.name))


def _build(cls: type, data: dict[str, Any]) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown keys {sorted(unknown)}")
    return cls(**copy.deepcopy(data))


def _account(data: dict[str, Any]) -> Account:
    data = copy.deepcopy(data)
    security = _security_defaults()
    for name, value in (data.pop("security", None) or {}).items():
        if name not in security:
            raise ValueError(f"account security: unknown setting {name!r}")
        security[name] = value if isinstance(value, SecuritySetting) else SecuritySetting(**value)
    requirement = _requirement_defaults()
    requirement.update(data.pop("meeting_password_requirement", None) or {})
    account = _build(Account, data)
    account.security = security
    account.meeting_password_requirement = requirement
    return account


def validate_room(room: Room) -> None:
    if room.status not in ROOM_STATUSES:
        raise ValueError(f"room {room.name!r}: status must be one of {ROOM_STATUSES}")
    if not isinstance(room.interop, bool):
        raise ValueError(f"room {room.name!r}: interop must be true or false")
    lobby = room.lobby
    if lobby != "never" and (isinstance(lobby, bool) or not isinstance(lobby, int | float) or lobby < 0):
        raise ValueError(f"room {room.name!r}: lobby must be seconds (0 = no lobby) or \"never\"")
    if room.third_party_leave not in THIRD_PARTY_LEAVE:
        raise ValueError(f"room {room.name!r}: third_party_leave must be one of {THIRD_PARTY_LEAVE}")
    call = room.third_party
    if call is not None and (not isinstance(call, dict) or call.get("provider") not in THIRD_PARTY_PROVIDERS):
        raise ValueError(f"room {room.name!r}: third_party must be null or have a provider in {THIRD_PARTY_PROVIDERS}")


def validate_state(state: SimState) -> None:
    for room in state.rooms:
        validate_room(room)
    for account in state.accounts:
        if account.passcode_style not in PASSCODE_STYLES:
            raise ValueError(f"account {account.id!r}: passcode_style must be one of {PASSCODE_STYLES}")
    if state.unknown_meetings not in ("open", "not_found"):
        raise ValueError("unknown_meetings must be 'open' or 'not_found'")
    if state.room_path_id not in ("room_id", "id"):
        raise ValueError("room_path_id must be 'room_id' or 'id'")
    account_ids = {a.id for a in state.accounts}
    for user in state.users:
        if user.account_id not in account_ids:
            raise ValueError(f"user {user.id!r}: unknown account {user.account_id!r}")


def default_state_dict() -> dict[str, Any]:
    """The state used when none is given: one Pro account, its host user and four rooms."""
    return {
        "accounts": [dataclasses.asdict(Account())],
        "users": [dataclasses.asdict(User())],
        "rooms": [
            {"id": "Zr1bOaRdRoOmIdAaAaAaAa", "room_id": "qMOLddnySIGGVycz8aX_JQ", "name": "Boardroom",
             "status": "Available", "location_id": "49D7a0xPQvGQ2DCMZgSe7w", "activation_code": "1234-5678-9012",
             "capacity": 12},
            {"id": "Zr2hUdDlE3iDbBbBbBbBbB", "room_id": "63UtYMhSQZaBRPCNRXrD8A", "name": "Huddle 3",
             "status": "Available", "location_id": "49D7a0xPQvGQ2DCMZgSe7w", "activation_code": "2234-5678-9012",
             "capacity": 4},
            {"id": "Zr3oCeAnViEwCcCcCcCcCc", "room_id": "Hq4dJ2vRTkWx0yZ1aB2cDe", "name": "Ocean View (4th floor)",
             "status": "Offline", "location_id": "Ff9KQm3sT0uVw8xYz1Ab2C", "activation_code": "3234-5678-9012",
             "capacity": 10},
            {"id": "Zr4tRaInInGdDdDdDdDdDd", "room_id": "Tr7nG8rOoMiD9xYzAbCdEf", "name": "Training Room",
             "status": "InMeeting", "location_id": "Ff9KQm3sT0uVw8xYz1Ab2C", "activation_code": "4234-5678-9012",
             "capacity": 30, "meeting_number": "81234567890"},
        ],
        "meetings": [],
    }


def default_state() -> SimState:
    return SimState.from_dict(default_state_dict())
