"""``ZoomClient``: the typed Zoom REST operations the bot needs, over httpx.

All calls go through ``ZoomTransport`` (rate limiting, auth, re-auth, retries, error mapping). Use it as a
context manager or call ``close()``. It is safe to share one client between threads. The calls themselves
(paths, categories, retry rules, models) live in ``bot.zoom.operations`` and are shared with the asyncio
twin, ``bot.zoom.aclient.AsyncZoomClient``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from bot.zoom import operations as ops
from bot.zoom.auth import TokenProvider, provider_for
from bot.zoom.control import RoomControl, RoomRef, control_for
from bot.zoom.models import (
    ControlAck,
    LockSettings,
    Meeting,
    Room,
    RoomProfile,
    SecuritySettings,
    ThirdPartyJoin,
)
from bot.zoom.operations import MAX_ROOM_PAGES, ROOMS_PAGE_SIZE
from bot.zoom.ratelimit import CategoryRateLimiter
from bot.zoom.settings import ZoomSettings
from bot.zoom.transport import ZoomCall, ZoomTransport, http_timeout

Clock = Callable[[], float]
Sleep = Callable[[float], None]

__all__ = ["MAX_ROOM_PAGES", "ROOMS_PAGE_SIZE", "ZoomClient"]


class ZoomClient:
    """Typed Zoom operations. ``transport`` lets tests plug in ``httpx.MockTransport``; ``clock``/``sleep``
    drive token expiry, rate limiting and retry waits without real time passing. ``limiter`` lets several
    clients in one process (e.g. this one and an ``AsyncZoomClient``) share the account's rate budget."""

    def __init__(
        self,
        settings: ZoomSettings,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        *,
        auth: TokenProvider | None = None,
        limiter: CategoryRateLimiter | None = None,
    ) -> None:
        self.settings = settings
        self._http = httpx.Client(
            transport=transport,
            timeout=http_timeout(settings),
            headers={"User-Agent": "roombot"},
            follow_redirects=False,
        )
        self.auth: TokenProvider = auth or provider_for(settings, self._http, clock=clock)
        self.limiter = limiter or CategoryRateLimiter.for_settings(settings, clock=clock, sleep=sleep)
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
        return ops.json_body(call, self.transport.send(call))

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
        pager = ops.RoomPager(status, query_name, page_size=page_size, location_id=location_id)
        while (call := pager.next_call()) is not None:
            pager.add_page(self._json(call))
        return pager.rooms

    def get_room(self, room_id: str) -> RoomProfile:
        """``GET /rooms/{roomId}`` (the profile has no status; use ``room_status``)."""
        return RoomProfile.from_zoom(room_id, self._json(ops.get_room_call(room_id)))

    def find_room(self, room: RoomRef) -> Room:
        """The room's current ``GET /rooms`` entry, found via ``query_name`` (cheap) or a full listing."""
        if isinstance(room, Room):
            ids, name = ops.room_ids(room), room.name
        else:
            ids, name = {room}, self.get_room(room).name
        if name:
            match = ops.match_room(self.list_rooms(query_name=name), ids)
            if match:
                return match
        # Renamed rooms and Kiosks without a name: fall back to the full list.
        match = ops.match_room(self.list_rooms(), ids)
        if match is None:
            raise ops.room_not_found(ids)
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

    def join_third_party(self, room: RoomRef, join: ThirdPartyJoin) -> ControlAck:
        """``zoomroom.thirdparty_meeting_join`` (Teams / Google Meet / SIP); ``ZoomUnsupported``, with nothing
        sent, on the legacy ``jsonrpc`` API. Never re-sent after Zoom may have acted; see ``bot.zoom.control``."""
        return self.control.join_third_party(room, join)

    def end_room_meeting(self, room: RoomRef) -> ControlAck:
        return self.control.end(room)

    # ------------------------------------------------------------------------------------------ meetings

    def create_meeting(self, user_id: str | None, body: Mapping[str, Any]) -> Meeting:
        """``POST /users/{userId}/meetings`` (201). Never retried after Zoom may have acted: it would duplicate."""
        return Meeting.from_zoom(self._json(ops.create_meeting_call(user_id or self.settings.host_user, body)))

    def get_meeting(self, meeting_id: int | str) -> Meeting:
        """``GET /meetings/{id}``; the result carries the plain passcode (``password``, hidden from repr)."""
        return Meeting.from_zoom(self._json(ops.get_meeting_call(meeting_id)))

    def update_meeting(self, meeting_id: int | str, body: Mapping[str, Any]) -> None:
        """``PATCH /meetings/{id}`` (204). Retried on 5xx/timeouts: setting the same values twice is harmless,
        though each attempt counts towards the host's 100 create/update calls per day."""
        self.transport.send(ops.update_meeting_call(meeting_id, body))

    def delete_meeting(self, meeting_id: int | str) -> None:
        """``DELETE /meetings/{id}`` (204). Retried; a retry after an unseen success reports 404 3001."""
        self.transport.send(ops.delete_meeting_call(meeting_id))

    # ------------------------------------------------------------------------------------------ settings

    def get_user_settings(self, user_id: str | None = None, option: str | None = None) -> SecuritySettings:
        """``GET /users/{userId}/settings`` (``option``: meeting_security / meeting_authentication / None)."""
        call = ops.user_settings_call(user_id or self.settings.host_user, option)
        return SecuritySettings.from_zoom(self._json(call))

    def get_meeting_security(self, user_id: str | None = None) -> SecuritySettings:
        return self.get_user_settings(user_id, option="meeting_security")

    def get_authentication_options(self, user_id: str | None = None) -> Mapping[str, Any]:
        """Raw ``option=meeting_authentication`` body (ids for a meeting's ``authentication_option``)."""
        return self._json(ops.user_settings_call(user_id or self.settings.host_user, "meeting_authentication"))

    def get_account_settings(self, account_id: str = "me", option: str | None = None) -> SecuritySettings:
        return SecuritySettings.from_zoom(self._json(ops.account_settings_call(account_id, option)))

    def get_lock_settings(self, account_id: str = "me", option: str | None = None) -> LockSettings:
        return LockSettings.from_zoom(self._json(ops.lock_settings_call(account_id, option)))
