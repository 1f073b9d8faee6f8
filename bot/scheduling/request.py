"""`/room book <room> <when> <link | id | new> [passcode] [for <duration>] [every <…>]` → a booking draft.

Room names and `<when>` both have spaces ("Huddle 3", "tomorrow 9am"), so the words before the meeting are
split where the first part names a room (``is_room``) and the rest reads as a time; the meeting starts at
the first word that is `new`, a link or a meeting ID.  Pure apart from ``is_room``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.meetings import MeetingReference, parse_meeting_reference
from bot.scheduling.when import (
    WHEN_EXAMPLES,
    Recurrence,
    WhenError,
    first_start,
    parse_duration,
    parse_every,
    parse_when,
)

DEFAULT_DURATION = timedelta(minutes=30)
BOOK_USAGE = "/room book <room> <when> <link | id | new> [passcode] [for <duration>] [every <day|weekday|week|mon…sun>]"
BOOK_EXAMPLE = "/room book Boardroom mon 9:30 https://zoom.us/j/85512345678 for 15m every weekday"

_TOKEN = re.compile(r"<[^>]*>|\S+")
_ID_TOKEN = re.compile(r"^[0-9]+(?:[\-.][0-9]+)*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


class BookRequestError(ValueError):
    """The command cannot be read; ``str()`` says why with an example that works (never the passcode)."""


@dataclass(frozen=True)
class BookingDraft:
    room_text: str
    starts_at: datetime  # aware, requester's zone
    duration: timedelta
    recurrence: Recurrence | None
    meeting: MeetingReference | None  # None: `new`
    passcode: str | None = field(default=None, repr=False)
    duration_given: bool = False

    @property
    def is_new_meeting(self) -> bool:
        return self.meeting is None


def _is_meeting_start(token: str) -> bool:
    lowered = token.lower()
    if lowered == "new":
        return True
    if lowered.startswith(("<http", "http://", "https://", "zoommtg:", "zoomus:", "<zoommtg:", "<zoomus:")):
        return True
    return bool(_ID_TOKEN.match(token)) and not _ISO_DATE.match(token)


def _cut_trailing(tokens: list[str]) -> tuple[list[str], str | None, str | None]:
    """Remove `for <duration>` and `every <…>` from the end, in either order."""
    duration_text = every_text = None
    for _ in range(2):
        lowered = [t.lower() for t in tokens]
        positions = {word: max((i for i, t in enumerate(lowered) if t == word), default=-1)
                     for word in ("for", "every")}
        word = max(positions, key=lambda w: positions[w])
        at = positions[word]
        if at < 1 or (word == "for" and duration_text is not None) or (word == "every" and every_text is not None):
            break
        text = " ".join(tokens[at + 1:])
        if not text:
            raise BookRequestError(f"`{word}` needs something after it: "
                                   + ("`for 30m`" if word == "for" else "`every weekday`") + ".")
        if word == "for":
            duration_text = text
        else:
            every_text = text
        tokens = tokens[:at]
    return tokens, duration_text, every_text


def parse_book_args(args: str, *, now: datetime, tz_name: str, is_room: Callable[[str], bool]) -> BookingDraft:
    tokens = _TOKEN.findall(args.strip())
    if len(tokens) < 3:
        raise BookRequestError(f"Book a room like this: `{BOOK_EXAMPLE}`")
    tokens, duration_text, every_text = _cut_trailing(tokens)
    try:
        duration = parse_duration(duration_text) if duration_text else DEFAULT_DURATION
        recurrence = parse_every(every_text) if every_text else None
    except WhenError as error:
        raise BookRequestError(str(error)) from None

    when_error: WhenError | None = None
    meeting_problem: str | None = None
    for start in range(2, len(tokens)):
        if not _is_meeting_start(tokens[start]):
            continue
        meeting_tokens = tokens[start:]
        meeting: MeetingReference | None = None
        passcode: str | None = None
        if meeting_tokens[0].lower() == "new":
            if len(meeting_tokens) > 1:
                meeting_problem = ("`new` meetings get a passcode Zoom Rooms can type from me; "
                                   "leave out the passcode (put `for`/`every` after `new`).")
                continue
        else:
            meeting = parse_meeting_reference(" ".join(meeting_tokens))
            if not meeting.is_valid or not meeting.meeting_id:
                meeting_problem = meeting.reason or "A personal link has no meeting ID; paste the meeting ID."
                continue
            passcode = meeting.passcode
        split = _split_room_and_when(tokens[:start], now=now, tz_name=tz_name, is_room=is_room)
        if isinstance(split, WhenError):
            when_error = when_error or split
            continue
        room_text, when = split
        try:
            starts_at = first_start(when, recurrence, now=now)
        except WhenError as error:
            raise BookRequestError(str(error)) from None
        return BookingDraft(room_text, starts_at, duration, recurrence, meeting, passcode,
                            duration_given=duration_text is not None)
    if when_error is not None:
        raise BookRequestError(f"{when_error} Example: `{BOOK_EXAMPLE}`")
    if meeting_problem is not None:
        raise BookRequestError(meeting_problem)
    raise BookRequestError(f"After the room and the time, give the meeting: a Zoom link, a meeting ID or `new`. "
                           f"Example: `{BOOK_EXAMPLE}`")


def _split_room_and_when(head: list[str], *, now: datetime, tz_name: str,
                         is_room: Callable[[str], bool]) -> tuple[str, object] | WhenError:
    """(room text, When) for the split whose room is known; else the one with the shortest room name."""
    readable: list[tuple[str, object]] = []
    first_error: WhenError | None = None
    known_room_error: WhenError | None = None  # the room is right, so this is what the user got wrong
    for cut in range(1, len(head)):
        room_text = " ".join(head[:cut]).strip("\"'“”")
        try:
            when = parse_when(" ".join(head[cut:]), now=now, tz_name=tz_name)
        except WhenError as error:
            first_error = first_error or error
            if known_room_error is None and is_room(room_text):
                known_room_error = error
            continue
        if is_room(room_text):
            return room_text, when
        readable.append((room_text, when))
    if known_room_error is not None:
        return known_room_error
    if readable:
        return readable[0]
    return first_error or WhenError(f"I cannot find the time; write it like {WHEN_EXAMPLES}.")
