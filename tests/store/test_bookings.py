"""Bookings: recurrence in the requester's time zone, the overlap rule (also under concurrency),
materialised occurrences."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.store import bookings, rooms
from bot.store.db import session_scope
from bot.store.models import Booking, Occurrence
from bot.store.types import BookingStatus, MeetingMode, OccurrenceStatus
from tests.support.db import MigratedDatabase

NOW = datetime(2030, 3, 1, 8, tzinfo=UTC)  # a Friday
HOUR = timedelta(hours=1)


def _room_id(migrated_db: MigratedDatabase, name: str = "Boardroom") -> int:
    with session_scope(migrated_db.sessions) as session:
        return rooms.add_room(session, name, f"zr-{name}").id


def _book(session, room_id: int, starts_at: datetime, duration: timedelta = HOUR, **extra) -> Booking:
    arguments = {
        "requester_user_id": "U1",
        "channel_id": "C1",
        "tz_name": "UTC",
        "meeting_mode": MeetingMode.LINK,
        "meeting_id": "85746352910",
        "now": NOW,
    } | extra
    room = session.get(rooms.Room, room_id)
    return bookings.create_booking(session, room=room, starts_at=starts_at, duration=duration, **arguments)


def test_one_off_booking_has_one_occurrence(migrated_db: MigratedDatabase) -> None:
    room_id = _room_id(migrated_db)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        booking = _book(session, room_id, NOW + 2 * HOUR, topic="Standup")
    with session_scope(migrated_db.sessions) as session:
        stored = bookings.get_booking(session, booking.id)
        assert stored is not None and stored.status is BookingStatus.ACTIVE and stored.room.name == "Boardroom"
        (occurrence,) = stored.occurrences
        assert occurrence.starts_at == NOW + 2 * HOUR and occurrence.ends_at == NOW + 3 * HOUR
        assert occurrence.status is OccurrenceStatus.SCHEDULED and occurrence.starts_at.tzinfo is not None


def test_far_one_off_booking_is_materialised_anyway(migrated_db: MigratedDatabase) -> None:
    room_id = _room_id(migrated_db)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        booking = _book(session, room_id, NOW + timedelta(days=90))
        assert len(booking.occurrences) == 1


def test_overlap_is_rejected_naming_the_booking_and_back_to_back_is_fine(migrated_db: MigratedDatabase) -> None:
    room_id = _room_id(migrated_db)
    other_room = _room_id(migrated_db, "Lobby")
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        first = _book(session, room_id, NOW + 2 * HOUR)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        with pytest.raises(bookings.BookingConflict) as caught:
            _book(session, room_id, NOW + 2 * HOUR + timedelta(minutes=30))
    assert caught.value.booking_id == first.id and f"booking #{first.id}" in str(caught.value)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        _book(session, room_id, NOW + 3 * HOUR)  # starts when the first ends
        _book(session, room_id, NOW + HOUR)  # ends when the first starts
        _book(session, other_room, NOW + 2 * HOUR)  # another room


def test_cancelled_booking_frees_its_slot(migrated_db: MigratedDatabase) -> None:
    room_id = _room_id(migrated_db)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        first = _book(session, room_id, NOW + 2 * HOUR, rrule="FREQ=DAILY;COUNT=3")
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        assert bookings.cancel_booking(session, session.get(Booking, first.id), cancelled_by="U1", now=NOW) == 3
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        _book(session, room_id, NOW + 2 * HOUR)
        assert session.get(Booking, first.id).status is BookingStatus.CANCELLED


def test_weekly_recurrence_keeps_local_wall_clock_across_dst(migrated_db: MigratedDatabase) -> None:
    room_id = _room_id(migrated_db)
    # Mondays 09:00 in Berlin; DST starts on 2030-03-31.
    first_start = datetime(2030, 3, 18, 8, tzinfo=UTC)  # 09:00 CET
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        booking = _book(
            session,
            room_id,
            first_start,
            tz_name="Europe/Berlin",
            rrule="RRULE:FREQ=WEEKLY;BYDAY=MO",
            horizon=timedelta(days=32),
        )
        starts = [occurrence.starts_at for occurrence in booking.occurrences]
    assert starts == [
        datetime(2030, 3, 18, 8, tzinfo=UTC),
        datetime(2030, 3, 25, 8, tzinfo=UTC),
        datetime(2030, 4, 1, 7, tzinfo=UTC),  # 09:00 CEST
    ]


def test_recurrence_conflicts_beyond_the_materialised_horizon_are_found(migrated_db: MigratedDatabase) -> None:
    room_id = _room_id(migrated_db)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        weekly = _book(session, room_id, NOW + 2 * HOUR, rrule="FREQ=WEEKLY")  # materialised 14 days ahead
    in_ten_weeks = NOW + 2 * HOUR + timedelta(weeks=10, minutes=15)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        with pytest.raises(bookings.BookingConflict) as caught:
            _book(session, room_id, in_ten_weeks)
        assert caught.value.booking_id == weekly.id
        # and the other way round: a new recurrence against a far one-off
        far = _book(session, room_id, NOW + timedelta(weeks=20, hours=5))
        with pytest.raises(bookings.BookingConflict) as caught:
            _book(session, room_id, NOW + 5 * HOUR, rrule="FREQ=WEEKLY")
        assert caught.value.booking_id == far.id


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"tz_name": "Mars/Olympus"}, "unknown time zone"),
        ({"rrule": "FREQ=MINUTELY"}, "frequency"),
        ({"rrule": "FREQ=WEEKLY;BYDAY=XX"}, "cannot understand"),
        ({"rrule": "DTSTART:20300101T000000\nRRULE:FREQ=DAILY"}, "without DTSTART"),
        ({"meeting_id": None}, "meeting id or link"),
        ({"rrule": "FREQ=DAILY;INTERVAL=1", "duration": timedelta(hours=25)}, "past the start of the next"),
        ({"starts_at": NOW - HOUR}, "in the past"),
        ({"rrule": "FREQ=WEEKLY;BYDAY=TU"}, "not one of the recurrence's days"),
        ({"duration": timedelta(seconds=90)}, "whole number of minutes"),
    ],
)
def test_invalid_bookings_are_explained(migrated_db: MigratedDatabase, extra: dict, message: str) -> None:
    room_id = _room_id(migrated_db)
    arguments = {"starts_at": NOW + HOUR, "duration": HOUR} | extra
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        with pytest.raises(bookings.BookingError, match=message):
            _book(session, room_id, arguments.pop("starts_at"), arguments.pop("duration"), **arguments)


def test_materialise_is_idempotent_and_tops_up(migrated_db: MigratedDatabase) -> None:
    room_id = _room_id(migrated_db)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        booking = _book(session, room_id, NOW + HOUR, rrule="FREQ=DAILY", horizon=timedelta(days=3))
        assert len(booking.occurrences) == 3
    later = NOW + timedelta(days=2)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        assert [r.created for r in bookings.materialise_due(session, now=later, horizon=timedelta(days=3))] == [2]
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        assert bookings.materialise_due(session, now=later, horizon=timedelta(days=3)) == []  # nothing due
        stored = session.get(Booking, booking.id)
        stored.materialised_until = NOW  # as if another instance had not recorded its progress
        assert bookings.materialise(session, stored, until=later + timedelta(days=3)).created == 0
    with session_scope(migrated_db.sessions) as session:
        count = session.scalar(select(text("count(*)")).select_from(Occurrence))
        assert count == 5  # days 0..4 (start <= later + 3 days)
        upcoming = bookings.upcoming_occurrences(session, room_id=room_id, now=later)
        assert [o.starts_at for o in upcoming][0] == NOW + HOUR + timedelta(days=2)
        assert bookings.upcoming_occurrences(session, requester_user_id="UNOBODY", now=later) == []


def test_materialise_stores_a_late_found_conflict_as_skipped(migrated_db: MigratedDatabase) -> None:
    room_id = _room_id(migrated_db)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        weekly = _book(session, room_id, NOW + HOUR, rrule="FREQ=WEEKLY", horizon=timedelta(days=1))
        # Simulate a booking that slipped in (e.g. created by an older version without the far check).
        session.add(Booking(
            room_id=room_id, requester_user_id="U2", tz_name="UTC", starts_at=NOW + HOUR + timedelta(weeks=1),
            duration_minutes=60, meeting_mode=MeetingMode.NEW, status=BookingStatus.ACTIVE,
        ))
        session.flush()
        intruder = session.scalars(select(Booking).where(Booking.requester_user_id == "U2")).one()
        session.add(Occurrence(booking_id=intruder.id, room_id=room_id, starts_at=NOW + HOUR + timedelta(weeks=1),
                               ends_at=NOW + 2 * HOUR + timedelta(weeks=1)))
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        result = bookings.materialise(session, session.get(Booking, weekly.id), until=NOW + timedelta(weeks=2, hours=1))
    assert result.created == 1 and result.conflicts == [(NOW + HOUR + timedelta(weeks=1), intruder.id)]
    with session_scope(migrated_db.sessions) as session:
        skipped = session.scalars(select(Occurrence).where(Occurrence.status == OccurrenceStatus.SKIPPED)).one()
        assert skipped.booking_id == weekly.id and skipped.outcome_reason == f"overlaps booking #{intruder.id}"


def test_the_recurrence_top_up_holds_its_rooms_locks_as_booking_creation_does(migrated_db: MigratedDatabase) -> None:
    """A booking being created and a recurrence being topped up in the same room go one at a time: each
    inserting occurrences while the other's are uncommitted could deadlock in the exclusion constraint's check.
    create_booking takes the room's row lock (FOR UPDATE); the top-up needs no lock of its own, because each
    occurrence it inserts holds the FOR KEY SHARE lock of its room's row (the foreign key), which FOR UPDATE
    waits for."""
    if migrated_db.backend != "postgres":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    room_id = _room_id(migrated_db)
    with session_scope(migrated_db.sessions) as session:
        _book(session, room_id, NOW + HOUR, rrule="FREQ=DAILY", horizon=timedelta(days=2))
    with session_scope(migrated_db.sessions) as topping_up:
        assert bookings.materialise_due(topping_up, now=NOW + timedelta(days=3), horizon=timedelta(days=2))
        # Still in the top-up's transaction: a booking of that room must wait for it.
        with session_scope(migrated_db.sessions) as creating:
            creating.execute(text("SET LOCAL lock_timeout = '200ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                rooms.lock_room_row(creating, room_id)


def test_postgres_constraint_rejects_overlap_even_without_the_repository(migrated_db: MigratedDatabase) -> None:
    if migrated_db.backend != "postgres":
        pytest.skip("the exclusion constraint is PostgreSQL's")
    room_id = _room_id(migrated_db)
    with session_scope(migrated_db.sessions) as session:
        booking = _book(session, room_id, NOW + HOUR, rrule="FREQ=DAILY;COUNT=2")
    with pytest.raises(IntegrityError, match="ex_occurrences_room_time"):
        with session_scope(migrated_db.sessions) as session:
            session.add(Occurrence(booking_id=booking.id, room_id=room_id, starts_at=NOW + HOUR + timedelta(minutes=5),
                                   ends_at=NOW + 2 * HOUR))
            session.flush()


def _race(migrated_db: MigratedDatabase, room_id: int, starts: list[datetime]) -> tuple[list[int], list[Exception]]:
    barrier = threading.Barrier(len(starts))
    winners: list[int] = []
    losers: list[Exception] = []

    def book(starts_at: datetime) -> None:
        barrier.wait()
        try:
            with session_scope(migrated_db.sessions, write_lock=True) as session:
                winners.append(_book(session, room_id, starts_at).id)
        except Exception as error:  # noqa: BLE001 - collected and checked
            losers.append(error)

    threads = [threading.Thread(target=book, args=(start,)) for start in starts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return winners, losers


def test_concurrent_overlapping_bookings_exactly_one_wins(migrated_db: MigratedDatabase) -> None:
    room_id = _room_id(migrated_db)
    starts = [NOW + 2 * HOUR + timedelta(minutes=10 * k) for k in range(4)]  # all overlap each other
    for _round in range(6):  # without the room lock, PostgreSQL broke a deadlock in about 1 run in 8
        winners, losers = _race(migrated_db, room_id, starts)
        assert len(winners) == 1 if _round == 0 else not winners
        assert all(isinstance(error, bookings.BookingConflict) for error in losers), losers
        starts = [start + timedelta(minutes=1) for start in starts]
    with session_scope(migrated_db.sessions) as session:
        assert session.scalar(select(text("count(*)")).select_from(Occurrence)) == 1


def test_a_booking_racing_an_uncommitted_one_waits_and_is_told_which_won(migrated_db: MigratedDatabase) -> None:
    """B books an overlapping slot while A's booking is flushed but uncommitted: B waits for A (the room's row
    lock; without it, the exclusion constraint's check) and is then told A's booking is in the way."""
    if migrated_db.backend != "postgres":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE; see the test above")
    room_id = _room_id(migrated_db)
    outcome: dict[str, object] = {}
    with session_scope(migrated_db.sessions) as session_a:
        winner = _book(session_a, room_id, NOW + 2 * HOUR)  # flushed, not committed

        def book_b() -> None:
            try:
                with session_scope(migrated_db.sessions) as session_b:
                    _book(session_b, room_id, NOW + 2 * HOUR + timedelta(minutes=30))
                outcome["b"] = "won"
            except Exception as error:  # noqa: BLE001
                outcome["b"] = error

        thread = threading.Thread(target=book_b)
        thread.start()
        deadline = time.monotonic() + 10
        with migrated_db.engine.connect() as monitor:  # wait until B is blocked on A's row
            while time.monotonic() < deadline:
                waiting = monitor.execute(text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )).scalar_one()
                monitor.rollback()
                if waiting:
                    break
                time.sleep(0.02)
        assert waiting, "B never waited for A's uncommitted booking"
    thread.join(timeout=30)
    assert isinstance(outcome["b"], bookings.BookingConflict)
    assert outcome["b"].booking_id == winner.id
