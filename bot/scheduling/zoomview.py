"""The worker's view of Zoom: many concurrent dispatches share one room-status listing.

The dispatch flow asks for a room's status before the join and several times while it watches the room
join; each ask is a Medium-category ``GET /rooms`` call.  When hundreds of bookings start in the same
minute that would spend most of the account's Medium rate limit on status reads instead of joins.
``RoomStatusBoard`` answers every concurrent ask from one listing (one request per 300 rooms), taken at
most every ``min_interval`` seconds, and never from a listing older than the caller may accept: after a
join or leave was sent to a room, only a listing started after it counts for that room, and asking about the
same room again (watching it join) is answered from a newer listing than the last answer.

``BookingZoom`` wraps the shared ``ZoomClient`` for the booking worker's ``DispatchService``: room status
comes from the board, and a hook runs just before each join is sent (the worker records there that the
occurrence's join may have reached Zoom, so a worker that takes over after a crash re-checks first).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("bot.scheduling")

NEVER = float("-inf")


class RoomStatusBoard:
    def __init__(self, zoom: Any, *, min_interval: float = 1.0, max_age: float = 2.0,
                 monotonic: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self._zoom = zoom
        self.min_interval = min_interval  # at most one listing per this many seconds
        self.max_age = max_age  # how old a listing may be for a room nothing was sent to since
        self._monotonic = monotonic
        self._sleep = sleep
        self._changed = threading.Condition()
        self._statuses: dict[str, str] = {}  # room_id and id -> status, from the latest listing
        self._listing_started = NEVER  # when the request behind ``_statuses`` was sent
        self._last_request = NEVER
        self._fetching = False
        self._control_sent: dict[str, float] = {}  # room_id -> when a join/leave was last acknowledged
        # room_id -> the listing last answered for it: asking again about a room (watching it join) means
        # wanting news, so the next answer comes from a later listing.
        self._served: dict[str, float] = {}
        self.listings = 0  # for the benchmark's report

    def control_sent(self, room_id: str) -> None:
        """A join or leave reached Zoom: older listings no longer say anything about this room."""
        with self._changed:
            self._control_sent[room_id] = self._monotonic()

    def status(self, room: Any) -> str:
        """The room's status from a listing fresh enough for it (waits for the next listing if needed)."""
        with self._changed:
            oldest = max(self._monotonic() - self.max_age, self._control_sent.get(room.room_id, NEVER))
            seen = self._served.get(room.room_id, NEVER)
            while self._listing_started < oldest or self._listing_started <= seen:
                if self._fetching:
                    self._changed.wait()
                    continue
                self._fetching = True  # this caller fetches for everyone waiting
                self._changed.release()
                try:
                    self._refresh()
                finally:
                    self._changed.acquire()
            status = self._statuses.get(room.room_id) or self._statuses.get(room.id)
            self._served[room.room_id] = self._listing_started
        # Not in the listing (added since, or renamed): ask Zoom about this room alone.
        return status if status is not None else self._zoom.room_status(room)

    def _refresh(self) -> None:
        try:
            wait = self._last_request + self.min_interval - self._monotonic()
            if wait > 0:
                self._sleep(wait)
            started = self._monotonic()
            self._last_request = started
            rooms = self._zoom.list_rooms()
            self.listings += 1
            statuses = {}
            for listed in rooms:
                statuses[listed.room_id] = listed.status
                statuses[listed.id] = listed.status
            with self._changed:
                self._statuses = statuses
                self._listing_started = started
        finally:
            with self._changed:
                self._fetching = False
                self._changed.notify_all()


class BookingZoom:
    """A ``ZoomClient`` stand-in for the booking worker's ``DispatchService`` (see the module docstring)."""

    def __init__(self, zoom: Any, board: RoomStatusBoard) -> None:
        self._zoom = zoom
        self.board = board
        self.settings = zoom.settings
        self._local = threading.local()

    def __getattr__(self, name: str) -> Any:  # every other operation is the real client's
        return getattr(self._zoom, name)

    def set_before_join(self, hook: Callable[[], None] | None) -> None:
        """Run ``hook`` in this thread right before the next joins are sent (None clears it)."""
        self._local.before_join = hook

    def room_status(self, room: Any) -> str:
        return self.board.status(room)

    def join_room(self, room: Any, meeting_number: str, passcode: str | None = None,
                  force_accept: bool = False) -> Any:
        hook = getattr(self._local, "before_join", None)
        if hook is not None:
            hook()
        ack = self._zoom.join_room(room, meeting_number, passcode, force_accept)
        self.board.control_sent(room.room_id)
        return ack

    def leave_room(self, room: Any) -> Any:
        ack = self._zoom.leave_room(room)
        self.board.control_sent(room.room_id)
        return ack
