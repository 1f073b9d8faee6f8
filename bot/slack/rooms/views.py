"""Modal submissions: the passcode modal, "Join a meeting…" from `/room list`, and the message shortcut's
"Send a room" modal.

Input problems are answered inside the modal (``ack(response_action="errors")``) before anything is done;
otherwise the modal is acknowledged (closed) at once — the checks before the ack are pure, no Slack, Zoom or
database — and the dispatch goes on in the listener lane and is reported in the channel the modal came from.
A submission is claimed once per view, so a resubmitted form cannot dispatch twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.meetings import MeetingReference, parse_meeting_reference
from bot.slack.errors import UserFacingError
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.slack.lane import BUSY_TEXT, defer
from bot.slack.middleware import settings_of
from bot.slack.rooms import flow, render
from bot.slack.rooms.feature import RoomsFeature, friendly_failures, tell_requester
from bot.slack.rooms.progress import ProgressMessage
from bot.slack.rooms.values import ModalContext, StaleValue
from bot.store.crypto import Sealed
from bot.store.types import DispatchSource

log = logging.getLogger(__name__)

STALE_FORM = "This form is out of date; close it and start again from the message or command."


def _value(view: dict[str, Any], block_id: str, action_id: str) -> str:
    state = ((view.get("state") or {}).get("values") or {}).get(block_id, {}).get(action_id) or {}
    return str(state.get("value") or "").strip()


def _selected(view: dict[str, Any], block_id: str, action_id: str) -> str:
    state = ((view.get("state") or {}).get("values") or {}).get(block_id, {}).get(action_id) or {}
    return str((state.get("selected_option") or {}).get("value") or "")


def passcode_problem(passcode: str, *, required: bool) -> str | None:
    if not passcode:
        return "Enter the meeting passcode, or close this and choose “Join without passcode”." if required else None
    if len(passcode) > render.MAX_PASSCODE_INPUT:
        return f"That is longer than any meeting passcode ({render.MAX_PASSCODE_INPUT} characters at most)."
    return None


def register(app: App, feature: RoomsFeature) -> None:
    def progress_for(client: WebClient, user_id: str, modal: ModalContext, text: str) -> ProgressMessage:
        if modal.channel and modal.message_ts:
            return ProgressMessage.adopt(client, modal.channel, user_id, modal.message_ts, text)
        return ProgressMessage.start(client, modal.channel, user_id, text)

    def decode(ack: Ack, view: dict[str, Any], error_block: str) -> ModalContext | None:
        try:
            return ModalContext.decode(str(view.get("private_metadata") or ""))
        except StaleValue:
            ack(response_action="errors", errors={error_block: STALE_FORM})
            return None

    def claimed(view: dict[str, Any]) -> bool:
        return feature.claim(f"view:{view.get('id')}:{view.get('hash', '')}")

    def dispatch_submission(ack: Ack, body: dict, view: dict, client: WebClient, context: Any, modal: Any, *,
                            room_key: int, meeting: MeetingReference, source: DispatchSource,
                            passcode: Callable[[], str | None]) -> None:
        """The common end of every form that sends a room: acknowledge, then (in the listener lane, once only)
        dispatch."""
        ack()

        @friendly_failures
        def send(*, body: dict, client: WebClient) -> None:
            if not claimed(view):
                return
            user_id = body["user"]["id"]
            room_name = feature.room_name(room_key)
            stated = passcode()  # after the claim: a double submission must not even open a sealed passcode
            requester = feature.requester(client, user_id, is_admin=settings_of(context).is_admin(user_id))
            progress = progress_for(client, user_id, modal, flow.joining_text(room_name, meeting.meeting_id))
            flow.run_join(feature, progress, requester, room_text=room_name, meeting=meeting, source=source,
                          passcode=stated)

        if not defer(context, lambda: send(body=body, client=client)):
            tell_requester(render.info_message(BUSY_TEXT), (), {"body": body, "client": client})

    @friendly_failures
    def passcode_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: Any) -> None:
        passcode = _value(view, BlockId.PASSCODE, ActionId.PASSCODE_INPUT)
        problem = passcode_problem(passcode, required=True)
        if problem:
            ack(response_action="errors", errors={BlockId.PASSCODE: problem})
            return
        modal = decode(ack, view, BlockId.PASSCODE)
        if modal is not None:
            dispatch_submission(ack, body, view, client, context, modal, room_key=modal.key.room,
                                meeting=modal.key.reference(), source=DispatchSource.MODAL, passcode=lambda: passcode)

    @friendly_failures
    def join_meeting_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: Any) -> None:
        reference = parse_meeting_reference(_value(view, BlockId.MEETING, ActionId.MEETING_INPUT))
        if not reference.is_valid or not reference.meeting_id:
            reason = reference.reason or "A personal link (zoom.us/my/…) has no meeting ID; paste the meeting ID."
            ack(response_action="errors", errors={BlockId.MEETING: reason})
            return
        passcode = _value(view, BlockId.PASSCODE, ActionId.PASSCODE_INPUT)
        problem = passcode_problem(passcode, required=False)
        if problem:
            ack(response_action="errors", errors={BlockId.PASSCODE: problem})
            return
        modal = decode(ack, view, BlockId.MEETING)
        if modal is not None:
            dispatch_submission(ack, body, view, client, context, modal, room_key=modal.key.room, meeting=reference,
                                source=DispatchSource.MODAL, passcode=lambda: passcode or None)

    @friendly_failures
    def send_room_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: Any) -> None:
        room_value = _selected(view, BlockId.ROOM, ActionId.ROOM_SELECT)
        if not room_value.isdigit():
            ack(response_action="errors", errors={BlockId.ROOM: "Choose the room to send."})
            return
        passcode = _value(view, BlockId.PASSCODE, ActionId.PASSCODE_INPUT)
        problem = passcode_problem(passcode, required=False)
        if problem:
            ack(response_action="errors", errors={BlockId.PASSCODE: problem})
            return
        modal = decode(ack, view, BlockId.ROOM)
        if modal is not None:
            dispatch_submission(ack, body, view, client, context, modal, room_key=int(room_value),
                                meeting=modal.key.reference(), source=DispatchSource.SHORTCUT,
                                passcode=lambda: passcode or _unseal(feature, modal.sealed_passcode))

    app.view(CallbackId.PASSCODE_MODAL)(passcode_submitted)
    app.view(CallbackId.JOIN_MEETING_MODAL)(join_meeting_submitted)
    app.view(CallbackId.SEND_ROOM_MODAL)(send_room_submitted)


def _unseal(feature: RoomsFeature, token: str | None) -> str | None:
    box = feature.secret_box
    if not token or box is None:
        return None
    try:
        return box.open(Sealed(token))
    except Exception as error:  # noqa: BLE001 - e.g. a rotated key: the room is sent without it, the flow asks
        log.info("could not open the passcode sealed in a modal: %s", type(error).__name__)
        raise UserFacingError("The passcode from the message could not be read back, so nothing was done.",
                              hint="Use the shortcut again, or type the passcode in the form.") from None
