"""Statements built once, for the store calls on the dispatch engine's busiest path.

A statement built per call — an ORM ``update(Occurrence).where(...).values(...)`` — costs 0.2–0.3 ms of CPU
to construct, key and execute; the same statement built once over the table, with bound parameters, costs
about 0.03 ms (SQLAlchemy then finds its compiled form by a memoized cache key).  A booking dispatch runs a
dozen of them, so for a burst of bookings this was most of the bot's store CPU (docs/design.md, "Store
under concurrency").  Each helper builds its statement on first use for one shape — the table, the columns
set, the columns guarded — and reuses it.  These are Core statements: objects already loaded in the same
session do not see their changes, so they suit the short transactions that load nothing first.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, cast

from sqlalchemy import CursorResult, Insert, Table, Update, bindparam, insert, update
from sqlalchemy.orm import Session


def table_of(mapped: type) -> Table:
    """A mapped class's table (declarative types it as a FromClause)."""
    return cast(Table, mapped.__table__)  # type: ignore[attr-defined]


@cache
def _update_by_id(table: Table, columns: tuple[str, ...], guards: tuple[str, ...]) -> Update:
    condition = [table.c.id == bindparam("row_id"), *(table.c[name] == bindparam(f"is_{name}") for name in guards)]
    return update(table).where(*condition).values({name: bindparam(f"set_{name}") for name in columns})


def update_row(session: Session, table: Table, row_id: int, values: Mapping[str, Any], *,
               guard: Mapping[str, Any] | None = None) -> bool:
    """``UPDATE table SET values WHERE id = row_id [AND column = value for each guard]``; True when the row
    was there (and matched the guard).  Guard values must not be None (``= NULL`` matches nothing)."""
    guard = guard or {}
    statement = _update_by_id(table, tuple(values), tuple(guard))
    params = {"row_id": row_id, **{f"set_{name}": value for name, value in values.items()},
              **{f"is_{name}": value for name, value in guard.items()}}
    # An UPDATE's result is a CursorResult (it has rowcount); Session.execute is typed with the base Result.
    return cast(CursorResult[Any], session.execute(statement, params)).rowcount == 1


@cache
def _insert_into(table: Table) -> Insert:
    return insert(table)


def insert_row(session: Session, table: Table, values: Mapping[str, Any]) -> int:
    """Insert one row (column defaults apply) and return its id."""
    key = cast(CursorResult[Any], session.execute(_insert_into(table), dict(values))).inserted_primary_key
    if key is None:  # SQLAlchemy reports the key of every single-row INSERT on SQLite and PostgreSQL
        raise RuntimeError(f"no primary key reported for the new {table.name} row")
    return int(key[0])


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows that all set the same columns, in one executemany."""
    if rows:
        session.execute(_insert_into(table), rows)
