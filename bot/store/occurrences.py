"""The booking worker's side of occurrences: leased claims, finishing, misfires, reminders.

Exactly-once dispatch across instances and restarts:

1. ``claim_due`` in a short transaction: due rows are locked with ``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL (so concurrent workers pass over each other's rows instead of waiting), and each row moves
   to ``claimed`` with a compare-and-set ``UPDATE … WHERE status/lease condition`` (the only guard
   SQLite needs: its writers are serialised).  Commit.
2. Dispatch (outside any transaction; ``claim_once("occurrence:<id>")`` makes the Zoom join idempotent).
3. ``finish`` in a short transaction right after the dispatch's outcome is recorded; it only succeeds while
   the worker still holds the lease.  A worker dying between the two leaves a lease that expires, and the
   next worker finds the join marker and watches the room instead of joining again.
A worker that dies leaves a lease that expires; the row is then claimable again — or, when it is more than
the grace period late, skipped and reported (``misfired``), never joined late.  A worker that stops gracefully
gives its claims back at once instead (``retire_claims``, then ``release_claims``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from bot.config import DEFAULT_LEASE
from bot.store.crypto import Sealed
from bot.store.models import Booking, Occurrence
from bot.store.prepared import table_of, update_row
from bot.store.types import BookingStatus, MeetingMode, OccurrenceStatus, utcnow

DEFAULT_GRACE = timedelta(minutes=5)
FINAL_STATUSES = (OccurrenceStatus.DISPATCHED, OccurrenceStatus.FAILED, OccurrenceStatus.SKIPPED)

# Statements built once (bot.store.prepared) for what every dispatch does: finish, renew its lease, remember
# its messages.  Core statements: an Occurrence loaded in the same session does not see these changes.
OCCURRENCES = table_of(Occurrence)
BOOKINGS = table_of(Booking)
_FINISH_ONE_OFF = (
    update(BOOKINGS)
    .where(BOOKINGS.c.id == select(OCCURRENCES.c.booking_id).where(OCCURRENCES.c.id == bindparam("occurrence_id"))
           .scalar_subquery(),
           BOOKINGS.c.rrule.is_(None), BOOKINGS.c.status == bindparam("active"))
    .values(status=bindparam("finished"), updated_at=bindparam("now"))
)


@dataclass
class ClaimResult:
    claimed: list[Occurrence] = field(default_factory=list)
    misfired: list[Occurrence] = field(default_factory=list)  # skipped as too late: report each once


def _claimable(now: datetime):
    """Scheduled, or claimed by a worker whose lease has run out."""
    return or_(
        Occurrence.status == OccurrenceStatus.SCHEDULED,
        and_(Occurrence.status == OccurrenceStatus.CLAIMED, Occurrence.lease_expires_at < now),
    )


def _lock_candidates(session: Session, condition, limit: int) -> list[int]:
    statement = select(Occurrence.id).where(condition).order_by(Occurrence.starts_at, Occurrence.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    return list(session.scalars(statement))


def _compare_and_set(session: Session, occurrence_id: int, guard, **values) -> bool:
    # synchronize_session="evaluate": an Occurrence already loaded in this session sees the new values,
    # without the extra bookkeeping (or SELECT) of "fetch" on the worker's busiest statements.
    # An UPDATE's result is a CursorResult (it has rowcount); Session.execute is typed with the base Result.
    result = cast(CursorResult[Any], session.execute(
        update(Occurrence)
        .where(Occurrence.id == occurrence_id, guard)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session="evaluate")
    ))
    return result.rowcount == 1


def _compare_and_set_many(session: Session, ids: Sequence[int], guard, **values) -> list[int]:
    """``_compare_and_set`` for a batch in one ``UPDATE … RETURNING`` (a claim takes 25 at a time): the ids it
    changed.  A Core statement: the rows are loaded afresh afterwards (``_load``)."""
    if not ids:
        return []
    statement = (update(OCCURRENCES).where(OCCURRENCES.c.id.in_(ids), guard)
                 .values(updated_at=utcnow(), **values).returning(OCCURRENCES.c.id))
    return list(session.scalars(statement))


def _load(session: Session, ids: Sequence[int]) -> list[Occurrence]:
    if not ids:
        return []
    statement = (
        select(Occurrence)
        .where(Occurrence.id.in_(ids))
        .options(selectinload(Occurrence.booking).selectinload(Booking.room))
        .order_by(Occurrence.starts_at, Occurrence.id)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(statement))


def claim_due(
    session: Session,
    *,
    worker_id: str,
    now: datetime | None = None,
    lease: timedelta = DEFAULT_LEASE,
    grace: timedelta = DEFAULT_GRACE,
    limit: int = 10,
) -> ClaimResult:
    """Claim occurrences whose start has come (and skip those more than ``grace`` late).  Commit soon after."""
    now = now or utcnow()
    too_late = now - grace
    late = _lock_candidates(session, and_(_claimable(now), Occurrence.starts_at < too_late), limit)
    misfired = _compare_and_set_many(
        session, late, _claimable(now), status=OccurrenceStatus.SKIPPED, lease_owner=None, lease_expires_at=None,
        finished_at=now,
        outcome_reason=f"missed: more than {int(grace.total_seconds() // 60)} minutes late (no worker was running)")
    due = and_(_claimable(now), Occurrence.starts_at <= now, Occurrence.starts_at >= too_late)
    claimed = _compare_and_set_many(
        session, _lock_candidates(session, due, limit), _claimable(now), status=OccurrenceStatus.CLAIMED,
        lease_owner=worker_id, lease_expires_at=now + lease, claim_count=Occurrence.claim_count + 1)
    session.flush()
    return ClaimResult(claimed=_load(session, claimed), misfired=_load(session, misfired))


def claim_now(
    session: Session,
    occurrence_id: int,
    *,
    worker_id: str,
    now: datetime | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> Occurrence | None:
    """"Dispatch now" from a reminder: claim a scheduled occurrence before its time.  None if it is gone."""
    now = now or utcnow()
    won = _compare_and_set(
        session,
        occurrence_id,
        Occurrence.status == OccurrenceStatus.SCHEDULED,
        status=OccurrenceStatus.CLAIMED,
        lease_owner=worker_id,
        lease_expires_at=now + lease,
        claim_count=Occurrence.claim_count + 1,
    )
    return _load(session, [occurrence_id])[0] if won else None


def extend_lease(
    session: Session,
    occurrence_id: int,
    *,
    worker_id: str,
    now: datetime | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> bool:
    """Keep a long dispatch's claim alive (while watching the room join).  False: the lease was lost."""
    return extend_leases(session, [occurrence_id], worker_id=worker_id, now=now, lease=lease) == 1


