"""``ZoomClient``: the typed Zoom REST operations the bot needs, over httpx.

All calls go through ``ZoomTransport`` (rate limiting, auth, re-auth, retries, error mapping). Use it as a
context manager or call ``close()``. It is safe to share one client between threads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from bot.zoom.auth import TokenProvider, provider_for
from bot.zoom.control import RoomControl, RoomRef, control_for
from bot.zoom.errors import ZoomError, ZoomNotFound
from bot.zoom.models import ControlAck, LockSettings, Meeting, Room, RoomProfile, SecuritySettings
from bot.zoom.ratelimit import HEAVY, LIGHT, MEDIUM, CategoryRateLimiter
from bot.zoom.settings import ZoomSettings
from bot.zoom.transport import ZoomCall, ZoomTransport

Clock = Callable[[], float]
Sleep = Callable[[float], None]

MAX_ROOM_PAGES = 1000  # guards against a server that keeps returning tokens
ROOMS_PAGE_SIZE = 300  # Zoom's maximum


class ZoomClient:
    """Typed Zoom operations. ``transport`` lets tests plug in ``httpx.MockTransport``; ``clock``/``sleep``
    drive token expiry, rate limiting and retry waits without real time passing."""

    def __init__(
        self,
        settings: ZoomSettings,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        *,
        auth: TokenProvider | None = None,
    ) -> None:
        self.settings = settings
        timeout = httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.read_timeout,
            pool=settings.connect_timeout,
        )
        self._http = httpx.Client(
            transport=transport, timeout=timeout, headers={"User-Agent": "roombot"}, follow_redirects=False
        )
        self.auth: TokenProvider = auth or provider_for(settings, self._http, clock=clock)
        self.limiter = CategoryRateLimiter(
            {LIGHT: settings.qps_light, MEDIUM: settings.qps_medium, HEAVY: settings.qps_heavy},
            clock=clock,
            sleep=sleep,
        )
        self.transport = ZoomTransport(settings, self._http, self.auth, self.limiter, sleep=sleep)
        self.control: RoomControl = control_for(self.transport)

    def __repr__(self) -> str:
        settings = self.settings
        return f"ZoomClient(api_url={settings.api_url!r}, auth={settings.auth_mode}, rooms_api={settings.rooms_api!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ZoomClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------ plumbing

    def _json(self, call: ZoomCall) -> Mapping[str, Any]:
        response = self.transport.send(call)
        if not response.content:
            return {}
        try:
            body = response.json()
        except ValueError:
            raise ZoomError(
                "Zoom answered with something that is not JSON", status=response.status_code, request=call.label
            ) from None
        return body if isinstance(body, Mapping) else {}

    def check_auth(self) -> None:
        """Fetch (or mint) a token now, so `roombot check` can report credential problems by themselves."""
        self.auth.token()

    # ------------------------------------------------------------------------------------------ rooms

    def list_rooms(
        self,
        status: str | None = None,
        query_name: str | None = None,
        *,
        page_size: int = ROOMS_PAGE_SIZE,
        location_id: str | None = None,
    ) -> list[Room]:
        """All rooms, following ``next_page_token`` until Zoom returns it absent or empty (``""``)."""
        rooms: list[Room] = []
        token: str | None = None
        seen_tokens: set[str] = set()
        for _ in range(MAX_ROOM_PAGES):
            # Zoom expects the filters again alongside next_page_token.
            params = {
                "page_size": page_size,
                "status": status,
                "query_name": query_name,
                "location_id": location_id,
                "next_page_token": token,
            }
            body = self._json(ZoomCall("GET", "/rooms", MEDIUM, True, params=params))
            rooms.extend(Room.from_zoom(item) for item in body.get("rooms") or () if isinstance(item, Mapping))
            token = body.get("next_page_token") or None
            if token is None or token in seen_tokens:
                return rooms
            seen_tokens.add(token)
        return rooms

    def get_room(self, room_id: str) -> RoomProfile:
        """``GET /rooms/{roomId}`` (the profile has no status; use ``room_status``)."""
        body = self._json(ZoomCall("GET", f"/rooms/{_segment(room_id)}", MEDIUM, True))
        return RoomProfile.from_zoom(room_id, body)

    def find_room(self, room: RoomRef) -> Room:
        """The room's current ``GET /rooms`` entry, found via ``query_name`` (cheap) or a full listing."""
        if isinstance(room, Room):
            ids, name = {room.id, room.room_id}, room.name
        else:
            ids, name = {room}, self.get_room(room).name
        if name:
            match = next((r for r in self.list_rooms(query_name=name) if r.id in ids or r.room_id in ids), None)
            if match:
                return match
        # Renamed rooms and Kiosks without a name: fall back to the full list.
        match = next((r for r in self.list_rooms() if r.id in ids or r.room_id in ids), None)
        if match is None:
            raise ZoomNotFound(f"Room not found: {sorted(ids)[0]}", status=404, code=1012, request="GET /rooms")
        return match

    def room_status(self, room: RoomRef) -> str:
        """``Offline`` / ``Available`` / ``InMeeting`` / ``UnderConstruction``."""
        return self.find_room(room).status

    def join_room(
        self, room: RoomRef, meeting_number: str, passcode: str | None = None, force_accept: bool = False
    ) -> ControlAck:
        return self.control.join(room, meeting_number, passcode, force_accept)

    def leave_room(self, room: RoomRef) -> ControlAck:
        return self.control.leave(room)

    def end_room_meeting(self, room: RoomRef) -> ControlAck:
        return self.control.end(room)

    # ------------------------------------------------------------------------------------------ meetings

    def create_meeting(self, user_id: str | None, body: Mapping[str, Any]) -> Meeting:
        """``POST /users/{userId}/meetings`` (201). Never retried after Zoom may have acted: it would duplicate."""
        user = user_id or self.settings.host_user
        call = ZoomCall(
            "POST", f"/users/{_segment(user)}/meetings", LIGHT, False, json=dict(body), secrets=_passcodes(body)
        )
        return Meeting.from_zoom(self._json(call))

    def get_meeting(self, meeting_id: int | str) -> Meeting:
        """``GET /meetings/{id}``; the result carries the plain passcode (``password``, hidden from repr)."""
        return Meeting.from_zoom(self._json(ZoomCall("GET", f"/meetings/{_meeting_segment(meeting_id)}", LIGHT, True)))

    def update_meeting(self, meeting_id: int | str, body: Mapping[str, Any]) -> None:
        """``PATCH /meetings/{id}`` (204). Retried on 5xx/timeouts: setting the same values twice is harmless,
        though each attempt counts towards the host's 100 create/update calls per day."""
        call = ZoomCall(
            "PATCH", f"/meetings/{_meeting_segment(meeting_id)}", LIGHT, True, json=dict(body), secrets=_passcodes(body)
        )
        self.transport.send(call)

    def delete_meeting(self, meeting_id: int | str) -> None:
        """``DELETE /meetings/{id}`` (204). Retried; a retry after an unseen success reports 404 3001."""
        self.transport.send(ZoomCall("DELETE", f"/meetings/{_meeting_segment(meeting_id)}", LIGHT, True))

    # ------------------------------------------------------------------------------------------ settings

    def get_user_settings(self, user_id: str | None = None, option: str | None = None) -> SecuritySettings:
        """``GET /users/{userId}/settings`` (``option``: meeting_security / meeting_authentication / None)."""
        user = user_id or self.settings.host_user
        call = ZoomCall("GET", f"/users/{_segment(user)}/settings", MEDIUM, True, params={"option": option})
        return SecuritySettings.from_zoom(self._json(call))

    def get_meeting_security(self, user_id: str | None = None) -> SecuritySettings:
        return self.get_user_settings(user_id, option="meeting_security")

    def get_authentication_options(self, user_id: str | None = None) -> Mapping[str, Any]:
        """Raw ``option=meeting_authentication`` body (ids for a meeting's ``authentication_option``)."""
        user = user_id or self.settings.host_user
        params = {"option": "meeting_authentication"}
        return self._json(ZoomCall("GET", f"/users/{_segment(user)}/settings", MEDIUM, True, params=params))

    def get_account_settings(self, account_id: str = "me", option: str | None = None) -> SecuritySettings:
        call = ZoomCall("GET", f"/accounts/{_segment(account_id)}/settings", MEDIUM, True, params={"option": option})
        return SecuritySettings.from_zoom(self._json(call))

    def get_lock_settings(self, account_id: str = "me", option: str | None = None) -> LockSettings:
        call = ZoomCall(
            "GET", f"/accounts/{_segment(account_id)}/lock_settings", MEDIUM, True, params={"option": option}
        )
        return LockSettings.from_zoom(self._json(call))


def _segment(value: str) -> str:
    return quote(str(value), safe="")


def _meeting_segment(meeting_id: int | str) -> str:
    """Meeting ids go as digits; instance UUIDs starting with ``/`` or containing ``//`` are double-encoded."""
    text = str(meeting_id)
    if text.startswith("/") or "//" in text:
        return quote(quote(text, safe=""), safe="")
    return quote(text, safe="")


def _passcodes(body: Mapping[str, Any]) -> tuple[str, ...]:
    password = body.get("password")
    return (password,) if isinstance(password, str) and password else ()
