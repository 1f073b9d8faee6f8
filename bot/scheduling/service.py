"""Booking operations behind `/room book`, `/room bookings`, `/room cancel`, the booking form, the buttons and
App Home.

Every refusal is a :class:`~bot.scheduling.refusals.BookingRefused` (a code and its facts) and every answer is
data; nothing here posts to Slack or words anything for it (the Slack layer does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.dispatch.third_party import audit_meeting_id, seal_target
from bot.meetings import rooms_compatibility
from bot.scheduling.occurrence import OccurrenceView, view_of
from bot.scheduling.ports import BookingBackends
from bot.scheduling.refusals import (
    BadBookingId,
    BookingNotActive,
    BookingRefused,
    InvalidBooking,
    NoSuchBooking,
    NotYourBooking,
    OccurrenceGone,
    OccurrenceNotCancellable,
    RoomNotAllowed,
    SlotTaken,
    UnknownRoom,
)
from bot.scheduling.request import BookingDraft
from bot.scheduling.when import next_instances
from bot.store import bookings as booking_store
from bot.store import occurrences
from bot.store import rooms as room_store
from bot.store.db import session_scope
from bot.store.models import Booking, Occurrence
from bot.store.types import BookingStatus, MeetingMode, OccurrenceStatus, utcnow

__all__ = ["UPCOMING_FETCHED", "Booked", "BookingRefused", "BookingService", "Cancelled", "may_cancel",
           "parse_booking_id"]

UPCOMING_FETCHED = 25  # how many upcoming occurrences a listing reads


@dataclass(frozen=True)
class Booked:
    """A booking made, with what the booker should know about it."""

    view: OccurrenceView  # the first occurrence
    upcoming: list[datetime]
    passcode_problem: str | None = None  # why a room may not manage to type the passcode (plain words)
    passcode_missing: bool = False  # a link or ID without a passcode: the meeting may need one
    default_duration: timedelta | None = None  # no `for …` was given: booked for this long


@dataclass(frozen=True)
class Cancelled:
    """What a cancellation did: one occurrence of a series, or the whole booking."""

    booking_id: int
    room_name: str
    tz_name: str
    occurrence_starts_at: datetime | None = None  # set when one occurrence was cancelled; the rest stays
    removed: int = 0  # upcoming occurrences removed with the booking
    still_running: bool = False  # one occurrence was being dispatched and will finish


def may_cancel(booking: Booking, user_id: str, is_admin: bool) -> bool:
    return is_admin or booking.requester_user_id == user_id


class BookingService:
    def __init__(self, services: BookingBackends) -> None:
        self.sessions = services.session_factory
        self.secret_box = services.secret_box

    def is_room(self, text: str) -> bool:
        with session_scope(self.sessions) as session:
            return room_store.find_room_or_unique_prefix(session, text) is not None

    def book(self, draft: BookingDraft, *, user_id: str, channel_id: str | None, tz_name: str,
             usergroup_ids: tuple[str, ...] = (), now: datetime | None = None) -> Booked:
        now = now or utcnow()
        passcode = draft.passcode
        compatibility = rooms_compatibility(passcode) if passcode else None
        passcode_problem = (compatibility.reason or "") if compatibility is not None and not compatibility.ok else None
        meeting = draft.meeting
        # On SQLite the overlap check and the insert must hold the write lock together (docs/store.md).
        with session_scope(self.sessions, write_lock=True) as session:
            room = room_store.find_room_or_unique_prefix(session, draft.room_text)
            if room is None:
                raise UnknownRoom(draft.room_text, tuple(room_store.suggest_rooms(session, draft.room_text)))
            if not room_store.is_dispatch_allowed(session, room, user_id=user_id, channel_id=channel_id,
                                                  usergroup_ids=usergroup_ids):
                raise RoomNotAllowed(room.name)
            try:
                booking = booking_store.create_booking(
                    session, room=room, requester_user_id=user_id, channel_id=channel_id, tz_name=tz_name,
                    starts_at=draft.starts_at, duration=draft.duration,
                    meeting_mode=MeetingMode.NEW if meeting is None else MeetingMode.LINK,
                    rrule=draft.recurrence.rule if draft.recurrence else None,
                    meeting_id=(audit_meeting_id(meeting) if meeting.is_third_party else meeting.meeting_id)
                    if meeting else None,
                    provider=meeting.provider if meeting and meeting.is_third_party else None,
                    third_party=seal_target(self.secret_box, meeting, passcode)
                    if meeting and meeting.is_third_party else None,
                    personal_link=meeting.personal_link if meeting else None,
                    pwd_token=self.secret_box.seal(meeting.pwd_token) if meeting and meeting.pwd_token else None,
                    passcode=self.secret_box.seal(passcode) if passcode else None,
                    topic=f"{room.name} meeting" if meeting is None else None, now=now)
            except booking_store.BookingConflict as conflict:
                raise self._slot_taken(session, room.name, conflict, tz_name) from None
            except booking_store.BookingError as error:
                raise InvalidBooking(str(error)) from None
            first = session.scalars(select(Occurrence).where(Occurrence.booking_id == booking.id)
                                    .options(selectinload(Occurrence.booking).selectinload(Booking.room))
                                    .order_by(Occurrence.starts_at).limit(1)).one()
            view = view_of(first)
        return Booked(view, next_instances(draft.starts_at, draft.recurrence, 5), passcode_problem=passcode_problem,
                      passcode_missing=meeting is not None and not passcode and not meeting.pwd_token
                      and not meeting.is_third_party,
                      default_duration=None if draft.duration_given else draft.duration)

    def precheck(self, draft: BookingDraft, *, tz_name: str, now: datetime | None = None) -> None:
        """The refusals a booking form shows beside its fields — an unknown room, a slot that overlaps another
        booking — from one short read (no write lock, nothing asked of Slack or Zoom), so the form can answer
        before it is acknowledged.  ``book`` checks all of it again, authoritatively, when it books."""
        now = now or utcnow()
        with session_scope(self.sessions) as session:
            room = room_store.find_room_or_unique_prefix(session, draft.room_text)
            if room is None:
                raise UnknownRoom(draft.room_text)
            rule = draft.recurrence.rule if draft.recurrence else None
            try:
                slots = booking_store.expand_slots(draft.starts_at, draft.duration, rule, tz_name,
                                                   until=now + booking_store.CONFLICT_CHECK_HORIZON)
            except booking_store.BookingError:
                return  # ``book`` words this one
            conflict = booking_store.find_conflict(session, room.id, slots)
            if conflict is not None:
                raise self._slot_taken(session, room.name, conflict, tz_name)

    @staticmethod
    def _slot_taken(session: Session, room_name: str, conflict: booking_store.BookingConflict,
                    tz_name: str) -> SlotTaken:
        other = booking_store.get_booking(session, conflict.booking_id) if conflict.booking_id else None
        return SlotTaken(room_name, conflict.starts_at, conflict.ends_at, tz_name, conflict.booking_id,
                         other.requester_user_id if other is not None else None)

    # ------------------------------------------------------------------------------------ listing

    def upcoming(self, *, room_text: str | None = None, user_id: str | None = None,
                 now: datetime | None = None, limit: int = UPCOMING_FETCHED) -> tuple[list[OccurrenceView], str | None]:
        """Upcoming occurrences (of one room, or booked by one user, or all) and the room's name."""
        with session_scope(self.sessions) as session:
            room_id = room_name = None
            if room_text:
                room = room_store.find_room_or_unique_prefix(session, room_text)
                if room is None:
                    raise UnknownRoom(room_text, tuple(room_store.suggest_rooms(session, room_text)))
                room_id, room_name = room.id, room.name
            rows = booking_store.upcoming_occurrences(session, room_id=room_id, requester_user_id=user_id, now=now,
                                                     limit=limit)
            return [view_of(row) for row in rows], room_name

    # ------------------------------------------------------------------------------------ cancelling

    def cancel(self, booking_id: int, *, user_id: str, is_admin: bool, occurrence_id: int | None = None,
               now: datetime | None = None) -> Cancelled:
        """Cancel a whole booking, or one occurrence of it; returns what was done."""
        now = now or utcnow()
        with session_scope(self.sessions, write_lock=True) as session:
            booking = booking_store.get_booking(session, booking_id)
            if booking is None:
                raise NoSuchBooking(booking_id)
            if not may_cancel(booking, user_id, is_admin):
                raise NotYourBooking(booking_id, booking.requester_user_id)
            room, tz_name = booking.room.name, booking.tz_name
            if booking.status is not BookingStatus.ACTIVE:
                raise BookingNotActive(booking_id, room, booking.status)
            if occurrence_id is not None and booking.rrule:
                occurrence = session.get(Occurrence, occurrence_id)
                if occurrence is None or occurrence.booking_id != booking_id:
                    raise OccurrenceGone()
                if not occurrences.skip(session, occurrence_id, reason=f"cancelled by <@{user_id}>", now=now):
                    raise OccurrenceNotCancellable(room, occurrence.starts_at, tz_name, occurrence.status)
                return Cancelled(booking_id, room, tz_name, occurrence_starts_at=occurrence.starts_at)
            count = booking_store.cancel_booking(session, booking, cancelled_by=user_id, now=now)
            running = session.scalar(select(Occurrence.id).where(Occurrence.booking_id == booking_id,
                                                                 Occurrence.status == OccurrenceStatus.CLAIMED))
        return Cancelled(booking_id, room, tz_name, removed=count, still_running=running is not None)


def parse_booking_id(text: str) -> int:
    cleaned = text.strip().lstrip("#")
    if not cleaned.isdigit():
        raise BadBookingId()
    return int(cleaned)
