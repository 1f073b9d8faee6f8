"""Run one dispatch against a progress message: call the dispatch flow, edit the message as it advances,
replace it with the result card, and hand a created or repaired passcode to the requester alone.

Commands, buttons, modals and the message shortcut all end up here, so every entry point reports the same
way.  The dispatch itself runs on the dispatch engine (``submit``): the listener thread that called here is
free again at once, and a dispatch that has to wait, or that the engine cannot take, says so in its message.
Failures in the middle of a dispatch (the database, Zoom, a bug) go to the one after-ack reporter
(``bot.slack.errors.report_failure``) with the progress message as the place to say so: it ends with words,
never at "⏳ Sending…".

A room the caller already resolved (``/room join|new|leave`` check it before they post anything) is passed
on as its ``RoomTarget``.  The dispatch service still takes the room as text, so for now its name is what is
sent (and resolved there once more); see ``room_text``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import bot.slack.rooms.render as render
from bot.dispatch.engine import Admission, to_messaging_thread
from bot.dispatch.outcomes import DispatchResult, JoinRequest, Requester, Stage, format_meeting_number
from bot.dispatch.reasons import Reason
from bot.dispatch.service import RoomTarget
from bot.meetings import MeetingReference
from bot.slack.blocks import SlackMessage
from bot.slack.errors import Reply, report_failure
from bot.slack.rooms.feature import RoomsFeature
from bot.slack.rooms.progress import ProgressMessage, deliver_privately
from bot.slack.wording import describe, meeting_on
from bot.store.types import DispatchSource
from bot.zoom.errors import ZoomError

log = logging.getLogger(__name__)

CHECK_THE_ROOM = "Check the room's status with `/room status <room>` before trying again."
TRY_AGAIN_SOON = "Try again in a minute."
# A room: resolved by the caller (a command), or as the dispatch service should find it (a button's room name).
RoomRef = RoomTarget | str


def joining_text(room_name: str, meeting: MeetingReference) -> str:
    if meeting.is_third_party:
        return f"Sending {room_name} to {meeting_on(meeting.provider)}…"
    return f"Sending {room_name} to meeting {format_meeting_number(meeting.meeting_id)}…"


def creating_text(room_name: str) -> str:
    return f"Creating a meeting for {room_name}…"


def repairing_text(meeting_id: str | None) -> str:
    return f"Giving meeting {format_meeting_number(meeting_id)} a passcode Zoom Rooms accept…"


def leaving_text(room_name: str) -> str:
    return f"Asking {room_name} to leave its meeting…"


def room_text(room: RoomRef) -> str:
    """The room as the request names it (the audit trail's and the card's room name)."""
    return room.name if isinstance(room, RoomTarget) else room


def target_of(room: RoomRef) -> RoomTarget | None:
    """A room the Slack side already resolved (and checked) is not looked up again by the dispatch service."""
    return room if isinstance(room, RoomTarget) else None


def run_join(feature: RoomsFeature, progress: ProgressMessage, requester: Requester, *, room: RoomRef,
             meeting: MeetingReference, source: DispatchSource, passcode: str | None = None,
             force_accept: bool = False, without_passcode: bool = False) -> Admission:
    request = JoinRequest(room_text(room), meeting, requester, progress.channel, source, passcode=passcode,
                          force_accept=force_accept, without_passcode=without_passcode)

    async def join() -> None:
        result = await _guarded(progress, feature.dispatcher.join(request, _stages(progress), target=target_of(room)))
        if result is not None:
            await _show_result(progress, result, requester, op="join", bare=without_passcode)
            await to_messaging_thread(_share_passcode, progress, result, repaired=False)

    return submit(feature, progress, join)


def run_new(feature: RoomsFeature, progress: ProgressMessage, requester: Requester, *, room: RoomRef,
            topic: str | None, source: DispatchSource, force_accept: bool = False) -> Admission:
    async def new() -> None:
        result = await _guarded(progress, feature.meetings.new_meeting(
            room_text(room), topic, requester, progress.channel, _stages(progress), source=source,
            force_accept=force_accept, target=target_of(room)))
        if result is not None:
            await _show_result(progress, result, requester, op="new", topic=topic)
            await to_messaging_thread(_share_passcode, progress, result, repaired=False)

    return submit(feature, progress, new)


def run_repair(feature: RoomsFeature, progress: ProgressMessage, requester: Requester, *, room: RoomRef,
               meeting_id: str, source: DispatchSource = DispatchSource.BUTTON) -> Admission:
    async def repair() -> None:
        result = await _guarded(progress, feature.meetings.repair(
            room_text(room), meeting_id, requester, progress.channel, _stages(progress), source=source))
        if result is not None:
            await _show_result(progress, result, requester, op="join")
            await to_messaging_thread(_share_passcode, progress, result, repaired=True)

    return submit(feature, progress, repair)


def run_leave(feature: RoomsFeature, progress: ProgressMessage, requester: Requester, *, room: RoomRef,
              source: DispatchSource) -> Admission:
    async def leave() -> None:
        result = await _guarded(progress, feature.dispatcher.leave(room_text(room), requester, progress.channel,
                                                                   source, target=target_of(room)))
        if result is not None:
            await _show_result(progress, result, requester, op="leave")

    return submit(feature, progress, leave)


def submit(feature: RoomsFeature, progress: ProgressMessage, job: Callable[[], Awaitable[None]]) -> Admission:
    """Hand the dispatch to the engine and say at once, in its message, when it must wait or cannot run."""
    admission = feature.engine.submit(job, label="Slack dispatch")
    if not admission.accepted and admission.stopping:
        progress.finish(render.info_message(":warning: roombot is restarting, so nothing was sent.",
                                            "Try again in a minute."))
    elif not admission.accepted:
        progress.finish(render.info_message(
            f":warning: roombot is already sending {admission.in_flight} rooms, with more waiting: as many as "
            "Zoom's rate limits let it handle, so nothing was sent.", "Try again in a minute."))
    elif admission.queued:
        progress.update(f"Queued behind {admission.ahead} other dispatches (Zoom's rate limits set the pace)…")
    return admission


async def _show_result(progress: ProgressMessage, result: DispatchResult, requester: Requester, *, op: str,
                       topic: str | None = None, bare: bool = False) -> None:
    """The result card in place of the progress message (a Slack call: on the engine's messaging threads)."""
    message = render.result_message(result, requester_id=requester.user_id, op=op, topic=topic, bare=bare)
    await to_messaging_thread(progress.finish, message)


def _stages(progress: ProgressMessage) -> Callable[[Stage, Reason], Awaitable[None]]:
    async def on_stage(stage: Stage, doing: Reason) -> None:
        await to_messaging_thread(progress.on_stage, stage, describe(doing))

    return on_stage


def _share_passcode(progress: ProgressMessage, result: DispatchResult, *, repaired: bool) -> None:
    passcode = result.passcode_for_requester
    if not passcode:
        return
    message = render.passcode_message(result, passcode, repaired=repaired)
    if not deliver_privately(progress.client, progress.channel, progress.user_id, message, respond=progress.respond,
                             secret=passcode):
        log.warning("could not deliver a meeting passcode to its requester")


async def _guarded(progress: ProgressMessage, work: Awaitable[DispatchResult]) -> DispatchResult | None:
    """Run the dispatch; if it fails, the one reporter ends the progress message with the reason instead."""
    try:
        return await work
    except Exception as error:  # noqa: BLE001 - reported in the dispatch's own message
        next_step = TRY_AGAIN_SOON if isinstance(error, ZoomError) else CHECK_THE_ROOM
        await to_messaging_thread(report_failure, error, progress.finish, where="a dispatch", next_step=next_step)
        return None


async def reported(work: Awaitable[None], reply: Reply, *, where: str) -> None:
    """Run ``work`` (a lookup on the dispatch engine, after the ack); tell ``reply`` if it fails."""
    try:
        await work
    except Exception as error:  # noqa: BLE001 - already acknowledged: report, do not re-raise
        await to_messaging_thread(report_failure, error, reply, where=where)


def ephemeral(respond: Callable[..., object], message: SlackMessage) -> None:
    """Answer the requester alone through ``response_url``, leaving the message with the button in place."""
    respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())
