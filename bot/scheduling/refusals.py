"""Why a booking operation said no, as data: a fixed ``code`` (fit for logs) and the facts the words need.

The words — mrkdwn, escaped, the same everywhere a refusal is shown — are the Slack layer's (its
``wording`` module of bookings).  Each refusal is its own exception class, so a caller can ``match`` on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from bot.store.types import BookingStatus, OccurrenceStatus


@dataclass(eq=False)
class BookingRefused(ValueError):
    """A booking, listing or cancellation that cannot be done; ``code`` says why in one fixed word."""

    code: ClassVar[str] = "booking_refused"

    def __post_init__(self) -> None:
        super().__init__(self.code)  # str() is the code: never the typed text, which may hold a passcode


@dataclass(eq=False)
class UnknownRoom(BookingRefused):
    code: ClassVar[str] = "unknown_room"
    typed: str  # what was typed, as typed
    suggestions: tuple[str, ...] | None = None  # room names close to it; None: not looked up


@dataclass(eq=False)
class RoomNotAllowed(BookingRefused):
    code: ClassVar[str] = "room_not_allowed"
    room_name: str


@dataclass(eq=False)
class SlotTaken(BookingRefused):
    """The slot (or one occurrence of the series) overlaps another booking of the room."""

    code: ClassVar[str] = "slot_taken"
    room_name: str
    starts_at: datetime  # the overlapping slot of the other booking
    ends_at: datetime
    tz_name: str  # the requester's zone, to say it in
    booking_id: int | None  # the booking in the way, when known
    booked_by: str | None  # its requester's Slack user id, when known


@dataclass(eq=False)
class InvalidBooking(BookingRefused):
    """The store refused the booking (too long, too far ahead, a rule it cannot expand)."""

    code: ClassVar[str] = "invalid_booking"
    reason: str  # the store's plain words (``bot.store.bookings.BookingError``)


@dataclass(eq=False)
class NoSuchBooking(BookingRefused):
    code: ClassVar[str] = "no_such_booking"
    booking_id: int


@dataclass(eq=False)
class NotYourBooking(BookingRefused):
    code: ClassVar[str] = "not_your_booking"
    booking_id: int
    requester_user_id: str


@dataclass(eq=False)
class BookingNotActive(BookingRefused):
    code: ClassVar[str] = "booking_not_active"
    booking_id: int
    room_name: str
    status: BookingStatus


@dataclass(eq=False)
class OccurrenceGone(BookingRefused):
    code: ClassVar[str] = "occurrence_gone"


@dataclass(eq=False)
class OccurrenceNotCancellable(BookingRefused):
    code: ClassVar[str] = "occurrence_not_cancellable"
    room_name: str
    starts_at: datetime
    tz_name: str
    status: OccurrenceStatus


@dataclass(eq=False)
class BadBookingId(BookingRefused):
    """`/room cancel` without a booking number."""

    code: ClassVar[str] = "bad_booking_id"
