"""Dispatch audit, once-only keys and passcode-attempt accounting."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from bot.store import audit, rooms
from bot.store.db import session_scope
from bot.store.types import DispatchAction, DispatchOutcome, DispatchSource
from tests.support.db import MigratedDatabase

NOW = datetime(2030, 3, 1, 12, tzinfo=UTC)


def test_dispatch_audit_records_each_zoom_response_and_outcome(migrated_db: MigratedDatabase) -> None:
    with session_scope(migrated_db.sessions) as session:
        room = rooms.add_room(session, "Boardroom", "zr-1")
        dispatch = audit.start_dispatch(
            session, requested_by="U1", channel_id="C1", source=DispatchSource.BUTTON, action=DispatchAction.JOIN,
            room=room, meeting_id="85746352910", protocol="jsonrpc", passcode_used=True,
        )
        audit.append_zoom_responses(session, dispatch.id, [
            audit.zoom_response_row(step="join", http_method="POST", http_path="/v2/rooms/zr-1/meetings?x=secret",
                                    http_status=400, zoom_code=32602, zoom_field="params.password",
                                    zoom_message="Validation Failed"),
            audit.zoom_response_row(step="status", http_status=None, zoom_message="timed out")])
        assert audit.update_dispatch_outcome(session, dispatch.id, DispatchOutcome.ACCEPTED)
        session.refresh(dispatch)
        assert dispatch.outcome is DispatchOutcome.ACCEPTED and dispatch.finished_at is None
        assert not audit.update_dispatch_outcome(session, dispatch.id + 1000, DispatchOutcome.JOINED)  # gone
        audit.finish_dispatch(session, dispatch, DispatchOutcome.FAILED, "Zoom rejected the passcode", now=NOW)
        with pytest.raises(ValueError):
            audit.finish_dispatch(session, dispatch, DispatchOutcome.PENDING)
        audit.start_dispatch(
            session, requested_by="U2", channel_id=None, source=DispatchSource.COMMAND, action=DispatchAction.JOIN,
            room=None, room_name="kitchen",
        )
    with session_scope(migrated_db.sessions) as session:
        newest, oldest = audit.recent_dispatches(session)
        assert newest.room_name == "kitchen" and newest.room_id is None
        assert oldest.outcome is DispatchOutcome.FAILED and oldest.finished_at == NOW
        assert oldest.reason == "Zoom rejected the passcode" and oldest.protocol == "jsonrpc"
        first, second = oldest.zoom_responses
        assert (first.http_status, first.zoom_code, first.zoom_field) == (400, 32602, "params.password")
        assert first.http_path == "/v2/rooms/zr-1/meetings"  # query string dropped
        assert second.http_status is None
        assert [d.id for d in audit.recent_dispatches(session, room_id=oldest.room_id)] == [oldest.id]
        with pytest.raises(ValueError):
            audit.start_dispatch(
                session, requested_by="U", channel_id=None, source=DispatchSource.COMMAND,
                action=DispatchAction.LEAVE, room=None,
            )


def test_claim_once_wins_only_the_first_time(migrated_db: MigratedDatabase) -> None:
    with session_scope(migrated_db.sessions) as session:
        assert audit.claim_once(session, "event:Ev1", now=NOW)
        assert not audit.claim_once(session, "event:Ev1", now=NOW)  # same transaction
    with session_scope(migrated_db.sessions) as session:
        assert not audit.claim_once(session, "event:Ev1", now=NOW)  # a Slack retry later
        assert audit.claim_once(session, "event:Ev2", now=NOW)
        audit.release_key(session, "event:Ev2")
        assert audit.claim_once(session, "event:Ev2", now=NOW)
    with session_scope(migrated_db.sessions) as session:
        assert audit.purge_expired_keys(session, now=NOW + timedelta(days=3)) == 2
        assert audit.claim_once(session, "event:Ev1", now=NOW + timedelta(days=3))


def test_concurrent_claims_of_one_key_have_exactly_one_winner(migrated_db: MigratedDatabase) -> None:
    contenders = 4
    barrier = threading.Barrier(contenders)
    results: list[bool] = []
    errors: list[BaseException] = []

    def contend() -> None:
        try:
            barrier.wait()
            with session_scope(migrated_db.sessions, write_lock=True) as session:
                results.append(audit.claim_once(session, "action:1700000000.1:join:U1"))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=contend) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results) == [False] * (contenders - 1) + [True]


def test_passcode_attempts_are_limited_per_room_and_window(migrated_db: MigratedDatabase) -> None:
    with session_scope(migrated_db.sessions) as session:
        room = rooms.add_room(session, "Boardroom", "zr-1")
        other = rooms.add_room(session, "Lobby", "zr-2")
        first = audit.try_record_passcode_attempt(session, room.id, now=NOW)
        assert first is not None
        audit.mark_passcode_attempt(session, first, succeeded=True)  # successes do not count
        for minute in range(3):
            assert audit.try_record_passcode_attempt(session, room.id, now=NOW + timedelta(minutes=minute))
        assert audit.try_record_passcode_attempt(session, room.id, now=NOW + timedelta(minutes=5)) is None
        assert audit.count_passcode_attempts(session, room.id, now=NOW + timedelta(minutes=5)) == 3
        free_at = audit.passcode_attempts_free_at(session, room.id, now=NOW + timedelta(minutes=5))
        assert free_at == NOW + timedelta(minutes=30)
        assert audit.try_record_passcode_attempt(session, other.id, now=NOW) is not None  # per room
        later = NOW + timedelta(minutes=30, seconds=1)
        assert audit.passcode_attempts_free_at(session, room.id, now=later) is None
        assert audit.try_record_passcode_attempt(session, room.id, now=later) is not None


def test_concurrent_passcode_attempts_never_exceed_the_limit(migrated_db: MigratedDatabase) -> None:
    with session_scope(migrated_db.sessions) as session:
        room_id = rooms.add_room(session, "Boardroom", "zr-1").id
    contenders = 6
    barrier = threading.Barrier(contenders)
    granted: list[bool] = []

    def attempt() -> None:
        barrier.wait()
        with session_scope(migrated_db.sessions, write_lock=True) as session:
            granted.append(audit.try_record_passcode_attempt(session, room_id, limit=3) is not None)

    threads = [threading.Thread(target=attempt) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(granted) == [False] * 3 + [True] * 3
