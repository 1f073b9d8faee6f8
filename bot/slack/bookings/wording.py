"""The words of bookings in Slack: refusals, the notes of a booking, what a cancellation did, what became of a
reminder.  mrkdwn; every name that came from a user or from Zoom is escaped."""

from __future__ import annotations

from bot.meetings import quote_typed
from bot.scheduling.ports import ReminderOutcome
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
from bot.scheduling.service import Booked, Cancelled
from bot.scheduling.when import describe
from bot.slack.blocks import escape_mrkdwn
from bot.slack.errors import UserFacingError

REMINDER_OUTCOMES = {
    ReminderOutcome.SENT: "— sent.",
    ReminderOutcome.FAILED: "— did not work; see below.",
    ReminderOutcome.MISSED: "— missed.",
}
UNKNOWN_TIME_ZONE = "I could not read your time zone from Slack, so I used UTC."


def refused(refusal: BookingRefused, *, listing: bool = False) -> UserFacingError:
    """``refusal`` for the central error path (its code goes to the log, its words to the requester)."""
    return UserFacingError(refusal_text(refusal, listing=listing), code=refusal.code)


def refusal_text(refusal: BookingRefused, *, listing: bool = False) -> str:
    """Why it was refused, in mrkdwn.  ``listing``: the refusal of `/room bookings <room>` (no `/room list` hint)."""
    match refusal:
        case UnknownRoom():
            return _unknown_room(refusal, listing=listing)
        case RoomNotAllowed():
            return (f"*{escape_mrkdwn(refusal.room_name)}* is not available to you here; ask an admin "
                    "(`/room allow`) if you need it.")
        case SlotTaken():
            return _slot_taken(refusal)
        case InvalidBooking():
            return escape_mrkdwn(refusal.reason[:1].upper() + refusal.reason[1:]) + "."
        case NoSuchBooking():
            return f"There is no booking #{refusal.booking_id}. `/room bookings mine` lists yours."
        case NotYourBooking():
            return (f"Booking #{refusal.booking_id} is <@{refusal.requester_user_id}>'s; only they or a roombot admin "
                    "can cancel it.")
        case BookingNotActive():
            return (f"Booking #{refusal.booking_id} ({escape_mrkdwn(refusal.room_name)}) is already "
                    f"{refusal.status.value}.")
        case OccurrenceGone():
            return "That occurrence no longer exists."
        case OccurrenceNotCancellable():
            return (f"{escape_mrkdwn(refusal.room_name)} at {describe(refusal.starts_at, refusal.tz_name)} is already "
                    f"{refusal.status.value}; it cannot be cancelled now.")
        case BadBookingId():
            return "Say which booking: `/room cancel 12` (the number from `/room bookings mine`)."
    return "That booking cannot be changed like that."  # a refusal added to the domain without words here


def _unknown_room(refusal: UnknownRoom, *, listing: bool) -> str:
    text = f"There is no room called “{escape_mrkdwn(quote_typed(refusal.typed))}”."
    suggestions = refusal.suggestions
    if suggestions is None:  # not looked up (the booking form's quick check)
        return text
    if listing:
        return text + (escape_mrkdwn(f" Did you mean {' or '.join(suggestions)}?") if suggestions else "")
    if suggestions:
        return text + f" Did you mean {' or '.join(f'*{escape_mrkdwn(name)}*' for name in suggestions)}?"
    return text + " `/room list` shows the rooms."


def _slot_taken(refusal: SlotTaken) -> str:
    tz_name = refusal.tz_name
    when = f"{describe(refusal.starts_at, tz_name)}–{describe(refusal.ends_at, tz_name)[-5:]} ({tz_name})"
    who = f" by <@{refusal.booked_by}>" if refusal.booked_by is not None else ""
    name = f"booking #{refusal.booking_id}" if refusal.booking_id else "another booking"
    return (f"*{escape_mrkdwn(refusal.room_name)}* is already booked {when}{who} ({name}), which overlaps. "
            f"Pick another time or room, or ask them to `/room cancel {refusal.booking_id or ''}`.".rstrip())


def booked_notes(booked: Booked) -> list[str]:
    """What the booker should know about a booking just made (mrkdwn, one note each)."""
    notes: list[str] = []
    if booked.passcode_problem is not None:
        notes.append(escape_mrkdwn(booked.passcode_problem) +
                     " If the room stalls on a passcode prompt, book again with a passcode it can type.")
    if booked.passcode_missing:
        notes.append("No passcode given: if the meeting is not on the bot's Zoom account and has one, "
                     "cancel and book again with the passcode after the meeting ID.")
    if booked.default_duration is not None:
        minutes = int(booked.default_duration.total_seconds() // 60)
        notes.append(f"Booked for {minutes} minutes; add `for 1h` to change that.")
    return notes


def cancelled(done: Cancelled) -> str:
    room = escape_mrkdwn(done.room_name)
    if done.occurrence_starts_at is not None:
        return (f":wastebasket: Cancelled {room} on {describe(done.occurrence_starts_at, done.tz_name)} "
                f"({done.tz_name}); the rest of booking #{done.booking_id} stays.")
    tail = " One occurrence is being dispatched right now and will finish." if done.still_running else ""
    plural = "occurrence" if done.removed == 1 else "occurrences"
    return (f":wastebasket: Cancelled booking #{done.booking_id} ({room}): {done.removed} upcoming {plural} "
            f"removed.{tail}")
