"""Rooms: matching by name or alias, suggestions, sync from Zoom, access rules."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.store import audit, rooms
from bot.store.db import session_scope
from bot.store.models import Dispatch, Room
from bot.store.types import AccessPrincipal, DispatchAction, DispatchSource
from tests.support.db import MigratedDatabase


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Board Room", "boardroom"),
        ("board-room!", "boardroom"),
        ("  BOARD_ROOM ", "boardroom"),
        ("Café 3", "cafe3"),
        ("Straße", "strasse"),
    ],
)
def test_normalise_name(text: str, key: str) -> None:
    assert rooms.normalise_name(text) == key


def test_find_by_name_alias_and_zoom_id(migrated_db: MigratedDatabase) -> None:
    with session_scope(migrated_db.sessions) as session:
        board = rooms.add_room(session, "Board Room", "zr-board", zoom_id="id-board", location="HQ 3F")
        rooms.add_alias(session, board, "The Big One", created_by="UADMIN")
    with session_scope(migrated_db.sessions) as session:
        for query in ["board room", "BOARD-ROOM", "boardroom!", "the big one", "zr-board", "id-board"]:
            found = rooms.find_room(session, query)
            assert found is not None and found.name == "Board Room", query
        assert rooms.find_room(session, "kitchen") is None


def test_miss_suggests_closest_rooms(migrated_db: MigratedDatabase) -> None:
    with session_scope(migrated_db.sessions) as session:
        rooms.add_room(session, "Boardroom", "z1")
        rooms.add_room(session, "Huddle 1", "z2")
        rooms.add_room(session, "Huddle 2", "z3")
    with session_scope(migrated_db.sessions) as session:
        with pytest.raises(rooms.RoomNotFound) as caught:
            rooms.resolve_room(session, "bordroom")
        assert caught.value.suggestions == ["Boardroom"]
        assert "Did you mean 'Boardroom'?" in str(caught.value)
        assert set(rooms.suggest_rooms(session, "huddle")) == {"Huddle 1", "Huddle 2"}
        assert rooms.suggest_rooms(session, "zzzz") == []


def test_names_and_aliases_are_unique_across_rooms(migrated_db: MigratedDatabase) -> None:
    with session_scope(migrated_db.sessions) as session:
        board = rooms.add_room(session, "Boardroom", "z1")
        rooms.add_room(session, "Lobby", "z2")
        with pytest.raises(rooms.RoomNameTaken, match="already used by room 'Boardroom'"):
            rooms.add_room(session, "board room", "z3")
        with pytest.raises(rooms.RoomNameTaken, match="'Lobby'"):
            rooms.add_alias(session, board, "lobby")
        with pytest.raises(rooms.RoomError, match="already known"):
            rooms.add_room(session, "Other", "z1")
        with pytest.raises(rooms.RoomError, match="no letters or digits"):
            rooms.add_room(session, "!!!", "z9")


def test_sync_adds_updates_and_reports(migrated_db: MigratedDatabase) -> None:
    with session_scope(migrated_db.sessions) as session:
        rooms.add_room(session, "Manual", "zr-manual")
        rooms.add_room(session, "Old Name", "zr-1")
    listed = [
        rooms.ZoomRoomRecord(room_id="zr-1", id="id-1", name="New Name", location_id="loc"),
        rooms.ZoomRoomRecord(room_id="zr-2", id="id-2", name="Second"),
        rooms.ZoomRoomRecord(room_id="zr-3", id="id-3", name="second!"),  # same key as "Second"
    ]
    with session_scope(migrated_db.sessions) as session:
        result = rooms.sync_rooms(session, listed)
    assert result.added == ["Second"] and result.updated == ["New Name"]
    assert result.name_clashes == ["second!"] and result.not_in_zoom == ["Manual"]
    with session_scope(migrated_db.sessions) as session:
        assert rooms.sync_rooms(session, listed[:2]).unchanged == ["New Name", "Second"]
        renamed = rooms.find_room(session, "new name")
        assert renamed is not None and renamed.zoom_id == "id-1" and renamed.location_id == "loc"


def test_access_rules(migrated_db: MigratedDatabase) -> None:
    with session_scope(migrated_db.sessions) as session:
        room = rooms.add_room(session, "Boardroom", "z1")
        assert rooms.is_dispatch_allowed(session, room, user_id="U1", channel_id="C1")  # no rules: open
        _, created = rooms.allow(session, room, AccessPrincipal.CHANNEL, "CEXEC", created_by="UADMIN")
        assert created and not rooms.allow(session, room, AccessPrincipal.CHANNEL, "CEXEC")[1]
        rooms.allow(session, room, AccessPrincipal.USERGROUP, "SLEADS")
        rooms.allow(session, room, AccessPrincipal.USER, "UCEO")
        assert rooms.is_dispatch_allowed(session, room, user_id="U1", channel_id="CEXEC")
        assert rooms.is_dispatch_allowed(session, room, user_id="UCEO", channel_id=None)
        assert rooms.is_dispatch_allowed(session, room, user_id="U2", channel_id="C9", usergroup_ids=["SLEADS"])
        assert not rooms.is_dispatch_allowed(session, room, user_id="U2", channel_id="C9", usergroup_ids=["SOTHER"])
        rooms.allow(session, room, AccessPrincipal.EVERYONE)
        assert rooms.is_dispatch_allowed(session, room, user_id="U2", channel_id="C9")
        assert rooms.disallow(session, room, AccessPrincipal.EVERYONE)
        assert not rooms.disallow(session, room, AccessPrincipal.EVERYONE)
        assert not rooms.is_dispatch_allowed(session, room, user_id="U2", channel_id="C9")
        with pytest.raises(rooms.RoomError):
            rooms.allow(session, room, AccessPrincipal.USER, "")


def test_removing_a_room_keeps_its_audit_rows(migrated_db: MigratedDatabase) -> None:
    with session_scope(migrated_db.sessions) as session:
        room = rooms.add_room(session, "Boardroom", "z1")
        rooms.add_alias(session, room, "BR")
        rooms.allow(session, room, AccessPrincipal.EVERYONE)
        audit.start_dispatch(
            session, requested_by="U1", channel_id="C1", source=DispatchSource.COMMAND,
            action=DispatchAction.JOIN, room=room, meeting_id="123456789",
        )
    with session_scope(migrated_db.sessions) as session:
        rooms.remove_room(session, rooms.resolve_room(session, "br"))
    with session_scope(migrated_db.sessions) as session:
        assert session.scalars(select(Room)).all() == []
        dispatch = session.scalars(select(Dispatch)).one()
        assert dispatch.room_id is None and dispatch.room_name == "Boardroom" and dispatch.zoom_room_id == "z1"
        assert rooms.remove_alias(session, "br") is False
