"""Engines and sessions.

* ``create_engine_for_url(url)`` — SQLite gets WAL, foreign keys, a busy timeout and real ``BEGIN``
  statements (pysqlite's own transaction handling is switched off, as SQLAlchemy's SQLite docs recommend,
  so that SAVEPOINTs and ``BEGIN IMMEDIATE`` work); PostgreSQL gets a pre-pinged pool and a connect timeout.
* ``session_factory(engine)`` and ``session_scope(factory)`` — one session per Slack listener / worker
  step; the scope commits on success and rolls back on any exception.
* Failures to reach the database become :class:`DatabaseUnavailable`, whose message is fit for a user:
  it names the database with the password masked and says what went wrong, without a traceback.
"""

from __future__ import annotations

import re
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import ArgumentError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import DEFAULT_DATABASE_URL

SQLITE_BUSY_TIMEOUT_SECONDS = 15.0
POSTGRES_CONNECT_TIMEOUT_SECONDS = 10
# Connection execution option read by the SQLite "begin" hook: start the transaction with BEGIN IMMEDIATE.
SQLITE_WRITE_LOCK_OPTION = "roombot_sqlite_begin_immediate"

# One in-process writer lock per SQLite file engine.  SQLite's busy handler makes a waiting writer sleep
# (up to 100 ms a turn), so a dozen threads queueing on BEGIN IMMEDIATE leave the lock idle most of the time;
# a Python lock hands it to the next writer of this process at once.  Other processes still meet SQLite's
# own lock and busy timeout.
_sqlite_writer_locks: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or used right now.  ``str()`` is one line fit for a user."""

    def __init__(self, safe_url: str, reason: str) -> None:
        self.safe_url = safe_url
        self.reason = reason
        super().__init__(f"database unavailable ({safe_url}): {reason}")


def safe_url_text(url: str | URL) -> str:
    """The URL with any password masked; unparseable URLs are reduced to their scheme."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return str(url).split(":", 1)[0] + "://…"


def _scrub(text: str, url: URL) -> str:
    """Drop the password from a driver message (drivers do not usually echo it, but never risk it)."""
    text = " ".join(text.split())
    if url.password:
        text = text.replace(str(url.password), "***")
    return re.sub(r"(password=)\S+", r"\1***", text)


def _unavailable_reason(context: ExceptionContext) -> str | None:
    """Why the database is unusable, or None when the error is an ordinary SQL error for the caller."""
    original = context.original_exception
    message = str(original)
    if context.is_disconnect:
        return f"the connection was lost ({message})"
    if context.connection is None:  # failed while connecting
        return message
    if isinstance(context.sqlalchemy_exception, OperationalError) and "database is locked" in message:
        return (
            f"the SQLite database stayed locked for {SQLITE_BUSY_TIMEOUT_SECONDS:.0f} s "
            "(another process is writing; use PostgreSQL to run several instances)"
        )
    return None


def _install_unavailable_translation(engine: Engine) -> None:
    url = engine.url

    @event.listens_for(engine, "handle_error")
    def translate(context: ExceptionContext) -> BaseException | None:
        reason = _unavailable_reason(context)
        if reason is None:
            return None
        unavailable = DatabaseUnavailable(safe_url_text(url), _scrub(reason, url))
        unavailable.__cause__ = context.sqlalchemy_exception
        return unavailable


def _configure_sqlite(engine: Engine, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (see on_begin); pysqlite's implicit BEGIN breaks SAVEPOINT.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)}")
            if not in_memory:
                # WAL: readers never block the writer nor the writer the readers; NORMAL is durable with WAL.
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        write_lock = connection.get_execution_options().get(SQLITE_WRITE_LOCK_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write_lock else "BEGIN")


# The threads that can use the store at once besides those answering Slack requests: the dispatch engine's 8
# store and 16 Slack threads (those only store a message's ts; bot.dispatch.engine), the 4 Slack listener lane
# threads, the booking worker and its lease timer, and /healthz's database check.
BACKGROUND_STORE_THREADS = 8 + 16 + 4 + 2 + 1


def pool_size_for(request_threads: int) -> int:
    """A connection for every thread that can use the store at once, ``request_threads`` answering Slack (a
    type-ahead's options are read before the answer).  Connections are opened as they are first needed."""
    return BACKGROUND_STORE_THREADS + max(1, request_threads)


DEFAULT_POOL_SIZE = pool_size_for(8)  # serve's default --threads


def create_engine_for_url(url: str | URL | None = None, *, echo: bool = False,
                          pool_size: int = DEFAULT_POOL_SIZE) -> Engine:
    """An engine for ``url`` (default: ``roombot.sqlite3`` in the working directory).

    ``pool_size`` should be the number of threads that use the store at once (every blocking store call runs
    on one of a known set of threads), so no thread waits for a connection another one holds idle."""
    parsed = make_url(url or DEFAULT_DATABASE_URL)
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:") or "mode=memory" in str(parsed)
        pooling = {} if in_memory else {"pool_size": pool_size, "max_overflow": 2}
        engine = create_engine(
            parsed,
            echo=echo,
            hide_parameters=True,  # error texts must not carry bound values (sealed passcodes, ids)
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            **pooling,
        )
        _configure_sqlite(engine, in_memory)
        _sqlite_writer_locks[engine] = threading.RLock()
    elif parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is the driver we ship
        engine = create_engine(
            parsed,
            echo=echo,
            hide_parameters=True,
            pool_size=pool_size,
            max_overflow=2,
            pool_recycle=1800,
            connect_args={"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS, "application_name": "roombot"},
        )
        _ping_idle_connections(engine)
    else:
        engine = create_engine(parsed, echo=echo, hide_parameters=True, pool_pre_ping=True)
    _install_unavailable_translation(engine)
    return engine


# A pooled PostgreSQL connection idle this long is pinged before use (server restarts, idle reaping).
PING_AFTER_IDLE_SECONDS = 5.0
_IDLE_SINCE = "roombot_idle_since"


def _ping_idle_connections(engine: Engine) -> None:
    """``pool_pre_ping``, but only for connections that sat idle: a ping is a round trip, and the dispatch
    engine checks connections out several times per dispatch, milliseconds apart.  A connection that broke
    while in use is invalidated by SQLAlchemy's disconnect handling; one that broke while idle is caught here
    and replaced (raising ``DisconnectionError`` makes the pool connect afresh)."""

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return  # just connected, or back in the pool a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure: connect afresh
            raise DisconnectionError(type(error).__name__) from error


def check_connection(engine: Engine) -> None:
    """Connect once; raise :class:`DatabaseUnavailable` if that fails."""
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: objects returned from a scope stay readable after it commits.
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session], *, write_lock: bool = False) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises.

    ``write_lock=True`` starts the transaction with ``BEGIN IMMEDIATE`` on SQLite: the block then holds
    the database's write lock from its first statement, so a check-then-insert inside it cannot race
    another writer (others wait up to the busy timeout).  On PostgreSQL it changes nothing: constraints
    and row locks do that job there.
    """
    session = factory()
    with ExitStack() as held:
        try:
            if write_lock and session.get_bind().dialect.name == "sqlite":
                _take_writer_lock(session.get_bind(), held)
                session.connection(execution_options={SQLITE_WRITE_LOCK_OPTION: True})
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def _take_writer_lock(bind: Any, held: ExitStack) -> None:
    lock = _sqlite_writer_locks.get(bind)
    # Past the busy timeout, go on without it: SQLite's own lock then decides (and names the wait).
    if lock is not None and lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_SECONDS):
        held.callback(lock.release)


def is_sqlite(session_or_engine: Session | Engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "sqlite"
