"""The admin API under `/_sim/` (no Zoom auth): tests and the demo configure the simulator through it.

Endpoints are listed in docs/zoom-simulator.md.  Errors answer `400 {"error": "..."}`; admin calls are not
recorded in the request log, so `GET /_sim/requests` shows only what a Zoom client sent.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from . import auth, roomctl
from .state import ROOM_STATUSES, Fault, Meeting, Room, SecuritySetting, SimState, validate_room, validate_state

CONFIG_KEYS = ("rate_limits", "daily_meeting_write_limit", "join_delay_seconds", "token_ttl_seconds",
               "unknown_meetings", "room_path_id", "passcode_lockout_failures", "passcode_lockout_seconds")
ROOM_ADMIN_KEYS = ("status", "name", "location_id", "type", "tag_ids", "capacity", "prompt", "meeting_number",
                   "failed_passcodes", "passcode_locked_until", "activation_code",
                   "interop", "lobby", "third_party_leave", "third_party")


class AdminError(Exception):
    pass


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def handle(state: SimState, request: Request) -> Response:
    parts = [p for p in request.path.split("/") if p][1:]  # drop "_sim"
    try:
        body = json.loads(request.get_data() or b"null") if request.method in ("POST", "PUT", "PATCH") else None
    except ValueError:
        return _json(400, {"error": "body is not JSON"})
    key = (request.method, "/".join(parts[:1]), len(parts))
    handler = ROUTES.get(key)
    if handler is None:
        return _json(404, {"error": f"no admin endpoint {request.method} {request.path}"})
    try:
        with state.lock:
            status, payload = handler(state, parts, body)
    except (AdminError, ValueError, TypeError, KeyError) as error:
        return _json(400, {"error": str(error)})
    return _json(status, payload)


def _get_state(state: SimState, parts: list[str], body: Any) -> tuple[int, Any]:
    roomctl.refresh_all(state, state.clock.now())
    return 200, state.to_dict()


def _put_state(state: SimState, parts: list[str], body: Any) -> tuple[int, Any]:
    state.replace_with(SimState.from_dict(body or {}))
    state.counters.clear()
    return 200, state.to_dict()


def _advance(state: SimState, parts: list[str], body: Any) -> tuple[int, Any]:
    if parts[1:] != ["advance"]:
        raise AdminError("use POST /_sim/clock/advance")
    now = state.clock.advance(float((body or {}).get("seconds", 0)))
    roomctl.refresh_all(state, now)
    return 200, {"now": now, "offset": state.clock.offset}


def _get_clock(state: SimState, parts: list[str], body: Any) -> tuple[int, Any]:
    return 200, {"now": state.clock.now(), "offset": state.clock.offset}


def _add_fault(state: SimState, parts: list[str], body: Any) -> tuple[int, Any]:
    faults = body if isinstance(body, list) else [body or {}]
    for item in faults:
        fault = Fault(**item)
        if fault.status is not None and not 400 <= fault.status <= 599:
            raise AdminError("fault status must be an HTTP error status")
        state.faults.append(fault)
    return 201, {"faults": [dataclasses.asdict(f) for f in state.faults]}


def _get_faults(state: SimState, parts: list[str], body: Any) -> tuple[int, Any]:
    return 200, {"faults": [dataclasses.asdict(f) for f in state.faults]}


def _clear_faults(state: SimState, parts: list[str], body: Any) -> tuple[int, Any]:
    state.faults.clear()
    return 200, {"faults": []}


def _revoke(state: SimState, parts: list[str], body: Any) -> tuple[int, Any]:
    body = body or {}
    return 200, {"revoked": auth.revoke(state, body.get("token"), body.get("account_id"))}


def _get_requests(state: SimState, parts: list[str], body: Any) -> tuple[int, Any]:
    return 200, {"requests": list(state.requests)}


def _clear_requests(state: SimState, parts: list[str], body: Any) -> tuple[int, Any]:
    state.requests.clear()
    return 200, {"requests": []}


def _room(state: SimState, ident: str) -> Room:
    # Admin convenience: a room is named by its room_id, its id or its name.
    room = state.room_any_id(ident) or next((r for r in state.rooms if r.name.lower() == ident.lower()), None)
    if room is None:
        raise AdminError(f"no room {ident!r}")
    return room


def _patch_room(state: SimState, parts: list[str], body: Any) -> tuple[int, Any]:
    room = _room(state, parts[1])
    unknown = set(body or {}) - set(ROOM_ADMIN_KEYS)
    if unknown:
        raise AdminError(f"unknown room keys {sorted(unknown)}")
    if "status" in (body or {}) and body["status"] not in ROOM_STATUSES:
        raise AdminError(f"status must be one of {ROOM_STATUSES}")
    validate_room(dataclasses.replace(room, **(body or {})))  # refuse before changing anything
    for key, value in (body or {}).items():
        setattr(room, key, value)
    if room.status in ("Offline", "UnderConstruction", "Available") and "status" in (body or {}):
        # A room taken offline or reset to Available drops whatever it was doing.
        roomctl.leave(room)
        room.status = body["status"]
    return 200, dataclasses.asdict(room)


def _admit_room(state: SimState, parts: list[str], body: Any) -> tuple[int, Any]:
    if parts[2:] != ["admit"]:
        raise AdminError("use POST /_sim/rooms/{room}/admit")
    room = _room(state, parts[1])
    roomctl.refresh(state, room, state.clock.now())
    if room.prompt != "lobby":
        raise AdminError(f"room {room.name!r} is not waiting in a third-party lobby")
    roomctl.admit(room)
    return 200, dataclasses.asdict(room)


def _add_room(state: SimState, parts: list[str], body: Any) -> tuple[int, Any]:
    room = Room(**(body or {}))
    if state.room_any_id(room.room_id) or state.room_any_id(room.id):
        raise AdminError("a room with that id or room_id exists")
    state.rooms.append(room)
    validate_state(state)
    return 201, dataclasses.asdict(room)


def _rooms(state: SimState, parts: list[str], body: Any) -> tuple[int, Any]:
    roomctl.refresh_all(state, state.clock.now())
    return 200, {"rooms": [dataclasses.asdict(r) for r in state.rooms]}


def _add_meeting(state: SimState, parts: list[str], body: Any) -> tuple[int, Any]:
    items = body if isinstance(body, list) else [body or {}]
    created = []
    for item in items:
        item = dict(item)
        item.setdefault("external", True)
        default_account = state.accounts[0].id if state.accounts else "sim-account"
        item.setdefault("account_id", "external-account" if item["external"] else default_account)
        if not item["external"] and "host_id" not in item:
            host = state.user("me", item["account_id"])
            item["host_id"] = host.id if host else ""
        item.setdefault("host_id", "external-host")
        item["id"] = int(str(item["id"]).replace(" ", ""))
        if state.meeting(item["id"]) is not None:
            raise AdminError(f"meeting {item['id']} exists")
        meeting = Meeting(**item)
        state.meetings.append(meeting)
        created.append(dataclasses.asdict(meeting))
    return 201, {"meetings": created}


def _get_meeting(state: SimState, parts: list[str], body: Any) -> tuple[int, Any]:
    meeting = state.meeting(parts[1])
    if meeting is None:
        raise AdminError(f"no meeting {parts[1]}")
    return 200, dataclasses.asdict(meeting)


def _list_meetings(state: SimState, parts: list[str], body: Any) -> tuple[int, Any]:
    return 200, {"meetings": [dataclasses.asdict(m) for m in state.meetings]}


def _patch_account(state: SimState, parts: list[str], body: Any) -> tuple[int, Any]:
    account = state.account(parts[1]) if parts[1] != "me" else (state.accounts[0] if state.accounts else None)
    if account is None:
        raise AdminError(f"no account {parts[1]!r}")
    body = dict(body or {})
    for name, value in (body.pop("security", None) or {}).items():
        if name not in account.security:
            raise AdminError(f"unknown security setting {name!r}")
        current = dataclasses.asdict(account.security[name])
        current.update(value)
        account.security[name] = SecuritySetting(**current)
    account.meeting_password_requirement.update(body.pop("meeting_password_requirement", None) or {})
    names = {f.name for f in dataclasses.fields(account)}
    for key, value in body.items():
        if key not in names or key == "id":
            raise AdminError(f"unknown account key {key!r}")
        setattr(account, key, value)
    validate_state(state)
    return 200, dataclasses.asdict(account)


def _patch_user(state: SimState, parts: list[str], body: Any) -> tuple[int, Any]:
    user = state.user(parts[1])
    if user is None:
        raise AdminError(f"no user {parts[1]!r}")
    body = dict(body or {})
    user.security.update(body.pop("security", None) or {})
    if "meeting_password_requirement" in body:
        user.meeting_password_requirement = body.pop("meeting_password_requirement")
    for key, value in body.items():
        if key not in ("email", "first_name", "last_name", "timezone"):
            raise AdminError(f"unknown user key {key!r}")
        setattr(user, key, value)
    return 200, dataclasses.asdict(user)


def _patch_config(state: SimState, parts: list[str], body: Any) -> tuple[int, Any]:
    for key, value in (body or {}).items():
        if key not in CONFIG_KEYS:
            raise AdminError(f"unknown config key {key!r}; one of {CONFIG_KEYS}")
        if key == "rate_limits":
            state.rate_limits.update(value)
        else:
            setattr(state, key, value)
    validate_state(state)
    return 200, {key: getattr(state, key) for key in CONFIG_KEYS}


Route = Callable[[SimState, list[str], Any], tuple[int, Any]]
ROUTES: dict[tuple[str, str, int], Route] = {
    ("GET", "state", 1): _get_state,
    ("PUT", "state", 1): _put_state,
    ("GET", "clock", 1): _get_clock,
    ("POST", "clock", 2): _advance,
    ("GET", "faults", 1): _get_faults,
    ("POST", "faults", 1): _add_fault,
    ("DELETE", "faults", 1): _clear_faults,
    ("POST", "tokens", 2): _revoke,
    ("GET", "requests", 1): _get_requests,
    ("DELETE", "requests", 1): _clear_requests,
    ("GET", "rooms", 1): _rooms,
    ("POST", "rooms", 1): _add_room,
    ("PATCH", "rooms", 2): _patch_room,
    ("POST", "rooms", 3): _admit_room,
    ("GET", "meetings", 1): _list_meetings,
    ("POST", "meetings", 1): _add_meeting,
    ("GET", "meetings", 2): _get_meeting,
    ("PATCH", "accounts", 2): _patch_account,
    ("PATCH", "users", 2): _patch_user,
    ("PATCH", "config", 1): _patch_config,
}
