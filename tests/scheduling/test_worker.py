"""The booking worker end to end: store + the shared dispatch flow + simulator + fake Slack."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.scheduling.runner import join_marker
from bot.store import audit, occurrences
from bot.store.db import DatabaseUnavailable, session_scope
from bot.store.types import BookingStatus, MeetingMode, OccurrenceStatus
from tests.support.bookings import ALICE, CHANNEL, FAST_WORKER, MEETING_ID, PASSCODE, Bookings, utc_now


def test_a_due_occurrence_joins_once_and_the_channel_sees_progress_and_result(bookings: Bookings) -> None:
    now = utc_now()
    booking_id = bookings.book(starts_at=now - timedelta(seconds=5))
    report = bookings.worker().run_once(now)
    assert report.claimed == 1
    [occurrence] = bookings.occurrences(booking_id)
    assert occurrence.status is OccurrenceStatus.DISPATCHED, occurrence.outcome_reason
    assert occurrence.dispatch_id is not None and occurrence.lease_owner is None
    assert occurrence.booking.status is BookingStatus.FINISHED  # a one-off is done after its occurrence
    assert bookings.joins() == 1
    [join] = bookings.join_requests()
    assert join["json"]["params"]["meeting_number"] == MEETING_ID
    assert join["json"]["params"].get("force_accept") in (None, False)
    [card] = bookings.slack.messages_in(CHANNEL)  # one message, edited from "Sending…" to the result
    assert "Boardroom is in meeting 855 1234 5678" in card.text
    assert PASSCODE not in bookings.slack.all_text()
    assert any(c.method == "chat.update" for c in bookings.slack.calls())
    # Nothing is left to do: another tick (or another worker) dispatches nothing more.
    assert bookings.worker().run_once(now + timedelta(seconds=30)).claimed == 0
    assert bookings.joins() == 1


def test_an_occurrence_more_than_the_grace_period_late_is_skipped_and_reported(bookings: Bookings) -> None:
    now = utc_now()
    booking_id = bookings.book(starts_at=now - timedelta(minutes=11))
    report = bookings.worker().run_once(now)
    assert (report.claimed, report.misfired) == (0, 1)
    [occurrence] = bookings.occurrences(booking_id)
    assert occurrence.status is OccurrenceStatus.SKIPPED
    assert "late" in occurrence.outcome_reason
    assert bookings.join_requests() == []
    assert "was not sent to meeting 855 1234 5678" in bookings.channel_text()


def test_the_reminder_is_posted_once_with_dispatch_now_and_skip_buttons(bookings: Bookings) -> None:
    now = utc_now()
    booking_id = bookings.book(starts_at=now + timedelta(minutes=5))
    first, second = bookings.worker(), bookings.worker()
    assert first.run_once(now).reminders == 1
    assert second.run_once(now).reminders == 0
    [reminder] = bookings.slack.messages_in(CHANNEL)
    buttons = [e["action_id"] for b in reminder.blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["booking_dispatch_now", "booking_skip_occurrence"]
    [occurrence] = bookings.occurrences(booking_id)
    assert occurrence.reminder_message_ts == reminder.ts and occurrence.status is OccurrenceStatus.SCHEDULED
    assert bookings.join_requests() == []  # a reminder is not a dispatch
    # At the start the same message loses its buttons and the result follows.
    first.run_once(now + timedelta(minutes=5, seconds=1))
    assert bookings.joins() == 1
    [edited_reminder, result] = bookings.slack.messages_in(CHANNEL)
    assert "sent." in edited_reminder.text and not any(b["type"] == "actions" for b in edited_reminder.blocks)
    assert "is in meeting" in result.text


def test_a_lease_left_by_a_dead_worker_is_reclaimed_and_the_join_is_not_repeated(bookings: Bookings) -> None:
    now = utc_now()
    booking_id = bookings.book(starts_at=now - timedelta(seconds=5))
    # A worker claims, records that the join is about to leave, sends it — and dies before finishing.
    with session_scope(bookings.sessions, write_lock=True) as session:
        [claimed] = occurrences.claim_due(session, worker_id="dead", now=now, lease=timedelta(seconds=1)).claimed
        audit.claim_once(session, join_marker(claimed.id))
    room = bookings.stack.zoom.list_rooms(query_name="Boardroom")[0]
    bookings.stack.zoom.join_room(room, MEETING_ID, PASSCODE)
    bookings.stack.admin("POST", "/clock/advance", {"seconds": 1})  # the room has joined
    assert bookings.worker().run_once(now + timedelta(seconds=5)).claimed == 1
    [occurrence] = bookings.occurrences(booking_id)
    assert occurrence.status is OccurrenceStatus.DISPATCHED and occurrence.claim_count == 2
    assert "earlier attempt" in occurrence.outcome_reason
    assert len(bookings.join_requests()) == 1 and bookings.joins() == 1


def test_a_lease_left_before_any_join_was_sent_is_dispatched_by_the_next_worker(bookings: Bookings) -> None:
    now = utc_now()
    booking_id = bookings.book(starts_at=now - timedelta(seconds=5))
    with session_scope(bookings.sessions, write_lock=True) as session:
        occurrences.claim_due(session, worker_id="dead", now=now, lease=timedelta(seconds=1))
    worker = bookings.worker()
    assert worker.run_once(now).claimed == 0  # the lease still holds
    assert worker.run_once(now + timedelta(seconds=2)).claimed == 1
    [occurrence] = bookings.occurrences(booking_id)
    assert occurrence.status is OccurrenceStatus.DISPATCHED and occurrence.claim_count == 2
    assert len(bookings.join_requests()) == 1 and bookings.joins() == 1


def test_a_restarted_worker_finishes_what_the_stopped_one_left(bookings: Bookings) -> None:
    now = utc_now()
    ids = [bookings.book(room, starts_at=now - timedelta(seconds=5)) for room in ("Boardroom", "Huddle 3")]
    first = bookings.worker()
    first.start()
    bookings.slack.wait_for(lambda: all(o.status is OccurrenceStatus.DISPATCHED
                                        for i in ids for o in bookings.occurrences(i)), timeout=15, what="dispatch")
    first.stop()
    again = bookings.worker()
    assert again.run_once(now + timedelta(seconds=10)).claimed == 0
    assert bookings.joins("Boardroom") == 1 and bookings.joins("Huddle 3") == 1


def test_a_failed_dispatch_is_recorded_and_explained(bookings: Bookings) -> None:
    now = utc_now()
    booking_id = bookings.book("Ocean View (4th floor)", starts_at=now - timedelta(seconds=5))  # offline room
    bookings.worker().run_once(now)
    [occurrence] = bookings.occurrences(booking_id)
    assert occurrence.status is OccurrenceStatus.FAILED and "offline" in occurrence.outcome_reason
    assert occurrence.dispatch_id is not None
    assert "Ocean View" in bookings.channel_text() and bookings.join_requests() == []


def test_a_cancelled_booking_is_never_dispatched(bookings: Bookings) -> None:
    from bot.store import bookings as booking_store

    now = utc_now()
    booking_id = bookings.book(starts_at=now - timedelta(seconds=5))
    with session_scope(bookings.sessions, write_lock=True) as session:
        booking_store.cancel_booking(session, booking_store.get_booking(session, booking_id), cancelled_by=ALICE)
    assert bookings.worker().run_once(now).claimed == 0
    assert bookings.join_requests() == []


def test_a_new_meeting_is_created_and_linked_before_the_start(bookings: Bookings) -> None:
    now = utc_now()
    booking_id = bookings.book(starts_at=now + timedelta(minutes=5), mode=MeetingMode.NEW)
    worker = bookings.worker()
    assert worker.run_once(now).meetings == 1
    [occurrence] = bookings.occurrences(booking_id)
    assert occurrence.meeting_id and occurrence.join_url and occurrence.passcode is not None
    meeting = bookings.stack.admin("GET", f"/meetings/{occurrence.meeting_id}")
    passcode = bookings.services.secret_box.open(occurrence.passcode)
    assert meeting["password"] == passcode and len(passcode) <= 10
    channel = bookings.channel_text()
    assert occurrence.join_url in channel and passcode not in channel  # the link for all, the passcode ...
    assert any(passcode in m.text for m in bookings.slack.ephemerals(ALICE))  # ... for the booker only
    worker.run_once(now + timedelta(minutes=5, seconds=1))
    [occurrence] = bookings.occurrences(booking_id)
    assert occurrence.status is OccurrenceStatus.DISPATCHED, occurrence.outcome_reason
    [join] = bookings.join_requests()
    assert join["json"]["params"]["meeting_number"] == occurrence.meeting_id
    assert len(bookings.stack.zoom_requests("/meetings", "POST")) == 1


def test_a_weekly_series_across_daylight_saving_fires_at_the_local_time(bookings: Bookings) -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    new_york = ZoneInfo("America/New_York")
    first = datetime(2026, 3, 2, 9, 30, tzinfo=new_york)  # the Monday before the clocks go forward
    booking_id = bookings.book(starts_at=first, rrule="FREQ=WEEKLY;BYDAY=MO", tz="America/New_York",
                               now=datetime(2026, 2, 20, tzinfo=UTC))
    worker = bookings.worker()
    second = datetime(2026, 3, 9, 9, 30, tzinfo=new_york).astimezone(UTC)
    report = worker.run_once(second + timedelta(seconds=1))  # materialises ahead; the first was missed
    assert (report.claimed, report.misfired) == (1, 1)
    series = bookings.occurrences(booking_id)
    assert [o.starts_at.astimezone(new_york).strftime("%a %H:%M") for o in series[:4]] == ["Mon 09:30"] * 4
    assert [o.starts_at.hour for o in series[:3]] == [14, 13, 13]  # UTC moved with the clocks
    assert [o.status for o in series[:3]] == [OccurrenceStatus.SKIPPED, OccurrenceStatus.DISPATCHED,
                                              OccurrenceStatus.SCHEDULED]
    assert series[1].starts_at == second and bookings.joins() == 1


def test_a_taken_over_join_still_on_its_way_in_is_watched_not_refused_as_busy(bookings: Bookings) -> None:
    now = utc_now()
    booking_id = bookings.book(starts_at=now - timedelta(seconds=5))
    # A worker sends the join and stalls past its lease while the room is still getting into the meeting.
    bookings.stack.admin("PATCH", "/config", {"join_delay_seconds": 1.0})
    with session_scope(bookings.sessions, write_lock=True) as session:
        [claimed] = occurrences.claim_due(session, worker_id="stalled", now=now, lease=timedelta(seconds=1)).claimed
        audit.claim_once(session, join_marker(claimed.id))
    room = bookings.stack.zoom.list_rooms(query_name="Boardroom")[0]
    bookings.stack.zoom.join_room(room, MEETING_ID, PASSCODE)  # the room is now joining, not yet InMeeting
    assert bookings.worker().run_once(now + timedelta(seconds=5)).claimed == 1
    [occurrence] = bookings.occurrences(booking_id)
    assert occurrence.status is OccurrenceStatus.DISPATCHED, occurrence.outcome_reason
    assert occurrence.claim_count == 2 and "earlier attempt" in (occurrence.outcome_reason or "")
    assert bookings.joins() == 1  # watched to its end: neither sent again nor refused as busy
    assert "busy" not in bookings.channel_text() and "Join anyway" not in bookings.channel_text()


def test_a_taken_over_occurrence_edits_the_message_its_first_worker_posted(bookings: Bookings) -> None:
    now = utc_now()
    booking_id = bookings.book(starts_at=now - timedelta(seconds=5))
    with session_scope(bookings.sessions, write_lock=True) as session:
        [claimed] = occurrences.claim_due(session, worker_id="killed", now=now, lease=timedelta(seconds=1)).claimed
        occurrence_id = claimed.id
    # The first worker had posted its "⏳ Sending…" message before it was killed (no join sent yet).
    slack = WebClient(token=bookings.slack.bot_token, base_url=bookings.slack.api_url)
    posted = slack.chat_postMessage(channel=CHANNEL, text=":hourglass_flowing_sand: Sending Boardroom to meeting …")
    with session_scope(bookings.sessions, write_lock=True) as session:
        occurrences.set_progress_message(session, occurrence_id, posted["ts"])
    assert bookings.worker().run_once(now + timedelta(seconds=5)).claimed == 1
    [occurrence] = bookings.occurrences(booking_id)
    assert occurrence.status is OccurrenceStatus.DISPATCHED
    [card] = bookings.slack.messages_in(CHANNEL)  # one message per occurrence: the same one, now the result
    assert card.ts == posted["ts"] and "is in meeting" in card.text


def test_a_database_outage_is_logged_once_when_it_starts_and_once_when_it_ends(
        bookings: Bookings, caplog: pytest.LogCaptureFixture) -> None:
    worker = bookings.worker(replace(FAST_WORKER, poll_interval=0.01))
    healthy = worker.sessions
    down = threading.Event()

    def sessions() -> Any:
        if down.is_set():
            raise DatabaseUnavailable("postgresql://roombot@db/roombot", "connection refused")
        return healthy()

    worker.sessions = sessions  # the tick loop's view of the store
    caplog.set_level(logging.DEBUG, logger="bot.scheduling")
    down.set()
    worker.start()
    try:
        time.sleep(1.5)  # at 0.01 s per tick, without backoff this would be ~150 failed ticks
        down.clear()
        deadline = time.monotonic() + 40  # the backoff is at most 30 s
        while not any("is back" in r.getMessage() for r in caplog.records) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    records = [r for r in caplog.records if r.name == "bot.scheduling" and r.levelno >= logging.WARNING]
    assert [r.getMessage().split(";")[0] for r in records] == [
        "booking worker: the database is unavailable (connection refused)",
        records[1].getMessage().split(";")[0]]
    assert "is back" in records[1].getMessage() and not any(r.exc_info for r in records)


def test_a_booking_in_a_channel_the_bot_is_not_in_reaches_the_booker_by_direct_message(bookings: Bookings) -> None:
    now = utc_now()
    bookings.slack.close_channel("G_PRIVATE")
    booking_id = bookings.book(starts_at=now + timedelta(minutes=5), channel="G_PRIVATE")
    worker = bookings.worker()
    assert worker.run_once(now).reminders == 1
    [reminder] = bookings.slack.messages_in(ALICE)
    assert "Boardroom" in reminder.text and "/invite @roombot" in str(reminder.blocks)
    worker.run_once(now + timedelta(minutes=5, seconds=1))
    [occurrence] = bookings.occurrences(booking_id)
    assert occurrence.status is OccurrenceStatus.DISPATCHED
    dms = bookings.slack.messages_in(ALICE)
    assert len(dms) == 2  # the reminder, and one message for the dispatch, edited to its result
    assert "is in meeting" in dms[1].text and "/invite @roombot" in str(dms[1].blocks)
    assert bookings.slack.messages_in("G_PRIVATE") == []


def test_a_running_worker_dispatches_on_the_due_second_with_a_listing_taken_before_it(bookings: Bookings) -> None:
    """The worker looks at the database only every 30 s here, yet the occurrence due in 2 s is dispatched then:
    it wakes for the next start, and the room-status listing its pre-flight reads was taken before that."""
    start = utc_now() + timedelta(seconds=2)
    booking_id = bookings.book(starts_at=start)
    seen_before = len(bookings.stack.sim.requests)  # the room sync's listing is not the worker's
    worker = bookings.worker(replace(FAST_WORKER, poll_interval=30.0))
    worker.start()
    bookings.slack.wait_for(lambda: all(o.status is OccurrenceStatus.DISPATCHED
                                        for o in bookings.occurrences(booking_id)), timeout=20, what="dispatch")
    listings = [r["at"] for r in bookings.stack.sim.requests[seen_before:]
                if r["method"] == "GET" and r["path"] == "/v2/rooms"]
    [join] = bookings.join_requests()
    assert listings and min(listings) < start.timestamp() <= join["at"]
    assert bookings.joins() == 1
