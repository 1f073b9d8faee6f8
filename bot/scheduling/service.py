"""Booking operations behind `/room book`, `/room bookings`, `/room cancel`, the modal, the buttons and App Home.

Every refusal is a :class:`BookingRefused` whose text is fit for Slack; nothing here posts to Slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.meetings import quote_typed, rooms_compatibility
from bot.scheduling.messages import UPCOMING_FETCHED, OccurrenceView
from bot.scheduling.request import BookingDraft
from bot.scheduling.runner import view_of
from bot.scheduling.when import describe, next_instances
from bot.slack.blocks import escape_mrkdwn
from bot.store import bookings as booking_store
from bot.store import occurrences
from bot.store import rooms as room_store
from bot.store.db import session_scope
from bot.store.models import Booking, Occurrence
from bot.store.types import BookingStatus, MeetingMode, OccurrenceStatus, utcnow


class BookingRefused(ValueError):
    """``str()`` is mrkdwn for the requester."""


@dataclass(frozen=True)
class Booked:
    view: OccurrenceView  # the first occurrence
    upcoming: list[datetime]
    notes: list[str]


def may_cancel(booking: Booking, user_id: str, is_admin: bool) -> bool:
    return is_admin or booking.requester_user_id == user_id


class BookingService:
    def __init__(self, services: Any) -> None:
        self.sessions = services.session_factory
        self.secret_box = services.secret_box
        self.zoom = services.zoom

    def is_room(self, text: str) -> bool:
        with session_scope(self.sessions) as session:
            return room_store.find_room_or_unique_prefix(session, text) is not None

    def book(self, draft: BookingDraft, *, user_id: str, channel_id: str | None, tz_name: str,
             usergroup_ids: tuple[str, ...] = (), now: datetime | None = None) -> Booked:
        now = now or utcnow()
        notes: list[str] = []
        passcode = draft.passcode
        if passcode and not rooms_compatibility(passcode).ok:
            notes.append(escape_mrkdwn(rooms_compatibility(passcode).reason or "") +
                         " If the room stalls on a passcode prompt, book again with a passcode it can type.")
        if draft.meeting is not None and not passcode and not draft.meeting.pwd_token:
            notes.append("No passcode given: if the meeting is not on the bot's Zoom account and has one, "
                         "cancel and book again with the passcode after the meeting ID.")
        if not draft.duration_given:
            minutes = int(draft.duration.total_seconds() // 60)
            notes.append(f"Booked for {minutes} minutes; add `for 1h` to change that.")
        meeting = draft.meeting
        # On SQLite the overlap check and the insert must hold the write lock together (docs/store.md).
        with session_scope(self.sessions, write_lock=True) as session:
            room = room_store.find_room_or_unique_prefix(session, draft.room_text)
            if room is None:
                suggestions = room_store.suggest_rooms(session, draft.room_text)
                hint = f" Did you mean {' or '.join(f'*{escape_mrkdwn(s)}*' for s in suggestions)}?" if suggestions \
                    else " `/room list` shows the rooms."
                raise BookingRefused(f"There is no room called “{escape_mrkdwn(quote_typed(draft.room_text))}”.{hint}")
            if not room_store.is_dispatch_allowed(session, room, user_id=user_id, channel_id=channel_id,
                                                  usergroup_ids=usergroup_ids):
                raise BookingRefused(f"*{escape_mrkdwn(room.name)}* is not available to you here; ask an admin "
                                     "(`/room allow`) if you need it.")
            try:
                booking = booking_store.create_booking(
                    session, room=room, requester_user_id=user_id, channel_id=channel_id, tz_name=tz_name,
                    starts_at=draft.starts_at, duration=draft.duration,
                    meeting_mode=MeetingMode.NEW if meeting is None else MeetingMode.LINK,
                    rrule=draft.recurrence.rule if draft.recurrence else None,
                    meeting_id=meeting.meeting_id if meeting else None,
                    personal_link=meeting.personal_link if meeting else None,
                    pwd_token=self.secret_box.seal(meeting.pwd_token) if meeting and meeting.pwd_token else None,
                    passcode=self.secret_box.seal(passcode) if passcode else None,
                    topic=f"{room.name} meeting" if meeting is None else None, now=now)
            except booking_store.BookingConflict as conflict:
                raise BookingRefused(self._conflict_words(session, room.name, conflict, tz_name)) from None
            except booking_store.BookingError as error:
                raise BookingRefused(escape_mrkdwn(str(error)[:1].upper() + str(error)[1:]) + ".") from None
            first = session.scalars(select(Occurrence).where(Occurrence.booking_id == booking.id)
                                    .options(selectinload(Occurrence.booking).selectinload(Booking.room))
                                    .order_by(Occurrence.starts_at).limit(1)).one()
            view = view_of(first)
        return Booked(view, next_instances(draft.starts_at, draft.recurrence, 5), notes)

    def precheck(self, draft: BookingDraft, *, tz_name: str, now: datetime | None = None) -> None:
        """The refusals a booking form shows beside its fields — an unknown room, a slot that overlaps another
        booking — from one short read (no write lock, nothing asked of Slack or Zoom), so the form can answer
        before it is acknowledged.  ``book`` checks all of it again, authoritatively, when it books."""
        now = now or utcnow()
        with session_scope(self.sessions) as session:
            room = room_store.find_room_or_unique_prefix(session, draft.room_text)
            if room is None:
                raise BookingRefused(f"There is no room called “{escape_mrkdwn(quote_typed(draft.room_text))}”.")
            rule = draft.recurrence.rule if draft.recurrence else None
            try:
                slots = booking_store.expand_slots(draft.starts_at, draft.duration, rule, tz_name,
                                                   until=now + booking_store.CONFLICT_CHECK_HORIZON)
            except booking_store.BookingError:
                return  # ``book`` words this one
            conflict = booking_store.find_conflict(session, room.id, slots)
            if conflict is not None:
                raise BookingRefused(self._conflict_words(session, room.name, conflict, tz_name))

    @staticmethod
    def _conflict_words(session: Any, room_name: str, conflict: booking_store.BookingConflict, tz_name: str) -> str:
        other = booking_store.get_booking(session, conflict.booking_id) if conflict.booking_id else None
        when = f"{describe(conflict.starts_at, tz_name)}–{describe(conflict.ends_at, tz_name)[-5:]} ({tz_name})"
        who = f" by <@{other.requester_user_id}>" if other is not None else ""
        name = f"booking #{conflict.booking_id}" if conflict.booking_id else "another booking"
        return (f"*{escape_mrkdwn(room_name)}* is already booked {when}{who} ({name}), which overlaps. "
                f"Pick another time or room, or ask them to `/room cancel {conflict.booking_id or ''}`.".rstrip())

    # ------------------------------------------------------------------------------------ listing

    def upcoming(self, *, room_text: str | None = None, user_id: str | None = None,
                 now: datetime | None = None, limit: int = UPCOMING_FETCHED) -> tuple[list[OccurrenceView], str | None]:
        """Upcoming occurrences (of one room, or booked by one user, or all) and the room's name."""
        with session_scope(self.sessions) as session:
            room_id = room_name = None
            if room_text:
                room = room_store.find_room_or_unique_prefix(session, room_text)
                if room is None:
                    suggestions = room_store.suggest_rooms(session, room_text)
                    hint = f" Did you mean {' or '.join(suggestions)}?" if suggestions else ""
                    raise BookingRefused(f"There is no room called “{escape_mrkdwn(quote_typed(room_text))}”."
                                         f"{escape_mrkdwn(hint)}")
                room_id, room_name = room.id, room.name
            rows = booking_store.upcoming_occurrences(session, room_id=room_id, requester_user_id=user_id, now=now,
                                                     limit=limit)
            return [view_of(row) for row in rows], room_name

    # ------------------------------------------------------------------------------------ cancelling

    def cancel(self, booking_id: int, *, user_id: str, is_admin: bool, occurrence_id: int | None = None,
               now: datetime | None = None) -> str:
        """Cancel a whole booking, or one occurrence of it; returns what happened in words."""
        now = now or utcnow()
        with session_scope(self.sessions, write_lock=True) as session:
            booking = booking_store.get_booking(session, booking_id)
            if booking is None:
                raise BookingRefused(f"There is no booking #{booking_id}. `/room bookings mine` lists yours.")
            if not may_cancel(booking, user_id, is_admin):
                raise BookingRefused(f"Booking #{booking_id} is <@{booking.requester_user_id}>'s; only they or a "
                                     "roombot admin can cancel it.")
            room = escape_mrkdwn(booking.room.name)
            if booking.status is not BookingStatus.ACTIVE:
                raise BookingRefused(f"Booking #{booking_id} ({room}) is already {booking.status.value}.")
            if occurrence_id is not None and booking.rrule:
                occurrence = session.get(Occurrence, occurrence_id)
                if occurrence is None or occurrence.booking_id != booking_id:
                    raise BookingRefused("That occurrence no longer exists.")
                if not occurrences.skip(session, occurrence_id, reason=f"cancelled by <@{user_id}>", now=now):
                    raise BookingRefused(f"{room} at {describe(occurrence.starts_at, booking.tz_name)} is already "
                                         f"{occurrence.status.value}; it cannot be cancelled now.")
                return (f":wastebasket: Cancelled {room} on {describe(occurrence.starts_at, booking.tz_name)} "
                        f"({booking.tz_name}); the rest of booking #{booking_id} stays.")
            count = booking_store.cancel_booking(session, booking, cancelled_by=user_id, now=now)
            running = session.scalar(select(Occurrence.id).where(Occurrence.booking_id == booking_id,
                                                                 Occurrence.status == OccurrenceStatus.CLAIMED))
        tail = " One occurrence is being dispatched right now and will finish." if running else ""
        plural = "occurrence" if count == 1 else "occurrences"
        return f":wastebasket: Cancelled booking #{booking_id} ({room}): {count} upcoming {plural} removed.{tail}"


def parse_booking_id(text: str) -> int:
    cleaned = text.strip().lstrip("#")
    if not cleaned.isdigit():
        raise BookingRefused("Say which booking: `/room cancel 12` (the number from `/room bookings mine`).")
    return int(cleaned)
