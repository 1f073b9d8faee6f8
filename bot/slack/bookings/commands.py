"""`/room book`, `/room bookings [room | mine]` and `/room cancel <booking>` (registered by ``install``).

Refusals are raised as ``UserFacingError``: the `/room` listener reports them through the one after-ack path.
"""

from __future__ import annotations

from bot.scheduling.refusals import BookingRefused
from bot.scheduling.request import BookRequestError, parse_book_args
from bot.scheduling.service import parse_booking_id
from bot.scheduling.when import WhenError
from bot.slack.blocks import escape_mrkdwn
from bot.slack.bookings import messages, wording
from bot.slack.bookings.feature import feature_of, user_time_zone
from bot.slack.directory import directory_of
from bot.slack.errors import UserFacingError
from bot.slack.subcommands import SubcommandRequest


def book(request: SubcommandRequest) -> None:
    feature = feature_of(request.services)
    tz_name, found = user_time_zone(request.client, request.user_id)
    now = request.services.clock()
    try:
        draft = parse_book_args(request.args, now=now, tz_name=tz_name, is_room=feature.service.is_room)
        groups = directory_of(request.services).usergroups_of(request.client, request.user_id)
        booked = feature.service.book(draft, user_id=request.user_id, channel_id=request.channel_id,
                                      tz_name=tz_name, usergroup_ids=groups, now=now)
    except (BookRequestError, WhenError) as error:
        raise UserFacingError(str(error), hint=f"Times are read in your Slack time zone ({tz_name}).") from None
    except BookingRefused as refused:
        raise wording.refused(refused) from None
    notes = wording.booked_notes(booked)
    if not found:
        notes.append(wording.UNKNOWN_TIME_ZONE)
    booked_reply = messages.booked_message(booked.view, booked.upcoming, notes)
    request.respond(response_type="ephemeral", **booked_reply.as_kwargs())


def bookings(request: SubcommandRequest) -> None:
    feature = feature_of(request.services)
    scope = request.args.strip()
    try:
        if scope.lower() == "mine":
            views, _ = feature.service.upcoming(user_id=request.user_id)
            heading = "*Your upcoming bookings*"
        elif scope:
            views, room_name = feature.service.upcoming(room_text=scope)
            heading = f"*Upcoming bookings of {escape_mrkdwn(room_name or scope)}*"
        else:
            views, _ = feature.service.upcoming()
            heading = "*Upcoming bookings*"
    except BookingRefused as refused:
        raise wording.refused(refused, listing=True) from None
    message = messages.bookings_message(views, viewer=request.user_id, is_admin=request.is_admin, heading=heading)
    request.respond(response_type="ephemeral", **message.as_kwargs())


def cancel(request: SubcommandRequest) -> None:
    feature = feature_of(request.services)
    try:
        done = feature.service.cancel(parse_booking_id(request.args), user_id=request.user_id,
                                      is_admin=request.is_admin)
    except BookingRefused as refused:
        raise wording.refused(refused) from None
    request.respond(response_type="ephemeral", **messages.info(wording.cancelled(done)).as_kwargs())
