"""`/room book` argument parsing: the same answers as the original search over every (start, cut) pair, and
work that grows linearly with the number of words (issue 8, item 7).

The original algorithm is kept below only as an oracle: for each word that could start the meeting, it
parsed the rest as a meeting reference and, if that read, tried every cut of the words before it into a
room and a time — re-reading the whole tail at every cut, so 2,000 words took seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bot.meetings.invitations as invitations_module
import bot.meetings.links as links_module
import bot.meetings.suffixes as suffixes_module
import bot.scheduling.request as request_module
import bot.scheduling.when as when_module
from bot.meetings import MeetingReference, parse_meeting_reference
from bot.scheduling.request import (
    BOOK_EXAMPLE,
    DEFAULT_DURATION,
    BookingDraft,
    BookRequestError,
    _cut_trailing,
    _is_meeting_start,
    parse_book_args,
)
from bot.scheduling.when import WHEN_EXAMPLES, WhenError, first_start, parse_duration, parse_every, parse_when

NY = "America/New_York"
FRIDAY = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # 10:00 in New York
LINK = "https://zoom.us/j/85512345678"


# ------------------------------------------------------------------------------------------- the oracle

def _old_split_room_and_when(head: list[str], *, now: datetime, tz_name: str,
                             is_room: Callable[[str], bool]) -> tuple[str, object] | WhenError:
    readable: list[tuple[str, object]] = []
    first_error: WhenError | None = None
    known_room_error: WhenError | None = None
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


def old_parse_book_args(args: str, *, now: datetime, tz_name: str, is_room: Callable[[str], bool]) -> BookingDraft:
    tokens = request_module._TOKEN.findall(args.strip())
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
        split = _old_split_room_and_when(tokens[:start], now=now, tz_name=tz_name, is_room=is_room)
        if isinstance(split, WhenError):
            when_error = when_error or split
            continue
        room_text, when = split
        try:
            starts_at = first_start(when, recurrence, now=now)  # type: ignore[arg-type]
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


# -------------------------------------------------------------------------------------------- helpers

ROOMS = ("boardroom", "huddle 3", "ocean view (4th floor)", "x", "the lab")


def room_lookup(rooms: frozenset[str]) -> Callable[[str], bool]:
    """Like the store: an exact name, or the start of exactly one name (3+ characters)."""
    def is_room(text: str) -> bool:
        key = " ".join(text.lower().split())
        return key in rooms or (len(key) >= 3 and sum(name.startswith(key) for name in rooms) == 1)
    return is_room


def outcome(parse: Callable[..., BookingDraft], text: str, rooms: frozenset[str], tz: str,
            now: datetime = FRIDAY) -> tuple[Any, ...]:
    try:
        draft = parse(text, now=now, tz_name=tz, is_room=room_lookup(rooms))
    except BookRequestError as error:
        return ("refused", str(error))
    return ("booked", draft.room_text, draft.starts_at, draft.duration, draft.recurrence, draft.meeting,
            draft.passcode, draft.duration_given)


# ------------------------------------------------------------------------------ same answers as before

@pytest.mark.parametrize("text", [
    "Boardroom tomorrow 9am 85512345678 Xk7_9ab for 15m every weekday",
    "Huddle 3 tomorrow 14:00 85512345678",
    "\"Ocean View\" mon 9:30 new for 1h",
    "Boardroom in 15m 855 1234 5678",
    "Boardroom at at at the 9 , am " + LINK,
    "Boardroom x tomorrow 9am " + LINK,
    "Bordroom tomorrow 9am 85512345678",
    "Boardroom 2026-12-01T10:00 new",
    "Boardroom at 2026-12-01T10:00 new",
    "Boardroom tomorrow 9am new Xk7_9ab",
    "Boardroom tomorrow 9am https://evil.com/j/85512345678",
    "Boardroom " + "85512345678 " * 40,
    "Boardroom tomorrow 9am " + "1 " * 30,
    "Boardroom xyz in 1m " + "1 h " * 12 + "Meeting ID: 123456789",
    "Boardroom in 1h " + "0 m " * 12 + LINK,
    "Boardroom 9am " + " ".join(f"https://zoom.us/j/{123456789 + i}" for i in range(15)),
    "Huddle " * 20 + "tomorrow 9am 85512345678",
])
@pytest.mark.parametrize("rooms", [frozenset(ROOMS), frozenset(), frozenset({"boardroom xyz"})])
def test_examples_read_as_before(text: str, rooms: frozenset[str]) -> None:
    assert outcome(parse_book_args, text, rooms, NY) == outcome(old_parse_book_args, text, rooms, NY)


ROOM_WORDS = ["Boardroom", "Huddle", "3", "\"Ocean", "View\"", "“the", "lab”", "x", "Ocean", "xyz"]
WHEN_WORDS = ["tomorrow", "today", "9am", "9", "am", "pm", "9:30", "14:00", "25:00", "mon", "next", "fri", "dec", "1",
              "2026", "2026-12-01", "2026-12-01T10:00", "noon", "in", "15m", "1h30m", "1", "h", "and", "0", "m",
              "at", "on", "the", ",", "at,", "in,5m", "12h"]
MEETING_WORDS = ["85512345678", "855", "1234", "5678", "123456789", "new", "NEW", LINK, LINK + "?pwd=abc.1",
                 "<" + LINK + "|Join>", "https://evil.com/j/85512345678", "zoommtg://zoom.us/join?confno=85512345678",
                 "https://zoom.us/my/alice", "Meeting", "ID:", "Passcode:", "abc", "Xk7_9ab", "pwd=abc",
                 "123456789@zoomcrc.com", "x<" + LINK + "|a", "b>", "&amp;", "zoom:", "1-2", "xpasscode:"]
TRAILING = ["", " for 15m", " for 1h", " for x", " for", " every weekday", " every mon", " every x",
            " for 30m every day", " every week for 2h"]
words = st.sampled_from(ROOM_WORDS + WHEN_WORDS + MEETING_WORDS)
runs = st.tuples(words, st.sampled_from([1, 1, 1, 2, 9, 14])).map(lambda run: [run[0]] * run[1])


@st.composite
def commands(draw: st.DrawFn) -> str:
    """`<room> <when> <meeting> [passcode] [for …] [every …]`, then shuffled about and salted with noise."""
    parts = [draw(st.lists(st.sampled_from(ROOM_WORDS), min_size=1, max_size=3)),
             draw(st.lists(st.sampled_from(WHEN_WORDS), min_size=0, max_size=4)),
             draw(st.lists(st.sampled_from(MEETING_WORDS), min_size=0, max_size=3))]
    noise = draw(st.lists(runs, max_size=3))
    for run in noise:
        parts.insert(draw(st.integers(0, len(parts))), run)
    return " ".join(word for part in parts for word in part) + draw(st.sampled_from(TRAILING))


@settings(max_examples=400, deadline=None)
@given(text=commands(), rooms=st.frozensets(st.sampled_from(ROOMS)), tz=st.sampled_from([NY, "Europe/Berlin",
                                                                                        "Nowhere/Zone"]))
def test_reads_random_commands_like_the_original_search(text: str, rooms: frozenset[str], tz: str) -> None:
    assert outcome(parse_book_args, text, rooms, tz) == outcome(old_parse_book_args, text, rooms, tz)


# ---------------------------------------------------------------------------------------- linear work

class Work:
    """Counts what parsing reads: the words of every text tokenised as a time (parse_when and the cut screen
    both go through when._tokens) or normalised as a meeting reference (parse_meeting_reference and the
    suffix screen both normalise first), and the room lookups."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.words = 0
        self.room_lookups = 0
        real_tokens, real_normalise = when_module._tokens, invitations_module.normalise

        def counted_tokens(text: str) -> list[str]:
            self.words += len(text.split())
            return real_tokens(text)

        def counted_normalise(text: str) -> str:
            self.words += len(text.split())
            return real_normalise(text)

        monkeypatch.setattr(when_module, "_tokens", counted_tokens)
        for module in (links_module, suffixes_module):
            monkeypatch.setattr(module, "normalise", counted_normalise)

    def parse(self, text: str) -> None:
        rooms = room_lookup(frozenset({"boardroom"}))

        def is_room(room_text: str) -> bool:
            self.room_lookups += 1
            return rooms(room_text)

        try:
            parse_book_args(text, now=FRIDAY, tz_name=NY, is_room=is_room)
        except BookRequestError:
            pass


