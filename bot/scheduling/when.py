"""`<when>`, `for <duration>` and `every …` as people write them — pure functions, no I/O.

Times are read on the requester's wall clock (their Slack time zone) and returned as aware datetimes in that
zone; the caller stores them in UTC with the zone name.  Recurrences become an RFC 5545 RRULE evaluated with
dateutil on the same wall clock, so "every mon 9:30" stays at 09:30 local across daylight-saving changes.

Every refusal is a :class:`WhenError` whose text says what was wrong and shows a form that works.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr

from bot.meetings.quoting import quote_typed

WHEN_EXAMPLES = "`14:00`, `tomorrow 9am`, `mon 9:30`, `2026-12-01 10:00` or `in 15m`"
DURATION_EXAMPLES = "`for 30m`, `for 1h` or `for 1h30m`"
EVERY_EXAMPLES = "`every day`, `every weekday`, `every week` or `every mon`"
MAX_DURATION = timedelta(hours=12)
MAX_AHEAD = timedelta(days=366)

WEEKDAY_NAMES: dict[str, int] = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES: dict[str, int] = {
    name: number
    for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
         ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
         ("nov", "november"), ("dec", "december")],
        start=1,
    )
    for name in names
}

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_CLOCK_24 = re.compile(r"^(\d{1,2}):(\d{2})$")
_CLOCK_12 = re.compile(r"^(\d{1,2})(?::(\d{2}))?(am|pm|a\.m\.|p\.m\.)$")
_DAY_NUMBER = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?$")
_YEAR = re.compile(r"^\d{4}$")
_DURATION_PART = re.compile(r"(\d{1,5}(?:\.\d{1,3})?)\s*(hours|hour|hrs|hr|h|minutes|minute|mins|min|m)(?![a-z])")
_FILLER = {"at", "on", "the", "of"}
_MERGE_MERIDIEM = re.compile(r"(\d)\s+(am|pm|a\.m\.|p\.m\.)(?![a-z])")
_ISO_T = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})t(\d)")


class WhenError(ValueError):
    """Input that cannot be read; ``str()`` says why and gives an example that works."""


@dataclass(frozen=True)
class When:
    """A parsed `<when>`: the wall-clock moment and what the user actually said."""

    local: datetime  # aware, in the requester's zone
    date_given: bool  # a day was named (today, tomorrow, mon, a date) or the time is relative ("in 15m")


@dataclass(frozen=True)
class Recurrence:
    rule: str  # RRULE body without DTSTART, e.g. "FREQ=WEEKLY;BYDAY=MO"
    label: str  # "every Monday", for replies


def zone_of(tz_name: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise WhenError(f"I do not know the time zone {tz_name!r}; set one in your Slack profile.") from None


def _tokens(text: str) -> list[str]:
    cleaned = text.strip().lower().replace(",", " ")
    # "9 am" → "9am", "2026-12-01T10:00" → "2026-12-01 10:00"
    cleaned = _MERGE_MERIDIEM.sub(r"\1\2", cleaned)
    cleaned = _ISO_T.sub(r"\1 \2", cleaned)
    return [token for token in cleaned.split() if token not in _FILLER]


def parse_duration(text: str) -> timedelta:
    """`30m`, `45 min`, `1h`, `1h30m`, `1h30`, `1.5h`, `90 minutes`, or a bare number of minutes."""
    cleaned = text.strip().lower()
    if re.fullmatch(r"\d{1,5}", cleaned):  # more digits than that is no duration anyone means
        total = timedelta(minutes=int(cleaned))
    else:
        if re.fullmatch(r"\d{1,5}h\d{1,2}", cleaned):  # "1h30"
            cleaned += "m"
        position, total = 0, timedelta(0)
        for match in _DURATION_PART.finditer(cleaned):
            if cleaned[position:match.start()].strip(" and"):
                break
            amount = float(match.group(1))
            total += timedelta(hours=amount) if match.group(2).startswith("h") else timedelta(minutes=amount)
            position = match.end()
        if position == 0 or cleaned[position:].strip():
            raise WhenError(f"I cannot read the duration “{quote_typed(text)}”; write it like {DURATION_EXAMPLES}.")
    if total <= timedelta(0) or total % timedelta(minutes=1):
        raise WhenError(f"A duration is a whole number of minutes, like {DURATION_EXAMPLES}.")
    if total > MAX_DURATION:
        raise WhenError(f"A booking lasts at most {int(MAX_DURATION.total_seconds() // 3600)} hours.")
    return total


def parse_every(text: str) -> Recurrence:
    """`day`/`daily`, `weekday`, `week`, or day names (`mon`, `mon,wed`, `tue and thu`)."""
    words = [w for w in re.split(r"[\s,/+]+|\band\b", text.strip().lower()) if w]
    if words in (["day"], ["daily"]):
        return Recurrence("FREQ=DAILY", "every day")
    if words in (["weekday"], ["weekdays"], ["workday"], ["workdays"]):
        return Recurrence("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every weekday")
    if words in (["week"], ["weekly"]):
        return Recurrence("FREQ=WEEKLY", "every week")
    days = [WEEKDAY_NAMES.get(w.rstrip("s")) if w not in WEEKDAY_NAMES else WEEKDAY_NAMES[w] for w in words]
    if not days or any(day is None for day in days):
        raise WhenError(f"I cannot read “every {quote_typed(text)}”; write {EVERY_EXAMPLES}.")
    ordered = sorted(set(d for d in days if d is not None))
    names = [date(2024, 1, 1 + d).strftime("%A") for d in ordered]  # 2024-01-01 was a Monday
    label = "every " + (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1])
    return Recurrence("FREQ=WEEKLY;BYDAY=" + ",".join(RRULE_DAYS[d] for d in ordered), label)


def _read_time(token: str) -> time | None:
    if token == "noon":
        return time(12, 0)
    if token == "midnight":
        return time(0, 0)
    match = _CLOCK_24.match(token)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            raise WhenError(f"“{token}” is not a time of day; use 00:00 to 23:59, like {WHEN_EXAMPLES}.")
        return time(hour, minute)
    match = _CLOCK_12.match(token)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise WhenError(f"“{token}” is not a time of day; write it like `9am` or `2:30pm`.")
        hour = hour % 12 + (12 if match.group(3).startswith("p") else 0)
        return time(hour, minute)
    return None


def _safe_date(year: int, month: int, day: int, original: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise WhenError(f"“{original}” is not a date in the calendar; write dates like `2026-12-01`.") from None


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _read_date(tokens: list[str], today: date) -> tuple[date | None, int]:
    """A date at the start of ``tokens``: (date, tokens used), or (None, 0)."""
    relative = _read_relative_date(tokens, today)
    if relative[0] is not None:
        return relative
    first = tokens[0]
    match = _ISO_DATE.match(first)
    if match:
        return _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)), first), 1
    return _read_day_and_month(tokens, today)


def _read_relative_date(tokens: list[str], today: date) -> tuple[date | None, int]:
    """`today`, `yesterday`, `tomorrow`, `next mon`, `mon`: (date, tokens used), or (None, 0)."""
    first = tokens[0]
    if first == "today":
        return today, 1
    if first == "yesterday":
        return today - timedelta(days=1), 1
    if first in ("tomorrow", "tmrw", "tmr"):
        return today + timedelta(days=1), 1
    if first == "next" and len(tokens) > 1 and tokens[1] in WEEKDAY_NAMES:
        ahead = (WEEKDAY_NAMES[tokens[1]] - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead), 2
    if first in WEEKDAY_NAMES:
        return today + timedelta(days=(WEEKDAY_NAMES[first] - today.weekday()) % 7), 1
    return None, 0


def _read_day_and_month(tokens: list[str], today: date) -> tuple[date | None, int]:
    """"1 dec [2026]" and "dec 1 [2026]": (date, tokens used), or (None, 0)."""
    if len(tokens) < 2:
        return None, 0
    first = tokens[0]
    day_match, month = _DAY_NUMBER.match(first), MONTH_NAMES.get(tokens[1])
    if not (day_match and month):
        day_match, month = _DAY_NUMBER.match(tokens[1]), MONTH_NAMES.get(first)
    if not (day_match and month):
        return None, 0
    used, year = 2, None
    if len(tokens) > 2 and _YEAR.match(tokens[2]):
        used, year = 3, int(tokens[2])
    day = int(day_match.group(1))
    if year is None:  # the next such date from today (29 Feb: the next leap year's)
        year = today.year if (month, day) >= (today.month, today.day) else today.year + 1
        while month == 2 and day == 29 and not _is_leap(year):
            year += 1
    return _safe_date(year, month, day, " ".join(tokens[:used])), used


def to_aware(naive: datetime, zone: ZoneInfo) -> datetime:
    """Attach ``zone`` to a wall-clock time, refusing times that do not exist (the spring-forward gap).
    An ambiguous time (the autumn hour that happens twice) is the first of the two."""
    aware = naive.replace(tzinfo=zone, fold=0)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        later = naive + timedelta(hours=1)  # gaps are an hour long in every zone people book rooms in
        raise WhenError(
            f"{naive:%H:%M} does not exist on {naive:%a %-d %b %Y} in {zone.key}: the clocks skip that hour "
            f"for daylight-saving time. Pick another time, like {later:%H:%M}.")
    return aware


def parse_when(text: str, *, now: datetime, tz_name: str) -> When:
    """Read `<when>` on the requester's clock.  ``now`` is aware (any zone)."""
    zone = zone_of(tz_name)
    local_now = now.astimezone(zone)
    tokens = _tokens(text)
    if not tokens:
        raise WhenError(f"Say when, like {WHEN_EXAMPLES}.")
    if tokens[0] == "in":
        if len(tokens) == 1:
            raise WhenError(f"“in” what? Write it like `in 15m` or `in 2h` (or {WHEN_EXAMPLES}).")
        try:
            delay = parse_duration(" ".join(tokens[1:]))
        except WhenError:
            raise WhenError(f"I cannot read “{text.strip()}”; write a delay like `in 15m` or `in 1h30m`.") from None
        # Whole minutes: the booking's slot starts on the minute, as everything else people book.
        moment = (now.astimezone(UTC) + delay).replace(second=0, microsecond=0)
        return When(moment.astimezone(zone), True)
    day: date | None = None
    clock: time | None = None
    position = 0
    while position < len(tokens):
        token = tokens[position]
        found_time = _read_time(token)
        if found_time is not None:
            if clock is not None:
                raise WhenError(f"“{text.strip()}” has two times; give one, like {WHEN_EXAMPLES}.")
            clock, position = found_time, position + 1
            continue
        found_day, used = _read_date(tokens[position:], local_now.date())
        if found_day is not None:
            if day is not None:
                raise WhenError(f"“{quote_typed(text)}” names two days; give one, like {WHEN_EXAMPLES}.")
            day, position = found_day, position + used
            continue
        raise WhenError(f"I cannot read “{quote_typed(text)}” as a time; write it like {WHEN_EXAMPLES}.")
    if clock is None:
        raise WhenError(f"Add a time of day, like `{quote_typed(text)} 9:00` (or {WHEN_EXAMPLES}).")
    date_given = day is not None
    naive = datetime.combine(day or local_now.date(), clock)
    return When(to_aware(naive, zone), date_given)


