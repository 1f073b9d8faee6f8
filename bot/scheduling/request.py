"""`/room book <room> <when> <link | id | new> [passcode] [for <duration>] [every <…>]` → a booking draft.

Room names and `<when>` both have spaces ("Huddle 3", "tomorrow 9am"), so the words before the meeting are
split where the first part names a room (``is_room``) and the rest reads as a time; the meeting starts at
the first word that is `new`, a link or a meeting ID.  Pure apart from ``is_room``.

Linear in the number of words.  Reading the meeting from every word that could start it, and the time from
every cut of the words before, re-reads the same tail over and over (2,000 words took 2.8 s of CPU); instead
:class:`~bot.meetings.suffixes.ReferenceSuffixes` and :class:`~bot.scheduling.when.WhenSuffixes` answer for
all starts and cuts from facts about single words, leaving a bounded number of short texts to read per start,
and ``is_room`` is asked about each cut once.  The answers are exactly those of trying every pair.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, overload

from bot.meetings import MeetingReference, parse_meeting_reference
from bot.meetings.suffixes import REFUSED, TOO_LONG, ReferenceSuffixes
from bot.scheduling.when import (
    Recurrence,
    When,
    WhenError,
    WhenSuffixes,
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
    if lowered.startswith(("<http", "http://", "https://", "zoommtg:", "zoomus:", "<zoommtg:", "<zoomus:", "sip:",
                           "<sip:")):
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
    room_text, when, meeting = _read_head(tokens, now=now, tz_name=tz_name, is_room=is_room)
    try:
        starts_at = first_start(when, recurrence, now=now)
    except WhenError as error:
        raise BookRequestError(str(error)) from None
    return BookingDraft(room_text, starts_at, duration, recurrence, meeting,
                        meeting.passcode if meeting is not None else None, duration_given=duration_text is not None)


def _read_head(tokens: list[str], *, now: datetime, tz_name: str,
               is_room: Callable[[str], bool]) -> tuple[str, When, MeetingReference | None]:
    """Room, time and meeting from ``<room> <when> <meeting…>``.

    The meeting starts at the first word (from the third) that starts one (`new`, a link, an ID), after which
    the words are a meeting reference, and before which some cut leaves a room and a time
    (:meth:`_Splits.split`).  When there is none, the reply is about the first such word whose meeting reads,
    else about the meeting the last one starts.  Every (start, cut) pair is in play, but only a bounded number
    of them is read per start: :class:`ReferenceSuffixes` and :class:`WhenSuffixes` rule out the rest, and
    after the first start whose meeting reads (which sets the reply), a start is only looked at further when
    one of its cuts gives a room and a time.
    """
    meetings = _Meetings(tokens)
    splits = _Splits(tokens, now=now, tz_name=tz_name, is_room=is_room)
    starts = [start for start in range(2, len(tokens)) if _is_meeting_start(tokens[start])]
    when_error: WhenError | None = None
    for start in starts:
        if when_error is None:
            if not meetings.usable(start):
                continue
            split = splits.split(start, explain=True)
            if isinstance(split, WhenError):
                when_error = split
                continue
        else:
            if meetings.ruled_out(start):
                continue
            found = splits.split(start, explain=False)
            if found is None or not meetings.usable(start):
                continue
            split = found
        return split[0], split[1], meetings.meeting(start)
    if when_error is not None:
        raise BookRequestError(f"{when_error} Example: `{BOOK_EXAMPLE}`")
    if starts:
        raise BookRequestError(meetings.problem(starts[-1]))
    raise BookRequestError(f"After the room and the time, give the meeting: a Zoom link, a meeting ID or `new`. "
                           f"Example: `{BOOK_EXAMPLE}`")


_NEW_WITH_PASSCODE = ("`new` meetings get a passcode Zoom Rooms can type from me; "
                      "leave out the passcode (put `for`/`every` after `new`).")
_PERSONAL_LINK = "A personal link has no meeting ID; paste the meeting ID."


class _Meetings:
    """``parse_meeting_reference`` of the words from a start, parsed only when the screen cannot tell."""

    def __init__(self, tokens: list[str]) -> None:
        self._tokens = tokens
        self._screen = ReferenceSuffixes(tokens)
        self._parsed: dict[int, MeetingReference] = {}
        self._usable_by_group: dict[int, bool] = {}

    def _is_new(self, start: int) -> bool:
        return self._tokens[start].lower() == "new"

    def _reference(self, start: int) -> MeetingReference:
        if start not in self._parsed:
            self._parsed[start] = parse_meeting_reference(" ".join(self._tokens[start:]))
        return self._parsed[start]

    def _reads(self, start: int) -> bool:
        reference = self._reference(start)
        return reference.is_valid and bool(reference.meeting_id or reference.is_third_party)

    def ruled_out(self, start: int) -> bool:
        """Known, without parsing, not to be a meeting the booking can use."""
        if self._is_new(start):
            return len(self._tokens) - start > 1
        verdict = self._screen.verdict(start)
        if verdict in (TOO_LONG, REFUSED):
            return True
        return isinstance(verdict, int) and self._usable_by_group.get(verdict) is False

    def usable(self, start: int) -> bool:
        if self._is_new(start):
            return len(self._tokens) - start == 1
        verdict = self._screen.verdict(start)
        if verdict in (TOO_LONG, REFUSED):
            return False
        if isinstance(verdict, int):
            if verdict not in self._usable_by_group:
                self._usable_by_group[verdict] = self._reads(start)
            return self._usable_by_group[verdict]
        return self._reads(start)

    def meeting(self, start: int) -> MeetingReference | None:
        return None if self._is_new(start) else self._reference(start)

    def problem(self, start: int) -> str:
        """Why the words from ``start`` are no meeting the booking can use."""
        if self._is_new(start):
            return _NEW_WITH_PASSCODE
        return self._reference(start).reason or _PERSONAL_LINK


class _Splits:
    """Room text and time for the words before a start: the first cut whose room is known and whose rest reads as
    a time; else, unless some cut with a known room does not read (then that is the user's mistake), the first
    cut that reads; else the first cut's error.  ``is_room`` is asked about each cut at most once."""

    def __init__(self, tokens: list[str], *, now: datetime, tz_name: str, is_room: Callable[[str], bool]) -> None:
        self._tokens, self._now, self._tz_name, self._is_room = tokens, now, tz_name, is_room
        self._times = WhenSuffixes(tokens, now=now, tz_name=tz_name)
        self._joined = " ".join(tokens)
        self._ends: list[int] = []  # self._joined[:self._ends[i]] is " ".join(tokens[:i + 1])
        position = -1
        for token in tokens:
            position += len(token) + 1
            self._ends.append(position)
        self._known: dict[int, bool] = {}
        self._known_in: dict[tuple[int, int], int | None] = {}
        self._first_known: int | None = None
        self._scanned = 1  # cuts below this have been asked about, looking for the first known room

    def _room_text(self, cut: int) -> str:
        return self._joined[:self._ends[cut - 1]].strip("\"'“”")

    def _names_room(self, cut: int) -> bool:
        if cut not in self._known:
            self._known[cut] = self._is_room(self._room_text(cut))
        return self._known[cut]

    def _first_room_in(self, lo: int, hi: int) -> int | None:
        if (lo, hi) not in self._known_in:
            self._known_in[lo, hi] = next((cut for cut in range(lo, hi) if self._names_room(cut)), None)
        return self._known_in[lo, hi]

    def _first_room_before(self, end: int) -> int | None:
        while self._first_known is None and self._scanned < end:
            if self._names_room(self._scanned):
                self._first_known = self._scanned
            self._scanned += 1
        return self._first_known if self._first_known is not None and self._first_known < end else None

    def _time(self, cut: int, end: int) -> When:
        return parse_when(" ".join(self._tokens[cut:end]), now=self._now, tz_name=self._tz_name)

    def _error(self, cut: int, end: int) -> WhenError:
        try:
            self._time(cut, end)
        except WhenError as error:
            return error
        raise AssertionError(f"cut {cut} of {end} reads as a time but was not found")  # pragma: no cover

    @overload
    def split(self, end: int, *, explain: Literal[True]) -> tuple[str, When] | WhenError: ...
    @overload
    def split(self, end: int, *, explain: Literal[False]) -> tuple[str, When] | None: ...
    def split(self, end: int, *, explain: bool) -> tuple[str, When] | WhenError | None:
        """(room text, time) for ``tokens[:end]``; when there is none, the error to show (or None, unless
        ``explain``)."""
        readable = self._times.readable_cuts(end)
        for lo, hi in readable:
            cut = self._first_room_in(lo, hi)
            if cut is not None:
                return self._room_text(cut), self._time(cut, end)
        known_room = self._first_room_before(end)  # it does not read: it would have been found above
        if known_room is not None:
            return self._error(known_room, end) if explain else None
        if readable:
            cut = readable[0][0]
            return self._room_text(cut), self._time(cut, end)
        return self._error(1, end) if explain else None
