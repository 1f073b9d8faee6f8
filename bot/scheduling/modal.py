"""The "Book a room" global shortcut and its modal: the same booking as `/room book`, with pickers."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ContextBlock,
    ConversationSelectElement,
    DateTimePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.meetings import parse_meeting_reference
from bot.scheduling import messages
from bot.scheduling.commands import feature_of, user_time_zone
from bot.scheduling.ids import BookingActionId, BookingBlockId
from bot.scheduling.request import BookingDraft
from bot.scheduling.runner import NOT_POSTABLE, _with_note
from bot.scheduling.service import BookingRefused
from bot.scheduling.when import When, WhenError, first_start, parse_every, zone_of
from bot.slack.blocks import SlackMessage, error_message
from bot.slack.directory import directory_of
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.slack.lane import BUSY_TEXT, defer, deferred
from bot.slack.middleware import services_of
from bot.slack.rooms import render
from bot.store import rooms as room_store
from bot.store.db import DatabaseUnavailable, session_scope

log = logging.getLogger("bot.scheduling")
MAX_ROOM_OPTIONS = 100
DURATIONS = (("15 minutes", 15), ("30 minutes", 30), ("45 minutes", 45), ("1 hour", 60), ("1½ hours", 90),
             ("2 hours", 120))
REPEATS = (("Once", ""), ("Every day", "day"), ("Every weekday", "weekday"), ("Every week", "week"))


def room_select(room_names: list[str]) -> Any:
    """The modal's room select: every room in a static_select while they fit in Slack's 100 options, else an
    external_select searched as the user types (``booking_room_options``).  The value is the room's name,
    which ``submit_booking`` books by."""
    return render.room_picker([render.RoomView(0, name) for name in room_names], action_id=ActionId.ROOM_SELECT,
                              placeholder="Pick a room", value=_by_name)


def _by_name(room: render.RoomView) -> str:
    return room.name


def booking_room_options(ack: Ack, payload: dict, context: BoltContext) -> None:
    """Type-ahead of the room select (more than 100 rooms).  Slack wants the options in the ack, within 3
    seconds: not deferred, one short read of the stored rooms, no Zoom."""
    try:
        with session_scope(services_of(context).session_factory) as session:
            rooms = [render.RoomView(room.id, room.name, tuple(alias.alias for alias in room.aliases))
                     for room in room_store.list_rooms(session)]
    except DatabaseUnavailable as error:
        log.warning("no room options for the booking modal: %s", error)
        ack(options=[])
        return
    ack(**render.room_options(rooms, str(payload.get("value") or ""), _by_name))


def booking_view(room_names: list[str], *, now: datetime) -> View:
    start = int((now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0).timestamp())
    return View(type="modal", callback_id=CallbackId.BOOK_MODAL, title="Book a room", submit="Book", close="Cancel",
                blocks=[
                    InputBlock(block_id=BlockId.ROOM, label="Room", element=room_select(room_names),
                               hint=render.search_hint(len(room_names))),
                    InputBlock(block_id=BlockId.START, label="Starts",
                               element=DateTimePickerElement(action_id=ActionId.START_PICKER, initial_date_time=start)),
                    InputBlock(block_id=BlockId.MEETING, label="Meeting", hint="A Zoom link, a meeting ID, or “new” "
                               "for a new meeting the room can join", element=PlainTextInputElement(
                                   action_id=ActionId.MEETING_INPUT, placeholder="https://zoom.us/j/… or new")),
                    InputBlock(block_id=BookingBlockId.PASSCODE, label="Passcode", optional=True,
                               hint="Only you and Zoom see it; it is stored encrypted.",
                               element=PlainTextInputElement(action_id=BookingActionId.PASSCODE_INPUT, max_length=64)),
                    InputBlock(block_id=BlockId.DURATION, label="For", element=StaticSelectElement(
                        action_id=ActionId.DURATION_SELECT,
                        options=[Option(text=text, value=str(minutes)) for text, minutes in DURATIONS],
                        initial_option=Option(text=DURATIONS[1][0], value=str(DURATIONS[1][1])))),
                    InputBlock(block_id=BlockId.REPEAT, label="Repeat", element=StaticSelectElement(
                        action_id=ActionId.REPEAT_SELECT,
                        options=[Option(text=text, value=value or "once") for text, value in REPEATS],
                        initial_option=Option(text=REPEATS[0][0], value="once"))),
                    InputBlock(block_id=BookingBlockId.CHANNEL, label="Post the reminder and result in",
                               element=ConversationSelectElement(
                                   action_id=BookingBlockId.CHANNEL_INPUT, default_to_current_conversation=True)),
                ])


def open_booking_modal(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    services = services_of(context)
    with session_scope(services.session_factory) as session:
        names = [room.name for room in room_store.list_rooms(session)]
    view = booking_view(names, now=services.clock())
    # The submission is checked before it is acknowledged, without asking Slack anything: carry the booker's
    # time zone in the form (looked up now, while the modal opens in the listener lane).
    view.private_metadata = json.dumps({"tz": user_time_zone(client, body["user"]["id"])[0]})
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _value(values: dict[str, Any], block: str, action: str) -> Any:
    item = (values.get(block) or {}).get(action) or {}
    if "selected_option" in item:
        return (item.get("selected_option") or {}).get("value")
    for key in ("value", "selected_date_time", "selected_conversation", "selected_channel"):
        if key in item:
            return item[key]
    return None


def submit_booking(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """Check the form and answer with its errors, or close it at once.  Before the ack nothing asks Slack or Zoom
    and the store is only read (``precheck``: unknown room, overlap); the booking itself is made in the
    listener lane and its confirmation — or a refusal found only then — goes to the booker."""
    services = services_of(context)
    user_id = body["user"]["id"]
    values = body["view"]["state"]["values"]
    tz_name = _form_time_zone(body["view"])
    now = services.clock()
    errors: dict[str, str] = {}
    room = _value(values, BlockId.ROOM, ActionId.ROOM_SELECT) or ""
    stamp = _value(values, BlockId.START, ActionId.START_PICKER)
    meeting_text = (_value(values, BlockId.MEETING, ActionId.MEETING_INPUT) or "").strip()
    passcode = (_value(values, BookingBlockId.PASSCODE, BookingActionId.PASSCODE_INPUT) or "").strip() or None
    minutes = int(_value(values, BlockId.DURATION, ActionId.DURATION_SELECT) or 30)
    repeat = _value(values, BlockId.REPEAT, ActionId.REPEAT_SELECT) or "once"
    channel = _value(values, BookingBlockId.CHANNEL, BookingBlockId.CHANNEL_INPUT)
    meeting = None
    if meeting_text.lower() != "new":
        meeting = parse_meeting_reference(meeting_text, trailing_passcode=False)
        if not meeting.is_valid or not meeting.meeting_id:
            errors[BlockId.MEETING] = meeting.reason or "Paste a Zoom link or meeting ID, or write new."
        passcode = passcode or meeting.passcode
    elif passcode:
        errors[BookingBlockId.PASSCODE] = "New meetings get a passcode from roombot; leave this empty."
    recurrence = parse_every(repeat) if repeat != "once" else None
    starts_at = None
    if stamp is None:
        errors[BlockId.START] = "Pick when the room should join."
    else:
        local = datetime.fromtimestamp(int(stamp), UTC).astimezone(zone_of(tz_name))
        try:
            starts_at = first_start(When(local, True), recurrence, now=now)
        except WhenError as error:
            errors[BlockId.START] = str(error).replace("`", "")
    draft = None
    if not errors and starts_at is not None:  # starts_at stays None only with an error on the START block
        draft = BookingDraft(room, starts_at, timedelta(minutes=minutes), recurrence, meeting, passcode,
                             duration_given=True)
        try:
            feature_of(services).bookings.precheck(draft, tz_name=tz_name, now=now)
        except BookingRefused as refused:
            errors[BlockId.START] = _plain(str(refused))
        except DatabaseUnavailable:
            pass  # the booking below says so
    if errors or draft is None:
        ack(response_action="errors", errors=errors)
        return
    ack()

    def book() -> None:
        try:
            groups = directory_of(services).usergroups_of(client, user_id)
            booked = feature_of(services).bookings.book(draft, user_id=user_id, channel_id=channel,
                                                        tz_name=tz_name, usergroup_ids=groups, now=now)
        except BookingRefused as refused:
            _tell_booker(client, user_id, channel, error_message(
                f"{refused} Nothing was booked; use “Book a room” again."))
            return
        except DatabaseUnavailable as error:
            log.warning("a booking from the modal failed: %s", type(error).__name__)
            _tell_booker(client, user_id, channel, error_message(
                "roombot cannot reach its database right now, so nothing was booked. Try again in a minute."))
            return
        _tell_booker(client, user_id, channel, messages.booked_message(booked.view, booked.upcoming, booked.notes))

    if not defer(context, book):
        _tell_booker(client, user_id, channel, error_message(BUSY_TEXT))


def _form_time_zone(view: dict[str, Any]) -> str:
    try:
        metadata = json.loads(str(view.get("private_metadata") or "{}"))
    except ValueError:
        metadata = {}
    tz_name = metadata.get("tz") if isinstance(metadata, dict) else None
    return tz_name if isinstance(tz_name, str) and tz_name else "UTC"


def _tell_booker(client: WebClient, user_id: str, channel: str | None, message: SlackMessage) -> None:
    """Ephemeral in the booking's channel; a direct message when the bot cannot post there (a private channel
    it is not in), saying so."""
    if channel:
        try:
            client.chat_postEphemeral(channel=channel, user=user_id, **message.as_kwargs())
            return
        except SlackApiError as error:
            code = str(error.response.get("error"))
            log.info("could not answer a booking in its channel: %s", code)
            if code in NOT_POSTABLE:
                message = _with_note(message, ContextBlock(elements=[MarkdownTextObject(
                    text=f"I cannot post in <#{channel}> (Slack said `{code}`): invite me there (`/invite "
                         "@roombot`), or the booking's reminders and results come to you here instead.")]))
    try:
        client.chat_postMessage(channel=user_id, **message.as_kwargs())
    except SlackApiError as error:
        log.warning("could not answer a booking at all: %s", error.response.get("error"))


def _plain(mrkdwn: str) -> str:
    return mrkdwn.replace("*", "").replace("`", "")[:150]


def register(app: App) -> None:
    app.shortcut(CallbackId.BOOK_ROOM_SHORTCUT)(deferred(open_booking_modal))
    app.view(CallbackId.BOOK_MODAL)(submit_booking)
    app.options(ActionId.ROOM_SELECT, matchers=[_in_booking_modal])(booking_room_options)


def _in_booking_modal(body: dict) -> bool:
    return str((body.get("view") or {}).get("callback_id") or "") == CallbackId.BOOK_MODAL
