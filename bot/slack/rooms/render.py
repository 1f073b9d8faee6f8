"""Pure Block Kit builders for the dispatch surface (no I/O): result cards, progress, refusals and notes
(the room list and pickers are in ``room_list``, the modals in ``modals``).

Everything shown comes from a ``DispatchResult`` (which never holds a passcode except
``passcode_for_requester``, rendered only by ``passcode_message`` for an ephemeral reply) or from the store.
Text from users or Zoom (room names, reasons quoting what was typed) is escaped with ``escape_mrkdwn`` wherever
it goes into mrkdwn (block text and the fallback ``text``); confirm dialogs and select options are plain_text,
so names go there as they are.

Slack's limits, checked by the tests on these builders' output: 50 blocks per message, 100 per modal or Home
tab, 3000 characters per section text, 75 per option text (150 per option value), 2000 per button value, and
100 options in a ``static_select`` — with more rooms than that, the room pickers are ``external_select`` menus
whose options are answered by type-ahead (``room_options``).
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.dispatch.outcomes import DispatchResult, Fix, ResultKind, format_meeting_number
from bot.slack.blocks import SlackMessage, clip, code, escape_mrkdwn
from bot.slack.ids import ActionId, BlockId
from bot.slack.rooms.values import DispatchKey, Operation, new_nonce
from bot.slack.wording import describe, lobby_note, meeting_on, service_name, zoom_said

MAX_CONFIRM_TEXT = 300  # characters of a confirm dialog's text

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
    if result.service:
        return _third_party_headline(result, op, room)
    number = format_meeting_number(result.meeting_id) if result.meeting_id else None
    if result.kind is ResultKind.IN_MEETING:
        return f":white_check_mark: *{escape_mrkdwn(describe(result.reason))}*"
    if result.kind is ResultKind.LEFT:
        return f":wave: *{escape_mrkdwn(describe(result.reason))}*"
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


def _third_party_headline(result: DispatchResult, op: str, room: str) -> str:
    meeting = meeting_on(result.service)
    if result.kind in (ResultKind.IN_MEETING, ResultKind.LEFT):
        emoji = ":white_check_mark:" if result.kind is ResultKind.IN_MEETING else ":wave:"
        return f"{emoji} *{escape_mrkdwn(describe(result.reason))}*"
    if op == "leave":
        return f":grey_question: *{room} may still be in {meeting}.*"
    if result.kind is ResultKind.ROOM_BUSY:
        return f":busts_in_silhouette: *{room} is busy, so it was not sent to {meeting}.*"
    if result.kind is ResultKind.UNCONFIRMED:
        return f":grey_question: *{room}: Zoom accepted, but I did not see it join {meeting}.*"
    return f":x: *{room} was not sent to {meeting}.*"


def result_message(result: DispatchResult, *, requester_id: str, op: str,
                   topic: str | None = None, bare: bool = False) -> SlackMessage:
    """The card that replaces the progress message: what happened, Zoom's words, what to do, the buttons."""
    lines = [headline(result, op)]
    if result.kind not in (ResultKind.IN_MEETING, ResultKind.LEFT, ResultKind.STATUS):
        lines.append(escape_mrkdwn(describe(result.reason)))
    if result.zoom_error is not None:
        lines.append(f":speech_balloon: {escape_mrkdwn(zoom_said(result.zoom_error))}")
    blocks: list[Block] = [section_block("\n".join(lines), BlockId.ERROR if not result.ok else None)]
    if result.join_url:
        url = escape_mrkdwn(result.join_url)
        blocks.append(section_block(f"*Join link:* <{url}|{url}>"))
    notes = [describe(note) for note in result.notes]
    if result.service in ("teams", "meet") and op == "join" and result.kind is not ResultKind.INVALID_REFERENCE:
        notes.append(lobby_note(result.service))
    if notes:
        blocks.append(section_block("\n".join(f":information_source: {escape_mrkdwn(note)}" for note in notes)))
    details = [f"Room: *{escape_mrkdwn(result.room_name)}*"]
    if result.service:
        details.append(f"{service_name(result.service)} meeting" if result.service != "sip" else "SIP call")
    elif result.meeting_id:
        details.append(f"meeting {format_meeting_number(result.meeting_id)}")
    if result.room_status and result.kind is not ResultKind.STATUS:
        details.append(f"room status: {status_label(result.room_status)}")
    details.append(f"requested by <@{requester_id}>")
    if result.dispatch_ref:
        details.append(f"dispatch {result.dispatch_ref}")
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
    repeat_op: Operation = "new" if op == "new" and not result.meeting_id else ("leave" if op == "leave" else "join")
    nonce = new_nonce()
    elements = []
    for fix in result.fixes:
        if fix not in FIX_BUTTONS or (op == "status" and fix is not Fix.LEAVE):
            continue  # a status card only offers Leave: "retry" there is just running /room status again
        action_id, label = FIX_BUTTONS[fix]
        fix_op: Operation = "leave" if fix is Fix.LEAVE else repeat_op
        zoom_meeting = result.meeting_id if fix_op != "leave" and not result.service else None
        key = DispatchKey(op=fix_op, room=result.room_key, meeting=zoom_meeting, dispatch=result.dispatch_id,
                          service=result.service if fix_op != "leave" else None,
                          bare=bare and fix is not Fix.ENTER_PASSCODE, topic=topic if fix_op == "new" else None,
                          nonce=nonce)
        elements.append(ButtonElement(text=label, action_id=action_id, value=key.encode(),
                                      style=_style(fix), confirm=_confirm(fix, result)))
    return ActionsBlock(block_id=BlockId.RESULT_ACTIONS, elements=elements) if elements else None


