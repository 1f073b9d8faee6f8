"""Every Slack identifier roombot uses, in one place.

Block Kit builders put these ids on buttons, inputs and views; listeners are registered on the same
constants, so a renamed id cannot silently disconnect a button from its handler.  The shortcut callback
ids, and the workflow step's callback id and parameter names, must also match ``manifest.yml`` (checked by
tests/slack/test_manifest.py).

They are ``StrEnum`` members: they compare equal to (and serialise as) their plain string values.
"""

from __future__ import annotations

from enum import StrEnum

SLASH_COMMAND = "/room"


class ActionId(StrEnum):
    """``action_id`` of interactive elements (buttons, inputs)."""

    # Buttons on rooms and results
    JOIN_MEETING = "join_meeting"  # "Join a meeting…" on a room in /room list
    NEW_MEETING = "new_meeting"  # create a meeting and send the room into it
    LEAVE = "leave"
    RETRY = "retry"
    REPAIR_PASSCODE = "repair_passcode"  # replace an incompatible passcode (host or admin only)
    JOIN_ANYWAY = "join_anyway"  # room busy: join with force_accept
    ENTER_PASSCODE = "enter_passcode"  # opens the passcode modal
    JOIN_WITHOUT_PASSCODE = "join_without_passcode"
    CANCEL_BOOKING = "cancel_booking"  # "Cancel" / "Cancel the whole series" in /room bookings
    CANCEL_OCCURRENCE = "cancel_occurrence"  # "Cancel this one" in /room bookings
    DISPATCH_NOW = "booking_dispatch_now"  # on a reminder: send the room now instead of at the start
    SKIP_OCCURRENCE = "booking_skip_occurrence"  # on a reminder: do not send the room this time
    LIST_PREVIOUS = "rooms_list_previous"  # /room list: the previous page of rooms
    LIST_NEXT = "rooms_list_next"  # /room list: the next page of rooms
    # Inputs inside modals
    PASSCODE_INPUT = "passcode_input"
    ROOM_SELECT = "room_select"  # a static_select, or an external_select answered by app.options when >100 rooms
    MEETING_INPUT = "meeting_input"
    START_PICKER = "start_picker"
    DURATION_SELECT = "duration_select"
    REPEAT_SELECT = "repeat_select"
    BOOKING_TOPIC_INPUT = "booking_topic_input"  # booking modal: topic of a new meeting
    BOOKING_PASSCODE_INPUT = "booking_passcode_input"  # booking modal: passcode of an existing meeting
    BOOKING_CHANNEL_INPUT = "booking_channel_input"  # booking modal: where reminders and results go


class CallbackId(StrEnum):
    """``callback_id`` of modals and shortcuts."""

    PASSCODE_MODAL = "passcode_modal"
    BOOK_MODAL = "book_modal"
    SEND_ROOM_MODAL = "send_room_modal"  # opened by the message shortcut to pick the room
    JOIN_MEETING_MODAL = "join_meeting_modal"  # "Join a meeting…" on a room in /room list: link/id + passcode
    SEND_ROOM_SHORTCUT = "send_room_shortcut"  # message shortcut "Send a room to meeting"
    BOOK_ROOM_SHORTCUT = "book_room_shortcut"  # global shortcut "Book a room"


class BlockId(StrEnum):
    """``block_id`` of blocks whose values listeners read back (modal inputs, result cards)."""

    PASSCODE = "passcode"
    ROOM = "room"
    MEETING = "meeting"
    START = "start"
    DURATION = "duration"
    REPEAT = "repeat"
    RESULT_ACTIONS = "result_actions"
    LIST_PAGES = "rooms_list_pages"  # /room list: Previous / Next
    HELP = "help"
    ERROR = "error"
    # Bookings
    BOOKING_TOPIC = "booking_topic"
    BOOKING_PASSCODE = "booking_passcode"
    BOOKING_CHANNEL = "booking_channel"
    REMINDER_ACTIONS = "booking_reminder_actions"  # Dispatch now / Skip on a reminder


class FunctionId(StrEnum):
    """``callback_id`` of custom Workflow Builder steps: the keys of ``functions`` in ``manifest.yml``
    (checked by tests/slack/test_manifest.py).  Renaming one removes the step from every workflow using it."""

    SEND_ROOM_STEP = "send_room_to_meeting"  # "Send a Zoom Room to a meeting"


class StepInput(StrEnum):
    """Input parameters of the "Send a Zoom Room to a meeting" step (``input_parameters`` in the manifest)."""

    ROOM = "room"
    MEETING = "meeting"  # link, meeting ID or invitation
    PASSCODE = "passcode"  # optional; never echoed in outputs, errors or logs
    REQUESTED_BY = "requested_by"  # a user id: whose request it is (access rules, audit trail)


class StepOutput(StrEnum):
    """Output parameters of the "Send a Zoom Room to a meeting" step (``output_parameters`` in the manifest)."""

    OUTCOME = "outcome"  # a ResultKind value: "in_meeting" when the step completes
    MEETING_NUMBER = "meeting_number"
    ROOM_STATUS = "room_status"  # the room's status in Zoom when it was last seen, e.g. "InMeeting"
