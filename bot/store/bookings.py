"""Bookings: creation with the overlap rule, recurrence expansion and materialised occurrences.

Times are aware UTC datetimes; recurrences are evaluated on the requester's *wall clock* (``tz_name``),
so "every Monday 09:00" stays at 09:00 local across daylight-saving changes.

The overlap rule — one room, one booking at a time:

* PostgreSQL: the ``ex_occurrences_room_time`` exclusion constraint on materialised occurrences.  Two
  concurrent transactions booking overlapping slots: the second waits for the first, then fails; it is
  reported as :class:`BookingConflict` naming the winner.  The pre-check below only makes the common
  case's message friendlier and covers recurrences not yet materialised.
* SQLite: the same check run inside ``session_scope(factory, write_lock=True)`` (``BEGIN IMMEDIATE``):
  the check and the insert hold the database's only write lock, so a second writer waits and then sees
  the first one's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule as RecurrenceRule
from dateutil.rrule import rrulestr
from sqlalchemy import CursorResult, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot.store import rooms
from bot.store.crypto import Sealed
from bot.store.models import Booking, Occurrence, Room
from bot.store.types import (
    RELEASED_OCCURRENCE_STATUSES,
    BookingStatus,
    MeetingMode,
    OccurrenceStatus,
    utcnow,
)

MATERIALISE_HORIZON = timedelta(days=14)  # occurrences exist this far ahead
CONFLICT_CHECK_HORIZON = timedelta(days=366)  # recurrences are checked for overlaps this far ahead
MAX_EXPANDED = 2000  # safety net against a rule that yields absurdly many instances
ALLOWED_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
EXCLUSION_VIOLATION = "23P01"  # PostgreSQL SQLSTATE

Slot = tuple[datetime, datetime]


class BookingError(ValueError):
    """A booking request that cannot be accepted; ``str()`` says why in words fit for Slack."""


class BookingConflict(BookingError):
    def __init__(self, booking_id: int | None, starts_at: datetime, ends_at: datetime) -> None:
        self.booking_id = booking_id
        self.starts_at = starts_at
        self.ends_at = ends_at
        by = f" by booking #{booking_id}" if booking_id is not None else ""
        super().__init__(
            f"The room is already booked from {starts_at:%Y-%m-%d %H:%M} to {ends_at:%Y-%m-%d %H:%M} UTC{by}."
        )


@dataclass(frozen=True)
class MaterialiseResult:
    booking_id: int
    created: int
    conflicts: list[tuple[datetime, int | None]]  # (occurrence start, conflicting booking) stored as skipped


def _zone(tz_name: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BookingError(f"unknown time zone {tz_name!r}") from None


def _parse_rule(rule_text: str, local_start: datetime) -> RecurrenceRule:
    text = rule_text.strip()
    body = text[len("RRULE:") :] if text.upper().startswith("RRULE:") else text
    if "DTSTART" in body.upper() or "\n" in body:
        raise BookingError("the recurrence must be a single RRULE without DTSTART (the booking's start is used)")
    parts = dict(part.split("=", 1) for part in body.upper().split(";") if "=" in part)
    if parts.get("FREQ") not in ALLOWED_FREQUENCIES:
        raise BookingError(f"recurrence frequency must be one of {', '.join(ALLOWED_FREQUENCIES)}")
    try:
        rule = rrulestr(body, dtstart=local_start)
    except (ValueError, TypeError) as error:
        raise BookingError(f"cannot understand the recurrence {rule_text!r}: {error}") from None
    if not isinstance(rule, RecurrenceRule):
        raise BookingError("the recurrence must be a single RRULE")
    return rule


def expand_slots(
    starts_at: datetime,
    duration: timedelta,
    rule_text: str | None,
    tz_name: str,
    *,
    until: datetime,
    after: datetime | None = None,
) -> list[Slot]:
    """Occurrence slots (UTC) with ``after < start <= until``; the first occurrence is ``starts_at``."""
    if starts_at.tzinfo is None:
        raise BookingError("a booking start needs a time zone")
    starts_at = starts_at.astimezone(UTC)
    if rule_text is None:
        in_range = starts_at <= until and (after is None or starts_at > after)
        return [(starts_at, starts_at + duration)] if in_range else []
    zone = _zone(tz_name)
    rule = _parse_rule(rule_text, starts_at.astimezone(zone).replace(tzinfo=None))
    # Walk from a day before `after` on the wall clock (a safe margin for any UTC offset).
    walk_from = (after.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)) if after else None
    instances = rule.xafter(walk_from, inc=True) if walk_from else iter(rule)
    slots: list[Slot] = []
    for local in instances:
        start = local.replace(tzinfo=zone).astimezone(UTC)
        if start > until or len(slots) >= MAX_EXPANDED:
            break
        if after is None or start > after:
            slots.append((start, start + duration))
    return slots


def _first_overlap(ours: Sequence[Slot], theirs: Sequence[tuple[datetime, datetime, int | None]]):
    """The first (slot, other) pair that overlaps; both inputs sorted by start, half-open intervals."""
    i = j = 0
    while i < len(ours) and j < len(theirs):
        (start, end), (other_start, other_end, other_booking) = ours[i], theirs[j]
        if start < other_end and other_start < end:
            return (start, end), (other_start, other_end, other_booking)
        if end <= other_start:
            i += 1
        else:
            j += 1
    return None


def find_conflict(
    session: Session, room_id: int, slots: Sequence[Slot], *, exclude_booking_id: int | None = None
) -> BookingConflict | None:
    """The first existing booking overlapping any of ``slots`` (sorted): materialised occurrences that hold
    the room, and not-yet-materialised instances of the room's other recurring bookings."""
    if not slots:
        return None
    first_start, last_end = slots[0][0], max(end for _, end in slots)
    statement = (
        select(Occurrence.starts_at, Occurrence.ends_at, Occurrence.booking_id)
        .where(
            Occurrence.room_id == room_id,
            Occurrence.status.not_in(RELEASED_OCCURRENCE_STATUSES),
            Occurrence.ends_at > first_start,
            Occurrence.starts_at < last_end,
        )
        .order_by(Occurrence.starts_at)
    )
    if exclude_booking_id is not None:
        statement = statement.where(Occurrence.booking_id != exclude_booking_id)
    existing = [(row.starts_at, row.ends_at, row.booking_id) for row in session.execute(statement)]
    pending_rules = select(Booking).where(
        Booking.room_id == room_id, Booking.status == BookingStatus.ACTIVE, Booking.rrule.is_not(None)
    )
    for other in session.scalars(pending_rules):
        if other.id == exclude_booking_id:
            continue
        # Instances up to materialised_until are rows already (and were checked above).
        reach_back = first_start - timedelta(minutes=other.duration_minutes)
        after = max(other.materialised_until, reach_back) if other.materialised_until else reach_back
        for start, end in expand_slots(
            other.starts_at, timedelta(minutes=other.duration_minutes), other.rrule, other.tz_name,
            until=last_end, after=after,
        ):
            existing.append((start, end, other.id))
    existing.sort(key=lambda item: item[0])
    hit = _first_overlap(slots, existing)
    return None if hit is None else BookingConflict(hit[1][2], hit[1][0], hit[1][1])


