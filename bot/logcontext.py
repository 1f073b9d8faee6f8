"""The ids of the piece of work a log line is about, carried in ``contextvars`` and added to every record.

A piece of work is a Slack request's listener work (``bot.slack.lane``), a dispatch on the engine
(``bot.dispatch.engine``) or a booking occurrence (``bot.scheduling``).  Each starts with ``bound(...)``
naming what it knows — the Slack team, channel and user, the occurrence — and the dispatch id joins as soon
as the dispatch's audit row is written (``follow_dispatch_rows``).  ``LOG_CONTEXT``, a ``logging.Filter``
that ``bot.logsafety.install`` puts on every handler, copies them onto each record as attributes
(``team_id``, ``channel_id``, ``user_id``, ``dispatch_id``, ``dispatch_ref``, ``occurrence_id``), where the
JSON format writes them as fields; the human format leaves them out.

How the ids travel:

* the current ids are one mutable ``WorkIds`` in a ``ContextVar``: asyncio tasks and
  ``loop.call_soon_threadsafe`` copy the context, and so does the engine's ``to_thread`` for the blocking
  calls of a dispatch, so they all see the same ``WorkIds`` — and an id ``note``d on one of the engine's I/O
  threads (the audit row's id, written there) is seen by the dispatch's later lines on the loop;
* ``bound`` always starts a new ``WorkIds`` (a copy of the enclosing one plus the ids given), and the engine
  gives every job its own copy (``fork``), so concurrent dispatches started from one listener never share
  one;
* threads that take work from a queue (the listener lane, the booking worker) bind per item and reset
  after it, so nothing leaks into the next item.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields, replace

__all__ = ["FIELDS", "LOG_CONTEXT", "LogContextFilter", "WorkIds", "bound", "current", "follow_dispatch_rows",
           "fork", "note"]


@dataclass
class WorkIds:
    team_id: str | None = None
    channel_id: str | None = None
    user_id: str | None = None
    dispatch_id: int | None = None
    dispatch_ref: str | None = None
    occurrence_id: int | None = None

    def items(self) -> Iterator[tuple[str, str | int]]:
        """The ids that are set, as (field, value)."""
        for name in FIELDS:
            value = getattr(self, name)
            if value is not None:
                yield name, value


FIELDS = tuple(f.name for f in fields(WorkIds))
_CURRENT: ContextVar[WorkIds | None] = ContextVar("roombot_work_ids", default=None)


def current() -> WorkIds | None:
    return _CURRENT.get()


@contextmanager
def bound(**ids: str | int | None) -> Iterator[WorkIds]:
    """Run the block as a piece of work with ``ids`` (added to those of the enclosing work, if any); ids given
    as None are left as they were."""
    enclosing = _CURRENT.get()
    work = replace(enclosing) if enclosing is not None else WorkIds()
    _update(work, ids)
    token = _CURRENT.set(work)
    try:
        yield work
    finally:
        _CURRENT.reset(token)


def fork() -> WorkIds:
    """Give the current context its own copy of the current ids (an empty set when there are none): what the
    dispatch engine does at the start of every job, so each dispatch has ids of its own."""
    enclosing = _CURRENT.get()
    work = replace(enclosing) if enclosing is not None else WorkIds()
    _CURRENT.set(work)
    return work


def note(**ids: str | int | None) -> None:
    """Add ids to the current piece of work, for every line logged after it there (in this task, its threads
    and tasks).  Outside any piece of work nothing happens: a thread's own context would keep them."""
    work = _CURRENT.get()
    if work is not None:
        _update(work, ids)


def _update(work: WorkIds, ids: dict[str, str | int | None]) -> None:
    for name, value in ids.items():
        if name not in FIELDS:
            raise TypeError(f"unknown log context field {name!r}")
        if value is not None:
            setattr(work, name, value)


class LogContextFilter(logging.Filter):
    """Copies the current ids onto each record (an attribute the record already has — an ``extra`` — wins)."""

    def __init__(self) -> None:
        super().__init__("roombot-log-context")

    def filter(self, record: logging.LogRecord) -> bool:
        work = _CURRENT.get()
        if work is not None:
            for name, value in work.items():
                if name not in record.__dict__:
                    record.__dict__[name] = value
        return True


LOG_CONTEXT = LogContextFilter()


def _dispatch_row_inserted(_mapper: object, _connection: object, target: object) -> None:
    note(dispatch_id=getattr(target, "id", None), dispatch_ref=getattr(target, "reference", None))


def follow_dispatch_rows() -> None:
    """From now on, writing a dispatch's audit row (``bot.store.models.Dispatch``) adds its id and reference
    to the current piece of work.  Idempotent; called by ``bot.logsafety.install``."""
    from sqlalchemy import event

    from bot.store.models import Dispatch

    if not event.contains(Dispatch, "after_insert", _dispatch_row_inserted):
        event.listen(Dispatch, "after_insert", _dispatch_row_inserted)
