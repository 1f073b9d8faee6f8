"""The names of all stored rooms, for splitting `/room join <room> <meeting>`: one read, kept until it changes."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store import rooms as room_store
from bot.store.models import Room, RoomAlias


class KnownRoomNames:
    """What ``room_store.find_room_or_unique_prefix`` would find, from one read of the names: ``split_room``
    tries every leading run of words (a pasted invitation has dozens), and with a thousand rooms one store
    lookup per run took over a second."""

    def __init__(self, rooms: dict[int, list[str]], zoom_ids: set[str]) -> None:
        self._rooms = rooms  # room id → its name key and alias keys
        self._keys = {key for keys in rooms.values() for key in keys}
        self._zoom_ids = zoom_ids

    @classmethod
    def read(cls, session: Session) -> KnownRoomNames:
        rooms: dict[int, list[str]] = {}
        zoom_ids: set[str] = set()
        for room_id, key, zoom_room_id, zoom_id in session.execute(
                select(Room.id, Room.name_key, Room.zoom_room_id, Room.zoom_id)):
            rooms[room_id] = [key]
            zoom_ids.update(i for i in (zoom_room_id, zoom_id) if i)
        for room_id, key in session.execute(select(RoomAlias.room_id, RoomAlias.alias_key)):
            rooms.setdefault(room_id, []).append(key)
        return cls(rooms, zoom_ids)

    def names_a_room(self, text: str) -> bool:
        """An exact name or alias, a Zoom room id, or the beginning of exactly one room's name or alias."""
        key = room_store.normalise_name(text)
        if (key and key in self._keys) or text.strip() in self._zoom_ids:
            return True
        if len(key) < 3:
            return False
        starting = (room for room, keys in self._rooms.items() if any(k.startswith(key) for k in keys))
        return next(starting, None) is not None and next(starting, None) is None


class RoomNamesCache:
    """The last ``KnownRoomNames`` read, kept while ``room_store.names_version`` is unchanged and for at most
    ``MAX_AGE_SECONDS`` (a change made outside roombot, in SQL by hand, bumps no counter): every `/room join`
    splits its arguments against all the names, and reading them was the largest step of the command's own
    work in ``bench/bench_ack.py`` (with a thousand rooms, several milliseconds).  The version is read before
    the names, so a snapshot newer than its version is read again next time, never kept past a change."""

    MAX_AGE_SECONDS = 60.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last: tuple[int, float, KnownRoomNames] | None = None

    def current(self, session: Session) -> KnownRoomNames:
        version = room_store.names_version(session)
        last = self._last  # one read: another thread may replace it meanwhile, never half-way
        now = self._clock()
        if version is not None and last is not None and last[0] == version and now - last[1] < self.MAX_AGE_SECONDS:
            return last[2]
        known = KnownRoomNames.read(session)
        if version is not None:
            self._last = (version, now, known)
        return known
