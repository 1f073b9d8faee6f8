"""The room names `/room join` is split against: kept between commands, and never past a change to them."""

from __future__ import annotations

from bot.slack.rooms.names import RoomNamesCache
from bot.store import rooms
from bot.store.db import session_scope
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
    cache = RoomNamesCache()
    with session_scope(migrated_db.sessions) as session:
        board = rooms.add_room(session, "Board Room", "zr-board")
        rooms.add_alias(session, board, "Lab 2")
    with session_scope(migrated_db.sessions) as session:
        assert cache.current(session).names_a_room("lab 2")
    with session_scope(migrated_db.sessions) as session:
        assert rooms.remove_alias(session, "lab 2")
        rooms.add_alias(session, rooms.resolve_room(session, "board room"), "Studio")
    with session_scope(migrated_db.sessions) as session:
        known = cache.current(session)
    assert known.names_a_room("studio") and not known.names_a_room("lab 2")


def test_unchanged_names_are_not_read_again(migrated_db: MigratedDatabase) -> None:
    cache = RoomNamesCache()
    with session_scope(migrated_db.sessions) as session:
        rooms.add_room(session, "Board Room", "zr-board")
    with session_scope(migrated_db.sessions) as session:
        first = cache.current(session)
    with session_scope(migrated_db.sessions) as session:
        assert cache.current(session) is first
