"""Pure Block Kit builders for the dispatch surface (no I/O): result cards, room list, modals, audit.

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

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    ExternalDataSelectElement,
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
from bot.slack.blocks import SECTION_LIMIT, SlackMessage, clip, code, escape_mrkdwn
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.slack.rooms.values import DispatchKey, ModalContext, Operation, StaleValue, new_nonce
from bot.slack.wording import describe, lobby_note, meeting_on, service_name, zoom_said
from bot.store.rooms import normalise_name

MAX_PASSCODE_INPUT = 64
MAX_SELECT_OPTIONS = 100  # Slack's cap for a static_select, and for one options answer of an external_select
MAX_OPTION_TEXT = 75  # characters of an option's text
MAX_OPTION_VALUE = 150  # characters of an option's value
MAX_CONFIRM_TEXT = 300  # characters of a confirm dialog's text
ROOMS_WITH_BUTTONS = 20  # rooms per /room list page: two blocks each; Slack allows 50 blocks per message
ROOMS_PER_PAGE = ROOMS_WITH_BUTTONS
MAX_LIST_QUERY = 100  # characters of a `/room list <text>` filter carried in the page buttons
ROOM_SEARCH_MIN_QUERY = 1  # characters typed before Slack asks for a room picker's options
HOME_ROOMS = 60  # rooms listed on the Home tab; the rest are counted and left to /room list
HOME_ROOM_SECTIONS = 3  # sections those rooms are packed into (each at most SECTION_LIMIT characters)

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


@dataclass(frozen=True)
class ListPage:
    """Which page of `/room list` (and which filter) a Previous/Next button shows: the button's value."""

    page: int = 1
    query: str = ""

    def encode(self) -> str:
        return json.dumps({"page": self.page, "q": self.query[:MAX_LIST_QUERY]}, separators=(",", ":"))

    @classmethod
    def decode(cls, value: str) -> ListPage:
        try:
            data = json.loads(value)
            page, query = data["page"], data.get("q", "")
        except (ValueError, TypeError, KeyError):
            raise StaleValue("not a /room list page") from None
        if not isinstance(page, int) or isinstance(page, bool) or page < 1 or not isinstance(query, str):
            raise StaleValue("not a /room list page")
        return cls(page, query[:MAX_LIST_QUERY])


def _rank(room: RoomView, key: str, folded: str) -> int | None:
    """How well ``room`` matches a query: 0 its name or an alias is the query, 1 starts with it, 2 contains it,
    None not at all.  ``key`` is the query as rooms are matched everywhere (``normalise_name``); a query with
    no letters or digits ("&") is matched as typed, ignoring case (``folded``)."""
    names = (room.name, *room.aliases)
    found = [normalise_name(name) for name in names] if key else [name.casefold() for name in names]
    wanted = key or folded
    if wanted in found:
        return 0
    if any(name.startswith(wanted) for name in found):
        return 1
    if any(wanted in name for name in found):
        return 2
    return None


def find_rooms(rooms: Sequence[RoomView], query: str) -> list[RoomView]:
    """The rooms whose name or an alias contains ``query``, matched the way rooms are matched everywhere
    (capitals, spaces and punctuation do not matter): the one it names first, then those starting with it, then
    the others, each group in the given order — so typing a room's whole name always finds it first."""
    folded = " ".join(query.split()).casefold()
    if not folded:
        return list(rooms)
    key = normalise_name(query)
    ranked: tuple[list[RoomView], list[RoomView], list[RoomView]] = ([], [], [])
    for room in rooms:
        rank = _rank(room, key, folded)
        if rank is not None:
            ranked[rank].append(room)
    return [*ranked[0], *ranked[1], *ranked[2]]


def _quoted(query: str) -> str:
    return f"“{escape_mrkdwn(clip(query, MAX_LIST_QUERY))}”"


