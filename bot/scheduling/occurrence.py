"""One occurrence of a booking as plain data: what a listing, a reminder or a result says about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.dispatch.third_party import stored_service
from bot.meetings.reference import Provider
from bot.store.models import Occurrence
from bot.store.types import MeetingMode


@dataclass(frozen=True)
class OccurrenceView:
    """One occurrence with what a message says about it, detached from the database session."""

    occurrence_id: int
    booking_id: int
    room_name: str
    starts_at: datetime  # UTC
    ends_at: datetime
    tz_name: str
    requester_user_id: str
    channel_id: str | None
    is_new_meeting: bool
    meeting_id: str | None
    join_url: str | None
    rrule: str | None
    topic: str | None = None
    service: Provider | None = None  # a Teams, Meet or SIP meeting; None for Zoom


def view_of(occurrence: Occurrence) -> OccurrenceView:
    """``occurrence`` (its booking and room loaded) as an :class:`OccurrenceView`."""
    booking = occurrence.booking
    return OccurrenceView(
        occurrence_id=occurrence.id, booking_id=booking.id, room_name=booking.room.name,
        starts_at=occurrence.starts_at, ends_at=occurrence.ends_at, tz_name=booking.tz_name,
        requester_user_id=booking.requester_user_id, channel_id=booking.channel_id,
        is_new_meeting=booking.meeting_mode is MeetingMode.NEW,
        meeting_id=occurrence.meeting_id or booking.meeting_id, join_url=occurrence.join_url, rrule=booking.rrule,
        topic=booking.topic, service=stored_service(booking.provider),
    )