# ------------------------------------------------------------------------ one text cut in many places

_WORD_EMPTY, _WORD_FILLER, _WORD_CONTENT, _WORD_IN = range(4)
# A readable time that is not `in …` has at most 4 tokens (one time, a date of up to 3).  Every word with a
# token in it adds at least one, except a lone `am`/`pm` folded into the number before it ("9 am"), which
# each token takes at most once: so such a time spans at most 8 words that have tokens.
_MAX_CONTENT_WORDS = 8
_DURATION_LETTERS = frozenset("hoursmintead.")  # units, " and " between parts, decimal points (and digits)


def _word_kind(word: str) -> tuple[int, list[str]]:
    """How one word of a longer text reads: no tokens (commas only, or filler words only), or its tokens."""
    parts = word.lower().replace(",", " ").split()
    tokens = [part for part in parts if part not in _FILLER]
    if not tokens:
        return (_WORD_FILLER if parts else _WORD_EMPTY), tokens
    return (_WORD_IN if tokens[0] == "in" else _WORD_CONTENT), tokens


class WhenSuffixes:
    """For a list of words: the cuts ``k`` for which ``" ".join(words[k:end])`` reads as a `<when>`, for any
    ``end`` — what `/room book` needs to tell a room name from the time after it.

    Reading every cut is quadratic in the number of words; this reads a bounded number of short texts per
    ``end``, and gives exactly the cuts :func:`parse_when` accepts, because of how it reads a text:
    - Words that are only filler (`at`, `the`, …) or commas add no token.  A run of them reads the same at any
      length, so it is replaced by `at` (when it holds a filler word, which keeps "9 at am" apart) or by
      nothing (commas only: "9 , am" is "9am"); every cut inside a run reads like the cut after it, except
      that a text starting inside the run never gets the `2026-12-01T10:00` split.
    - A time other than `in …` spans at most ``_MAX_CONTENT_WORDS`` words with tokens, so only cuts among the
      last ones before ``end`` can read.
    - `in <duration>` may be long, but its duration holds no other `in`: only the last word starting with
      `in` can read, and not once a later word has a character no duration has, or a bare number is
      followed by another number (the first can then never get a unit).  A long duration is read piece by
      piece (:class:`_DurationReader`), each piece once, cut where no duration part or `9 am` can straddle.
    """

    def __init__(self, words: Sequence[str], *, now: datetime, tz_name: str) -> None:
        self._now, self._tz_name = now, tz_name
        self._words = list(words)
        self._content: list[int] = []  # indexes of the words that have tokens, ascending
        self._iso_start: list[bool] = []  # per content word: it starts like 2026-12-01T10
        self._filler_before = [0]  # filler-only words among words[:i]
        self._last_in_before = [-1]  # index of the last `in …` word among words[:i], or -1
        self._no_duration_before = [0]  # content words [:rank] holding a character no duration has
        self._number_after_number_before = [0]  # content words [:rank] starting with a digit after a bare number
        self._joinable: list[bool] = []  # per content word: a part or "9 am" could straddle the gap before it
        last_in, after_bare_number, ends_in_digit = -1, False, False
        for index, word in enumerate(self._words):
            kind, tokens = _word_kind(word)
            self._filler_before.append(self._filler_before[-1] + (kind == _WORD_FILLER))
            if kind >= _WORD_CONTENT:
                self._content.append(index)
                self._iso_start.append(bool(_ISO_T.match(word.lower().replace(",", " "))))
                duration_part = tokens[1:] if kind == _WORD_IN else tokens
                foreign = any(not (ch.isdecimal() or ch in _DURATION_LETTERS)
                              for token in duration_part for ch in token)
                self._no_duration_before.append(self._no_duration_before[-1] + foreign)
                self._number_after_number_before.append(
                    self._number_after_number_before[-1] + (after_bare_number and tokens[0][0].isdecimal()))
                after_bare_number = len(tokens) == 1 and tokens[0].isdecimal()
                self._joinable.append(ends_in_digit and tokens[0][0] in "hmap")  # 1 h, 1 min, 9 am, 9 pm
                ends_in_digit = tokens[-1][-1].isdecimal()
                if kind == _WORD_IN:
                    last_in = index
            self._last_in_before.append(last_in)
        self._reads: dict[str, bool] = {}
        self._duration: _DurationReader | None = None
        try:
            zone_of(tz_name)
            self._zone_known = True
        except WhenError:
            self._zone_known = False  # parse_when refuses every text

    def readable_cuts(self, end: int) -> list[tuple[int, int]]:
        """Sorted, disjoint ranges ``[lo, hi)`` of the cuts ``1 <= k < end`` at which the words read as a time."""
        if not self._zone_known:
            return []
        content = self._content
        first, stop = bisect_left(content, 1), bisect_left(content, end)
        window = max(first, stop - _MAX_CONTENT_WORDS)
        ranks = list(range(window, stop))
        last_in = self._last_in_before[end]
        if last_in >= 1:
            in_rank = bisect_left(content, last_in)
            if in_rank < window and not self._duration_impossible(in_rank, stop):
                ranks.insert(0, in_rank)
        found: list[tuple[int, int]] = []
        for rank in ranks:
            word = content[rank]
            lo = max(content[rank - 1] + 1 if rank > 0 else 0, 1)  # the filler run before it, if any
            if rank < window:  # the `in …` word, far back: its duration is read piece by piece
                if self._duration is None or not self._duration.can_read(rank, stop):
                    self._duration = _DurationReader(self, rank)
                if self._duration.reads(stop):
                    found.append((lo, word + 1))
                continue
            text = self._compact(rank, stop)
            if lo < word and self._iso_start[rank]:
                if self._readable("at " + text):
                    found.append((lo, word))
                if self._readable(text):
                    found.append((word, word + 1))
            elif self._readable(text):
                found.append((lo, word + 1))
        return found

    def _duration_impossible(self, in_rank: int, stop: int) -> bool:
        if self._no_duration_before[stop] - self._no_duration_before[in_rank]:
            return True
        return in_rank + 2 <= stop and bool(
            self._number_after_number_before[stop] - self._number_after_number_before[in_rank + 2])

    def _tokens_between(self, rank: int, stop: int) -> list[str]:
        """The tokens of content words ``rank .. stop-1`` as :func:`parse_when` splits the whole text, when no
        part or `9 am` straddles the gap before ``rank`` (or ``rank`` is where the text starts)."""
        return _tokens("at " + self._compact(rank, stop)) if rank < stop else []

    def _compact(self, rank: int, stop: int) -> str:
        """Content words ``rank .. stop-1`` with each filler run between them shortened (see the class notes)."""
        content, words = self._content, self._words
        pieces = [words[content[rank]]]
        for at in range(rank + 1, stop):
            if self._filler_before[content[at]] - self._filler_before[content[at - 1] + 1]:
                pieces.append("at")
            pieces.append(words[content[at]])
        return " ".join(pieces)

    def _readable(self, text: str) -> bool:
        known = self._reads.get(text)
        if known is None:
            try:
                parse_when(text, now=self._now, tz_name=self._tz_name)
                known = True
            except WhenError:
                known = False
            self._reads[text] = known
        return known


