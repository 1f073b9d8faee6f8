"""SQLAlchemy 2 declarative models: rooms, access rules, the dispatch audit, dedup keys, passcode attempts,
bookings and their materialised occurrences.

Every datetime is an aware UTC value (:class:`UTCDateTime`).  Constraint names come from the naming
convention below, so Alembic migrations are deterministic across SQLite and PostgreSQL.

Overlapping bookings: on PostgreSQL the ``occurrences`` table carries an exclusion constraint
(``EXCLUDE USING gist (room_id WITH =, tstzrange(starts_at, ends_at) WITH &&)`` for occurrences that
still hold their room), so two concurrent transactions can never both book the same slot.  SQLite has no
such constraint; the repository checks for overlaps inside a write-locked transaction instead
(see ``bot.store.bookings``).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import Enum as PyEnum
from itertools import chain
from typing import cast

from sqlalchemy import (
    DDL,
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    func,
    inspect,
    literal_column,
    update,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from bot.store.crypto import LongSealedType, Sealed, SealedType
from bot.store.types import (
    RELEASED_OCCURRENCE_STATUSES,
    AccessPrincipal,
    BookingStatus,
    DispatchAction,
    DispatchOutcome,
    DispatchSource,
    MeetingMode,
    OccurrenceStatus,
    UTCDateTime,
    utcnow,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

OCCURRENCE_OVERLAP_CONSTRAINT = "ex_occurrences_room_time"
SLACK_ID = 32  # Slack ids (U…, C…, S…) are ~11 characters; leave room for enterprise ids


def enum_column(enum_class: type[PyEnum]) -> Enum:
    """Store an enum as its lower-case value in a VARCHAR (no native ENUM type, no CHECK constraint), so
    adding a value later needs no migration."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=16,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), Sealed: SealedType()}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Room(TimestampMixin, Base):
    """A Zoom Room roombot can dispatch."""

    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Zoom's `room_id` ("Use this ID for the Dashboard Zoom Room APIs"): the {id} of PATCH /rooms/{id}/events
    # and GET /rooms/{roomId}.  Always known, also for rooms added by hand.
    zoom_room_id: Mapped[str] = mapped_column(String(64), unique=True)
    # Zoom's `id` from GET /rooms (needed by a few other endpoints); known after `rooms sync`.
    zoom_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # casefolded, punctuation and whitespace removed: what lookups compare (bot.store.rooms.normalise_name)
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    location: Mapped[str | None] = mapped_column(String(300))
    location_id: Mapped[str | None] = mapped_column(String(64))

    aliases: Mapped[list[RoomAlias]] = relationship(
        back_populates="room", cascade="all, delete-orphan", passive_deletes=True, order_by="RoomAlias.id"
    )
    access_rules: Mapped[list[RoomAccessRule]] = relationship(
        back_populates="room", cascade="all, delete-orphan", passive_deletes=True, order_by="RoomAccessRule.id"
    )

    def __repr__(self) -> str:
        return f"Room(id={self.id!r}, name={self.name!r})"


class RoomAlias(Base):
    __tablename__ = "room_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(String(200))
    alias_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_by: Mapped[str | None] = mapped_column(String(SLACK_ID))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    room: Mapped[Room] = relationship(back_populates="aliases")


class RoomNamesVersion(Base):
    """One row whose ``version`` goes up in every transaction that adds, removes or renames a room or an alias,
    or changes a room's Zoom ids (``bot.store.rooms``): what is derived from all the names (``/room join``
    splitting its arguments) is kept until it changes.  A counter written with the change, not a clock: it
    never goes back, whatever the writers' clocks or the order their transactions commit in."""

    __tablename__ = "room_names_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class RoomAccessRule(Base):
    """Who may dispatch a room.  A room without rules is open to everyone; once it has rules, a request is
    allowed when any rule matches its channel, its user, one of the user's groups, or is ``everyone``."""

    __tablename__ = "room_access_rules"
    __table_args__ = (UniqueConstraint("room_id", "principal_kind", "principal_id"),)

    EVERYONE_ID = "*"  # principal_id of an `everyone` rule (not NULL, so the unique constraint holds)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    principal_kind: Mapped[AccessPrincipal] = mapped_column(enum_column(AccessPrincipal))
    principal_id: Mapped[str] = mapped_column(String(SLACK_ID))  # C…, S… (user group), U…, or "*"
    created_by: Mapped[str | None] = mapped_column(String(SLACK_ID))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    room: Mapped[Room] = relationship(back_populates="access_rules")


