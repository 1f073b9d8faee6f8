"""The room names `/room join` is split against: kept between commands, and never past a change to them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text, update

from bot.slack.rooms import names as names_module
from bot.slack.rooms.names import KnownRoomNames, RoomNamesCache
from bot.store import rooms
from bot.store.db import session_scope
from bot.store.models import RoomAlias
from bot.store.types import utcnow
from tests.support.db import MigratedDatabase


def test_kept_names_follow_every_change_to_rooms_and_aliases(migrated_db: MigratedDatabase) -> None:
    cache = RoomNamesCache()

    def names_a_room(text: str) -> bool:
        with session_scope(migrated_db.sessions) as session:
            return cache.current(session).names_a_room(text)

    with session_scope(migrated_db.sessions) as session:
        rooms.add_room(session, "Board Room", "zr-board")
    assert names_a_room("board room") and not names_a_room("lab 2")

    with session_scope(migrated_db.sessions) as session:
        rooms.add_alias(session, rooms.resolve_room(session, "board room"), "Lab 2", created_by="UADMIN")
    assert names_a_room("lab 2")

    with session_scope(migrated_db.sessions) as session:
        assert rooms.remove_alias(session, "lab 2")
    assert not names_a_room("lab 2")

    with session_scope(migrated_db.sessions) as session:  # renamed in Zoom, and its Zoom id learnt
        rooms.sync_rooms(session, [rooms.ZoomRoomRecord(room_id="zr-board", id="id-board", name="Huddle 3")])
    assert names_a_room("huddle 3") and names_a_room("id-board") and not names_a_room("board room")

    with session_scope(migrated_db.sessions) as session:
        rooms.remove_room(session, rooms.resolve_room(session, "huddle 3"))
        rooms.add_room(session, "Kitchen", "zr-kitchen")
    assert names_a_room("kitchen") and not names_a_room("huddle 3")


def test_an_alias_replaced_by_another_is_seen_even_when_its_id_is_reused(migrated_db: MigratedDatabase) -> None:
    # SQLite gives a new row the highest id plus one, so the newest alias removed and another added reuse its id
    # and leave the count unchanged.
    with session_scope(migrated_db.sessions) as session:
        board = rooms.add_room(session, "Board Room", "zr-board")
        rooms.add_alias(session, board, "Lab 2")
    known = _kept_then_read_after_replacing(migrated_db, "lab 2")
    assert known.names_a_room("studio") and not known.names_a_room("lab 2")


def _kept_then_read_after_replacing(db: MigratedDatabase, alias: str) -> KnownRoomNames:
    """The names as a cache gives them after it kept them and ``alias`` of the Board Room became "Studio"."""
    cache = RoomNamesCache()
    with session_scope(db.sessions) as session:
        assert cache.current(session).names_a_room(alias)
    with session_scope(db.sessions) as session:
        assert rooms.remove_alias(session, alias)
        rooms.add_alias(session, rooms.resolve_room(session, "board room"), "Studio")
    with session_scope(db.sessions) as session:
        return cache.current(session)


def test_unchanged_names_are_not_read_again(migrated_db: MigratedDatabase) -> None:
    cache = RoomNamesCache()
    with session_scope(migrated_db.sessions) as session:
        rooms.add_room(session, "Board Room", "zr-board")
    with session_scope(migrated_db.sessions) as session:
        first = cache.current(session)
    with session_scope(migrated_db.sessions) as session:
        assert cache.current(session) is first


def test_a_change_is_seen_whatever_the_clocks_of_earlier_writers(migrated_db: MigratedDatabase) -> None:
    # Another instance, whose clock runs an hour fast, added the alias "Lab 2": aliases changed here later
    # carry older time stamps than that one.
    with session_scope(migrated_db.sessions) as session:
        board = rooms.add_room(session, "Board Room", "zr-board")
        rooms.add_alias(session, board, "Lab 2")
        rooms.add_alias(session, board, "Lab 3")
    with session_scope(migrated_db.sessions) as session:
        session.execute(update(RoomAlias).where(RoomAlias.alias == "Lab 2")
                        .values(created_at=utcnow() + timedelta(hours=1)))
    known = _kept_then_read_after_replacing(migrated_db, "lab 3")
    assert known.names_a_room("studio") and not known.names_a_room("lab 3")


def test_names_read_after_a_change_committed_mid_read_are_not_kept_once_it_is_undone(
        migrated_db: MigratedDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    # On PostgreSQL (READ COMMITTED) each statement sees what has committed by then: an alias added between
    # the version read and the names read is in the names.  Removed again, the alias count and every time
    # stamp are back where they were, so only a counter that never goes back tells the two apart.
    cache = RoomNamesCache()
    with session_scope(migrated_db.sessions) as session:
        rooms.add_room(session, "Board Room", "zr-board")
    original_read = KnownRoomNames.read

    def read_after_an_alias_is_added(session: object) -> KnownRoomNames:
        with session_scope(migrated_db.sessions) as other:
            rooms.add_alias(other, rooms.resolve_room(other, "board room"), "Studio")
        monkeypatch.setattr(KnownRoomNames, "read", original_read)
        return original_read(session)  # type: ignore[arg-type]

    monkeypatch.setattr(KnownRoomNames, "read", read_after_an_alias_is_added)
    with session_scope(migrated_db.sessions) as session:
        cache.current(session)
    with session_scope(migrated_db.sessions) as session:
        assert rooms.remove_alias(session, "studio")
    with session_scope(migrated_db.sessions) as session:
        assert not cache.current(session).names_a_room("studio")


def test_names_a_session_changed_and_rolled_back_are_never_kept(migrated_db: MigratedDatabase) -> None:
    cache = RoomNamesCache()
    with session_scope(migrated_db.sessions) as session:
        rooms.add_room(session, "Board Room", "zr-board")
    session = migrated_db.sessions()
    try:
        rooms.add_room(session, "Kitchen", "zr-kitchen")  # flushed, never committed
        assert cache.current(session).names_a_room("kitchen")
        session.rollback()
    finally:
        session.close()
    with session_scope(migrated_db.sessions) as other:  # the counter's next value, for another change
        rooms.add_alias(other, rooms.resolve_room(other, "board room"), "Studio")
    with session_scope(migrated_db.sessions) as session:
        known = cache.current(session)
    assert known.names_a_room("studio") and not known.names_a_room("kitchen")


def test_a_change_made_by_hand_in_sql_is_seen_within_a_minute(migrated_db: MigratedDatabase) -> None:
    now = [1000.0]
    cache = RoomNamesCache(clock=lambda: now[0])
    with session_scope(migrated_db.sessions) as session:
        rooms.add_room(session, "Board Room", "zr-board")
    with session_scope(migrated_db.sessions) as session:
        assert cache.current(session).names_a_room("board room")
    with session_scope(migrated_db.sessions) as session:  # bypasses the ORM, so no counter goes up
        session.execute(text("UPDATE rooms SET name = 'Huddle 3', name_key = 'huddle3'"))
    with session_scope(migrated_db.sessions) as session:
        assert cache.current(session).names_a_room("board room")  # kept: nothing said it changed
    now[0] += names_module.RoomNamesCache.MAX_AGE_SECONDS
    with session_scope(migrated_db.sessions) as session:
        known = cache.current(session)
    assert known.names_a_room("huddle 3") and not known.names_a_room("board room")