class _DurationReader:
    """Whether the duration after one `in` word reads, as the text after it grows — each word read about once.

    The duration text is cut before words where nothing can straddle the gap (``_joinable`` is false); the
    pieces before the last cut are read once and summed up, so only the words since then are read again.
    :func:`parse_duration` accepts a text when duration parts cover it except for gaps of spaces and the
    letters of "and", so a piece tells the whole story with: is there a bad gap, any part, the total, and
    what follows its last part (a gap of "and" letters may still lead to a part; nothing else may)."""

    def __init__(self, suffixes: WhenSuffixes, in_rank: int) -> None:
        self.in_rank = in_rank
        self._suffixes = suffixes
        self._upto = in_rank  # content rank where the unread text starts
        # (bad gap seen, a part seen, total, tokens, text after the last part is "and" letters, is empty)
        self._state: tuple[bool, bool, timedelta, list[str], bool, bool] = (False, False, timedelta(0), [], True, True)

    def can_read(self, in_rank: int, stop: int) -> bool:
        return in_rank == self.in_rank and stop >= self._upto

    def _piece_tokens(self, rank: int, stop: int) -> list[str]:
        tokens = self._suffixes._tokens_between(rank, stop)
        return tokens[1:] if rank == self.in_rank else tokens  # without the `in` itself

    @staticmethod
    def _read(state: tuple[bool, bool, timedelta, list[str], bool, bool],
              tokens: list[str]) -> tuple[bool, bool, timedelta, list[str], bool, bool]:
        bad, matched, total, seen, after_and, after_empty = state
        if not tokens:
            return state
        text = " ".join(tokens)
        position, first = 0, True
        for match in _DURATION_PART.finditer(text):
            gap = text[position:match.start()]
            if gap.strip(" and") or (first and not after_and):
                bad = True
            amount = float(match.group(1))
            total += timedelta(hours=amount) if match.group(2).startswith("h") else timedelta(minutes=amount)
            matched, position, first = True, match.end(), False
        rest = text[position:]
        if first:  # no part in this piece: all of it follows the last part so far
            after_and, after_empty = after_and and not rest.strip(" and"), False
        else:
            after_and, after_empty = not rest.strip(" and"), not rest
        return bad, matched, total, [*seen[-1:], *tokens][-2:], after_and, after_empty

    def reads(self, stop: int) -> bool:
        joinable = self._suffixes._joinable
        cut = next((rank for rank in range(stop - 1, self._upto, -1) if not joinable[rank]), self._upto)
        if cut > self._upto:
            state = self._read(self._state, self._piece_tokens(self._upto, cut))
            self._state, self._upto = state, cut
        bad, matched, total, seen, _, after_empty = self._read(self._state, self._piece_tokens(self._upto, stop))
        if len(seen) < 2:  # one token or none: the forms parse_duration treats apart ("90", "1h30")
            try:
                parse_duration(" ".join(seen))
            except WhenError:
                return False
            return True
        if bad or not matched or not after_empty:
            return False
        return timedelta(0) < total <= MAX_DURATION and not total % timedelta(minutes=1)