DISPATCH_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: people read these out


def new_dispatch_reference() -> str:
    return "".join(secrets.choice(DISPATCH_REFERENCE_ALPHABET) for _ in range(10))  # 50 bits


class Dispatch(TimestampMixin, Base):
    """One request to send a room somewhere (or make it leave): the audit trail behind `/room audit`."""

    __tablename__ = "dispatches"
    __table_args__ = (Index("ix_dispatches_room_id_created_at", "room_id", "created_at"),
                      Index("ux_dispatches_reference", "reference", unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    # What cards and `/room audit` show: random, so it never repeats, even where row numbers can (a database
    # restored from a backup, or one that lost its last writes, hands the same numbers out again).
    reference: Mapped[str | None] = mapped_column(String(16), default=new_dispatch_reference)
    requested_by: Mapped[str] = mapped_column(String(SLACK_ID))  # Slack user id (the booker, for bookings)
    channel_id: Mapped[str | None] = mapped_column(String(SLACK_ID))  # None from App Home / modals without one
    source: Mapped[DispatchSource] = mapped_column(enum_column(DispatchSource))
    action: Mapped[DispatchAction] = mapped_column(enum_column(DispatchAction))
    protocol: Mapped[str | None] = mapped_column(String(16))  # ZOOM_ROOMS_API: "events" | "jsonrpc"
    # The room as it was at dispatch time; the row outlives the room (room_id becomes NULL).
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="SET NULL"))
    room_name: Mapped[str] = mapped_column(String(200))
    zoom_room_id: Mapped[str | None] = mapped_column(String(64))
    meeting_id: Mapped[str | None] = mapped_column(String(16))
    passcode_used: Mapped[bool] = mapped_column(default=False)
    # The passcode sent (Fernet token), so Retry / Join anyway buttons reuse it without carrying it in Slack.
    passcode: Mapped[Sealed | None] = mapped_column()
    # A Teams, Meet or SIP meeting: its service, and what Retry needs to send it again (join link, SIP address,
    # meeting ID and passcode, as encrypted JSON: a Teams link's ?p= is a hashed passcode).
    provider: Mapped[str | None] = mapped_column(String(8))
    third_party: Mapped[Sealed | None] = mapped_column(LongSealedType())
    force_accept: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[DispatchOutcome] = mapped_column(enum_column(DispatchOutcome), default=DispatchOutcome.PENDING)
    reason: Mapped[str | None] = mapped_column(Text)  # the outcome in plain words, as told to the channel
    slack_message_ts: Mapped[str | None] = mapped_column(String(32))  # the progress message being edited
    finished_at: Mapped[datetime | None] = mapped_column()

    zoom_responses: Mapped[list[ZoomResponse]] = relationship(
        back_populates="dispatch", cascade="all, delete-orphan", passive_deletes=True, order_by="ZoomResponse.id"
    )


