"""Zoom Rooms endpoints: `GET /rooms`, `GET /rooms/{roomId}`, `PATCH /rooms/{id}/events`.

Which id: every `{roomId}`/`{id}` path parameter takes the room's `room_id` ("Use this ID for the Dashboard Zoom
Room APIs", and what the Q-SYS plugin sends to `/events` and `GET /rooms/{roomId}`); the room's `id` gets
404 1012 there, so a client that mixes the two fails here as it would against Zoom.
"""

from __future__ import annotations

import secrets
from typing import Any

from . import roomctl
from .context import Ctx, HandlerResult
from .errors import ZoomError, room_not_found
from .state import Room

PAGE_TOKEN_TTL = 15 * 60  # "This token's expiration period is 15 minutes."
THIRD_PARTY_JOIN = "zoomroom.thirdparty_meeting_join"
# The params the spec's prose calls required per join_type (its schema requires none): "Only required when
# `join_type` is `url` or `meeting_id`", "required only when `join_type` is `sip`", …
THIRD_PARTY_REQUIRED = {
    "url": ("meeting_source_type", "join_url"),
    "meeting_id": ("meeting_source_type", "third_party_meeting_id"),
    "sip": ("sip_address",),
}


def room_summary(room: Room) -> dict[str, Any]:
    return {"id": room.id, "room_id": room.room_id, "name": room.name, "status": room.status,
            "location_id": room.location_id, "activation_code": room.activation_code, "tag_ids": list(room.tag_ids)}


def _matches(room: Room, query: dict[str, Any]) -> bool:
    if query.get("status") and room.status != query["status"]:
        return False
    if query.get("type") and room.type != query["type"]:
        return False
    if query.get("query_name") and query["query_name"].lower() not in room.name.lower():
        return False
    if query.get("location_id") and room.location_id != query["location_id"]:
        return False
    if query.get("tag_ids"):
        wanted = {t.strip() for t in query["tag_ids"].split(",") if t.strip()}
        if not wanted & set(room.tag_ids):
            return False
    if query.get("unassigned_rooms") is True and room.location_id:
        return False
    return True


def list_rooms(ctx: Ctx) -> HandlerResult:
    state, query = ctx.state, ctx.query
    roomctl.refresh_all(state, ctx.now)
    page_size = query.get("page_size") or 30
    if page_size < 1:
        page_size = 30
    tokens: dict[str, tuple[int, float]] = state.counters.setdefault("page_tokens", {})
    offset = 0
    if query.get("next_page_token"):
        entry = tokens.get(query["next_page_token"])
        if entry is None or ctx.now >= entry[1]:
            raise ZoomError(400, 300, "The next page token is invalid or expired.")
        offset = entry[0]
    rooms = [r for r in state.rooms if r.account_id == ctx.account.id and _matches(r, query)]
    page = rooms[offset:offset + page_size]
    next_token = ""
    if offset + page_size < len(rooms):
        # Zoom's last page carries "" (not a missing key); intermediate tokens expire after 15 minutes.
        next_token = secrets.token_urlsafe(24)
        tokens[next_token] = (offset + page_size, ctx.now + PAGE_TOKEN_TTL)
    return 200, {"next_page_token": next_token, "page_size": page_size, "rooms": [room_summary(r) for r in page]}


def find_room(ctx: Ctx, room_id: str) -> Room:
    room = ctx.state.room_by_room_id(room_id)
    if room is None or room.account_id != ctx.account.id:
        raise room_not_found(room_id)
    roomctl.refresh(ctx.state, room, ctx.now)
    return room


def get_room(ctx: Ctx) -> HandlerResult:
    room = find_room(ctx, ctx.path["roomId"])
    # The profile has no status (reference §1.4): status comes from GET /rooms only.
    return 200, {
        "basic": {"name": room.name, "display_name": room.name, "activation_code": room.activation_code,
                  "support_email": "", "support_phone": "", "room_passcode": "", "required_code_to_ext": False,
                  "hide_room_in_contacts": False, "location_id": room.location_id, "zoom_room_type": room.type,
                  "capacity": room.capacity, "tag_ids": list(room.tag_ids)},
        "device": {"device_profile_id": ""},
        "setup": {"under_construction": room.status == "UnderConstruction",
                  "apply_background_image_to_all_displays": False},
    }


def room_events(ctx: Ctx) -> HandlerResult:
    room = find_room(ctx, ctx.path["id"])
    body = ctx.body if isinstance(ctx.body, dict) else {}
    method = body.get("method")
    raw_params = body.get("params")
    params = raw_params if isinstance(raw_params, dict) else {}
    if not roomctl.is_online(room):
        raise ZoomError(400, 300, "Zoom Room is offline. Please ensure that the Zoom Room is online.")
    if method == "zoomroom.meeting_join":
        number = params.get("meeting_number")
        # meeting_number is "**Required**" in the spec's prose ("" starts an instant meeting) but not in its schema.
        if number is None or not str(number).replace(" ", "").isdigit() and number != "":
            raise ZoomError(400, 300, "Invalid parameters.")
        roomctl.join(ctx.state, room, str(number), params.get("passcode"), bool(params.get("force_accept")),
                     ctx.now)
    elif method == THIRD_PARTY_JOIN:
        _check_third_party(params)
        roomctl.third_party_join(ctx.state, room, params, ctx.now)
    elif method in ("zoomroom.meeting_leave", "zoomroom.meeting_end"):
        roomctl.request_leave(room)  # 202 even when the room stays in its (Teams) call
    elif method == "zoomroom.restart":
        roomctl.leave(room)
    # Other controls (mute, check-in, …) are accepted and have no simulated effect.
    return 202, None


def _check_third_party(params: dict[str, Any]) -> None:
    """The prose rules the schema cannot say; "When using [event_id], other fields will all default to null"."""
    if params.get("event_id"):
        return
    join_type = params.get("join_type")
    required = THIRD_PARTY_REQUIRED.get(join_type) if isinstance(join_type, str) else None
    if required is None:
        raise ZoomError(400, 300, "Invalid parameters.")  # join_type "is required"
    if join_type == "meeting_id" and params.get("meeting_source_type") == "MS_TEAMS":
        required = (*required, "passcode")  # "required when join_type is meeting_id, and … MS_TEAMS"
    if not all(params.get(key) for key in required):
        raise ZoomError(400, 300, "Invalid parameters.")
