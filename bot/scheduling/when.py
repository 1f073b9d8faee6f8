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
            raise WhenError(f"I cannot read the duration “{text.strip()}”; write it like {DURATION_EXAMPLES}.")
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
        raise WhenError(f"I cannot read “every {text.strip()}”; write {EVERY_EXAMPLES}.")
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
    match = _ISO_DATE.match(first)
    if match:
        return _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)), first), 1
    # "1 dec [2026]" and "dec 1 [2026]"
    if len(tokens) > 1:
        day_match, month = _DAY_NUMBER.match(first), MONTH_NAMES.get(tokens[1])
        if not (day_match and month):
            day_match, month = _DAY_NUMBER.match(tokens[1]), MONTH_NAMES.get(first)
        if day_match and month:
            used, year = 2, None
            if len(tokens) > 2 and _YEAR.match(tokens[2]):
                used, year = 3, int(tokens[2])
            day = int(day_match.group(1))
            if year is None:  # the next such date from today (29 Feb: the next leap year's)
                year = today.year if (month, day) >= (today.month, today.day) else today.year + 1
                while month == 2 and day == 29 and not _is_leap(year):
                    year += 1
            return _safe_date(year, month, day, " ".join(tokens[:used])), used
    return None, 0


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
                raise WhenError(f"“{text.strip()}” names two days; give one, like {WHEN_EXAMPLES}.")
            day, position = found_day, position + used
            continue
        raise WhenError(f"I cannot read “{text.strip()}” as a time; write it like {WHEN_EXAMPLES}.")
    if clock is None:
        raise WhenError(f"Add a time of day, like `{text.strip()} 9:00` (or {WHEN_EXAMPLES}).")
    date_given = day is not None
    naive = datetime.combine(day or local_now.date(), clock)
    return When(to_aware(naive, zone), date_given)


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
