"""Engines, sessions and the user-facing DatabaseUnavailable error."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import event, text

from bot.store.db import (
    DatabaseUnavailable,
    check_connection,
    create_engine_for_url,
    safe_url_text,
    session_factory,
    session_scope,
)
from bot.store.migrate import require_up_to_date
from bot.store.models import Room
from tests.support.db import MigratedDatabase


def _closed_port() -> int:
    with socket.socket() as probe:  # bind then close: nothing listens there afterwards
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_postgres_is_database_unavailable_without_password() -> None:
    url = f"postgresql+psycopg://roombot:Sup3rS3cretPw@127.0.0.1:{_closed_port()}/roombot"
    engine = create_engine_for_url(url)
    try:
        with pytest.raises(DatabaseUnavailable) as caught:
            check_connection(engine)
    finally:
        engine.dispose()
    message = str(caught.value)
    assert "Sup3rS3cretPw" not in message
    assert "roombot:***@127.0.0.1" in message and "refused" in message.lower()
    assert "\n" not in message


def test_schema_check_on_unreachable_database_raises_database_unavailable() -> None:
    with pytest.raises(DatabaseUnavailable) as caught:
        require_up_to_date(f"postgresql://u:pw12345678@127.0.0.1:{_closed_port()}/x")
    assert "pw12345678" not in str(caught.value)


def test_unopenable_sqlite_file_is_database_unavailable(tmp_path) -> None:
    engine = create_engine_for_url(f"sqlite:///{tmp_path}/missing-dir/db.sqlite3")
    with pytest.raises(DatabaseUnavailable, match="unable to open database file"):
        check_connection(engine)


def test_safe_url_text_masks_password() -> None:
    assert safe_url_text("postgresql://a:b@h/d") == "postgresql://a:***@h/d"


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(migrated_db: MigratedDatabase) -> None:
    if migrated_db.backend != "sqlite":
        pytest.skip("SQLite pragmas")
    with migrated_db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000


def test_session_scope_commits_and_rolls_back(migrated_db: MigratedDatabase) -> None:
    with session_scope(migrated_db.sessions) as session:
        session.add(Room(name="A", name_key="a", zoom_room_id="za"))
    with pytest.raises(RuntimeError):
        with session_scope(migrated_db.sessions) as session:
            session.add(Room(name="B", name_key="b", zoom_room_id="zb"))
            session.flush()
            raise RuntimeError("boom")
    with session_scope(migrated_db.sessions) as session:
        assert [room.name for room in session.query(Room).order_by(Room.name)] == ["A"]


def test_write_lock_scope_begins_immediate_on_sqlite(migrated_db: MigratedDatabase) -> None:
    statements: list[str] = []
    event.listen(migrated_db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        session.execute(text("SELECT 1"))
    with session_scope(migrated_db.sessions) as session:
        session.execute(text("SELECT 1"))
    begins = [statement for statement in statements if statement.startswith("BEGIN")]
    expected = ["BEGIN IMMEDIATE", "BEGIN"] if migrated_db.backend == "sqlite" else []
    assert begins == expected


def test_session_factory_keeps_objects_readable_after_commit(migrated_db: MigratedDatabase) -> None:
    factory = session_factory(migrated_db.engine)
    with session_scope(factory) as session:
        room = Room(name="Lobby", name_key="lobby", zoom_room_id="zl")
        session.add(room)
    assert room.name == "Lobby" and room.id is not None
