"""Slack surface of bookings: `/room book|bookings|cancel`, Cancel buttons, and the reminder's buttons."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.scheduling import messages
from bot.scheduling.ids import BookingActionId
from bot.scheduling.request import BookRequestError, parse_book_args
from bot.scheduling.runner import Job, OccurrenceRunner, SlackPoster, view_of
from bot.scheduling.service import BookingRefused, BookingService, may_cancel, parse_booking_id
from bot.scheduling.when import WhenError
from bot.slack.blocks import SlackMessage, error_message
from bot.slack.directory import directory_of
from bot.slack.errors import UserFacingError
from bot.slack.ids import ActionId
from bot.slack.lane import deferred
from bot.slack.middleware import services_of, settings_of
from bot.slack.subcommands import SubcommandRequest
from bot.store import occurrences
from bot.store.db import session_scope
from bot.store.models import Occurrence
from bot.store.types import OccurrenceStatus

log = logging.getLogger("bot.scheduling")
DEFAULT_TZ = "UTC"


class SchedulingFeature:
    """What the booking listeners share; installed on ``services.scheduling``."""

    def __init__(self, services: Any) -> None:
        self.services = services
        self.bookings = BookingService(services)
        self._runner: OccurrenceRunner | None = None

    def runner(self) -> OccurrenceRunner:
        """For "Dispatch now" clicks: the worker's dispatch code, claiming under this process's own id."""
        if self._runner is None:
            worker_id = f"slack:{socket.gethostname()}:{os.getpid()}"
            self._runner = OccurrenceRunner(self.services, worker_id=worker_id)
        return self._runner


def feature_of(services: Any) -> SchedulingFeature:
    return services.scheduling


def user_time_zone(client: WebClient, user_id: str) -> tuple[str, bool]:
    """The user's IANA zone from their Slack profile (``users.info``), and whether it was found."""
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError as error:
        log.info("users.info failed for a booking: %s", error.response.get("error"))
        return DEFAULT_TZ, False
    tz = user.get("tz")
    return (tz, True) if isinstance(tz, str) and tz else (DEFAULT_TZ, False)


def _refuse(text: str, hint: str | None = None) -> UserFacingError:
    return UserFacingError(text, hint=hint)


# ------------------------------------------------------------------------------------------ subcommands


def book(request: SubcommandRequest) -> None:
    feature = feature_of(request.services)
    tz_name, found = user_time_zone(request.client, request.user_id)
    now = request.services.clock()
    try:
        draft = parse_book_args(request.args, now=now, tz_name=tz_name, is_room=feature.bookings.is_room)
        groups = directory_of(request.services).usergroups_of(request.client, request.user_id)
        booked = feature.bookings.book(draft, user_id=request.user_id, channel_id=request.channel_id,
                                       tz_name=tz_name, usergroup_ids=groups, now=now)
    except (BookRequestError, WhenError) as error:
        raise _refuse(str(error), hint=f"Times are read in your Slack time zone ({tz_name}).") from None
    except BookingRefused as refused:
        raise _refuse(str(refused)) from None
    notes = list(booked.notes)
    if not found:
        notes.append("I could not read your time zone from Slack, so I used UTC.")
    booked_reply = messages.booked_message(booked.view, booked.upcoming, notes)
    request.respond(response_type="ephemeral", **booked_reply.as_kwargs())


def bookings(request: SubcommandRequest) -> None:
    feature = feature_of(request.services)
    scope = request.args.strip()
    try:
        if scope.lower() == "mine":
            views, _ = feature.bookings.upcoming(user_id=request.user_id)
            heading = "*Your upcoming bookings*"
        elif scope:
            views, room_name = feature.bookings.upcoming(room_text=scope)
            heading = f"*Upcoming bookings of {messages.escape_mrkdwn(room_name or scope)}*"
        else:
            views, _ = feature.bookings.upcoming()
            heading = "*Upcoming bookings*"
    except BookingRefused as refused:
        raise _refuse(str(refused)) from None
    message = messages.bookings_message(views, viewer=request.user_id, is_admin=request.is_admin, heading=heading)
    request.respond(response_type="ephemeral", **message.as_kwargs())


def cancel(request: SubcommandRequest) -> None:
    feature = feature_of(request.services)
    try:
        words = feature.bookings.cancel(parse_booking_id(request.args), user_id=request.user_id,
                                        is_admin=request.is_admin)
    except BookingRefused as refused:
        raise _refuse(str(refused)) from None
    request.respond(response_type="ephemeral", **messages.info(words).as_kwargs())


# ------------------------------------------------------------------------------------------ buttons


def _reply(respond: Respond, message: SlackMessage) -> None:
    respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())


