"""The dispatch audit trail, once-only keys (Slack retries, double clicks) and passcode-attempt accounting."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Insert, bindparam, delete, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot.store import rooms as room_store
from bot.store.crypto import Sealed
from bot.store.models import (
    Dispatch,
    IdempotencyKey,
    PasscodeAttempt,
    Room,
    ZoomResponse,
    new_dispatch_reference,
)
from bot.store.prepared import insert_row, insert_rows, table_of, update_row
from bot.store.types import DispatchAction, DispatchOutcome, DispatchSource, utcnow

# The tables behind the statements built once (bot.store.prepared) on the dispatch engine's busiest path.
DISPATCHES = table_of(Dispatch)
ZOOM_RESPONSES = table_of(ZoomResponse)
PASSCODE_ATTEMPTS = table_of(PasscodeAttempt)
IDEMPOTENCY_KEYS = table_of(IdempotencyKey)

# --- dispatches ---------------------------------------------------------------------------------------

# One Zoom answer's column values (see zoom_response_row).
ZoomAnswer = dict[str, str | int | None]


def _dispatch_values(*, requested_by: str, channel_id: str | None, source: DispatchSource, action: DispatchAction,
                     room_id: int | None, room_name: str | None, zoom_room_id: str | None, meeting_id: str | None,
                     protocol: str | None, passcode_used: bool, force_accept: bool, slack_message_ts: str | None,
                     passcode: Sealed | None) -> dict[str, Any]:
    if not room_name:
        raise ValueError("a dispatch needs a room or the room name the user typed")
    return {"requested_by": requested_by, "channel_id": channel_id, "source": source, "action": action,
            "room_id": room_id, "room_name": room_name, "zoom_room_id": zoom_room_id, "meeting_id": meeting_id,
            "protocol": protocol, "passcode_used": passcode_used, "force_accept": force_accept,
            "slack_message_ts": slack_message_ts, "passcode": passcode, "outcome": DispatchOutcome.PENDING}


def start_dispatch(
    session: Session,
    *,
    requested_by: str,
    channel_id: str | None,
    source: DispatchSource,
    action: DispatchAction,
    room: Room | None,
    room_name: str | None = None,
    meeting_id: str | None = None,
    protocol: str | None = None,
    passcode_used: bool = False,
    force_accept: bool = False,
    slack_message_ts: str | None = None,
    passcode: Sealed | None = None,
) -> Dispatch:
    """Record a dispatch before Zoom is called (outcome ``pending``).  ``room`` may be None for a request
    refused because the room is unknown; ``room_name`` is then what the user typed.  ``passcode``: the
    passcode to be sent, sealed, so that Retry and Join anyway can send it again."""
    dispatch = Dispatch(**_dispatch_values(
        requested_by=requested_by, channel_id=channel_id, source=source, action=action,
        room_id=room.id if room else None, room_name=room.name if room else room_name,
        zoom_room_id=room.zoom_room_id if room else None, meeting_id=meeting_id, protocol=protocol,
        passcode_used=passcode_used, force_accept=force_accept, slack_message_ts=slack_message_ts,
        passcode=passcode))
    session.add(dispatch)
    session.flush()
    return dispatch


def insert_dispatch(
    session: Session,
    *,
    requested_by: str,
    channel_id: str | None,
    source: DispatchSource,
    action: DispatchAction,
    room_id: int | None,
    room_name: str,
    zoom_room_id: str | None,
    meeting_id: str | None = None,
    protocol: str | None = None,
    passcode_used: bool = False,
    force_accept: bool = False,
    passcode: Sealed | None = None,
) -> tuple[int, str]:
    """:func:`start_dispatch` in one prebuilt INSERT, for a room the caller already knows (``room_id`` None:
    it is gone); returns the row's id and reference.  The dispatch engine's way: it loads nothing."""
    reference = new_dispatch_reference()
    values = _dispatch_values(
        requested_by=requested_by, channel_id=channel_id, source=source, action=action, room_id=room_id,
        room_name=room_name, zoom_room_id=zoom_room_id, meeting_id=meeting_id, protocol=protocol,
        passcode_used=passcode_used, force_accept=force_accept, slack_message_ts=None, passcode=passcode)
    return insert_row(session, DISPATCHES, {**values, "reference": reference}), reference


def zoom_response_row(
    *,
    step: str,
    http_method: str | None = None,
    http_path: str | None = None,
    http_status: int | None = None,
    zoom_code: int | None = None,
    zoom_field: str | None = None,
    zoom_message: str | None = None,
    room_status: str | None = None,
    elapsed_ms: int | None = None,
) -> ZoomAnswer:
    """The column values of one Zoom answer.  Query strings are dropped from ``http_path``: they can hold
    passcodes or tokens, which never belong in the audit."""
    return {"step": step, "http_method": http_method,
            "http_path": http_path.split("?", 1)[0] if http_path else None,
            "http_status": http_status, "zoom_code": zoom_code, "zoom_field": zoom_field,
            "zoom_message": zoom_message, "room_status": room_status, "elapsed_ms": elapsed_ms}


def append_zoom_responses(session: Session, dispatch_id: int, rows: list[ZoomAnswer],
                          *, now: datetime | None = None) -> None:
    """Append Zoom answers (from :func:`zoom_response_row`) in one statement, without loading the dispatch:
    the dispatch engine records one or two per Zoom call, on its busiest path."""
    stamp = now or utcnow()
    insert_rows(session, ZOOM_RESPONSES, [{"dispatch_id": dispatch_id, "created_at": stamp, **row} for row in rows])


def update_dispatch_outcome(session: Session, dispatch_id: int, outcome: DispatchOutcome | None = None,
                            reason: str | None = None, *, now: datetime | None = None) -> bool:
    """:func:`set_dispatch_outcome` by id, in one UPDATE (without ``outcome`` it only stamps ``updated_at``).
    False when the row is gone."""
    now = now or utcnow()
    values: dict[str, Any] = {"updated_at": now}
    if outcome is not None:
        values["outcome"] = outcome
        if outcome not in (DispatchOutcome.PENDING, DispatchOutcome.ACCEPTED):
            values["finished_at"] = now
    if reason is not None:
        values["reason"] = reason
    return update_row(session, DISPATCHES, dispatch_id, values)


def set_dispatch_outcome(
    session: Session,
    dispatch: Dispatch,
    outcome: DispatchOutcome,
    reason: str | None = None,
    *,
    now: datetime | None = None,
) -> Dispatch:
    """Move a dispatch along (``accepted`` while watching the room); final outcomes stamp ``finished_at``."""
    dispatch.outcome = outcome
    if reason is not None:
        dispatch.reason = reason
    if outcome not in (DispatchOutcome.PENDING, DispatchOutcome.ACCEPTED):
        dispatch.finished_at = now or utcnow()
    session.flush()
    return dispatch


def finish_dispatch(
    session: Session,
    dispatch: Dispatch,
    outcome: DispatchOutcome,
    reason: str | None = None,
    *,
    now: datetime | None = None,
) -> Dispatch:
    if outcome in (DispatchOutcome.PENDING, DispatchOutcome.ACCEPTED):
        raise ValueError(f"{outcome.value!r} is not a final outcome")
    return set_dispatch_outcome(session, dispatch, outcome, reason, now=now)


def last_joined_provider(session: Session, room_id: int) -> str | None:
    """The service ("teams", "meet", "sip") of the meeting the room was last seen joining; None for Zoom."""
    return session.scalar(select(Dispatch.provider).where(Dispatch.room_id == room_id,
                                                           Dispatch.outcome == DispatchOutcome.JOINED)
                          .order_by(Dispatch.id.desc()).limit(1))


def recent_dispatches(session: Session, *, room_id: int | None = None, limit: int = 20) -> list[Dispatch]:
    """Newest first, with their Zoom responses loaded (for `/room audit`)."""
    statement = select(Dispatch).options(selectinload(Dispatch.zoom_responses))
    if room_id is not None:
        statement = statement.where(Dispatch.room_id == room_id)
    return list(session.scalars(statement.order_by(Dispatch.created_at.desc(), Dispatch.id.desc()).limit(limit)))


# --- once-only keys -----------------------------------------------------------------------------------

DEFAULT_KEY_TTL = timedelta(days=2)  # Slack retries within minutes; buttons live on for a while


@cache
def _claim_statement(dialect: str) -> Insert:
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = dialect_insert(IDEMPOTENCY_KEYS).values(
        key=bindparam("new_key"), created_at=bindparam("new_created_at"), expires_at=bindparam("new_expires_at"))
    # RETURNING, not rowcount: drivers do not all report a row count for ON CONFLICT DO NOTHING.
    return statement.on_conflict_do_nothing(index_elements=["key"]).returning(IDEMPOTENCY_KEYS.c.key)


def claim_once(session: Session, key: str, *, ttl: timedelta = DEFAULT_KEY_TTL, now: datetime | None = None) -> bool:
    """True the first time ``key`` is claimed, False for every later claim (until it expires and is purged).

    One ``INSERT … ON CONFLICT DO NOTHING``, so concurrent claimers cannot both win: on PostgreSQL the
    second waits for the first transaction and then finds the key.  Claim in a short transaction of its
    own and commit before doing the work, so other instances see the key at once.
    Keys: ``event:<event_id>``, ``action:<container ts>:<action_id>:<user>``, ``occurrence:<id>``.
    """
    now = now or utcnow()
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        params = {"new_key": key, "new_created_at": now, "new_expires_at": now + ttl}
        return session.execute(_claim_statement(dialect), params).first() is not None
    try:  # other backends: a savepoint keeps the caller's transaction usable after the duplicate
        with session.begin_nested():
            session.execute(insert(IdempotencyKey).values(key=key, created_at=now, expires_at=now + ttl))
        return True
    except IntegrityError:
        return False


def release_key(session: Session, key: str) -> None:
    """Forget a claim (the work failed before doing anything and may be retried)."""
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.key == key))


def purge_expired_keys(session: Session, *, now: datetime | None = None) -> int:
    # A DELETE's result is a CursorResult (it has rowcount); Session.execute is typed with the base Result.
    result = cast(CursorResult[Any], session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.expires_at < (now or utcnow()))))
    return result.rowcount


# --- passcode attempts --------------------------------------------------------------------------------

PASSCODE_WINDOW = timedelta(minutes=30)  # Zoom Rooms' lockout lasts 30 minutes ...
PASSCODE_ATTEMPT_LIMIT = 3  # ... after 10 failures; stop far earlier


def _counted(room_id: Any, since: Any) -> tuple[ColumnElement[bool], ...]:
    # Failures and attempts whose result is not known yet count; confirmed successes do not.
    return (PasscodeAttempt.room_id == room_id, PasscodeAttempt.attempted_at >= since,
            or_(PasscodeAttempt.succeeded.is_(None), PasscodeAttempt.succeeded.is_(False)))


def _counted_attempts(room_id: int, since: datetime):
    return select(PasscodeAttempt).where(*_counted(room_id, since))


# The count of _counted_attempts, built once (it runs before every passcode join).
_COUNT_ATTEMPTS = select(func.count()).select_from(PASSCODE_ATTEMPTS).where(
    *_counted(bindparam("room_id"), bindparam("since")))


def count_passcode_attempts(
    session: Session, room_id: int, *, window: timedelta = PASSCODE_WINDOW, now: datetime | None = None
) -> int:
    since = (now or utcnow()) - window
    return session.scalar(_COUNT_ATTEMPTS, {"room_id": room_id, "since": since}) or 0


def count_pending_passcode_attempts(
    session: Session, room_id: int, *, window: timedelta = PASSCODE_WINDOW, now: datetime | None = None
) -> int:
    """Counted attempts whose result is not known yet (their dispatch is still watching the room)."""
    since = (now or utcnow()) - window
    pending = _counted_attempts(room_id, since).where(PasscodeAttempt.succeeded.is_(None))
    return session.scalar(select(func.count()).select_from(pending.subquery())) or 0


def lock_room_for_passcode_attempt(session: Session, room_id: int) -> bool:
    """Take the room's row lock first in a transaction that will count and record a passcode attempt (then
    pass ``room_locked=True`` to :func:`try_record_passcode_attempt`); False when the room is gone.

    Inserting the dispatch row takes a key-share lock on the room (its foreign key); counting attempts then
    wants the row lock.  Two concurrent joins to one room would each hold the first and wait for the second —
    a deadlock on PostgreSQL — unless the row lock comes first.  (SQLite serialises the whole transaction.)"""
    return room_store.lock_room_row(session, room_id)


def try_record_passcode_attempt(
    session: Session,
    room_id: int,
    *,
    dispatch_id: int | None = None,
    limit: int = PASSCODE_ATTEMPT_LIMIT,
    window: timedelta = PASSCODE_WINDOW,
    now: datetime | None = None,
    room_locked: bool = False,
) -> int | None:
    """Record a passcode join about to be sent and return the attempt's id, or None when the room already had
    ``limit`` unsuccessful ones in ``window``.

    On PostgreSQL the room row is locked first (unless ``room_locked``: the caller did, with
    :func:`lock_room_for_passcode_attempt`) so that concurrent dispatches to one room count in turn.
    On SQLite the count-then-insert is safe because a transaction that read before another writer
    committed cannot write (it fails with "database is locked"); use ``session_scope(write_lock=True)``
    to wait instead of failing.
    """
    now = now or utcnow()
    if not room_locked and session.get_bind().dialect.name == "postgresql":
        lock_room_for_passcode_attempt(session, room_id)
    if count_passcode_attempts(session, room_id, window=window, now=now) >= limit:
        return None
    return insert_row(session, PASSCODE_ATTEMPTS, {"room_id": room_id, "dispatch_id": dispatch_id,
                                                   "attempted_at": now, "succeeded": None})


def mark_passcode_attempt(session: Session, attempt_id: int, *, succeeded: bool) -> None:
    update_row(session, PASSCODE_ATTEMPTS, attempt_id, {"succeeded": succeeded})


def passcode_attempts_free_at(
    session: Session,
    room_id: int,
    *,
    limit: int = PASSCODE_ATTEMPT_LIMIT,
    window: timedelta = PASSCODE_WINDOW,
    now: datetime | None = None,
) -> datetime | None:
    """When the next passcode join may be sent (None: now) — for "try again after 10:42"."""
    now = now or utcnow()
    counted = _counted_attempts(room_id, now - window).order_by(PasscodeAttempt.attempted_at.desc())
    attempts = list(session.scalars(counted.limit(limit)))
    if len(attempts) < limit:
        return None
    return attempts[-1].attempted_at + window
