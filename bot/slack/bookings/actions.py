"""The booking buttons: Cancel / Cancel this one / Cancel the whole series in `/room bookings` and App Home,
Dispatch now / Skip this one on a reminder.

Each runs in the listener lane after its ack; what it refuses (and anything that goes wrong) reaches the clicker
through the one after-ack reporter, ``bot.slack.errors.report_after_ack``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.scheduling.occurrence import OccurrenceView, view_of
from bot.scheduling.refusals import BookingRefused
from bot.scheduling.runner import Job
from bot.scheduling.service import may_cancel
from bot.slack.blocks import SlackMessage
from bot.slack.bookings import messages, wording
from bot.slack.bookings.feature import feature_of
from bot.slack.bookings.notifier import SlackNotifier, SlackPoster, SlackRequesters
from bot.slack.directory import directory_of
from bot.slack.errors import UserFacingError, report_after_ack
from bot.slack.ids import ActionId
from bot.slack.lane import deferred
from bot.slack.middleware import services_of, settings_of
from bot.store import occurrences
from bot.store.db import session_scope
from bot.store.models import Occurrence
from bot.store.types import OccurrenceStatus


def reported(work: Callable[..., None]) -> Callable[..., None]:
    """``work`` (a listener that has acknowledged) with its failures told to the clicker after the ack."""

    @functools.wraps(work)  # ``deferred`` reads the parameters of ``work`` through this
    def listener(**kwargs: Any) -> None:
        try:
            work(**kwargs)
        except Exception as error:  # noqa: BLE001 - already acknowledged: report here (see report_after_ack)
            report_after_ack(error, kwargs["body"], kwargs["context"])

    return listener


def _reply(respond: Respond, message: SlackMessage) -> None:
    respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())


# ------------------------------------------------------------------------------------------ cancelling


@reported
def cancel_occurrence_button(ack: Ack, body: dict, respond: Respond, context: BoltContext) -> None:
    ack()
    booking_id, _, occurrence_id = str(body["actions"][0]["value"]).partition(":")
    _cancel(respond, context, int(booking_id), int(occurrence_id) if occurrence_id else None)


@reported
def cancel_series_button(ack: Ack, body: dict, respond: Respond, context: BoltContext) -> None:
    ack()
    _cancel(respond, context, int(body["actions"][0]["value"]), None)


def _cancel(respond: Respond, context: BoltContext, booking_id: int, occurrence_id: int | None) -> None:
    services, settings = services_of(context), settings_of(context)
    try:
        done = feature_of(services).service.cancel(booking_id, user_id=context.user_id or "",
                                                   is_admin=settings.is_admin(context.user_id),
                                                   occurrence_id=occurrence_id)
    except BookingRefused as refused:
        raise wording.refused(refused) from None
    _reply(respond, messages.info(wording.cancelled(done)))


# ------------------------------------------------------------------------------------------ on a reminder


def _reminded(context: BoltContext, body: dict, may: str) -> tuple[OccurrenceView, OccurrenceStatus]:
    """The occurrence a reminder button is about and its status; refused when it is gone or the clicker is
    neither its booker nor an admin (``may``: what they may not do, "skip this booking")."""
    services, settings = services_of(context), settings_of(context)
    occurrence_id = int(body["actions"][0]["value"])
    with session_scope(services.sessions()) as session:
        occurrence = session.get(Occurrence, occurrence_id)
        found = None if occurrence is None else (
            view_of(occurrence), occurrence.status,
            may_cancel(occurrence.booking, context.user_id or "", settings.is_admin(context.user_id)))
    if found is None:
        raise UserFacingError("That booking no longer exists.", code="booking_gone")
    view, status, allowed = found
    if not allowed:
        raise UserFacingError(f"Only <@{view.requester_user_id}> or a roombot admin can {may}.",
                              code="not_your_booking")
    return view, status


def _reminder_message(body: dict, view: OccurrenceView) -> tuple[str | None, str | None]:
    """Where the clicked reminder is: (channel, ts)."""
    message_ts = (body.get("container") or {}).get("message_ts")
    channel = (body.get("channel") or {}).get("id") or view.channel_id
    return channel, message_ts


@reported
def dispatch_now_button(ack: Ack, body: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
    ack()
    view, _status = _reminded(context, body, "dispatch this booking early")
    services, settings = services_of(context), settings_of(context)
    runner = feature_of(services).runner()
    with session_scope(services.sessions(), write_lock=True) as session:
        claimed = occurrences.claim_now(session, view.occurrence_id, worker_id=runner.worker_id)
        job = Job.of(claimed) if claimed is not None else None
    if job is None:
        raise UserFacingError("This occurrence is already being dispatched, done, or cancelled.",
                              code="occurrence_taken")
    notifier = SlackNotifier(client)
    channel, message_ts = _reminder_message(body, view)
    done = messages.reminder_done_message(view, f"— dispatched early by <@{context.user_id}>.")
    requester = SlackRequesters(directory_of(services), client).requester(
        view.requester_user_id, is_admin=settings.is_admin(context.user_id))

    async def dispatch() -> None:
        await runner.run(job, notifier, requester=requester)

    if not runner.engine.submit(dispatch, label=f"occurrence {view.occurrence_id} (dispatch now)"):
        # Claimed but not started: its lease runs out and the booking worker dispatches it as usual.
        raise UserFacingError("roombot is too busy to dispatch this early; it will go at its booked time.",
                              code="engine_full")
    notifier.poster.update(channel, message_ts, done)


@reported
def skip_button(ack: Ack, body: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
    ack()
    view, status = _reminded(context, body, "skip this booking")
    with session_scope(services_of(context).sessions(), write_lock=True) as session:
        skipped = occurrences.skip(session, view.occurrence_id, reason=f"skipped by <@{context.user_id}>")
    if not skipped:
        state = "already being dispatched" if status is OccurrenceStatus.CLAIMED else f"already {status.value}"
        raise UserFacingError(f"Too late to skip: this occurrence is {state}.", code="too_late_to_skip")
    channel, message_ts = _reminder_message(body, view)
    if not SlackPoster(client).update(channel, message_ts,
                                      messages.reminder_done_message(view, f"— skipped by <@{context.user_id}>.")):
        _reply(respond, messages.info("Skipped."))


def register(app: App) -> None:
    app.action(ActionId.CANCEL_OCCURRENCE)(deferred(cancel_occurrence_button))
    app.action(ActionId.CANCEL_BOOKING)(deferred(cancel_series_button))
    app.action(ActionId.DISPATCH_NOW)(deferred(dispatch_now_button))
    app.action(ActionId.SKIP_OCCURRENCE)(deferred(skip_button))