def first_start(when: When, recurrence: Recurrence | None, *, now: datetime) -> datetime:
    """The first occurrence: ``when`` itself for a one-off (refused if past), or the first instance of the
    recurrence at or after ``when`` — from the next matching day when only a time was given and it has passed."""
    zone = when.local.tzinfo
    assert isinstance(zone, ZoneInfo)
    local_now = now.astimezone(zone)
    example = f"`tomorrow {when.local:%H:%M}`"
    if recurrence is None:
        if when.local < now - timedelta(minutes=1):
            hint = example if not when.date_given else f"a later time, like {WHEN_EXAMPLES}"
            raise WhenError(f"{describe(when.local)} has already passed; book a time ahead, like {hint}.")
        start = when.local
    else:
        if when.date_given and when.local < now - timedelta(minutes=1):
            raise WhenError(f"{describe(when.local)} has already passed; start the series later, like "
                            f"`{when.local:%H:%M} every …` (from the next matching day).")
        naive_start = when.local.replace(tzinfo=None)
        rule = rrulestr(recurrence.rule, dtstart=naive_start)
        if when.local >= now - timedelta(minutes=1):
            found = rule.after(naive_start, inc=True)
        else:
            # "09:30 every weekday" said at 10:00: the series starts at the next matching day's 09:30.
            found = rule.after(local_now.replace(tzinfo=None), inc=False)
        if found is None:
            raise WhenError(f"That recurrence never happens; write {EVERY_EXAMPLES}.")
        start = found.replace(tzinfo=zone, fold=0)
    if start - now > MAX_AHEAD:
        raise WhenError("Bookings can be made up to a year ahead.")
    return start


def describe(moment: datetime, tz_name: str | None = None) -> str:
    """`Mon 9 Mar 2026 09:30` (in ``tz_name`` when given, else the datetime's own zone)."""
    local = moment.astimezone(zone_of(tz_name)) if tz_name else moment
    return f"{local:%a %-d %b %Y %H:%M}"


def next_instances(start: datetime, recurrence: Recurrence | None, count: int) -> list[datetime]:
    """The first ``count`` occurrences (aware, in ``start``'s zone) — for confirmations."""
    if recurrence is None:
        return [start]
    zone = start.tzinfo
    rule = rrulestr(recurrence.rule, dtstart=start.replace(tzinfo=None))
    instances = []
    for local in rule:
        instances.append(local.replace(tzinfo=zone, fold=0))
        if len(instances) >= count:
            break
    return instances
