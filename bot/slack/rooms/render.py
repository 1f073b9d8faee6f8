"""Pure Block Kit builders for the dispatch surface (no I/O): result cards, room list, modals, audit.

Everything shown comes from a ``DispatchResult`` (which never holds a passcode except
``passcode_for_requester``, rendered only by ``passcode_message`` for an ephemeral reply) or from the store.
Text from users or Zoom (room names, reasons quoting what was typed) is escaped with ``escape_mrkdwn``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.dispatch.outcomes import DispatchResult, Fix, ResultKind, format_meeting_number
from bot.slack.blocks import SlackMessage, clip, code, escape_mrkdwn
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.slack.rooms.values import DispatchKey, ModalContext, new_nonce

MAX_PASSCODE_INPUT = 64
MAX_SELECT_OPTIONS = 100
ROOMS_WITH_BUTTONS = 20  # two blocks per room; Slack allows 50 blocks per message

STATUS_LABELS = {
    "Available": ":large_green_circle: Available",
    "InMeeting": ":red_circle: In a meeting",
    "Offline": ":black_circle: Offline",
    "UnderConstruction": ":construction: Not set up yet",
}
FIX_BUTTONS: dict[Fix, tuple[ActionId, str]] = {
    Fix.RETRY: (ActionId.RETRY, "Retry"),
    Fix.JOIN_ANYWAY: (ActionId.JOIN_ANYWAY, "Join anyway"),
    Fix.ENTER_PASSCODE: (ActionId.ENTER_PASSCODE, "Enter passcode…"),
    Fix.JOIN_WITHOUT_PASSCODE: (ActionId.JOIN_WITHOUT_PASSCODE, "Join without passcode"),
    Fix.REPAIR_PASSCODE: (ActionId.REPAIR_PASSCODE, "Repair passcode"),
    Fix.LEAVE: (ActionId.LEAVE, "Leave meeting"),
}


def status_label(status: str | None) -> str:
    if status is None:
        return ":grey_question: Status unknown"
    return STATUS_LABELS.get(status, f":grey_question: {escape_mrkdwn(status)}")


def section_block(text: str, block_id: str | None = None) -> SectionBlock:
    return SectionBlock(block_id=block_id, text=MarkdownTextObject(text=clip(text)))


def note_block(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text))])


def progress_message(text: str) -> SlackMessage:
    """The one channel message that is edited while a dispatch runs (no buttons: nothing to click yet)."""
    line = f":hourglass_flowing_sand: {escape_mrkdwn(text)}"
    return SlackMessage(text=line, blocks=(section_block(line),))


# --------------------------------------------------------------------------------------------- results


def headline(result: DispatchResult, op: str) -> str:
    room = escape_mrkdwn(result.room_name)
    number = format_meeting_number(result.meeting_id) if result.meeting_id else None
    if result.kind is ResultKind.IN_MEETING:
        return f":white_check_mark: *{escape_mrkdwn(result.reason)}*"
    if result.kind is ResultKind.LEFT:
        return f":wave: *{escape_mrkdwn(result.reason)}*"
    if result.kind is ResultKind.STATUS:
        return f"*{room}*: {status_label(result.room_status)}"
    if result.kind is ResultKind.ROOM_BUSY:
        return f":busts_in_silhouette: *{room} is busy, so it was not sent{f' to meeting {number}' if number else ''}.*"
    if result.kind is ResultKind.UNCONFIRMED:
        return f":grey_question: *{room}: Zoom accepted, but I could not confirm it joined meeting {number}.*"
    if result.kind is ResultKind.NEEDS_PASSCODE:
        return f":key: *{room} was not sent to meeting {number}: the passcode is needed.*"
    if op == "leave":
        return f":x: *{room} could not be made to leave its meeting.*"
    if op == "status":
        return f":x: *Could not get the status of {room}.*"
    if op == "new" and not number:
        return f":x: *No meeting was started for {room}.*"
    if number:
        return f":x: *{room} did not join meeting {number}.*"
    return f":x: *{room}: nothing was done.*"


def result_message(result: DispatchResult, *, requester_id: str, op: str,
                   topic: str | None = None, bare: bool = False) -> SlackMessage:
    """The card that replaces the progress message: what happened, Zoom's words, what to do, the buttons."""
    lines = [headline(result, op)]
    if result.kind not in (ResultKind.IN_MEETING, ResultKind.LEFT, ResultKind.STATUS):
        lines.append(escape_mrkdwn(result.reason))
    if result.zoom_error is not None:
        lines.append(f":speech_balloon: {escape_mrkdwn(result.zoom_error.summary())}")
    blocks: list[Block] = [section_block("\n".join(lines), BlockId.ERROR if not result.ok else None)]
    if result.join_url:
        url = escape_mrkdwn(result.join_url)
        blocks.append(section_block(f"*Join link:* <{url}|{url}>"))
    if result.notes:
        blocks.append(section_block("\n".join(f":information_source: {escape_mrkdwn(note)}" for note in result.notes)))
    details = [f"Room: *{escape_mrkdwn(result.room_name)}*"]
    if result.meeting_id:
        details.append(f"meeting {format_meeting_number(result.meeting_id)}")
    if result.room_status and result.kind is not ResultKind.STATUS:
        details.append(f"room status: {status_label(result.room_status)}")
    details.append(f"requested by <@{requester_id}>")
    if result.dispatch_id:
        details.append(f"dispatch #{result.dispatch_id}")
    blocks.append(note_block(" · ".join(details)))
    buttons = result_buttons(result, op=op, topic=topic, bare=bare)
    if buttons is not None:
        blocks.append(buttons)
    text = clip(" ".join(_plain(line) for line in lines[:2]), 3000)
    return SlackMessage(text=text, blocks=tuple(blocks))