def _is_exclusion_violation(error: IntegrityError) -> bool:
    return getattr(error.orig, "sqlstate", None) == EXCLUSION_VIOLATION


def create_booking(
    session: Session,
    *,
    room: Room,
    requester_user_id: str,
    channel_id: str | None,
    tz_name: str,
    starts_at: datetime,
    duration: timedelta,
    meeting_mode: MeetingMode,
    rrule: str | None = None,
    meeting_id: str | None = None,
    personal_link: str | None = None,
    pwd_token: Sealed | None = None,
    passcode: Sealed | None = None,
    provider: str | None = None,
    third_party: Sealed | None = None,
    topic: str | None = None,
    horizon: timedelta = MATERIALISE_HORIZON,
    now: datetime | None = None,
) -> Booking:
    """Create a booking and materialise its occurrences up to ``horizon`` ahead.

    Raises :class:`BookingConflict` (naming the booking in the way) or :class:`BookingError`.  On SQLite,
    call it inside ``session_scope(factory, write_lock=True)``.
    """
    now = now or utcnow()
    _zone(tz_name)
    if duration <= timedelta(0) or duration % timedelta(minutes=1):
        raise BookingError("a booking lasts a positive whole number of minutes")
    if meeting_mode is MeetingMode.LINK and not (meeting_id or personal_link or third_party):
        raise BookingError("a booking for an existing meeting needs its meeting id or link")
    if starts_at.tzinfo is None:
        raise BookingError("a booking start needs a time zone")
    if starts_at < now - timedelta(minutes=1):
        raise BookingError("that time is in the past")
    slots = expand_slots(starts_at, duration, rrule, tz_name, until=now + CONFLICT_CHECK_HORIZON)
    if not slots:
        raise BookingError("the recurrence has no occurrence in the coming year")
    if slots[0][0] != starts_at.astimezone(UTC):
        raise BookingError("the start time is not one of the recurrence's days; pick a start that matches it")
    if any(slots[k][1] > slots[k + 1][0] for k in range(len(slots) - 1)):
        raise BookingError("each occurrence would last past the start of the next one")
    # Concurrent bookings of one room go one at a time, each seeing those committed before it.  Without the
    # lock, two transactions inserting overlapping occurrences each wait, in the exclusion constraint's check,
    # for the other's uncommitted row: a deadlock, which PostgreSQL breaks with an error that is no conflict.
    rooms.lock_room_row(session, room.id)
    conflict = find_conflict(session, room.id, slots)
    if conflict is not None:
        raise conflict

    booking = Booking(
        room_id=room.id,
        requester_user_id=requester_user_id,
        channel_id=channel_id,
        tz_name=tz_name,
        starts_at=starts_at,
        duration_minutes=int(duration / timedelta(minutes=1)),
        rrule=rrule.strip() if rrule else None,
        meeting_mode=meeting_mode,
        meeting_id=meeting_id,
        provider=provider,
        third_party=third_party,
        personal_link=personal_link,
        pwd_token=pwd_token,
        passcode=passcode,
        topic=topic,
        status=BookingStatus.ACTIVE,
    )
    session.add(booking)
    session.flush()
    materialise_until = max(now + horizon, slots[0][0])
    try:
        with session.begin_nested():  # a savepoint, so the conflict can be looked up after the failure
            session.add_all(
                Occurrence(booking_id=booking.id, room_id=room.id, starts_at=start, ends_at=end)
                for start, end in slots
                if start <= materialise_until
            )
            session.flush()
    except IntegrityError as error:
        if not _is_exclusion_violation(error):
            raise
        # Lost a race on PostgreSQL: a concurrent transaction committed an overlapping occurrence.
        conflict = find_conflict(session, room.id, slots, exclude_booking_id=booking.id)
        raise conflict or BookingConflict(None, slots[0][0], slots[0][1]) from None
    booking.materialised_until = materialise_until
    session.flush()
    return booking


