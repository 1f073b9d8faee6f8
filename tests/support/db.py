"""Database fixtures: every storage test runs on SQLite and on PostgreSQL.

* ``db_backend`` — ``"sqlite"`` or ``"postgres"`` (parametrised; the PostgreSQL case carries the
  ``postgres`` marker).
* ``db_url`` — a fresh, empty database of that backend: a temp-file SQLite database, or a uniquely named
  database created on the server at ``ROOMBOT_TEST_POSTGRES_URL`` and dropped afterwards.
* ``migrated_db`` — an empty database already at the head revision, migrated once per test session
  (SQLite: a copy of a template file; PostgreSQL: one database emptied with TRUNCATE after each test), so
  each test pays milliseconds, not a migration: ``.url``, ``.engine``, ``.sessions`` (a session
  factory), ``.backend``.  Do not change its schema; use ``db_url`` for migration tests.
* ``secret_box`` — a :class:`SecretBox` with a random key.

PostgreSQL unavailable (``ROOMBOT_TEST_POSTGRES_URL`` unset or the server unreachable): its cases are
skipped — unless ``ROOMBOT_REQUIRE_POSTGRES=1`` (CI), which makes them fail loudly instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.store.crypto import SecretBox
from bot.store.db import create_engine_for_url, session_factory
from bot.store.migrate import upgrade_to_head
from bot.store.models import Base

POSTGRES_URL_VARIABLE = "ROOMBOT_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_VARIABLE = "ROOMBOT_REQUIRE_POSTGRES"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass
class MigratedDatabase:
    backend: str
    url: str
    engine: Engine
    sessions: sessionmaker[Session]


def _postgres_unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_POSTGRES_VARIABLE) == "1":
        pytest.fail(f"PostgreSQL is required ({REQUIRE_POSTGRES_VARIABLE}=1) but {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


def _libpq_url(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def _sqlalchemy_url(url: str, database: str) -> str:
    return make_url(url).set(drivername="postgresql+psycopg", database=database).render_as_string(hide_password=False)


class PostgresServer:
    """Creates and drops throw-away databases on the test server."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(_libpq_url(self.url), autocommit=True, connect_timeout=5)

    def create_database(self, prefix: str, template: str | None = None) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with self._admin() as connection:
            template_clause = f' TEMPLATE "{template}"' if template else ""
            connection.execute(f'CREATE DATABASE "{name}"{template_clause}')
        return name

    def drop_database(self, name: str) -> None:
        with self._admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def url_for(self, name: str) -> str:
        return _sqlalchemy_url(self.url, name)


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        _postgres_unavailable(f"{POSTGRES_URL_VARIABLE} is not set")
    try:
        with psycopg.connect(_libpq_url(url), connect_timeout=5) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        _postgres_unavailable(f"cannot connect to {make_url(url).render_as_string(hide_password=True)}: {error}")
    return PostgresServer(url)


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_url(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty database (no tables) on the current backend."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'roombot-test.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database("roombot_test")
    try:
        yield server.url_for(name)
    finally:
        server.drop_database(name)


def _migrate_and_close(url: str) -> None:
    engine = create_engine_for_url(url)
    try:
        upgrade_to_head(engine=engine)
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:  # fold the WAL into the main file before it is copied
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db-template") / "template.sqlite3"
    _migrate_and_close(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _postgres_template(postgres_server: PostgresServer) -> Iterator[str]:
    name = postgres_server.create_database("roombot_template")
    try:
        _migrate_and_close(postgres_server.url_for(name))
        yield name
    finally:
        postgres_server.drop_database(name)


class _ReusablePostgresDatabase:
    """One migrated database per test session, emptied between tests (TRUNCATE takes milliseconds where
    CREATE DATABASE takes a few hundred).  If emptying fails — a test left a connection holding locks —
    the database is dropped and a fresh copy of the template replaces it."""

    def __init__(self, server: PostgresServer, template: str) -> None:
        self.server = server
        self.template = template
        self.name = server.create_database("roombot_test", template=template)

    def reset(self) -> None:
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        try:
            conninfo = _libpq_url(self.server.url, self.name)
            with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as connection:
                connection.execute("SET lock_timeout = '3s'")
                connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
                # Rows the migrations put in, as a freshly migrated database has them.
                connection.execute("INSERT INTO room_names_version (id, version) VALUES (1, 0)")
        except psycopg.Error:
            self.server.drop_database(self.name)
            self.name = self.server.create_database("roombot_test", template=self.template)

    def drop(self) -> None:
        self.server.drop_database(self.name)


@pytest.fixture(scope="session")
def _postgres_reusable(postgres_server: PostgresServer, _postgres_template: str) -> Iterator[_ReusablePostgresDatabase]:
    database = _ReusablePostgresDatabase(postgres_server, _postgres_template)
    try:
        yield database
    finally:
        database.drop()


@pytest.fixture
def migrated_db(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[MigratedDatabase]:
    """An empty database at the head revision, with an engine and a session factory.

    SQLite: a copy of a migrated template file.  PostgreSQL: a session-wide migrated database, emptied
    after each test (so do not change its schema; use ``db_url`` for that).
    """
    reusable: _ReusablePostgresDatabase | None = None
    if db_backend == "sqlite":
        path = tmp_path / "roombot.sqlite3"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        reusable = request.getfixturevalue("_postgres_reusable")
        url = reusable.server.url_for(reusable.name)
    engine = create_engine_for_url(url)
    try:
        yield MigratedDatabase(db_backend, url, engine, session_factory(engine))
    finally:
        engine.dispose()
        if reusable is not None:
            reusable.reset()


@pytest.fixture
def secret_box() -> SecretBox:
    return SecretBox(Fernet.generate_key())
