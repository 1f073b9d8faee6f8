"""Modal submissions: the passcode modal, "Join a meeting…" from `/room list`, and the message shortcut's
"Send a room" modal — three forms, one listener (``room_form_submitted``).

Each form names a room, a meeting and maybe a passcode (``FORMS`` says where each comes from).  Input problems
are answered inside the modal (``ack(response_action="errors")``) before anything is done; otherwise the modal
is acknowledged (closed) at once — the checks before the ack are pure, no Slack, Zoom or database — and the
dispatch goes on in the listener lane and is reported in the channel the modal came from.  A submission is
claimed once per view, so a resubmitted form cannot dispatch twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

import bot.slack.rooms.flow as flow
import bot.slack.rooms.modals as modals
import bot.slack.rooms.render as render
from bot.meetings import MeetingReference, parse_meeting_reference
from bot.slack.errors import ReplyTo, UserFacingError, acks_itself
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.slack.lane import BUSY_TEXT, defer
from bot.slack.middleware import settings_of
from bot.slack.rooms.feature import RoomsFeature, rooms_of
from bot.slack.rooms.progress import ProgressMessage
from bot.slack.rooms.values import ModalContext, StaleValue
from bot.slack.wording import PERSONAL_LINK_SHORT
from bot.store.crypto import Sealed
from bot.store.types import DispatchSource

log = logging.getLogger(__name__)

STALE_FORM = "This form is out of date; close it and start again from the message or command."


@dataclass(frozen=True)
class Form:
    """Where one modal's room and meeting come from; the passcode input is in all three."""

    stale_block: str  # the input that says "out of date" when private_metadata cannot be read
    source: DispatchSource
    passcode_required: bool = False  # the passcode modal exists to ask for it
    room_chosen: bool = False  # a room select (else: the room of the button that opened it)
    meeting_typed: bool = False  # a meeting input (else: the meeting of the button, or of the shared message)


FORMS: dict[str, Form] = {
    CallbackId.PASSCODE_MODAL: Form(BlockId.PASSCODE, DispatchSource.MODAL, passcode_required=True),
    CallbackId.JOIN_MEETING_MODAL: Form(BlockId.MEETING, DispatchSource.MODAL, meeting_typed=True),
    CallbackId.SEND_ROOM_MODAL: Form(BlockId.ROOM, DispatchSource.SHORTCUT, room_chosen=True),
}


@dataclass(frozen=True)
class Answers:
    """What a valid form says (a room and meeting left None come from its ``ModalContext``)."""

    room: int | None
    meeting: MeetingReference | None
    passcode: str  # as typed; "" for none


def _value(view: dict[str, Any], block_id: str, action_id: str) -> str:
    state = ((view.get("state") or {}).get("values") or {}).get(block_id, {}).get(action_id) or {}
    return str(state.get("value") or "").strip()


def _selected(view: dict[str, Any], block_id: str, action_id: str) -> str:
    state = ((view.get("state") or {}).get("values") or {}).get(block_id, {}).get(action_id) or {}
    return str((state.get("selected_option") or {}).get("value") or "")


def passcode_problem(passcode: str, *, required: bool) -> str | None:
    if not passcode:
        return "Enter the meeting passcode, or close this and choose “Join without passcode”." if required else None
    if len(passcode) > modals.MAX_PASSCODE_INPUT:
        return f"That is longer than any meeting passcode ({modals.MAX_PASSCODE_INPUT} characters at most)."
    return None


def read_form(form: Form, view: dict[str, Any]) -> Answers | dict[str, str]:
    """The form's answers, or the first input problem keyed by its block (shown inside the modal)."""
    room = None
    if form.room_chosen:
        room_value = _selected(view, BlockId.ROOM, ActionId.ROOM_SELECT)
        if not room_value.isdigit():
            return {BlockId.ROOM: "Choose the room to send."}
        room = int(room_value)
    meeting = None
    if form.meeting_typed:
        meeting = parse_meeting_reference(_value(view, BlockId.MEETING, ActionId.MEETING_INPUT))
        if not meeting.is_valid or not (meeting.meeting_id or meeting.is_third_party):
            return {BlockId.MEETING: meeting.reason or PERSONAL_LINK_SHORT}
    passcode = _value(view, BlockId.PASSCODE, ActionId.PASSCODE_INPUT)
    problem = passcode_problem(passcode, required=form.passcode_required)
    if problem:
        return {BlockId.PASSCODE: problem}
    return Answers(room, meeting, passcode)


def room_form_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    """Any of the three forms: check it in the ack, then (in the listener lane, once only) dispatch."""
    form = FORMS[str(view.get("callback_id"))]
    answers = read_form(form, view)
    if not isinstance(answers, Answers):
        ack(response_action="errors", errors=answers)
        return
    try:
        modal = ModalContext.decode(str(view.get("private_metadata") or ""))
    except StaleValue:
        ack(response_action="errors", errors={form.stale_block: STALE_FORM})
        return
    ack()

    def send_from_form() -> None:
        _send(rooms_of(context), body, view, client, context, form, answers, modal)

    if not defer(context, send_from_form, body=body):
        ReplyTo.request(body, context).send(render.info_message(BUSY_TEXT))


def _send(feature: RoomsFeature, body: dict, view: dict, client: WebClient, context: BoltContext, form: Form,
          answers: Answers, modal: ModalContext) -> None:
    if not feature.claim(f"view:{view.get('id')}:{view.get('hash', '')}"):
        return
    user_id = body["user"]["id"]
    room_name = feature.room_name(modal.key.room if answers.room is None else answers.room)
    meeting, shared_passcode = answers.meeting or modal.key.reference(), None
    if answers.meeting is None and modal.sealed_target:  # after the claim, like the sealed passcode
        meeting, shared_passcode = feature.open_target(modal.sealed_target)
    # After the claim: a double submission must not even open a sealed passcode.
    stated = answers.passcode or shared_passcode or _unseal(feature, modal.sealed_passcode)
    requester = feature.requester(client, user_id, is_admin=settings_of(context).is_admin(user_id))
    text = flow.joining_text(room_name, meeting)
    if modal.channel and modal.message_ts:
        progress = ProgressMessage.adopt(client, modal.channel, user_id, modal.message_ts, text)
    else:
        progress = ProgressMessage.start(client, modal.channel, user_id, text)
    flow.run_join(feature, progress, requester, room=room_name, meeting=meeting, source=form.source, passcode=stated)


def _unseal(feature: RoomsFeature, token: str | None) -> str | None:
    """The passcode the shortcut's modal carries sealed (only that modal does)."""
    box = feature.secret_box
    if not token or box is None:
        return None
    try:
        return box.open(Sealed(token))
    except Exception as error:  # noqa: BLE001 - e.g. a rotated key: the room is sent without it, the flow asks
        log.info("could not open the passcode sealed in a modal: %s", type(error).__name__)
        raise UserFacingError("The passcode from the message could not be read back, so nothing was done.",
                              hint="Use the shortcut again, or type the passcode in the form.") from None


def register(app: App) -> None:
    for callback_id in FORMS:
        app.view(callback_id)(acks_itself(room_form_submitted))
