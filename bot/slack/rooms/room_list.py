"""Pure Block Kit builders for rooms: the `/room list` pages and filter, the App Home rooms, and the room pickers
(a ``static_select`` up to 100 rooms, else an ``external_select`` answered by type-ahead, ``room_options``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ExternalDataSelectElement,
    Option,
    PlainTextObject,
    StaticSelectElement,
)

from bot.slack.blocks import SECTION_LIMIT, SlackMessage, clip, escape_mrkdwn
from bot.slack.ids import ActionId, BlockId
from bot.slack.rooms.render import STATUS_LABELS, info_message, leave_confirm, note_block, section_block, status_label
from bot.slack.rooms.values import DispatchKey, StaleValue, new_nonce
from bot.store.rooms import normalise_name

MAX_CONFIRM_TEXT = 300  # characters of a confirm dialog's text

MAX_SELECT_OPTIONS = 100  # Slack's cap for a static_select, and for one options answer of an external_select
MAX_OPTION_TEXT = 75  # characters of an option's text
MAX_OPTION_VALUE = 150  # characters of an option's value
ROOMS_WITH_BUTTONS = 20  # rooms per /room list page: two blocks each; Slack allows 50 blocks per message
ROOMS_PER_PAGE = ROOMS_WITH_BUTTONS
MAX_LIST_QUERY = 100  # characters of a `/room list <text>` filter carried in the page buttons
ROOM_SEARCH_MIN_QUERY = 1  # characters typed before Slack asks for a room picker's options
HOME_ROOMS = 60  # rooms listed on the Home tab; the rest are counted and left to /room list
HOME_ROOM_SECTIONS = 3  # sections those rooms are packed into (each at most SECTION_LIMIT characters)


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


