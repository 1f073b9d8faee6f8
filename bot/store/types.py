"""Column types and value enums shared by the models and the migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum  # members are stored by value: lower-case words that read naturally in SQL
from typing import Any

from sqlalchemy import DateTime, Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend.

    PostgreSQL stores ``timestamptz``.  SQLite has no time zones, so values are stored as naive UTC text in
    one fixed format; because every value is UTC, SQL comparisons on the text order correctly.  Naive
    datetimes are refused: a booking time without a zone is a bug waiting for daylight-saving time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"refusing to store a naive datetime ({value.isoformat()}); attach a time zone")
        as_utc = value.astimezone(UTC)
        return as_utc.replace(tzinfo=None) if dialect.name == "sqlite" else as_utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class AccessPrincipal(StrEnum):
    CHANNEL = "channel"
    USERGROUP = "usergroup"
    USER = "user"
    EVERYONE = "everyone"


class DispatchAction(StrEnum):
    JOIN = "join"
    NEW = "new"
    LEAVE = "leave"


class DispatchSource(StrEnum):
    COMMAND = "command"
    BUTTON = "button"
    SHORTCUT = "shortcut"
    MODAL = "modal"
    BOOKING = "booking"
    WORKFLOW = "workflow"  # the Workflow Builder step (no migration: stored as its value in a VARCHAR)


class DispatchOutcome(StrEnum):
    PENDING = "pending"  # created, Zoom not called yet
    ACCEPTED = "accepted"  # Zoom accepted the request; waiting for the room to be InMeeting
    JOINED = "joined"  # the room was seen InMeeting
    LEFT = "left"  # a leave request finished
    REFUSED = "refused"  # stopped before calling Zoom (unknown room, not allowed, busy, bad passcode...)
    FAILED = "failed"  # Zoom said no, or the room never joined


class MeetingMode(StrEnum):
    LINK = "link"  # join an existing meeting (id / link / passcode)
    NEW = "new"  # the bot creates a meeting for each occurrence


class BookingStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"
    FINISHED = "finished"  # no more occurrences (count/until reached, or the one-off has happened)


class OccurrenceStatus(StrEnum):
    SCHEDULED = "scheduled"
    CLAIMED = "claimed"  # a worker holds a lease on it
    DISPATCHED = "dispatched"
    SKIPPED = "skipped"  # misfire (too late), "skip this one", or a conflict found while materialising
    FAILED = "failed"
    CANCELLED = "cancelled"


# Occurrences in these states no longer hold their room: they are outside the overlap rule.
RELEASED_OCCURRENCE_STATUSES: tuple[OccurrenceStatus, ...] = (OccurrenceStatus.CANCELLED, OccurrenceStatus.SKIPPED)