SHAPES: dict[str, Callable[[int], str]] = {
    # the measured case: 2,000 meeting IDs took 2.8 s
    "meeting ids": lambda n: "Boardroom " + "85512345678 " * n,
    "digits after the time": lambda n: "Boardroom tomorrow 9am " + "1 " * n,
    "digits and words": lambda n: "Boardroom tomorrow 9am " + "1 x " * (n // 2),
    "links after junk": lambda n: "Boardroom x " + (LINK + " ") * n,
    "times before links": lambda n: "Boardroom x " + ("9am " + LINK + " ") * (n // 2),
    "different links": lambda n: "Boardroom x " + " ".join(f"https://zoom.us/j/{123456789 + i}" for i in range(n)),
    "digits before an invitation": lambda n: "Boardroom xyz " + "1 " * n + "Meeting ID: 123456789",
    "a long duration": lambda n: "Boardroom xyz in 1m " + "1 h " * (n // 2) + "Meeting ID: 123456789",
    "filler words": lambda n: "Boardroom " + "at " * n + "9am 85512345678",
    "a long room name": lambda n: "Huddle " * n + "tomorrow 9am 85512345678",
}


@pytest.mark.parametrize("shape", SHAPES)
def test_work_grows_linearly_with_the_number_of_words(shape: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """No timing: the words read and the room lookups for n and 2n words.  The original search read
    O(n²) words here (every cut re-read the whole tail; every possible meeting start re-parsed the rest)."""
    counts = []
    for n in (300, 600):
        work = Work(monkeypatch)
        work.parse(SHAPES[shape](n))
        counts.append((work.words, work.room_lookups))
    (words_n, rooms_n), (words_2n, rooms_2n) = counts
    assert words_2n <= 2.5 * words_n + 200, counts  # quadratic would be ~4x
    assert words_n <= 40 * 300, counts  # a bounded number of words read per word given
    assert rooms_2n <= 2 * 600, counts  # each cut is asked about at most once