def _style(fix: Fix) -> str | None:
    return {Fix.RETRY: "primary", Fix.JOIN_ANYWAY: "danger"}.get(fix)


def confirm_text(text: str) -> PlainTextObject:
    """A confirm dialog's text.  slack_sdk makes a bare string mrkdwn there, where a room named
    ``Lab <!channel>`` would be a live mention: plain_text shows names exactly as they are, and mentions nobody."""
    return PlainTextObject(text=clip(text, MAX_CONFIRM_TEXT), emoji=False)


def leave_confirm(room_name: str) -> ConfirmObject:
    return ConfirmObject(title="Make the room leave?", text=confirm_text(f"{room_name[:60]} will leave its current "
                                                                         "meeting."),
                         confirm="Leave", deny="Cancel")


def _confirm(fix: Fix, result: DispatchResult) -> ConfirmObject | None:
    room = result.room_name[:60]
    number = format_meeting_number(result.meeting_id)
    if fix is Fix.REPAIR_PASSCODE:
        return ConfirmObject(
            title="Change the meeting passcode?",
            text=confirm_text(f"Meeting {number} gets a new passcode that Zoom Rooms accept. Links and invitations "
                              "sent before now will ask people for the new passcode. You will see the new passcode "
                              "privately."),
            confirm="Change passcode", deny="Cancel", style="danger")
    if fix is Fix.JOIN_ANYWAY:
        return ConfirmObject(title="Pull the room out of its meeting?",
                             text=confirm_text(f"{room} will leave the meeting it is in now and join this one."),
                             confirm="Join anyway", deny="Cancel", style="danger")
    if fix is Fix.LEAVE:
        return leave_confirm(result.room_name)
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
    return info_message(f":warning: {escape_mrkdwn(describe(result.reason))}",
                        hints.get(result.kind, "Nothing was done."))


def info_message(text: str, hint: str | None = None) -> SlackMessage:
    blocks: list[Block] = [section_block(text)]
    if hint:
        blocks.append(note_block(hint))
    return SlackMessage(text=clip(_plain(text) + (f" {hint}" if hint else ""), 3000), blocks=tuple(blocks))


def not_in_channel_note(error: str) -> str:
    return (f"I could not post in this channel myself ({error}), so there was no live progress. "
            "Invite me with `/invite @roombot` (or use a channel I am in) to get one message that updates as the "
            "room joins.")
