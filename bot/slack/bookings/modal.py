"""The "Book a room" global shortcut and its modal: the same booking as `/room book`, with pickers."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject

from bot.meetings import MeetingReference, parse_meeting_reference
from bot.scheduling.refusals import BookingRefused
from bot.scheduling.request import BookingDraft
from bot.scheduling.when import Recurrence, When, WhenError, first_start, parse_every, zone_of
from bot.slack.blocks import SlackMessage, error_message
from bot.slack.bookings import messages, wording
from bot.slack.bookings.feature import BookingsFeature, feature_of, user_time_zone
from bot.slack.bookings.messages import booking_view, by_name
from bot.slack.bookings.notifier import NOT_POSTABLE, with_note
from bot.slack.directory import directory_of
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.slack.lane import BUSY_TEXT, defer, deferred
from bot.slack.middleware import services_of
from bot.slack.rooms import room_list
from bot.store import rooms as room_store
from bot.store.db import DatabaseUnavailable, session_scope

__all__ = ["booking_room_options", "booking_view", "open_booking_modal", "register", "submit_booking"]

log = logging.getLogger(__name__)

FormValues = dict[str, Any]  # view.state.values: block id -> action id -> the element's state


def booking_room_options(ack: Ack, payload: dict, context: BoltContext) -> None:
    """Type-ahead of the room select (more than 100 rooms).  Slack wants the options in the ack, within 3
    seconds: not deferred, one short read of the stored rooms, no Zoom."""
    try:
        with session_scope(services_of(context).sessions()) as session:
            rooms = [room_list.RoomView(room.id, room.name, tuple(alias.alias for alias in room.aliases))
                     for room in room_store.list_rooms(session)]
    except DatabaseUnavailable as error:
        log.warning("no room options for the booking modal: %s", error)
        ack(options=[])
        return
    ack(**room_list.room_options(rooms, str(payload.get("value") or ""), by_name))


def open_booking_modal(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    services = services_of(context)
    with session_scope(services.sessions()) as session:
        names = [room.name for room in room_store.list_rooms(session)]
    view = booking_view(names, now=services.clock())
    # The submission is checked before it is acknowledged, without asking Slack anything: carry the booker's
    # time zone in the form (looked up now, while the modal opens in the listener lane).
    view.private_metadata = json.dumps({"tz": user_time_zone(client, body["user"]["id"])[0]})
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _value(values: FormValues, block: str, action: str) -> Any:
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
    channel = _value(values, BlockId.BOOKING_CHANNEL, ActionId.BOOKING_CHANNEL_INPUT)
    draft, errors = _read_form(values, tz_name=tz_name, now=now)
    if draft is not None:
        errors.update(_precheck(feature_of(services), draft, tz_name=tz_name, now=now))
    if errors or draft is None:
        ack(response_action="errors", errors=errors)
        return
    ack()
    booking = draft

    def book() -> None:
        try:
            groups = directory_of(services).usergroups_of(client, user_id)
            booked = feature_of(services).service.book(booking, user_id=user_id, channel_id=channel,
                                                       tz_name=tz_name, usergroup_ids=groups, now=now)
        except BookingRefused as refused:
            _tell_booker(client, user_id, channel, error_message(
                f"{wording.refusal_text(refused)} Nothing was booked; use “Book a room” again."))
            return
        except DatabaseUnavailable as error:
            log.warning("a booking from the modal failed: %s", type(error).__name__)
            _tell_booker(client, user_id, channel, error_message(
                "roombot cannot reach its database right now, so nothing was booked. Try again in a minute."))
            return
        _tell_booker(client, user_id, channel,
                     messages.booked_message(booked.view, booked.upcoming, wording.booked_notes(booked)))

    if not defer(context, book):
        _tell_booker(client, user_id, channel, error_message(BUSY_TEXT))


def _read_form(values: FormValues, *, tz_name: str, now: datetime) -> tuple[BookingDraft | None, dict[str, str]]:
    """The booking the form asks for, or None, and the errors to show beside its fields (pure)."""
    errors: dict[str, str] = {}
    room = _value(values, BlockId.ROOM, ActionId.ROOM_SELECT) or ""
    duration = _value(values, BlockId.DURATION, ActionId.DURATION_SELECT) or "30"
    repeat = _value(values, BlockId.REPEAT, ActionId.REPEAT_SELECT) or ""
    # Only the form's own options: anything else is a form from an older version (or not from Slack).
    if duration not in {str(value) for _, value in messages.DURATIONS}:
        errors[BlockId.DURATION] = "Choose one of the listed durations."
    if repeat not in {value for _, value in messages.REPEATS} | {"once"}:
        errors[BlockId.REPEAT] = "Choose one of the listed repeats."
        repeat = ""
    minutes = int(duration) if duration.isdigit() else 30
    meeting, passcode = _read_meeting(values, errors)
    recurrence = parse_every(repeat) if repeat not in ("", "once") else None
    starts_at = _read_start(values, recurrence, tz_name=tz_name, now=now, errors=errors)
    if errors or starts_at is None:  # starts_at stays None only with an error on the START block
        return None, errors
    return BookingDraft(room, starts_at, timedelta(minutes=minutes), recurrence, meeting, passcode,
                        duration_given=True), errors


def _read_meeting(values: FormValues, errors: dict[str, str]) -> tuple[MeetingReference | None, str | None]:
    """The meeting (None: `new`) and the passcode, from the Meeting and Passcode fields."""
    meeting_text = (_value(values, BlockId.MEETING, ActionId.MEETING_INPUT) or "").strip()
    passcode = (_value(values, BlockId.BOOKING_PASSCODE, ActionId.BOOKING_PASSCODE_INPUT) or "").strip() or None
    if meeting_text.lower() == "new":
        if passcode:
            errors[BlockId.BOOKING_PASSCODE] = "New meetings get a passcode from roombot; leave this empty."
        return None, passcode
    meeting = parse_meeting_reference(meeting_text, trailing_passcode=False)
    if not meeting.is_valid or not (meeting.meeting_id or meeting.is_third_party):
        errors[BlockId.MEETING] = meeting.reason or "Paste a Zoom link or meeting ID, or write new."
    return meeting, passcode or meeting.passcode


def _read_start(values: FormValues, recurrence: Recurrence | None, *, tz_name: str, now: datetime,
                errors: dict[str, str]) -> datetime | None:
    """The first start, from the date-time picker read on the booker's clock."""
    stamp = _value(values, BlockId.START, ActionId.START_PICKER)
    if stamp is None:
        errors[BlockId.START] = "Pick when the room should join."
        return None
    local = datetime.fromtimestamp(int(stamp), UTC).astimezone(zone_of(tz_name))
    try:
        return first_start(When(local, True), recurrence, now=now)
    except WhenError as error:
        errors[BlockId.START] = str(error).replace("`", "")
        return None


def _precheck(feature: BookingsFeature, draft: BookingDraft, *, tz_name: str, now: datetime) -> dict[str, str]:
    """What the store already refuses (an unknown room, an overlap), beside the start; nothing when it is down."""
    try:
        feature.service.precheck(draft, tz_name=tz_name, now=now)
    except BookingRefused as refused:
        return {BlockId.START: _plain(wording.refusal_text(refused))}
    except DatabaseUnavailable:
        pass  # the booking itself says so
    return {}


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
                message = with_note(message, ContextBlock(elements=[MarkdownTextObject(
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
