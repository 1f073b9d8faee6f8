"""Keep the stored rooms in step with Zoom: what `/room sync`, `roombot rooms sync` and the demo do."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from bot.store import rooms as room_store
from bot.store.db import session_scope
from bot.zoom.client import ZoomClient


def sync_rooms_from_zoom(zoom: ZoomClient, sessions: sessionmaker[Session]) -> tuple[int, room_store.SyncResult]:
    """Import Zoom's room list (all pages) into the store; nothing is deleted.  Returns how many rooms Zoom
    listed and what changed here."""
    listed = zoom.list_rooms()  # before the transaction: no Zoom call while holding the write lock
    records = [room_store.ZoomRoomRecord(room_id=r.room_id, id=r.id or None, name=r.name, location_id=r.location_id)
               for r in listed]
    with session_scope(sessions, write_lock=True) as session:
        return len(records), room_store.sync_rooms(session, records)