def rooms_list_message(rooms: Sequence[RoomView], *, zoom_problem: str | None = None, page: int = 1,
                       query: str = "", total: int | None = None) -> SlackMessage:
    """One page of `/room list`: ``ROOMS_PER_PAGE`` rooms with their buttons, and Previous/Next buttons when
    there are more, so every room can be reached and the message stays under Slack's 50 blocks.

    ``rooms`` are the rooms to list (those matching ``query`` when the list is filtered), ``total`` how many
    roombot knows in all."""
    total = len(rooms) if total is None else total
    if not rooms:
        if query and total:
            return info_message(f":mag: No room matches {_quoted(query)}.",
                                f"Nothing was done. `/room list` shows all {total} rooms.")
        return info_message(":information_source: roombot knows no rooms yet.",
                            "A roombot admin can import them from Zoom with `/room sync`.")
    pages = -(-len(rooms) // ROOMS_PER_PAGE)
    page = min(max(page, 1), pages)
    first = (page - 1) * ROOMS_PER_PAGE
    shown = rooms[first:first + ROOMS_PER_PAGE]
    span = f"{first + 1}–{first + len(shown)}" if len(shown) > 1 else str(first + 1)
    if query:
        heading = f"*Zoom Rooms matching {_quoted(query)}* ({len(rooms)} of {total}) — live status from Zoom"
    else:
        heading = f"*Zoom Rooms* ({len(rooms)}) — live status from Zoom"
    if pages > 1:
        heading += f"\nRooms {span} of {len(rooms)} (page {page} of {pages})."
    blocks: list[Block] = [section_block(heading)]
    if zoom_problem:
        blocks.append(note_block(f":warning: Live status unavailable: {escape_mrkdwn(zoom_problem)}"))
    for room in shown:
        blocks.append(section_block(room_line(room)))
        blocks.append(ActionsBlock(elements=room_buttons(room)))
    if pages > 1:
        blocks.append(ActionsBlock(block_id=BlockId.LIST_PAGES, elements=page_buttons(page, pages, query)))
        blocks.append(note_block(f"Page {page} of {pages}. Find a room faster: `/room list <part of its name>`."))
    blocks.append(note_block("Or type `/room join <room> <link | id> [passcode]`, `/room new <room> [topic]`."))
    listed = ", ".join(f"{escape_mrkdwn(r.name)} ({r.status or 'unknown'})" for r in shown)
    prefix = f"Zoom Rooms {span} of {len(rooms)}" if pages > 1 else "Zoom Rooms"
    return SlackMessage(text=clip(f"{prefix}: {listed}", 3000), blocks=tuple(blocks))


def page_buttons(page: int, pages: int, query: str) -> list[ButtonElement]:
    buttons = []
    if page > 1:
        buttons.append(ButtonElement(text="◀ Previous", action_id=ActionId.LIST_PREVIOUS,
                                     value=ListPage(page - 1, query).encode()))
    if page < pages:
        buttons.append(ButtonElement(text="Next ▶", action_id=ActionId.LIST_NEXT,
                                     value=ListPage(page + 1, query).encode()))
    return buttons


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
                                     confirm=leave_confirm(room.name)))
    return buttons


def _status_summary(rooms: Sequence[RoomView]) -> str:
    counts: dict[str | None, int] = {}
    for room in rooms:
        status = room.status if room.status in STATUS_LABELS else None
        counts[status] = counts.get(status, 0) + 1
    parts = [f"{counts[status]} {status_label(status)}" for status in (*STATUS_LABELS, None) if counts.get(status)]
    return f"{len(rooms)} rooms: " + " · ".join(parts)


def pack_lines(lines: Sequence[str], *, limit: int = SECTION_LIMIT, sections: int) -> tuple[list[str], int]:
    """Join ``lines`` into at most ``sections`` texts of at most ``limit`` characters each, in order, stopping
    at the first line that does not fit; returns the texts and how many lines they hold (the caller says how
    many were left out).  A single line longer than ``limit`` is clipped, with an ellipsis that shows it."""
    packed: list[str] = []
    current: list[str] = []
    size = used = 0
    for line in lines:
        line = clip(line, limit)
        if current and size + 1 + len(line) > limit:
            packed.append("\n".join(current))
            current, size = [], 0
            if len(packed) == sections:
                return packed, used
        size += len(line) + (1 if current else 0)
        current.append(line)
        used += 1
    if current:
        packed.append("\n".join(current))
    return packed, used