def result_buttons(result: DispatchResult, *, op: str, topic: str | None,
                   bare: bool) -> ActionsBlock | None:
    if not result.fixes or result.room_key is None:
        return None
    # A `/room new` that already created its meeting is continued as a join of that meeting.
    repeat_op = "new" if op == "new" and not result.meeting_id else ("leave" if op == "leave" else "join")
    nonce = new_nonce()
    elements = []
    for fix in result.fixes:
        if fix not in FIX_BUTTONS or (op == "status" and fix is not Fix.LEAVE):
            continue  # a status card only offers Leave: "retry" there is just running /room status again
        action_id, label = FIX_BUTTONS[fix]
        fix_op = "leave" if fix is Fix.LEAVE else repeat_op
        key = DispatchKey(op=fix_op, room=result.room_key, meeting=result.meeting_id if fix_op != "leave" else None,
                          dispatch=result.dispatch_id,
                          bare=bare and fix is not Fix.ENTER_PASSCODE, topic=topic if fix_op == "new" else None,
                          nonce=nonce)
        elements.append(ButtonElement(text=label, action_id=action_id, value=key.encode(),
                                      style=_style(fix), confirm=_confirm(fix, result)))
    return ActionsBlock(block_id=BlockId.RESULT_ACTIONS, elements=elements) if elements else None


def _style(fix: Fix) -> str | None:
    return {Fix.RETRY: "primary", Fix.JOIN_ANYWAY: "danger"}.get(fix)


def _confirm(fix: Fix, result: DispatchResult) -> ConfirmObject | None:
    room = result.room_name[:60]
    number = format_meeting_number(result.meeting_id)
    if fix is Fix.REPAIR_PASSCODE:
        return ConfirmObject(
            title="Change the meeting passcode?",
            text=f"Meeting {number} gets a new passcode that Zoom Rooms accept. Links and invitations sent before now "
            "will ask people for the new passcode. You will see the new passcode privately.",
            confirm="Change passcode", deny="Cancel", style="danger")
    if fix is Fix.JOIN_ANYWAY:
        return ConfirmObject(title="Pull the room out of its meeting?",
                             text=f"{room} will leave the meeting it is in now and join this one.",
                             confirm="Join anyway", deny="Cancel", style="danger")
    if fix is Fix.LEAVE:
        return ConfirmObject(title="Make the room leave?", text=f"{room} will leave its current meeting.",
                             confirm="Leave", deny="Cancel")
    return None


def _plain(mrkdwn: str) -> str:
    """Notification text: the same words without emoji codes and bold markers."""
    words = [w for w in mrkdwn.replace("*", "").split(" ") if not (w.startswith(":") and w.endswith(":"))]
    return " ".join(words)


def passcode_message(result: DispatchResult, passcode: str, *, repaired: bool) -> SlackMessage:
    """Only ever sent ephemerally to the requester (chat.postEphemeral or an ephemeral response)."""
    number = format_meeting_number(result.meeting_id)
    if repaired:
        text = (f":key: Meeting {number} now has the passcode {code(passcode)}. Only you can see this message; "
                "links and invitations sent before now will ask for this passcode.")
    else:
        text = (f":key: The passcode of meeting {number} is {code(passcode)}. Only you can see this message; "
                "share it only with the people who should join.")
    return SlackMessage(text=text, blocks=(section_block(text),))


def refusal_message(result: DispatchResult) -> SlackMessage:
    """A refusal about the requester's own input (unknown room, bad link, not allowed): ephemeral."""
    hints = {
        ResultKind.UNKNOWN_ROOM: "Nothing was done. `/room list` shows the rooms and their names.",
        ResultKind.INVALID_REFERENCE: "Nothing was done. Paste the Zoom meeting link, the meeting ID "
                                      "(9 to 11 digits) or the whole invitation.",
        ResultKind.NOT_ALLOWED: "Nothing was done.",
    }
    return info_message(f":warning: {escape_mrkdwn(result.reason)}", hints.get(result.kind, "Nothing was done."))


def info_message(text: str, hint: str | None = None) -> SlackMessage:
    blocks: list[Block] = [section_block(text)]
    if hint:
        blocks.append(note_block(hint))
    return SlackMessage(text=clip(_plain(text) + (f" {hint}" if hint else ""), 3000), blocks=tuple(blocks))