def _insert_occurrence_if_new(
    session: Session,
    booking: Booking,
    slot: Slot,
    *,
    status: OccurrenceStatus = OccurrenceStatus.SCHEDULED,
    reason: str | None = None,
) -> bool:
    """Insert one occurrence unless (booking, start) exists.  Raises IntegrityError on an overlap (PostgreSQL)."""
    now = utcnow()
    values = {
        "booking_id": booking.id,
        "room_id": booking.room_id,
        "starts_at": slot[0],
        "ends_at": slot[1],
        "status": status,
        "outcome_reason": reason,
        "claim_count": 0,
        "created_at": now,
        "updated_at": now,
    }
    if session.get_bind().dialect.name == "postgresql":
        # Another instance materialising the same booking at the same moment: the unique key decides.
        statement = postgresql.insert(Occurrence).values(**values)
        statement = statement.on_conflict_do_nothing(index_elements=["booking_id", "starts_at"])
        return session.execute(statement.returning(Occurrence.id)).first() is not None
    exists = session.scalar(
        select(Occurrence.id).where(Occurrence.booking_id == booking.id, Occurrence.starts_at == slot[0])
    )
    if exists is not None:
        return False
    session.add(Occurrence(**values))
    session.flush()
    return True


def materialise(session: Session, booking: Booking, *, until: datetime) -> MaterialiseResult:
    """Create the booking's missing occurrences up to ``until`` (idempotent; safe in several instances;
    on SQLite run it in a ``write_lock`` scope).

    A slot that overlaps another booking (possible only for a recurrence created before that booking was
    checked this far ahead) is stored as ``skipped`` with the reason, so it is reported, not lost.
    """
    if booking.status is not BookingStatus.ACTIVE:
        return MaterialiseResult(booking.id, 0, [])
    duration = timedelta(minutes=booking.duration_minutes)
    slots = expand_slots(
        booking.starts_at, duration, booking.rrule, booking.tz_name, until=until, after=booking.materialised_until
    )
    created = 0
    conflicts: list[tuple[datetime, int | None]] = []
    for slot in slots:
        conflict = find_conflict(session, booking.room_id, [slot], exclude_booking_id=booking.id)
        if conflict is None:
            try:
                with session.begin_nested():
                    created += _insert_occurrence_if_new(session, booking, slot)
                continue
            except IntegrityError as error:
                if not _is_exclusion_violation(error):
                    raise
                conflict = find_conflict(session, booking.room_id, [slot], exclude_booking_id=booking.id)
        conflicting_id = conflict.booking_id if conflict else None
        reason = f"overlaps booking #{conflicting_id}" if conflicting_id else "overlaps another booking"
        if _insert_occurrence_if_new(session, booking, slot, status=OccurrenceStatus.SKIPPED, reason=reason):
            conflicts.append((slot[0], conflicting_id))
    if booking.materialised_until is None or until > booking.materialised_until:
        booking.materialised_until = until
    session.flush()
    return MaterialiseResult(booking.id, created, conflicts)


