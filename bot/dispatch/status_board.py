"""Room status for every dispatch in flight, from one shared ``GET /rooms`` listing.

The dispatch flow asks for a room's status before the join and while it watches the room join; each ask
would be a Medium-category request.  When hundreds of dispatches run at once (a burst of bookings at 9:00,
a busy office) that would spend most of the account's Medium rate limit on status reads instead of joins.
``RoomStatusBoard`` answers every concurrent ask from one listing (one request per 300 rooms), taken at most
every ``min_interval`` seconds, and never from a listing older than the caller may accept: after a join or
leave was sent to a room, only a listing started after it counts for that room, and asking about the same
room again (watching it join) is answered from a newer listing than the last answer.  While pre-flights are
being asked and the joins queued for the rate limit would run out first, the next listing is started before
the one in hand goes stale, so that a burst's pre-flights do not stop and wait for it.

Slack commands (`/room join`, `/room status`, `/room list`) and the booking worker share one board; it
lives on the dispatch engine's loop and waits with ``await``, never in a thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from bot.zoom.aclient import prioritised, recording_send_times
from bot.zoom.models import Room
from bot.zoom.ratelimit import MEDIUM

log = logging.getLogger("bot.dispatch")

NEVER = float("-inf")
ROOMS_PER_PAGE = 300  # GET /rooms page_size
# While joins wait for the Medium rate limit, status listings spend at most this share of it: an account with
# 1,000 rooms needs four pages per listing, and a listing every second would take a fifth of a 20/s limit.
STATUS_SHARE = 0.025


class RoomLister(Protocol):
    async def list_rooms(self) -> list[Room]: ...

    async def room_status(self, room: Room) -> str: ...


class RoomStatusBoard:
    def __init__(self, zoom: RoomLister, *, min_interval: float = 1.0, max_age: float = 2.0,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._zoom = zoom
        self.min_interval = min_interval  # at most one listing per this many seconds
        self.max_age = max_age  # how old a listing may be for a room nothing was sent to since
        self._monotonic = monotonic
        self._sleep = sleep
        self._statuses: dict[str, str] = {}  # room_id and id -> status, from the latest listing
        self._rooms: list[Room] = []
        self._listing_started = NEVER  # when the request behind ``_statuses`` was sent
        self._last_request = NEVER
        self._fetch: asyncio.Future[None] | None = None  # the listing being taken, shared by every waiter
        self._control_sent: dict[str, float] = {}  # room_id -> when a join/leave was last acknowledged
        # room_id -> the listing last answered for it: asking again about a room (watching it join) means
        # wanting news, so the next answer comes from a later listing.
        self._served: dict[str, float] = {}
        self._blocked = 0  # asks waiting for a listing that are not watches: their join or answer waits on it
        # Set while the next listing waits out its interval: a blocked ask shortens the interval, and must not
        # wait for the waiting listing to look at it again (a burst's joins would run dry meanwhile).
        self._wake: asyncio.Event | None = None
        self._took = 0.0  # how long the last listing took, from asking to its answer
        self._ahead = False  # a listing was started before the last went stale (``_keep_fresh``): take it now
        self.listings = 0  # for benchmarks and metrics

    def interval(self) -> float:
        """Seconds between listings: ``min_interval``, or — while other Medium requests (joins) wait for the rate
        limit — longer when a listing takes several pages, so listings never crowd the joins out.  Not while a
        dispatch waits for the listing before it can send its join (or someone for an answer): then the listing
        is what holds the joins back."""
        qps, joins_waiting = self._medium_load()
        pages = max(1, -(-len(self._rooms) // ROOMS_PER_PAGE))
        if qps <= 0 or joins_waiting == 0 or self._blocked or self._ahead:
            return self.min_interval
        return max(self.min_interval, pages / (STATUS_SHARE * qps))

    def _medium_load(self) -> tuple[float, int | None]:
        """The account's Medium rate and the requests waiting for it now (None: the client has no pacer)."""
        settings = getattr(self._zoom, "settings", None)
        pacer = getattr(getattr(self._zoom, "transport", None), "pacer", None)
        return (float(getattr(settings, "qps_medium", 0) or 0),
                pacer.waiting(MEDIUM) if pacer is not None else None)

    def control_sent(self, room_id: str) -> None:
        """A join or leave reached Zoom: older listings no longer say anything about this room."""
        self._control_sent[room_id] = self._monotonic()

    async def status(self, room: Room, *, watching: bool = False) -> str:
        """The room's status from a listing fresh enough for it (waits for the next listing if needed).
        ``watching``: the ask of a dispatch watching its room join, which may wait for the next listing at the
        pace that spares the joins (``interval``); any other ask has something waiting on its answer."""
        oldest = max(self._monotonic() - self.max_age, self._control_sent.get(room.room_id, NEVER))
        seen = self._served.get(room.room_id, NEVER)
        while self._listing_started < oldest or self._listing_started <= seen:
            self._blocked += not watching
            if not watching and self._wake is not None:
                self._wake.set()
            try:
                await self._refresh()
            finally:
                self._blocked -= not watching
        if not watching:
            self._keep_fresh()
        status = self._statuses.get(room.room_id) or self._statuses.get(room.id)
        self._served[room.room_id] = self._listing_started
        # Not in the listing (added since, or renamed): ask Zoom about this room alone.
        return status if status is not None else await self._zoom.room_status(room)

    def _keep_fresh(self) -> None:
        """Pre-flights are being asked (joins are about to be sent): when the listing will be stale for them
        before a new one could be taken, and the joins already waiting for the rate limit will not last that
        long, start the next listing now.  Otherwise the pre-flights of a burst stop at each stale listing,
        the queue of joins runs dry, and rate-limit slots go unused (``bench/bench_bookings.py``)."""
        if self._fetch is not None:
            return
        left = self._listing_started + self.max_age - self._monotonic()
        if left > self._took:
            return
        qps, joins_waiting = self._medium_load()
        if qps > 0 and (joins_waiting or 0) / qps > left + self._took:
            return  # the joins queued outlast a listing taken when this one goes stale: spare the rate limit
        self._ahead = True
        # Nobody may wait for it: a failed listing is then only retried by the next ask, not reported as lost.
        self._start_listing().add_done_callback(_retrieve_failure)

    async def rooms(self) -> Sequence[Room]:
        """Every room with its status, from a listing at most ``max_age`` old (`/room list`)."""
        if self._listing_started < self._monotonic() - self.max_age:
            await self._refresh()
        return tuple(self._rooms)

    async def warm(self, *, ahead: float) -> None:
        """Room status will be asked for ``ahead`` seconds from now (bookings start then): take a listing now
        unless the last one will still be fresh then (at most half ``max_age`` old), so that those dispatches do
        not all wait for a first listing together."""
        if self._listing_started < self._monotonic() + ahead - self.max_age / 2:
            await self._refresh()

    async def _refresh(self) -> None:
        """Take part in the next listing: start it, or wait for the one being taken."""
        await asyncio.shield(self._fetch or self._start_listing())

    def _start_listing(self) -> asyncio.Future[None]:
        self._fetch = asyncio.ensure_future(self._take_listing())
        return self._fetch

    async def _take_listing(self) -> None:
        try:
            # The interval is looked at again at least every min_interval: it is long only while joins wait for
            # the rate limit, and once they have all left a listing may go sooner.
            while (wait := self._last_request + self.interval() - self._monotonic()) > 0:
                await self._pause(min(wait, self.min_interval))
            asked = self._monotonic()
            self._last_request = asked
            self._ahead = False
            with prioritised(), recording_send_times() as sent:
                rooms = await self._zoom.list_rooms()
            self._took = self._monotonic() - asked
            # As of when the first page left for Zoom: it may have waited its turn in the rate limiter behind
            # joins sent meanwhile, and a listing dated by when it was asked would look older than they are.
            started = sent[0] if sent else asked
            self.listings += 1
            statuses: dict[str, str] = {}
            for listed in rooms:
                statuses[listed.room_id] = listed.status
                statuses[listed.id] = listed.status
            self._statuses, self._rooms, self._listing_started = statuses, list(rooms), started
        finally:
            self._fetch = None

    async def _pause(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if a blocked ask comes meanwhile (``status``)."""
        wake = self._wake = asyncio.Event()
        sleeping = asyncio.ensure_future(self._sleep(seconds))
        woken = asyncio.ensure_future(wake.wait())
        try:
            await asyncio.wait((sleeping, woken), return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._wake = None
            sleeping.cancel()
            woken.cancel()


def _retrieve_failure(listing: asyncio.Future[None]) -> None:
    if not listing.cancelled() and (error := listing.exception()) is not None:
        log.info("a status listing taken ahead failed: %s", type(error).__name__)
