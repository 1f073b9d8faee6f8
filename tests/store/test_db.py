"""Engines, sessions and the user-facing DatabaseUnavailable error."""

from __future__ import annotations

import socket
import threading

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


def test_sqlite_writers_of_one_process_queue_instead_of_failing_on_the_busy_timeout(tmp_path) -> None:
    """Two write transactions of this process at once: the second waits for the first, even past SQLite's
    own busy timeout (cut to 50 ms here), instead of failing "database is locked"."""
    engine = create_engine_for_url(f"sqlite:///{tmp_path}/queue.sqlite3")
    # Runs after roombot's own connect hook: SQLite alone would give up on the lock after 50 ms.
    event.listen(engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA busy_timeout=50"))
    sessions = session_factory(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE counter (n INTEGER)")
        connection.exec_driver_sql("INSERT INTO counter VALUES (0)")
    first_holds_lock, second_started = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def first() -> None:
        with session_scope(sessions, write_lock=True) as session:
            session.execute(text("UPDATE counter SET n = n + 1"))
            first_holds_lock.set()
            second_started.wait(5)
            # Hold the write lock for several busy timeouts while the second writer is queued.
            threading.Event().wait(0.4)

    def second() -> None:
        first_holds_lock.wait(5)
        second_started.set()
        try:
            with session_scope(sessions, write_lock=True) as session:
                session.execute(text("UPDATE counter SET n = n + 10"))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    try:
        assert failures == []
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT n FROM counter").scalar() == 11
    finally:
        engine.dispose()


def test_postgres_connection_killed_while_idle_is_replaced_and_busy_ones_are_not_pinged(
        migrated_db: MigratedDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pooled connection whose server backend went away while it sat idle (a restart, idle reaping) is
    pinged and replaced before use; one back in the pool a moment ago is used without a ping."""
    if migrated_db.backend != "postgres":
        pytest.skip("PostgreSQL's pool and backends")
    import bot.store.db as db

    engine = create_engine_for_url(migrated_db.url)
    pings: list[object] = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(connection) or real_ping(connection))
    sessions = session_factory(engine)

    def backend_pid() -> int:
        with session_scope(sessions) as session:
            return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())

    try:
        first = backend_pid()
        assert backend_pid() == first and pings == []  # reused at once: no ping
        with migrated_db.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # now every pooled connection counts as idle
        replaced = backend_pid()
        assert replaced != first and len(pings) >= 1
    finally:
        engine.dispose()