def materialise_due(
    session: Session, *, now: datetime | None = None, horizon: timedelta = MATERIALISE_HORIZON
) -> list[MaterialiseResult]:
    """Top up every active recurring booking to ``now + horizon`` (the worker calls this periodically)."""
    until = (now or utcnow()) + horizon
    due = select(Booking).where(
        Booking.status == BookingStatus.ACTIVE,
        Booking.rrule.is_not(None),
        (Booking.materialised_until.is_(None)) | (Booking.materialised_until < until),
    )
    return [materialise(session, booking, until=until) for booking in session.scalars(due.order_by(Booking.id))]


def get_booking(session: Session, booking_id: int) -> Booking | None:
    return session.get(Booking, booking_id, options=[selectinload(Booking.room)])


def cancel_booking(
    session: Session, booking: Booking, *, cancelled_by: str, now: datetime | None = None
) -> int:
    """Cancel a booking and its scheduled occurrences (one being dispatched right now finishes).
    Returns how many occurrences were cancelled."""
    now = now or utcnow()
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by = cancelled_by
    result = cast(CursorResult[Any], session.execute(  # an UPDATE: a CursorResult, typed as Result
        update(Occurrence)
        .where(Occurrence.booking_id == booking.id, Occurrence.status == OccurrenceStatus.SCHEDULED)
        .values(status=OccurrenceStatus.CANCELLED, finished_at=now, updated_at=now)
        .execution_options(synchronize_session="fetch")
    ))
    session.flush()
    return result.rowcount


def upcoming_occurrences(
    session: Session,
    *,
    room_id: int | None = None,
    requester_user_id: str | None = None,
    now: datetime | None = None,
    limit: int = 20,
) -> list[Occurrence]:
    """Scheduled or running occurrences that have not ended, soonest first, with booking and room loaded."""
    statement = (
        select(Occurrence)
        .join(Booking)
        .options(selectinload(Occurrence.booking).selectinload(Booking.room))
        .where(
            Occurrence.status.in_((OccurrenceStatus.SCHEDULED, OccurrenceStatus.CLAIMED)),
            Occurrence.ends_at > (now or utcnow()),
        )
        .order_by(Occurrence.starts_at, Occurrence.id)
        .limit(limit)
    )
    if room_id is not None:
        statement = statement.where(Occurrence.room_id == room_id)
    if requester_user_id is not None:
        statement = statement.where(Booking.requester_user_id == requester_user_id)
    return list(session.scalars(statement))