def not_in_channel_note(error: str) -> str:
    return (f"I could not post in this channel myself ({error}), so there was no live progress. "
            "Invite me with `/invite @roombot` (or use a channel I am in) to get one message that updates as the "
            "room joins.")


# ------------------------------------------------------------------------------------------- room list


@dataclass(frozen=True)
class RoomView:
    key: int
    name: str
    aliases: tuple[str, ...] = ()
    status: str | None = None  # None: Zoom did not list it (or could not be asked)


def room_line(room: RoomView) -> str:
    aliases = f" _(also: {', '.join(escape_mrkdwn(a) for a in room.aliases)})_" if room.aliases else ""
    return f"*{escape_mrkdwn(room.name)}*{aliases} — {status_label(room.status)}"


def rooms_list_message(rooms: Sequence[RoomView], *, zoom_problem: str | None = None) -> SlackMessage:
    if not rooms:
        return info_message(":information_source: roombot knows no rooms yet.",
                            "A roombot admin can import them from Zoom with `/room sync`.")
    blocks: list[Block] = [section_block(f"*Zoom Rooms* ({len(rooms)}) — live status from Zoom")]
    if zoom_problem:
        blocks.append(note_block(f":warning: Live status unavailable: {escape_mrkdwn(zoom_problem)}"))
    for room in rooms[:ROOMS_WITH_BUTTONS]:
        blocks.append(section_block(room_line(room)))
        blocks.append(ActionsBlock(elements=room_buttons(room)))
    rest = rooms[ROOMS_WITH_BUTTONS:]
    if rest:
        blocks.append(section_block("\n".join(room_line(r) for r in rest)))
        blocks.append(note_block("Use `/room join <room> <link>` or `/room new <room>` for the rooms above."))
    else:
        blocks.append(note_block("Or type `/room join <room> <link | id> [passcode]`, `/room new <room> [topic]`."))
    text = "Zoom Rooms: " + ", ".join(f"{r.name} ({r.status or 'unknown'})" for r in rooms)
    return SlackMessage(text=clip(text, 3000), blocks=tuple(blocks))


def room_buttons(room: RoomView) -> list[ButtonElement]:
    buttons = [
        ButtonElement(text="Join a meeting…", action_id=ActionId.JOIN_MEETING,
                      value=DispatchKey(op="join", room=room.key).encode()),
        ButtonElement(text="New meeting", action_id=ActionId.NEW_MEETING,
                      value=DispatchKey(op="new", room=room.key, nonce=new_nonce()).encode()),
    ]
    if room.status == "InMeeting":
        buttons.append(ButtonElement(text="Leave meeting", action_id=ActionId.LEAVE,
                                     value=DispatchKey(op="leave", room=room.key, nonce=new_nonce()).encode(),
                                     confirm=ConfirmObject(title="Make the room leave?",
                                                           text=f"{room.name[:60]} will leave its current meeting.",
                                                           confirm="Leave", deny="Cancel")))
    return buttons


def home_blocks(rooms: Sequence[RoomView], *, problem: str | None = None) -> list[Block]:
    blocks: list[Block] = [section_block("*Rooms*")]
    if problem:
        blocks.append(note_block(f":warning: {escape_mrkdwn(problem)}"))
    if not rooms:
        blocks.append(note_block("No rooms yet: a roombot admin imports them with `/room sync`."))
        return blocks
    lines = [room_line(room) for room in rooms]
    for start in range(0, len(lines), 30):  # stay well under a section's 3000 characters
        blocks.append(section_block("\n".join(lines[start:start + 30])))
    blocks.append(note_block("Send one into a meeting from any channel: `/room join <room> <link>` or "
                             "`/room new <room>`."))
    return blocks


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
    options = [Option(text=clip(room.name, 75), value=str(room.key)) for room in rooms[:MAX_SELECT_OPTIONS]]
    select = StaticSelectElement(action_id=ActionId.ROOM_SELECT, placeholder="Choose a room", options=options)
    number = format_meeting_number(context.key.meeting)
    blocks: list[Block] = [section_block(f"Send a Zoom Room into meeting *{number}*."),
                           InputBlock(block_id=BlockId.ROOM, label="Room", element=select)]
    hint = ("The message states the passcode: leave this empty to use it. " if passcode_stated
            else "Leave empty if the meeting has none or is on roombot's Zoom account. ")
    blocks.append(_passcode_input(True, hint + PASSCODE_HINT))
    if len(rooms) > MAX_SELECT_OPTIONS:
        blocks.append(note_block(f"Only the first {MAX_SELECT_OPTIONS} rooms are listed; use `/room join` for others."))
    return View(type="modal", callback_id=CallbackId.SEND_ROOM_MODAL, title="Send a room", submit="Send room",
                close="Cancel", private_metadata=context.encode(), blocks=blocks)


def notice_view(text: str, hint: str | None = None) -> View:
    message = info_message(text, hint)
    return View(type="modal", title=PlainTextObject(text="roombot"), close="Close", blocks=list(message.blocks))