def cancel_occurrence_button(ack: Ack, body: dict, respond: Respond, context: BoltContext) -> None:
    ack()
    booking_id, _, occurrence_id = str(body["actions"][0]["value"]).partition(":")
    _cancel(respond, context, int(booking_id), int(occurrence_id) if occurrence_id else None)


def cancel_series_button(ack: Ack, body: dict, respond: Respond, context: BoltContext) -> None:
    ack()
    _cancel(respond, context, int(body["actions"][0]["value"]), None)


def _cancel(respond: Respond, context: BoltContext, booking_id: int, occurrence_id: int | None) -> None:
    services, settings = services_of(context), settings_of(context)
    try:
        words = feature_of(services).bookings.cancel(booking_id, user_id=context.user_id or "",
                                                     is_admin=settings.is_admin(context.user_id),
                                                     occurrence_id=occurrence_id)
    except BookingRefused as refused:
        _reply(respond, error_message(str(refused)))
        return
    _reply(respond, messages.info(words))


def _reminder_occurrence(context: BoltContext, body: dict) -> tuple[Any, bool]:
    """The occurrence a reminder button is about, and whether the clicker may act on it."""
    services, settings = services_of(context), settings_of(context)
    occurrence_id = int(body["actions"][0]["value"])
    with session_scope(services.session_factory) as session:
        occurrence = session.get(Occurrence, occurrence_id)
        if occurrence is None:
            return None, False
        view = view_of(occurrence)
        allowed = may_cancel(occurrence.booking, context.user_id or "", settings.is_admin(context.user_id))
        status = occurrence.status
    return (view, status), allowed


def dispatch_now_button(ack: Ack, body: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
    ack()
    found, allowed = _reminder_occurrence(context, body)
    if found is None:
        _reply(respond, error_message("That booking no longer exists."))
        return
    view, _status = found
    if not allowed:
        _reply(respond, error_message(f"Only <@{view.requester_user_id}> or a roombot admin can dispatch this "
                                      "booking early."))
        return
    feature = feature_of(services_of(context))
    runner = feature.runner()
    with session_scope(services_of(context).session_factory, write_lock=True) as session:
        claimed = occurrences.claim_now(session, view.occurrence_id, worker_id=runner.worker_id)
        job = Job.of(claimed) if claimed is not None else None
    if job is None:
        _reply(respond, error_message("This occurrence is already being dispatched, done, or cancelled."))
        return
    poster = SlackPoster(client)
    message_ts = (body.get("container") or {}).get("message_ts")
    channel = (body.get("channel") or {}).get("id") or view.channel_id
    done = messages.reminder_done_message(view, f"— dispatched early by <@{context.user_id}>.")
    requester = runner.booker(view, poster, is_admin=settings_of(context).is_admin(context.user_id))

    async def dispatch() -> None:
        await runner.run(job, poster, requester=requester)

    if not runner.engine.submit(dispatch, label=f"occurrence {view.occurrence_id} (dispatch now)"):
        # Claimed but not started: its lease runs out and the booking worker dispatches it as usual.
        _reply(respond, error_message("roombot is too busy to dispatch this early; it will go at its booked time."))
        return
    poster.update(channel, message_ts, done)


def skip_button(ack: Ack, body: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
    ack()
    found, allowed = _reminder_occurrence(context, body)
    if found is None:
        _reply(respond, error_message("That booking no longer exists."))
        return
    view, status = found
    if not allowed:
        _reply(respond, error_message(f"Only <@{view.requester_user_id}> or a roombot admin can skip this booking."))
        return
    services = services_of(context)
    with session_scope(services.session_factory, write_lock=True) as session:
        skipped = occurrences.skip(session, view.occurrence_id, reason=f"skipped by <@{context.user_id}>")
    if not skipped:
        state = "already being dispatched" if status is OccurrenceStatus.CLAIMED else f"already {status.value}"
        _reply(respond, error_message(f"Too late to skip: this occurrence is {state}."))
        return
    message_ts = (body.get("container") or {}).get("message_ts")
    channel = (body.get("channel") or {}).get("id") or view.channel_id
    if not SlackPoster(client).update(channel, message_ts,
                                      messages.reminder_done_message(view, f"— skipped by <@{context.user_id}>.")):
        _reply(respond, messages.info("Skipped."))


def register(app: App) -> None:
    app.action(BookingActionId.CANCEL_OCCURRENCE)(deferred(cancel_occurrence_button))
    app.action(ActionId.CANCEL_BOOKING)(deferred(cancel_series_button))
    app.action(BookingActionId.DISPATCH_NOW)(deferred(dispatch_now_button))
    app.action(BookingActionId.SKIP_OCCURRENCE)(deferred(skip_button))
