"""``AsyncZoomClient``: the asyncio twin of ``ZoomClient``, over ``httpx.AsyncClient``.

Same operations, arguments, return types and policy as the sync client; only the sending is different.
What is shared rather than copied:

- the calls (paths, rate-limit categories, idempotency, passcodes to scrub, paging, models):
  ``bot.zoom.operations``;
- room control for both protocols (``events`` / ``jsonrpc``, JSON-RPC errors in HTTP 200 bodies):
  the pure halves of ``bot.zoom.control``;
- retry rules, error mapping, secrets scrubbing, re-auth on ``401 code 124``: ``TransportPolicy``, used here
  with ``tenacity.AsyncRetrying``;
- pacing: the same ``CategoryRateLimiter`` (pass one in to share the account's budget with a sync client);
  its ``reserve()`` hands out the slot and the wait is ``await asyncio.sleep(...)``, never ``time.sleep``.

Tokens: the providers in ``bot.zoom.auth`` are sync. A cached, valid token is taken with ``auth.cached()``
(no thread, no waiting); only when there is none is ``auth.token()`` run via ``asyncio.to_thread`` (about
once an hour for S2S OAuth), one fetch at a time per client. The S2S provider fetches over its own small
``httpx.Client``; a ``transport`` that is also sync (``httpx.MockTransport`` is) is used for it too.

Use one client per event loop (``httpx.AsyncClient`` is bound to the loop it first runs on), as
``async with AsyncZoomClient(settings) as zoom:`` or with ``await zoom.aclose()``.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpx
import tenacity

from bot.zoom import operations as ops
from bot.zoom.auth import TokenProvider, provider_for
from bot.zoom.control import AsyncRoomControl, RoomRef, async_control_for
from bot.zoom.errors import ZoomUnavailable
from bot.zoom.models import (
    ControlAck,
    LockSettings,
    Meeting,
    Room,
    RoomProfile,
    SecuritySettings,
    ThirdPartyJoin,
)
from bot.zoom.operations import ROOMS_PAGE_SIZE
from bot.zoom.ratelimit import CategoryRateLimiter
from bot.zoom.settings import ZoomSettings
from bot.zoom.transport import TransportPolicy, ZoomCall, http_timeout

AsyncSleep = Callable[[float], Awaitable[None]]

__all__ = ["AsyncZoomClient", "AsyncZoomTransport"]


_SEND_TIMES: ContextVar[list[float] | None] = ContextVar("roombot_zoom_send_times", default=None)
_PRIORITY: ContextVar[int] = ContextVar("roombot_zoom_priority", default=0)
# Kept-alive connections to Zoom.  httpcore looks at every pooled connection (an idle one's socket with a
# system call) twice per request, so a large idle pool costs more CPU than the connections it saves: at 30
# requests in flight, 20 kept-alive connections cost 4.0 ms of CPU per request against 2.0 ms with 8 (and
# 1.7 ms with a new connection each time).  Zoom's rate limits keep fewer requests than that in flight.
POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=8)
STATUS_READ_PRIORITY = 1  # a status read confirms many dispatches at once: it goes before queued joins


@contextmanager
def prioritised(priority: int = STATUS_READ_PRIORITY) -> Iterator[None]:
    """Requests made inside the block take the next free slot of their rate-limit category before queued
    requests of lower priority (the status board's listings, ahead of a burst of joins)."""
    token = _PRIORITY.set(priority)
    try:
        yield
    finally:
        _PRIORITY.reset(token)


class AsyncPacer:
    """Hands out a ``CategoryRateLimiter``'s slots to waiting coroutines one slot at a time, highest priority
    first.  Reserving every waiter's slot up front (as threads do) would fix the order at the moment each
    asked, so a status read asked for during a burst would wait behind every join queued before it."""

    def __init__(self, limiter: CategoryRateLimiter, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._limiter = limiter
        self._sleep = sleep
        self._waiting: dict[str, list[tuple[int, int, asyncio.Future[None]]]] = {}
        self._dispensers: dict[str, asyncio.Task[None]] = {}
        self._sequence = itertools.count()

    def waiting(self, category: str) -> int:
        """Requests of ``category`` waiting for a slot now."""
        return len(self._waiting.get(category, ()))

    async def acquire(self, category: str, priority: int = 0, *, hold: bool = True) -> None:
        """Wait for a slot of ``category``.  ``hold=False``: the caller calls ``hold`` itself, right before its
        request leaves (``AsyncZoomTransport`` does, once the connection is ready)."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting.setdefault(category, []), (-priority, next(self._sequence), waiter))
        if category not in self._dispensers:
            self._dispensers[category] = asyncio.ensure_future(self._dispense(category))
        await waiter
        if hold:
            await self.hold(category)

    async def hold(self, category: str) -> None:
        """The slot in hand, just before the request leaves: a coroutine that ran late does not leave bunched
        with the ones after it (``CategoryRateLimiter.send_delay``)."""
        late = self._limiter.send_delay(category)
        if late > 0:
            await self._sleep(late)

    def hold_now(self, category: str) -> None:
        """``hold``'s accounting for a request that could not be held (it has left already)."""
        self._limiter.send_delay(category)

    async def _dispense(self, category: str) -> None:
        waiting = self._waiting[category]
        queued = False
        try:
            while waiting:
                # One slot at a time, so nothing is promised ahead; once a waiter had to wait, the rest are a
                # queue and are spaced evenly, as if they had reserved together.
                wait = self._limiter.reserve(category, queued=queued)
                if wait > 0:
                    queued = True
                    await self._sleep(wait)
                while waiting:
                    _, _, waiter = heapq.heappop(waiting)
                    if not waiter.done():  # a cancelled waiter gives its slot to the next one
                        waiter.set_result(None)
                        break
        finally:
            del self._dispensers[category]


@contextmanager
def recording_send_times() -> Iterator[list[float]]:
    """Collect when (``time.monotonic()``) each request made inside the block left the rate limiter for Zoom:
    what a reading is "as of" (the status board dates its listings by it, not by when it asked)."""
    times: list[float] = []
    token = _SEND_TIMES.set(times)
    try:
        yield times
    finally:
        _SEND_TIMES.reset(token)


class AsyncZoomTransport(TransportPolicy):
    """Sends ``ZoomCall``s over ``httpx.AsyncClient`` under the shared ``TransportPolicy``."""

    def __init__(
        self,
        settings: ZoomSettings,
        http: httpx.AsyncClient,
        auth: TokenProvider,
        limiter: CategoryRateLimiter,
        *,
        sleep: AsyncSleep = asyncio.sleep,
    ) -> None:
        super().__init__(settings, auth, limiter)
        self.http = http
        self._sleep = sleep
        self.pacer = AsyncPacer(limiter, sleep)
        self._token_lock = asyncio.Lock()  # binds to the running loop on first contended use

    async def send(self, call: ZoomCall) -> httpx.Response:
        """Send ``call`` under the retry policy; returns a 2xx response or raises a ZoomError."""
        retrying = tenacity.AsyncRetrying(sleep=self._sleep, **self.retry_args(call))
        return await retrying(self._attempt, call)

    async def token(self) -> str:
        """A valid token: the cached one without leaving the loop, else fetched in a worker thread."""
        token = self._cached()
        if token:
            return token
        async with self._token_lock:
            # Tasks that queued behind a fetch find its token cached now.
            token = self._cached()
            if token:
                return token
            try:
                return await asyncio.to_thread(self.auth.token)
            except ZoomUnavailable as exc:
                raise self.token_failed(exc) from None

    # ------------------------------------------------------------------------------------------ attempts

    async def _attempt(self, call: ZoomCall) -> httpx.Response:
        await self.pacer.acquire(call.category, _PRIORITY.get(), hold=False)
        token = await self.token()
        response = await self._send_once(call, token, paced=True)
        if self.needs_reauth(response):
            self.log_reauth(call)
            # Rare; the provider's lock may be held by a fetch in another thread, so not on the loop.
            await asyncio.to_thread(self.auth.invalidate, token)
            response = await self._send_once(call, await self.token())
        return self.check(call, response)

    def _cached(self) -> str | None:
        cached = getattr(self.auth, "cached", None)  # providers written before cached() existed: always fetch
        return cached() if cached is not None else None

    async def _send_once(self, call: ZoomCall, token: str, *, paced: bool = False) -> httpx.Response:
        """``paced``: the pacer's slot is in hand and its hold is still due.  It is taken when httpcore is about
        to write the request (its trace hook), after connecting: what Zoom counts is when requests arrive, and
        on a busy loop a connection can take longer to open than the pacer's margin."""
        started = time.monotonic()
        leaving = _Leaving(self.pacer, call.category) if paced else None
        args = self.request_args(call, token)
        if leaving is not None:
            args["extensions"] = {"trace": leaving.trace}
        try:
            response = await self.http.request(**args)
        except httpx.TransportError as exc:
            self.log_response(call, None, started)
            raise self.transport_failed(call, exc) from None
        finally:
            if leaving is not None and not leaving.done:  # the hook was never called (a transport that is not
                leaving.counted()  # httpcore's, as tests' MockTransport, or a failure before the request left)
        self.log_response(call, response, started)
        return response


class _Leaving:
    """One paced request on its way out: the pacer's hold and the send time, at the moment it is written."""

    def __init__(self, pacer: AsyncPacer, category: str) -> None:
        self.pacer = pacer
        self.category = category
        self.done = False

    async def trace(self, event: str, info: dict[str, object]) -> None:
        if not self.done and event.endswith("send_request_headers.started"):
            await self.left()

    async def left(self) -> None:
        self.done = True
        await self.pacer.hold(self.category)
        self._note_sent()

    def counted(self) -> None:
        """Account for the slot without waiting: the request has gone (or failed) already."""
        self.done = True
        self.pacer.hold_now(self.category)
        self._note_sent()

    @staticmethod
    def _note_sent() -> None:
        sent = _SEND_TIMES.get()
        if sent is not None:
            sent.append(time.monotonic())


class AsyncZoomClient:
    """Typed Zoom operations for asyncio code; see the module docstring. ``transport`` lets tests plug in
    ``httpx.MockTransport``; ``auth`` and ``limiter`` replace the defaults built from ``settings``."""

    def __init__(
        self,
        settings: ZoomSettings,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        auth: TokenProvider | None = None,
        limiter: CategoryRateLimiter | None = None,
    ) -> None:
        self.settings = settings
        timeout = http_timeout(settings)
        headers = {"User-Agent": "roombot"}
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout, headers=headers, follow_redirects=False,
                                       limits=POOL_LIMITS)
        self._token_http: httpx.Client | None = None
        if auth is None:
            sync_transport = transport if isinstance(transport, httpx.BaseTransport) else None
            self._token_http = httpx.Client(
                transport=sync_transport, timeout=timeout, headers=headers, follow_redirects=False
            )
            auth = provider_for(settings, self._token_http)
        self.auth: TokenProvider = auth
        self.limiter = limiter or CategoryRateLimiter.for_settings(settings)
        self.transport = AsyncZoomTransport(settings, self._http, self.auth, self.limiter)
        self.control: AsyncRoomControl = async_control_for(self.transport)

    def __repr__(self) -> str:
        settings = self.settings
        return (
            f"AsyncZoomClient(api_url={settings.api_url!r}, auth={settings.auth_mode}, "
            f"rooms_api={settings.rooms_api!r})"
        )

    async def aclose(self) -> None:
        await self._http.aclose()
        if self._token_http is not None:
            self._token_http.close()

    async def __aenter__(self) -> AsyncZoomClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------------------------------ plumbing

    async def _json(self, call: ZoomCall) -> Mapping[str, Any]:
        return ops.json_body(call, await self.transport.send(call))

    async def check_auth(self) -> None:
        """Fetch (or mint) a token now, so credential problems show up by themselves."""
        await asyncio.to_thread(self.auth.token)

    # ------------------------------------------------------------------------------------------ rooms

    async def list_rooms(
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
            pager.add_page(await self._json(call))
        return pager.rooms

    async def get_room(self, room_id: str) -> RoomProfile:
        """``GET /rooms/{roomId}`` (the profile has no status; use ``room_status``)."""
        return RoomProfile.from_zoom(room_id, await self._json(ops.get_room_call(room_id)))

    async def find_room(self, room: RoomRef) -> Room:
        """The room's current ``GET /rooms`` entry, found via ``query_name`` (cheap) or a full listing."""
        if isinstance(room, Room):
            ids, name = ops.room_ids(room), room.name
        else:
            ids, name = {room}, (await self.get_room(room)).name
        if name:
            match = ops.match_room(await self.list_rooms(query_name=name), ids)
            if match:
                return match
        # Renamed rooms and Kiosks without a name: fall back to the full list.
        match = ops.match_room(await self.list_rooms(), ids)
        if match is None:
            raise ops.room_not_found(ids)
        return match

    async def room_status(self, room: RoomRef) -> str:
        """``Offline`` / ``Available`` / ``InMeeting`` / ``UnderConstruction``."""
        return (await self.find_room(room)).status

    async def join_room(
        self, room: RoomRef, meeting_number: str, passcode: str | None = None, force_accept: bool = False
    ) -> ControlAck:
        """Never re-sent after Zoom may have acted (5xx, read timeout); see ``bot.zoom.control``."""
        return await self.control.join(room, meeting_number, passcode, force_accept)

    async def leave_room(self, room: RoomRef) -> ControlAck:
        return await self.control.leave(room)

    async def join_third_party(self, room: RoomRef, join: ThirdPartyJoin) -> ControlAck:
        """``zoomroom.thirdparty_meeting_join`` (Teams / Google Meet / SIP); ``ZoomUnsupported``, with nothing
        sent, on the legacy ``jsonrpc`` API. Never re-sent after Zoom may have acted; see ``bot.zoom.control``."""
        return await self.control.join_third_party(room, join)

    async def end_room_meeting(self, room: RoomRef) -> ControlAck:
        return await self.control.end(room)

    # ------------------------------------------------------------------------------------------ meetings

    async def create_meeting(self, user_id: str | None, body: Mapping[str, Any]) -> Meeting:
        """``POST /users/{userId}/meetings`` (201). Never retried after Zoom may have acted: it would duplicate."""
        return Meeting.from_zoom(await self._json(ops.create_meeting_call(user_id or self.settings.host_user, body)))

    async def get_meeting(self, meeting_id: int | str) -> Meeting:
        """``GET /meetings/{id}``; the result carries the plain passcode (``password``, hidden from repr)."""
        return Meeting.from_zoom(await self._json(ops.get_meeting_call(meeting_id)))

    async def update_meeting(self, meeting_id: int | str, body: Mapping[str, Any]) -> None:
        """``PATCH /meetings/{id}`` (204). Retried on 5xx/timeouts (each attempt counts towards the host's
        100 create/update calls per day)."""
        await self.transport.send(ops.update_meeting_call(meeting_id, body))

    async def delete_meeting(self, meeting_id: int | str) -> None:
        """``DELETE /meetings/{id}`` (204). Retried; a retry after an unseen success reports 404 3001."""
        await self.transport.send(ops.delete_meeting_call(meeting_id))

    # ------------------------------------------------------------------------------------------ settings

    async def get_user_settings(self, user_id: str | None = None, option: str | None = None) -> SecuritySettings:
        """``GET /users/{userId}/settings`` (``option``: meeting_security / meeting_authentication / None)."""
        call = ops.user_settings_call(user_id or self.settings.host_user, option)
        return SecuritySettings.from_zoom(await self._json(call))

    async def get_meeting_security(self, user_id: str | None = None) -> SecuritySettings:
        return await self.get_user_settings(user_id, option="meeting_security")

    async def get_authentication_options(self, user_id: str | None = None) -> Mapping[str, Any]:
        """Raw ``option=meeting_authentication`` body (ids for a meeting's ``authentication_option``)."""
        return await self._json(ops.user_settings_call(user_id or self.settings.host_user, "meeting_authentication"))

    async def get_account_settings(self, account_id: str = "me", option: str | None = None) -> SecuritySettings:
        return SecuritySettings.from_zoom(await self._json(ops.account_settings_call(account_id, option)))

    async def get_lock_settings(self, account_id: str = "me", option: str | None = None) -> LockSettings:
        return LockSettings.from_zoom(await self._json(ops.lock_settings_call(account_id, option)))
