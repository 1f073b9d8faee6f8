"""The worker's claims: leases, SKIP LOCKED, misfires, reminders, exactly-once finishing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.store import audit, bookings, occurrences, rooms
from bot.store.db import session_scope
from bot.store.models import Booking, Occurrence
from bot.store.types import (
    BookingStatus,
    DispatchAction,
    DispatchOutcome,
    DispatchSource,
    MeetingMode,
    OccurrenceStatus,
)
from tests.support.db import MigratedDatabase

CREATED = datetime(2030, 5, 1, 8, tzinfo=UTC)
START = CREATED + timedelta(hours=2)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def _schedule(migrated_db: MigratedDatabase, count: int, *, mode: MeetingMode = MeetingMode.LINK) -> list[int]:
    """``count`` one-minute one-off bookings back to back from START; returns occurrence ids."""
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        room = rooms.add_room(session, "Boardroom", "zr-1")
        for k in range(count):
            bookings.create_booking(
                session, room=room, requester_user_id="U1", channel_id="C1", tz_name="UTC",
                starts_at=START + k * MINUTE, duration=MINUTE, meeting_mode=mode,
                meeting_id="85746352910" if mode is MeetingMode.LINK else None, now=CREATED,
            )
        return list(session.scalars(select(Occurrence.id).order_by(Occurrence.starts_at)))


def test_claim_due_claims_only_started_occurrences(migrated_db: MigratedDatabase) -> None:
    ids = _schedule(migrated_db, 3)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        assert occurrences.claim_due(session, worker_id="w1", now=START - MINUTE).claimed == []
        result = occurrences.claim_due(session, worker_id="w1", now=START + MINUTE)
    assert [o.id for o in result.claimed] == ids[:2] and result.misfired == []
    claimed = result.claimed[0]
    assert claimed.status is OccurrenceStatus.CLAIMED and claimed.lease_owner == "w1" and claimed.claim_count == 1
    assert claimed.lease_expires_at == START + MINUTE + occurrences.DEFAULT_LEASE
    assert claimed.booking.room.name == "Boardroom"
    with session_scope(migrated_db.sessions, write_lock=True) as session:  # held leases are not claimable
        assert occurrences.claim_due(session, worker_id="w2", now=START + 2 * MINUTE).claimed[0].id == ids[2]


def test_finish_records_outcome_with_the_dispatch_in_one_transaction(migrated_db: MigratedDatabase) -> None:
    (occurrence_id,) = _schedule(migrated_db, 1)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        occurrences.claim_due(session, worker_id="w1", now=START)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        occurrence = session.get(Occurrence, occurrence_id)
        dispatch = audit.start_dispatch(
            session, requested_by="U1", channel_id="C1", source=DispatchSource.BOOKING, action=DispatchAction.JOIN,
            room=occurrence.booking.room, meeting_id="85746352910",
        )
        audit.finish_dispatch(session, dispatch, DispatchOutcome.JOINED, "in the meeting")
        assert not occurrences.finish(
            session, occurrence_id, worker_id="someone-else", status=OccurrenceStatus.DISPATCHED
        )
        assert occurrences.finish(
            session, occurrence_id, worker_id="w1", status=OccurrenceStatus.DISPATCHED, dispatch_id=dispatch.id
        )
        assert not occurrences.finish(session, occurrence_id, worker_id="w1", status=OccurrenceStatus.DISPATCHED)
        with pytest.raises(ValueError):
            occurrences.finish(session, occurrence_id, worker_id="w1", status=OccurrenceStatus.CLAIMED)
    with session_scope(migrated_db.sessions) as session:
        occurrence = session.get(Occurrence, occurrence_id)
        assert occurrence.status is OccurrenceStatus.DISPATCHED
        assert occurrence.dispatch.outcome is DispatchOutcome.JOINED
        assert occurrence.lease_owner is None and occurrence.finished_at is not None
        assert occurrence.booking.status is BookingStatus.FINISHED  # a one-off ends with its occurrence


def test_leases_are_renewed_together_only_where_the_worker_still_holds_them(migrated_db: MigratedDatabase,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(occurrences, "LEASE_RENEWAL_CHUNK", 2)  # several statements for five ids
    ids = _schedule(migrated_db, 5)
    lease = timedelta(seconds=30)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        occurrences.claim_due(session, worker_id="w1", now=START + 5 * MINUTE, lease=lease, grace=HOUR)
    with session_scope(migrated_db.sessions, write_lock=True) as session:  # w1's claim of the third lapsed
        assert occurrences.claim_due(session, worker_id="w2", now=START + 5 * MINUTE + 2 * lease, grace=HOUR,
                                     lease=HOUR, limit=1).claimed
    taken = session_ids_owned(migrated_db, "w2")
    assert len(taken) == 1
    renewed_at = START + 5 * MINUTE + 2 * lease
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        assert occurrences.extend_leases(session, [*ids, 999_999], worker_id="w1", now=renewed_at,
                                         lease=lease) == 4
    with session_scope(migrated_db.sessions) as session:
        rows = {o.id: o for o in session.scalars(select(Occurrence))}
    for occurrence_id in ids:
        row = rows[occurrence_id]
        if occurrence_id in taken:  # w2's claim is left alone
            assert row.lease_owner == "w2" and row.lease_expires_at == renewed_at + HOUR
        else:
            assert row.lease_owner == "w1" and row.lease_expires_at == renewed_at + lease
    with session_scope(migrated_db.sessions, write_lock=True) as session:  # nothing of w2's is renewed for w1
        assert occurrences.extend_leases(session, taken, worker_id="w1", now=renewed_at + lease, lease=lease) == 0


def session_ids_owned(migrated_db: MigratedDatabase, worker_id: str) -> list[int]:
    with session_scope(migrated_db.sessions) as session:
        return list(session.scalars(select(Occurrence.id).where(Occurrence.lease_owner == worker_id)))


def test_expired_lease_is_reclaimed_and_the_old_owner_cannot_finish(migrated_db: MigratedDatabase) -> None:
    (occurrence_id,) = _schedule(migrated_db, 1)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        occurrences.claim_due(session, worker_id="crashed", now=START, lease=timedelta(seconds=30))
    with session_scope(migrated_db.sessions, write_lock=True) as session:  # lease still valid
        assert occurrences.claim_due(session, worker_id="w2", now=START + timedelta(seconds=20)).claimed == []
        assert occurrences.extend_lease(session, occurrence_id, worker_id="crashed", now=START + timedelta(seconds=20),
                                        lease=timedelta(seconds=30))
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        (reclaimed,) = occurrences.claim_due(session, worker_id="w2", now=START + timedelta(seconds=51)).claimed
    assert reclaimed.id == occurrence_id and reclaimed.lease_owner == "w2" and reclaimed.claim_count == 2
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        assert not occurrences.extend_lease(session, occurrence_id, worker_id="crashed")
        assert not occurrences.finish(session, occurrence_id, worker_id="crashed", status=OccurrenceStatus.FAILED)
        assert occurrences.finish(session, occurrence_id, worker_id="w2", status=OccurrenceStatus.DISPATCHED)


def test_reclaim_expired_returns_rows_to_scheduled(migrated_db: MigratedDatabase) -> None:
    _schedule(migrated_db, 2)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        occurrences.claim_due(session, worker_id="w1", now=START + MINUTE, lease=MINUTE)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        assert occurrences.reclaim_expired(session, now=START + MINUTE + timedelta(seconds=30)) == 0
        assert occurrences.reclaim_expired(session, now=START + 3 * MINUTE) == 2
        statuses = set(session.scalars(select(Occurrence.status)))
    assert statuses == {OccurrenceStatus.SCHEDULED}


def test_misfired_occurrences_are_skipped_and_reported_once(migrated_db: MigratedDatabase) -> None:
    ids = _schedule(migrated_db, 3)
    late = START + MINUTE + occurrences.DEFAULT_GRACE + timedelta(seconds=30)  # first two too late
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        result = occurrences.claim_due(session, worker_id="w1", now=late)
    assert [o.id for o in result.misfired] == ids[:2] and [o.id for o in result.claimed] == ids[2:]
    assert result.misfired[0].status is OccurrenceStatus.SKIPPED and "late" in result.misfired[0].outcome_reason
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        again = occurrences.claim_due(session, worker_id="w2", now=late + MINUTE)
    assert again.misfired == [] and again.claimed == []


def test_skip_and_dispatch_now_buttons(migrated_db: MigratedDatabase) -> None:
    first, second = _schedule(migrated_db, 2)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        assert occurrences.skip(session, first, reason="skipped by U1", now=CREATED)
        assert not occurrences.skip(session, first, reason="again")
        claimed = occurrences.claim_now(session, second, worker_id="slack", now=CREATED)
        assert claimed is not None and claimed.status is OccurrenceStatus.CLAIMED
        assert occurrences.claim_now(session, second, worker_id="other") is None
        assert not occurrences.skip(session, second, reason="too late: already dispatching")


def test_reminders_are_claimed_exactly_once(migrated_db: MigratedDatabase) -> None:
    ids = _schedule(migrated_db, 3)
    lead = timedelta(minutes=10)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        reminded = occurrences.claim_reminders(session, now=START - lead + MINUTE, lead=lead)
        assert [o.id for o in reminded] == ids[:2]
        occurrences.set_reminder_message(session, ids[0], "1700000000.000100")
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        assert [o.id for o in occurrences.claim_reminders(session, now=START - lead + 2 * MINUTE, lead=lead)] == ids[2:]
        assert occurrences.claim_reminders(session, now=START - MINUTE, lead=lead) == []
        assert session.get(Occurrence, ids[0]).reminder_message_ts == "1700000000.000100"


def test_new_bookings_get_one_meeting_per_occurrence(migrated_db: MigratedDatabase, secret_box) -> None:
    (occurrence_id,) = _schedule(migrated_db, 1, mode=MeetingMode.NEW)
    with session_scope(migrated_db.sessions) as session:
        assert occurrences.needing_meeting(session, now=START - timedelta(hours=2)) == []
        soon = occurrences.needing_meeting(session, now=START - timedelta(minutes=30))
        assert [o.id for o in soon] == [occurrence_id]
        assert occurrences.set_meeting(session, occurrence_id, meeting_id="111222333", passcode=secret_box.seal("a1b2"),
                                       join_url="https://zoom.us/j/111222333")
        assert not occurrences.set_meeting(session, occurrence_id, meeting_id="999", passcode=None, join_url=None)
        assert occurrences.needing_meeting(session, now=START) == []
        assert secret_box.open(session.get(Occurrence, occurrence_id).passcode) == "a1b2"


def test_concurrent_claimers_never_claim_the_same_occurrence(migrated_db: MigratedDatabase) -> None:
    ids = _schedule(migrated_db, 24)
    now = START + 23 * MINUTE
    claims: dict[str, list[int]] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def work(worker_id: str) -> None:
        mine = claims.setdefault(worker_id, [])
        try:
            barrier.wait()
            while True:
                with session_scope(migrated_db.sessions, write_lock=True) as session:
                    result = occurrences.claim_due(
                        session, worker_id=worker_id, now=now, limit=2, grace=timedelta(hours=1)
                    )
                if not result.claimed:
                    return
                mine.extend(o.id for o in result.claimed)
                with session_scope(migrated_db.sessions, write_lock=True) as session:
                    for occurrence in result.claimed:
                        assert occurrences.finish(
                            session, occurrence.id, worker_id=worker_id, status=OccurrenceStatus.DISPATCHED
                        )
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=work, args=(f"w{k}",)) for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    everything = [occurrence_id for claimed in claims.values() for occurrence_id in claimed]
    assert sorted(everything) == sorted(ids)  # each exactly once


def test_postgres_skip_locked_passes_over_rows_another_worker_holds(migrated_db: MigratedDatabase) -> None:
    if migrated_db.backend != "postgres":
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL's; SQLite serialises writers")
    ids = _schedule(migrated_db, 4)
    now = START + 4 * MINUTE
    with session_scope(migrated_db.sessions) as first_worker:
        held = occurrences.claim_due(first_worker, worker_id="w1", now=now, limit=2).claimed  # locked, not committed
        with session_scope(migrated_db.sessions) as second_worker:
            # Without SKIP LOCKED this would block on w1's rows until the test timed out.
            second_worker.connection().exec_driver_sql("SET LOCAL lock_timeout = '2s'")
            taken = occurrences.claim_due(second_worker, worker_id="w2", now=now, limit=4).claimed
    assert [o.id for o in held] == ids[:2] and [o.id for o in taken] == ids[2:]
    with session_scope(migrated_db.sessions) as session:
        owners = dict(session.execute(select(Occurrence.id, Occurrence.lease_owner)).all())
    assert owners == {ids[0]: "w1", ids[1]: "w1", ids[2]: "w2", ids[3]: "w2"}


def test_cancelled_booking_occurrences_are_not_claimed(migrated_db: MigratedDatabase) -> None:
    _schedule(migrated_db, 1)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        booking = session.scalars(select(Booking)).one()
        bookings.cancel_booking(session, booking, cancelled_by="U1", now=CREATED)
        assert occurrences.claim_due(session, worker_id="w1", now=START).claimed == []
