"""Run one dispatch against a progress message: call the dispatch flow, edit the message as it advances,
replace it with the result card, and hand a created or repaired passcode to the requester alone.

Commands, buttons, modals and the message shortcut all end up here, so every entry point reports the same
way.  Infrastructure failures in the middle of a dispatch still end the progress message with words, never
leave it at "⏳ Sending…".
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.dispatch.outcomes import DispatchResult, JoinRequest, Requester, format_meeting_number
from bot.meetings import MeetingReference
from bot.slack.blocks import SlackMessage
from bot.slack.errors import outage_error
from bot.slack.rooms import render
from bot.slack.rooms.feature import RoomsFeature
from bot.slack.rooms.progress import ProgressMessage, deliver_privately
from bot.store.db import DatabaseUnavailable
from bot.store.types import DispatchSource
from bot.zoom.errors import ZoomError

log = logging.getLogger(__name__)


def joining_text(room_name: str, meeting_id: str | None) -> str:
    return f"Sending {room_name} to meeting {format_meeting_number(meeting_id)}…"


def creating_text(room_name: str) -> str:
    return f"Creating a meeting for {room_name}…"


def repairing_text(meeting_id: str | None) -> str:
    return f"Giving meeting {format_meeting_number(meeting_id)} a passcode Zoom Rooms accept…"


def leaving_text(room_name: str) -> str:
    return f"Asking {room_name} to leave its meeting…"


def run_join(feature: RoomsFeature, progress: ProgressMessage, requester: Requester, *, room_text: str,
             meeting: MeetingReference, source: DispatchSource, passcode: str | None = None,
             force_accept: bool = False, without_passcode: bool = False) -> DispatchResult | None:
    request = JoinRequest(room_text, meeting, requester, progress.channel, source, passcode=passcode,
                          force_accept=force_accept, without_passcode=without_passcode)
    result = _guarded(progress, lambda: feature.dispatcher.join(request, progress.on_stage))
    if result is not None:
        progress.finish(render.result_message(result, requester_id=requester.user_id, op="join",
                                              bare=without_passcode))
        _share_passcode(progress, result, repaired=False)
    return result


def run_new(feature: RoomsFeature, progress: ProgressMessage, requester: Requester, *, room_text: str,
            topic: str | None, source: DispatchSource, force_accept: bool = False) -> DispatchResult | None:
    result = _guarded(progress, lambda: feature.meetings.new_meeting(
        room_text, topic, requester, progress.channel, progress.on_stage, source=source, force_accept=force_accept))
    if result is not None:
        progress.finish(render.result_message(result, requester_id=requester.user_id, op="new", topic=topic))
        _share_passcode(progress, result, repaired=False)
    return result


def run_repair(feature: RoomsFeature, progress: ProgressMessage, requester: Requester, *, room_text: str,
               meeting_id: str, source: DispatchSource = DispatchSource.BUTTON) -> DispatchResult | None:
    result = _guarded(progress, lambda: feature.meetings.repair(
        room_text, meeting_id, requester, progress.channel, progress.on_stage, source=source))
    if result is not None:
        progress.finish(render.result_message(result, requester_id=requester.user_id, op="join"))
        _share_passcode(progress, result, repaired=True)
    return result


def run_leave(feature: RoomsFeature, progress: ProgressMessage, requester: Requester, *, room_text: str,
              source: DispatchSource) -> DispatchResult | None:
    result = _guarded(progress, lambda: feature.dispatcher.leave(room_text, requester, progress.channel, source))
    if result is not None:
        progress.finish(render.result_message(result, requester_id=requester.user_id, op="leave"))
    return result


def _share_passcode(progress: ProgressMessage, result: DispatchResult, *, repaired: bool) -> None:
    passcode = result.passcode_for_requester
    if not passcode:
        return
    message = render.passcode_message(result, passcode, repaired=repaired)
    if not deliver_privately(progress.client, progress.channel, progress.user_id, message, respond=progress.respond,
                             secret=passcode):
        log.warning("could not deliver a meeting passcode to its requester")


def _guarded(progress: ProgressMessage, work: Callable[[], DispatchResult]) -> DispatchResult | None:
    """Run the dispatch; if the infrastructure fails, end the progress message with the reason instead."""
    try:
        return work()
    except DatabaseUnavailable as error:
        _end_with(progress, outage_error(error).user_message,
                  "Check the room's status with `/room status <room>` before trying again.")
    except ZoomError as error:
        _end_with(progress, outage_error(error).user_message, "Try again in a minute.")
    except Exception:
        _end_with(progress, "roombot hit an unexpected error and stopped before finishing.",
                  "Check the room's status with `/room status <room>` before trying again.")
        raise  # the central error handler logs it and gives the requester a reference
    return None


def _end_with(progress: ProgressMessage, text: str, hint: str) -> None:
    try:
        progress.finish(render.info_message(f":warning: {text}", hint))
    except Exception:  # noqa: BLE001 - reporting must not hide the original failure
        log.warning("could not report a failed dispatch in Slack", exc_info=True)


def ephemeral(respond: Callable[..., object], message: SlackMessage) -> None:
    respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())