class ZoomResponse(Base):
    """One Zoom API answer (or timeout) seen while carrying out a dispatch."""

    __tablename__ = "dispatch_zoom_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispatch_id: Mapped[int] = mapped_column(ForeignKey("dispatches.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(32))  # "join", "status", "leave", "get_meeting", ...
    http_method: Mapped[str | None] = mapped_column(String(8))
    http_path: Mapped[str | None] = mapped_column(String(300))  # path only: never a query string with secrets
    http_status: Mapped[int | None] = mapped_column(Integer)  # None: no answer (timeout, connection error)
    zoom_code: Mapped[int | None] = mapped_column(Integer)  # e.g. 300, 1012, JSON-RPC 32602
    zoom_field: Mapped[str | None] = mapped_column(String(200))  # e.g. "params.password"
    zoom_message: Mapped[str | None] = mapped_column(Text)
    room_status: Mapped[str | None] = mapped_column(String(32))  # Available / InMeeting / Offline ...
    elapsed_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    dispatch: Mapped[Dispatch] = relationship(back_populates="zoom_responses")


class IdempotencyKey(Base):
    """A key that may be used once: Slack retries and double clicks carry the same key and lose the insert."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class PasscodeAttempt(Base):
    """A join with a passcode sent to a room: Zoom Rooms locks passcode joins for 30 minutes after 10 failures,
    so roombot counts its own attempts per room and stops well before that."""

    __tablename__ = "passcode_attempts"
    __table_args__ = (Index("ix_passcode_attempts_room_id_attempted_at", "room_id", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    dispatch_id: Mapped[int | None] = mapped_column(ForeignKey("dispatches.id", ondelete="SET NULL"))
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    succeeded: Mapped[bool | None] = mapped_column()  # None until the room's status tells


class Booking(TimestampMixin, Base):
    """A scheduled dispatch, once or recurring (an RFC 5545 RRULE evaluated in the requester's time zone)."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="positive_duration"),
        Index("ix_bookings_room_id_status", "room_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    requester_user_id: Mapped[str] = mapped_column(String(SLACK_ID), index=True)
    channel_id: Mapped[str | None] = mapped_column(String(SLACK_ID))  # where reminders and results go
    tz_name: Mapped[str] = mapped_column(String(64))  # IANA name from the requester's Slack profile
    starts_at: Mapped[datetime] = mapped_column()  # first occurrence, UTC (DTSTART)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    rrule: Mapped[str | None] = mapped_column(Text)  # e.g. "FREQ=WEEKLY;BYDAY=MO"; None: one-off
    meeting_mode: Mapped[MeetingMode] = mapped_column(enum_column(MeetingMode))
    meeting_id: Mapped[str | None] = mapped_column(String(16))
    personal_link: Mapped[str | None] = mapped_column(String(100))  # the <name> of zoom.us/my/<name>
    # The link's pwd= token (Fernet token): not the passcode, but a link carrying it admits anyone.
    pwd_token: Mapped[Sealed | None] = mapped_column()
    passcode: Mapped[Sealed | None] = mapped_column()  # Fernet token, never plaintext
    # A Teams, Meet or SIP meeting (meeting_mode link): its service and the encrypted JSON of where to send it.
    provider: Mapped[str | None] = mapped_column(String(8))
    third_party: Mapped[Sealed | None] = mapped_column(LongSealedType())
    topic: Mapped[str | None] = mapped_column(String(200))  # for `new` meetings
    status: Mapped[BookingStatus] = mapped_column(enum_column(BookingStatus), default=BookingStatus.ACTIVE)
    materialised_until: Mapped[datetime | None] = mapped_column()  # occurrences exist up to here
    cancelled_at: Mapped[datetime | None] = mapped_column()
    cancelled_by: Mapped[str | None] = mapped_column(String(SLACK_ID))

    room: Mapped[Room] = relationship()
    occurrences: Mapped[list[Occurrence]] = relationship(
        back_populates="booking", cascade="all, delete-orphan", passive_deletes=True, order_by="Occurrence.starts_at"
    )


class Occurrence(TimestampMixin, Base):
    """One concrete time slot of a booking, materialised ahead of time and dispatched exactly once."""

    __tablename__ = "occurrences"
    __table_args__ = (
        UniqueConstraint("booking_id", "starts_at"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_occurrences_status_starts_at", "status", "starts_at"),
        Index("ix_occurrences_room_id_starts_at", "room_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    # a copy of the booking's room, so the overlap rule can be a constraint on this table alone
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    status: Mapped[OccurrenceStatus] = mapped_column(
        enum_column(OccurrenceStatus), default=OccurrenceStatus.SCHEDULED
    )
    lease_owner: Mapped[str | None] = mapped_column(String(100))  # worker id holding the claim
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    claim_count: Mapped[int] = mapped_column(Integer, default=0)  # >1 means a lease expired and was reclaimed
    reminder_sent_at: Mapped[datetime | None] = mapped_column()
    reminder_message_ts: Mapped[str | None] = mapped_column(String(32))
    # The one channel message of this occurrence's dispatch: a worker taking the occurrence over edits it.
    progress_message_ts: Mapped[str | None] = mapped_column(String(32))
    # `new` bookings: the meeting created ahead of time for this occurrence
    meeting_id: Mapped[str | None] = mapped_column(String(16))
    passcode: Mapped[Sealed | None] = mapped_column()
    join_url: Mapped[str | None] = mapped_column(Text)
    dispatch_id: Mapped[int | None] = mapped_column(ForeignKey("dispatches.id", ondelete="SET NULL"))
    outcome_reason: Mapped[str | None] = mapped_column(Text)  # why skipped / failed, in plain words
    finished_at: Mapped[datetime | None] = mapped_column()

    booking: Mapped[Booking] = relationship(back_populates="occurrences")
    dispatch: Mapped[Dispatch | None] = relationship()


_released = ", ".join(f"'{status.value}'" for status in RELEASED_OCCURRENCE_STATUSES)
# PostgreSQL only (``ddl_if``): SQLite has no exclusion constraints; bot.store.bookings covers it there.
# __table__ is typed FromClause; a declarative model's is its Table.
cast(Table, Occurrence.__table__).append_constraint(
    ExcludeConstraint(
        (literal_column("room_id"), "="),
        (func.tstzrange(literal_column("starts_at"), literal_column("ends_at")), "&&"),
        name=OCCURRENCE_OVERLAP_CONSTRAINT,
        using="gist",
        where=literal_column(f"status NOT IN ({_released})"),
    ).ddl_if(dialect="postgresql")
)
# The counter's one row (the migration inserts it too); without it nothing derived from the names is kept.
event.listen(RoomNamesVersion.__table__, "after_create",
             DDL("INSERT INTO room_names_version (id, version) VALUES (1, 0)"))

# session.info key: this session's transaction changed the names (``room_names_version`` is bumped in it).
NAMES_CHANGED = "roombot_room_names_changed"
_ROOM_NAME_COLUMNS = ("name", "name_key", "zoom_room_id", "zoom_id")


def _changes_names(session: Session) -> bool:
    if any(isinstance(row, (Room, RoomAlias)) for row in chain(session.new, session.deleted)):
        return True
    for row in session.dirty:
        if isinstance(row, RoomAlias) and session.is_modified(row):
            return True
        if isinstance(row, Room) and any(inspect(row).attrs[column].history.has_changes()
                                         for column in _ROOM_NAME_COLUMNS):
            return True
    return False


@event.listens_for(Session, "before_flush")
def _count_name_changes(session: Session, _flush_context: object, _instances: object) -> None:
    """Every ORM write of a room or an alias, whoever makes it, bumps the counter in the same transaction."""
    if _changes_names(session):
        session.execute(update(RoomNamesVersion).where(RoomNamesVersion.id == 1)
                        .values(version=RoomNamesVersion.version + 1)
                        .execution_options(synchronize_session=False))
        session.info[NAMES_CHANGED] = True


# `room_id WITH =` in a GiST index needs btree_gist; make metadata.create_all() work on PostgreSQL too.
event.listen(
    Occurrence.__table__,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS btree_gist").execute_if(dialect="postgresql"),
)