# Ids per renewal statement: well under SQLite's oldest limit of 999 bound parameters.
LEASE_RENEWAL_CHUNK = 500


def extend_leases(
    session: Session,
    occurrence_ids: Sequence[int],
    *,
    worker_id: str,
    now: datetime | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> int:
    """:func:`extend_lease` for every one of ``occurrence_ids`` that ``worker_id`` still holds, in one statement
    per few hundred ids: a worker with a thousand dispatches running renews them all in a handful of round trips,
    not a thousand in one long transaction holding their rows.  Returns how many leases were extended."""
    now = now or utcnow()
    extended = 0
    for start in range(0, len(occurrence_ids), LEASE_RENEWAL_CHUNK):
        chunk = list(occurrence_ids[start:start + LEASE_RENEWAL_CHUNK])
        params = {"ids": chunk, "worker": worker_id, "claimed": OccurrenceStatus.CLAIMED, "expires": now + lease,
                  "now": now}
        result = session.execute(_EXTEND_LEASES, params)
        extended += cast(CursorResult[Any], result).rowcount
    return extended


_EXTEND_LEASES = (
    update(OCCURRENCES)
    .where(OCCURRENCES.c.id.in_(bindparam("ids", expanding=True)), OCCURRENCES.c.status == bindparam("claimed"),
           OCCURRENCES.c.lease_owner == bindparam("worker"))
    .values(lease_expires_at=bindparam("expires"), updated_at=bindparam("now"))
)


def finish(
    session: Session,
    occurrence_id: int,
    *,
    worker_id: str,
    status: OccurrenceStatus,
    dispatch_id: int | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Record the occurrence's outcome, only while ``worker_id`` holds the lease.  A one-off booking is finished
    with it."""
    if status not in FINAL_STATUSES:
        raise ValueError(f"{status.value!r} is not a final occurrence status")
    now = now or utcnow()
    won = update_row(
        session, OCCURRENCES, occurrence_id,
        {"status": status, "dispatch_id": dispatch_id, "outcome_reason": reason, "finished_at": now,
         "lease_owner": None, "lease_expires_at": None, "updated_at": now},
        guard={"status": OccurrenceStatus.CLAIMED, "lease_owner": worker_id})
    if won:
        session.execute(_FINISH_ONE_OFF, {"occurrence_id": occurrence_id, "active": BookingStatus.ACTIVE,
                                          "finished": BookingStatus.FINISHED, "now": now})
    return won


def next_start(session: Session, *, after: datetime, until: datetime) -> datetime | None:
    """When the earliest scheduled occurrence in ``(after, until]`` starts (the worker wakes for it)."""
    return session.scalar(select(func.min(Occurrence.starts_at)).where(
        Occurrence.status == OccurrenceStatus.SCHEDULED, Occurrence.starts_at > after, Occurrence.starts_at <= until))


def reclaim_expired(session: Session, *, now: datetime | None = None) -> int:
    """Return claims whose lease ran out to ``scheduled`` (``claim_due`` also takes them directly)."""
    now = now or utcnow()
    result = cast(CursorResult[Any], session.execute(  # an UPDATE: a CursorResult, typed as Result
        update(Occurrence)
        .where(Occurrence.status == OccurrenceStatus.CLAIMED, Occurrence.lease_expires_at < now)
        .values(status=OccurrenceStatus.SCHEDULED, lease_owner=None, lease_expires_at=None, updated_at=now)
        .execution_options(synchronize_session="fetch")
    ))
    return result.rowcount


STOPPING_SUFFIX = "/stopping"
_OWNER_LENGTH = 100  # Occurrence.lease_owner


def stopping_owner(worker_id: str) -> str:
    """The lease owner a stopping worker's claims move to (``retire_claims``)."""
    return worker_id[: _OWNER_LENGTH - len(STOPPING_SUFFIX)] + STOPPING_SUFFIX


def retire_claims(session: Session, *, worker_id: str, now: datetime | None = None,
                  lease: timedelta = DEFAULT_LEASE) -> int:
    """A stopping worker whose dispatches are being cut short: its claims move to ``stopping_owner(worker_id)``,
    for one more ``lease`` at most.  Its dispatches can then no longer finish them (``finish`` needs the
    worker's own id) and no other worker claims them yet; ``release_claims`` gives them back once those
    dispatches have ended — or, should the process die first, the lease runs out as after any crash."""
    now = now or utcnow()
    result = cast(CursorResult[Any], session.execute(  # an UPDATE: a CursorResult, typed as Result
        update(Occurrence)
        .where(Occurrence.status == OccurrenceStatus.CLAIMED, Occurrence.lease_owner == worker_id)
        .values(lease_owner=stopping_owner(worker_id), lease_expires_at=now + lease, updated_at=now)
        .execution_options(synchronize_session="fetch")
    ))
    return result.rowcount


def release_claims(session: Session, *, worker_id: str, now: datetime | None = None) -> int:
    """A stopping worker gives back its claims (its own and those ``retire_claims`` moved): scheduled again,
    for any worker to claim at once instead of when the lease runs out.  ``claim_count`` is kept, so the next
    claim counts as a take-over and the runner looks for the occurrence's join marker before sending anything
    (``bot.scheduling.runner``): a join this worker may have sent is watched, not sent again."""
    now = now or utcnow()
    result = cast(CursorResult[Any], session.execute(  # an UPDATE: a CursorResult, typed as Result
        update(Occurrence)
        .where(Occurrence.status == OccurrenceStatus.CLAIMED,
               Occurrence.lease_owner.in_((worker_id, stopping_owner(worker_id))))
        .values(status=OccurrenceStatus.SCHEDULED, lease_owner=None, lease_expires_at=None, updated_at=now)
        .execution_options(synchronize_session="fetch")
    ))
    return result.rowcount


def skip(session: Session, occurrence_id: int, *, reason: str, now: datetime | None = None) -> bool:
    """"Skip this one": only a scheduled occurrence can be skipped.  False if it already ran or was claimed."""
    return _compare_and_set(
        session,
        occurrence_id,
        Occurrence.status == OccurrenceStatus.SCHEDULED,
        status=OccurrenceStatus.SKIPPED,
        outcome_reason=reason,
        finished_at=now or utcnow(),
    )


def claim_reminders(
    session: Session, *, now: datetime | None = None, lead: timedelta = timedelta(minutes=10), limit: int = 20
) -> list[Occurrence]:
    """Scheduled occurrences starting within ``lead`` whose reminder nobody has sent: marked as sent here
    (compare-and-set), so exactly one instance posts each reminder.  Record the message with
    :func:`set_reminder_message`.  ``new`` bookings' meetings are best created by the same winner."""
    now = now or utcnow()
    condition = and_(
        Occurrence.status == OccurrenceStatus.SCHEDULED,
        Occurrence.reminder_sent_at.is_(None),
        Occurrence.starts_at > now,
        Occurrence.starts_at <= now + lead,
    )
    won = [
        occurrence_id
        for occurrence_id in _lock_candidates(session, condition, limit)
        if _compare_and_set(session, occurrence_id, Occurrence.reminder_sent_at.is_(None), reminder_sent_at=now)
    ]
    return _load(session, won)


def set_reminder_message(session: Session, occurrence_id: int, message_ts: str) -> None:
    update_row(session, OCCURRENCES, occurrence_id, {"reminder_message_ts": message_ts, "updated_at": utcnow()})


def set_progress_message(session: Session, occurrence_id: int, message_ts: str) -> None:
    update_row(session, OCCURRENCES, occurrence_id, {"progress_message_ts": message_ts, "updated_at": utcnow()})


def needing_meeting(
    session: Session, *, now: datetime | None = None, lead: timedelta = timedelta(hours=1)
) -> list[Occurrence]:
    """Occurrences of ``new`` bookings starting within ``lead`` that have no meeting yet."""
    now = now or utcnow()
    statement = (
        select(Occurrence.id)
        .join(Booking)
        .where(
            Booking.meeting_mode == MeetingMode.NEW,
            Occurrence.status == OccurrenceStatus.SCHEDULED,
            Occurrence.meeting_id.is_(None),
            Occurrence.starts_at <= now + lead,
        )
    )
    return _load(session, list(session.scalars(statement)))


def set_meeting(
    session: Session, occurrence_id: int, *, meeting_id: str, passcode: Sealed | None, join_url: str | None
) -> bool:
    """Attach the meeting created for a ``new`` occurrence; False if another instance attached one first
    (the caller should then delete the meeting it created)."""
    return _compare_and_set(
        session,
        occurrence_id,
        Occurrence.meeting_id.is_(None),
        meeting_id=meeting_id,
        passcode=passcode,
        join_url=join_url,
    )
