"""Fixtures for booking tests (tests/scheduling, tests/slack/bookings): the whole back end (simulator + migrated
database on SQLite and PostgreSQL), a fake Slack Web API, and helpers to book rooms and run workers (with the
Slack notifier, posting to the fake)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.scheduling.worker import BookingWorker, WorkerConfig
from bot.services import Services
from bot.slack.bookings.notifier import SlackNotifier, SlackRequesters
from bot.slack.directory import directory_of
from bot.slack.ids import ActionId, BlockId
from bot.store import bookings as booking_store
from bot.store import rooms as room_store
from bot.store.crypto import SecretBox
from bot.store.db import session_scope
from bot.store.models import Booking, Occurrence
from bot.store.types import MeetingMode
from tests.support.slack import FakeSlackApi
from tests.support.stack import TEST_SECRET_KEY, Stack

CHANNEL = "C_OPS"
ALICE, BOB = "U_ALICE", "U_BOB"
MEETING_ID = "85512345678"
PASSCODE = "Xk7_9ab"
FAST_WORKER = WorkerConfig(poll_interval=0.05, concurrency=4, lease=timedelta(seconds=30))


@dataclass
class Bookings:
    """A stack plus Slack, with helpers to book and to run workers."""

    stack: Stack
    slack: FakeSlackApi
    services: Services
    workers: list[BookingWorker] = field(default_factory=list)

    @property
    def sessions(self) -> Any:
        return self.stack.db.sessions

    def book(self, room: str = "Boardroom", *, starts_at: datetime, minutes: int = 15, rrule: str | None = None,
             mode: MeetingMode = MeetingMode.LINK, meeting_id: str | None = MEETING_ID, passcode: str | None = PASSCODE,
             requester: str = ALICE, tz: str = "UTC", now: datetime | None = None, channel: str = CHANNEL) -> int:
        with session_scope(self.sessions, write_lock=True) as session:
            found = room_store.find_room(session, room)
            booking = booking_store.create_booking(
                session, room=found, requester_user_id=requester, channel_id=channel, tz_name=tz,
                starts_at=starts_at, duration=timedelta(minutes=minutes), meeting_mode=mode, rrule=rrule,
                meeting_id=meeting_id if mode is MeetingMode.LINK else None,
                passcode=self.services.secret_box.seal(passcode) if passcode and mode is MeetingMode.LINK else None,
                topic="Stand-up" if mode is MeetingMode.NEW else None,
                now=now or starts_at - timedelta(hours=1))
            return booking.id

    def worker(self, config: WorkerConfig = FAST_WORKER, **kwargs: Any) -> BookingWorker:
        client = WebClient(token=self.slack.bot_token, base_url=self.slack.api_url)
        worker = BookingWorker(self.services, config, notifier=SlackNotifier(client),
                               requesters=SlackRequesters(directory_of(self.services), client), **kwargs)
        self.workers.append(worker)
        return worker

    def occurrences(self, booking_id: int | None = None) -> list[Occurrence]:
        with session_scope(self.sessions) as session:
            statement = select(Occurrence).options(selectinload(Occurrence.booking).selectinload(Booking.room))
            if booking_id is not None:
                statement = statement.where(Occurrence.booking_id == booking_id)
            return list(session.scalars(statement.order_by(Occurrence.starts_at, Occurrence.id)))

    def joins(self, room: str = "Boardroom") -> int:
        return self.stack.sim_room(room)["joins"]

    def join_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.stack.zoom_requests("/events", "PATCH")
                if r["json"]["method"] == "zoomroom.meeting_join"]

    def channel_text(self) -> str:
        return "\n".join(m.text + " " + str(m.blocks) for m in self.slack.messages_in(CHANNEL))


@pytest.fixture
def bookings(stack: Stack, fake_slack: FakeSlackApi) -> Iterator[Bookings]:
    stack.admin("POST", "/meetings", {"id": MEETING_ID, "password": PASSCODE})
    fake_slack.add_user(ALICE, name="alice", email="alice@example.com", tz="America/New_York")
    fake_slack.add_user(BOB, name="bob", email="bob@example.com", tz="Europe/Berlin")
    services = Services(zoom=stack.zoom, session_factory=stack.db.sessions, secret_box=SecretBox(TEST_SECRET_KEY),
                        engine=stack.engine, dispatcher=stack.async_dispatcher, meetings=stack.async_meetings)
    helper = Bookings(stack, fake_slack, services)
    yield helper
    for worker in helper.workers:
        worker.stop()


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


NowFactory = Callable[[], datetime]


def booking_form(*, start: int, meeting: str, room: str = "Boardroom", duration: str = "30", repeat: str = "",
                 channel: str | None = CHANNEL, room_select: str = "static_select",
                 room_option: dict[str, Any] | None = None) -> dict[str, Any]:
    """The **Book a room** form's state as Slack submits it (``view.state.values``)."""
    values: dict[str, Any] = {
        BlockId.ROOM: {ActionId.ROOM_SELECT: {"type": room_select,
                                              "selected_option": room_option or {"value": room}}},
        BlockId.START: {ActionId.START_PICKER: {"type": "datetimepicker", "selected_date_time": start}},
        BlockId.MEETING: {ActionId.MEETING_INPUT: {"type": "plain_text_input", "value": meeting}},
        BlockId.BOOKING_PASSCODE: {ActionId.BOOKING_PASSCODE_INPUT: {"type": "plain_text_input", "value": None}},
        BlockId.DURATION: {ActionId.DURATION_SELECT: {"type": "static_select", "selected_option": {"value": duration}}},
        BlockId.REPEAT: {ActionId.REPEAT_SELECT: {"type": "static_select", "selected_option": {"value": repeat}}},
    }
    if channel is not None:
        values[BlockId.BOOKING_CHANNEL] = {ActionId.BOOKING_CHANNEL_INPUT: {"type": "conversations_select",
                                                                            "selected_conversation": channel}}
    return values
