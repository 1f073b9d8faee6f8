"""The Zoom REST operations as pure functions: which ``ZoomCall`` each one sends and how its answer is read.

``ZoomClient`` (sync) and ``AsyncZoomClient`` (asyncio) are thin senders over these, so paths, rate-limit
categories, idempotency (what may be retried), passcode scrubbing, paging and response models are defined
once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from bot.zoom.errors import ZoomError, ZoomNotFound
from bot.zoom.models import Room
from bot.zoom.ratelimit import LIGHT, MEDIUM
from bot.zoom.transport import ZoomCall

MAX_ROOM_PAGES = 1000  # guards against a server that keeps returning tokens
ROOMS_PAGE_SIZE = 300  # Zoom's maximum


def json_body(call: ZoomCall, response: httpx.Response) -> Mapping[str, Any]:
    """A success response's JSON object ({} for no body or a non-object); raises on a body that is not JSON."""
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        raise ZoomError(
            "Zoom answered with something that is not JSON", status=response.status_code, request=call.label
        ) from None
    return body if isinstance(body, Mapping) else {}


# ---------------------------------------------------------------------------------------------- rooms


class RoomPager:
    """``GET /rooms`` paging: follow ``next_page_token`` until Zoom returns it absent or empty (``""``), a
    token repeats, or ``MAX_ROOM_PAGES`` pages were read. Drive it with ``next_call()`` / ``add_page(body)``."""

    def __init__(
        self,
        status: str | None = None,
        query_name: str | None = None,
        *,
        page_size: int = ROOMS_PAGE_SIZE,
        location_id: str | None = None,
    ) -> None:
        self._filters = {"page_size": page_size, "status": status, "query_name": query_name, "location_id": location_id}
        self.rooms: list[Room] = []
        self._token: str | None = None
        self._seen: set[str] = set()
        self._pages = 0
        self._done = False

    def next_call(self) -> ZoomCall | None:
        """The next page's call, or None when the listing is complete."""
        if self._done or self._pages >= MAX_ROOM_PAGES:
            return None
        # Zoom expects the filters again alongside next_page_token.
        params = {**self._filters, "next_page_token": self._token}
        return ZoomCall("GET", "/rooms", MEDIUM, True, params=params)

    def add_page(self, body: Mapping[str, Any]) -> None:
        self._pages += 1
        self.rooms.extend(Room.from_zoom(item) for item in body.get("rooms") or () if isinstance(item, Mapping))
        token = body.get("next_page_token") or None
        if token is None or token in self._seen:
            self._done = True
            return
        self._seen.add(token)
        self._token = token


def get_room_call(room_id: str) -> ZoomCall:
    return ZoomCall("GET", f"/rooms/{segment(room_id)}", MEDIUM, True)


def room_ids(room: Room) -> set[str]:
    """Both ids a ``GET /rooms`` entry may be matched by."""
    return {room.id, room.room_id}


def match_room(rooms: Iterable[Room], ids: set[str]) -> Room | None:
    return next((r for r in rooms if r.id in ids or r.room_id in ids), None)


def room_not_found(ids: set[str]) -> ZoomNotFound:
    return ZoomNotFound(f"Room not found: {sorted(ids)[0]}", status=404, code=1012, request="GET /rooms")


# ---------------------------------------------------------------------------------------------- meetings


def create_meeting_call(user: str, body: Mapping[str, Any]) -> ZoomCall:
    """``POST /users/{userId}/meetings`` (201). Never retried after Zoom may have acted: it would duplicate."""
    return ZoomCall("POST", f"/users/{segment(user)}/meetings", LIGHT, False, json=dict(body), secrets=passcodes(body))


def get_meeting_call(meeting_id: int | str) -> ZoomCall:
    return ZoomCall("GET", f"/meetings/{meeting_segment(meeting_id)}", LIGHT, True)


def update_meeting_call(meeting_id: int | str, body: Mapping[str, Any]) -> ZoomCall:
    """``PATCH /meetings/{id}`` (204). Retried on 5xx/timeouts: setting the same values twice is harmless."""
    return ZoomCall(
        "PATCH", f"/meetings/{meeting_segment(meeting_id)}", LIGHT, True, json=dict(body), secrets=passcodes(body)
    )


def delete_meeting_call(meeting_id: int | str) -> ZoomCall:
    """``DELETE /meetings/{id}`` (204). Retried; a retry after an unseen success reports 404 3001."""
    return ZoomCall("DELETE", f"/meetings/{meeting_segment(meeting_id)}", LIGHT, True)


# ---------------------------------------------------------------------------------------------- settings


def user_settings_call(user: str, option: str | None = None) -> ZoomCall:
    return ZoomCall("GET", f"/users/{segment(user)}/settings", MEDIUM, True, params={"option": option})


def account_settings_call(account_id: str, option: str | None = None) -> ZoomCall:
    return ZoomCall("GET", f"/accounts/{segment(account_id)}/settings", MEDIUM, True, params={"option": option})


def lock_settings_call(account_id: str, option: str | None = None) -> ZoomCall:
    return ZoomCall("GET", f"/accounts/{segment(account_id)}/lock_settings", MEDIUM, True, params={"option": option})


# ---------------------------------------------------------------------------------------------- helpers


def segment(value: str) -> str:
    return quote(str(value), safe="")


def meeting_segment(meeting_id: int | str) -> str:
    """Meeting ids go as digits; instance UUIDs starting with ``/`` or containing ``//`` are double-encoded."""
    text = str(meeting_id)
    if text.startswith("/") or "//" in text:
        return quote(quote(text, safe=""), safe="")
    return quote(text, safe="")


def passcodes(body: Mapping[str, Any]) -> tuple[str, ...]:
    password = body.get("password")
    return (password,) if isinstance(password, str) and password else ()
