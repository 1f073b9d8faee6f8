"""Slack ids of the booking surface that are not in ``bot.slack.ids`` (which holds the shared ones:
``ActionId.CANCEL_BOOKING``, ``CallbackId.BOOK_MODAL``, ``CallbackId.BOOK_ROOM_SHORTCUT``, the modal blocks)."""

from __future__ import annotations

from enum import StrEnum


class BookingActionId(StrEnum):
    CANCEL_OCCURRENCE = "cancel_occurrence"  # "Cancel this one" in /room bookings
    DISPATCH_NOW = "booking_dispatch_now"  # on a reminder: send the room now instead of at the start
    SKIP_OCCURRENCE = "booking_skip_occurrence"  # on a reminder: do not send the room this time
    TOPIC_INPUT = "booking_topic_input"  # booking modal: topic of a new meeting
    PASSCODE_INPUT = "booking_passcode_input"  # booking modal: passcode of an existing meeting


class BookingBlockId(StrEnum):
    TOPIC = "booking_topic"
    PASSCODE = "booking_passcode"
    CHANNEL = "booking_channel"
    REMINDER_ACTIONS = "booking_reminder_actions"
    CHANNEL_INPUT = "booking_channel_input"