def home_blocks(rooms: Sequence[RoomView], *, problem: str | None = None) -> list[Block]:
    """The Home tab's "Rooms" section: the first ``HOME_ROOMS`` rooms with their status, and for the rest a
    count by status and where to see them (never a section clipped at Slack's 3000 characters)."""
    blocks: list[Block] = [section_block("*Rooms*")]
    if problem:
        blocks.append(note_block(f":warning: {escape_mrkdwn(problem)}"))
    if not rooms:
        blocks.append(note_block("No rooms yet: a roombot admin imports them with `/room sync`."))
        return blocks
    packed, shown = pack_lines([room_line(room) for room in rooms[:HOME_ROOMS]], sections=HOME_ROOM_SECTIONS)
    if shown < len(rooms):
        blocks.append(note_block(_status_summary(rooms)))
    blocks.extend(section_block(text) for text in packed)
    if shown < len(rooms):
        blocks.append(note_block(f"…and {len(rooms) - shown} more: `/room list` pages through every room, "
                                 "`/room list <part of a name>` finds one."))
    blocks.append(note_block("Send one into a meeting from any channel: `/room join <room> <link>` or "
                             "`/room new <room>`."))
    return blocks


# ------------------------------------------------------------------------------------------ room pickers


def by_key(room: RoomView) -> str:
    """An option's value for a room: its store id (what the send-room form reads back)."""
    return str(room.key)


def room_picker(rooms: Sequence[RoomView], *, action_id: str, placeholder: str,
                value: Callable[[RoomView], str] = by_key) -> StaticSelectElement | ExternalDataSelectElement:
    """A room select for a modal: a ``static_select`` with every room when they fit in Slack's 100 options,
    else an ``external_select`` answered by type-ahead (``room_options``, from an ``app.options`` listener)."""
    if len(rooms) <= MAX_SELECT_OPTIONS:
        return StaticSelectElement(action_id=action_id, placeholder=placeholder,
                                   options=[room_option(room, value) for room in rooms])
    return ExternalDataSelectElement(action_id=action_id, placeholder="Type part of the room's name",
                                     min_query_length=ROOM_SEARCH_MIN_QUERY)


def search_hint(count: int) -> str | None:
    """The plain_text hint under a room picker that searches (None for a plain list)."""
    if count <= MAX_SELECT_OPTIONS:
        return None
    return f"{count} rooms: type part of a room's name (or an alias) to find it."


def room_option(room: RoomView, value: Callable[[RoomView], str] = by_key) -> Option:
    return Option(text=PlainTextObject(text=clip(room.name, MAX_OPTION_TEXT), emoji=False),
                  value=value(room)[:MAX_OPTION_VALUE])


def room_options(rooms: Sequence[RoomView], query: str, value: Callable[[RoomView], str] = by_key) -> dict[str, Any]:
    """The answer to an external room select's type-ahead: ``ack(**room_options(...))``.

    At most Slack's 100 options; when more rooms match, they come in one group whose label says how many
    matched and to type more, so nobody is left wondering where their room went."""
    found = find_rooms(rooms, query)
    options = [room_option(room, value).to_dict() for room in found[:MAX_SELECT_OPTIONS]]
    if len(found) <= MAX_SELECT_OPTIONS:
        return {"options": options}
    label = f"First {MAX_SELECT_OPTIONS} of {len(found)} matching rooms: type more of the name"
    return {"option_groups": [{"label": PlainTextObject(text=clip(label, MAX_OPTION_TEXT)).to_dict(),
                               "options": options}]}


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
