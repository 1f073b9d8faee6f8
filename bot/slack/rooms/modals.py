"""Pure Block Kit builders of the rooms surface's modals: passcode, join a meeting, send a room, notices."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.views import View

from bot.dispatch.outcomes import format_meeting_number
from bot.slack.blocks import escape_mrkdwn
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.slack.rooms.render import info_message, section_block
from bot.slack.rooms.room_list import RoomView, room_picker, search_hint
from bot.slack.rooms.values import ModalContext
from bot.slack.wording import meeting_on

MAX_CONFIRM_TEXT = 300  # characters of a confirm dialog's text

MAX_PASSCODE_INPUT = 64


# ---------------------------------------------------------------------------------------------- modals


def _passcode_input(optional: bool, hint: str) -> InputBlock:
    return InputBlock(block_id=BlockId.PASSCODE, label="Meeting passcode", optional=optional, hint=hint,
                      element=PlainTextInputElement(action_id=ActionId.PASSCODE_INPUT,
                                                    max_length=MAX_PASSCODE_INPUT,
                                                    placeholder="As written in the invitation"))


PASSCODE_HINT = ("Zoom Rooms accept passcodes of at most 10 letters, digits or @ - _ *. It is never shown in the "
                 "channel.")


def passcode_modal(context: ModalContext, room_name: str | None = None) -> View:
    number = format_meeting_number(context.key.meeting)
    who = f"*{escape_mrkdwn(room_name)}*" if room_name else "the room"
    return View(type="modal", callback_id=CallbackId.PASSCODE_MODAL, title="Meeting passcode", submit="Send room",
                close="Cancel", private_metadata=context.encode(),
                blocks=[section_block(f"Enter the passcode of meeting {number}, and I will send {who} into it."),
                        _passcode_input(False, PASSCODE_HINT)])


def join_meeting_modal(context: ModalContext, room_name: str | None = None) -> View:
    who = f"*{escape_mrkdwn(room_name)}*" if room_name else "the room"
    meeting_input = InputBlock(block_id=BlockId.MEETING, label="Meeting link or ID",
                               element=PlainTextInputElement(action_id=ActionId.MEETING_INPUT, multiline=True,
                                                             placeholder="https://zoom.us/j/… or 812 3456 7890"))
    return View(type="modal", callback_id=CallbackId.JOIN_MEETING_MODAL, title="Join a meeting", submit="Send room",
                close="Cancel", private_metadata=context.encode(),
                blocks=[section_block(f"Which meeting should {who} join? Paste the link, the meeting ID or the whole "
                                 "invitation."), meeting_input,
                        _passcode_input(True, "Leave empty when the link or invitation includes it. " + PASSCODE_HINT)])


def send_room_modal(context: ModalContext, rooms: Sequence[RoomView], *, passcode_stated: bool) -> View:
    """The message shortcut's form.  Up to 100 rooms are listed in the select; with more, the select searches
    them as the user types (the options come from the ``app.options`` listener ``shortcuts.room_options``)."""
    select = room_picker(rooms, action_id=ActionId.ROOM_SELECT, placeholder="Choose a room")
    service = context.key.service
    meeting = f"*{meeting_on(service)}*" if service else f"meeting *{format_meeting_number(context.key.meeting)}*"
    blocks: list[Block] = [section_block(f"Send a Zoom Room into {meeting}."),
                           InputBlock(block_id=BlockId.ROOM, label="Room", element=select,
                                      hint=search_hint(len(rooms)))]
    if service:  # the link goes to Zoom as it is: no passcode to ask for
        return View(type="modal", callback_id=CallbackId.SEND_ROOM_MODAL, title="Send a room", submit="Send room",
                    close="Cancel", private_metadata=context.encode(), blocks=blocks)
    hint = ("The message states the passcode: leave this empty to use it. " if passcode_stated
            else "Leave empty if the meeting has none or is on roombot's Zoom account. ")
    blocks.append(_passcode_input(True, hint + PASSCODE_HINT))
    return View(type="modal", callback_id=CallbackId.SEND_ROOM_MODAL, title="Send a room", submit="Send room",
                close="Cancel", private_metadata=context.encode(), blocks=blocks)


def notice_view(text: str, hint: str | None = None) -> View:
    message = info_message(text, hint)
    return View(type="modal", title=PlainTextObject(text="roombot"), close="Close", blocks=list(message.blocks))
