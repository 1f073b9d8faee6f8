"""The `<when>` / `for <duration>` / `every …` parser: examples, daylight-saving time, and properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.scheduling.when import (
    WhenError,
    WhenSuffixes,
    first_start,
    next_instances,
    parse_duration,
    parse_every,
    parse_when,
)
from bot.store.bookings import expand_slots

NY, BERLIN = "America/New_York", "Europe/Berlin"
# Friday 6 March 2026, 10:00 in New York (15:00 UTC): two days before the spring-forward change.
FRIDAY = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)


def when(text: str, now: datetime = FRIDAY, tz: str = NY) -> datetime:
    return parse_when(text, now=now, tz_name=tz).local


@pytest.mark.parametrize(("text", "expected"), [
    ("14:00", datetime(2026, 3, 6, 14, 0)),
    ("tomorrow 9am", datetime(2026, 3, 7, 9, 0)),
    ("9 am tomorrow", datetime(2026, 3, 7, 9, 0)),
    ("mon 9:30", datetime(2026, 3, 9, 9, 30)),
    ("Monday at 9:30", datetime(2026, 3, 9, 9, 30)),
    ("next fri 2:30pm", datetime(2026, 3, 13, 14, 30)),
    ("fri 11:00", datetime(2026, 3, 6, 11, 0)),  # today is Friday and 11:00 is still ahead
    ("2026-12-01 10:00", datetime(2026, 12, 1, 10, 0)),
    ("2026-12-01T10:00", datetime(2026, 12, 1, 10, 0)),
    ("dec 25 noon", datetime(2026, 12, 25, 12, 0)),
    ("1 jan 8:15", datetime(2027, 1, 1, 8, 15)),
    ("12am tomorrow", datetime(2026, 3, 7, 0, 0)),
])
def test_examples_on_the_requesters_clock(text: str, expected: datetime) -> None:
    assert when(text) == expected.replace(tzinfo=ZoneInfo(NY))


def test_in_minutes_is_relative_to_now() -> None:
    assert when("in 15m") == (FRIDAY + timedelta(minutes=15)).astimezone(ZoneInfo(NY))
    assert when("in 1h30m").astimezone(UTC) == FRIDAY + timedelta(minutes=90)


@pytest.mark.parametrize("text", ["", "soon", "tomorrow", "25:00", "13pm", "mon tue 9:00", "9:00 10:00",
                                  "2026-02-30 10:00", "in", "in a while"])
def test_unreadable_times_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(WhenError) as error:
        parse_when(text, now=FRIDAY, tz_name=NY)
    assert "`" in str(error.value)  # always shows a form that works


def test_past_one_off_is_refused_and_suggests_tomorrow() -> None:
    with pytest.raises(WhenError, match="`tomorrow 09:00`"):
        first_start(parse_when("9:00", now=FRIDAY, tz_name=NY), None, now=FRIDAY)


def test_a_time_that_does_not_exist_in_the_spring_gap_is_refused() -> None:
    with pytest.raises(WhenError, match="does not exist on Sun 8 Mar 2026 in America/New_York.*03:30"):
        parse_when("2026-03-08 02:30", now=FRIDAY, tz_name=NY)
    with pytest.raises(WhenError, match="does not exist"):
        parse_when("2026-03-29 02:30", now=FRIDAY, tz_name=BERLIN)


def test_the_repeated_autumn_hour_means_the_first_one() -> None:
    local = when("2026-11-01 01:30")
    assert local.astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # EDT, before the clocks go back


@pytest.mark.parametrize(("text", "minutes"), [("30m", 30), ("45 min", 45), ("1h", 60), ("1h30m", 90),
                                               ("1h30", 90), ("1.5h", 90), ("90 minutes", 90), ("2 hours", 120),
                                               ("20", 20)])
def test_durations(text: str, minutes: int) -> None:
    assert parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["0m", "ages", "13h", "1.25m", "h", "30m lol"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(WhenError):
        parse_duration(text)


@pytest.mark.parametrize(("text", "rule"), [
    ("day", "FREQ=DAILY"), ("weekday", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"), ("week", "FREQ=WEEKLY"),
    ("mon", "FREQ=WEEKLY;BYDAY=MO"), ("Tuesday", "FREQ=WEEKLY;BYDAY=TU"), ("mon, wed", "FREQ=WEEKLY;BYDAY=MO,WE"),
    ("tue and thu", "FREQ=WEEKLY;BYDAY=TU,TH"), ("fridays", "FREQ=WEEKLY;BYDAY=FR"),
])
def test_every(text: str, rule: str) -> None:
    assert parse_every(text).rule == rule


def test_every_unknown_is_refused() -> None:
    with pytest.raises(WhenError, match="every weekday"):
        parse_every("fortnight")


def test_series_starts_on_the_first_matching_day() -> None:
    start = first_start(parse_when("9:30", now=FRIDAY, tz_name=NY), parse_every("mon"), now=FRIDAY)
    assert start == datetime(2026, 3, 9, 9, 30, tzinfo=ZoneInfo(NY))
    # "09:30 every weekday" said at 10:00 on Friday: Monday's 09:30 is the first.
    start = first_start(parse_when("9:30", now=FRIDAY, tz_name=NY), parse_every("weekday"), now=FRIDAY)
    assert start == datetime(2026, 3, 9, 9, 30, tzinfo=ZoneInfo(NY))


@pytest.mark.parametrize(("tz", "start", "change"), [
    (NY, "2026-03-06 09:30", datetime(2026, 3, 8)),  # spring forward
    (NY, "2026-10-30 09:30", datetime(2026, 11, 1)),  # fall back
    (BERLIN, "2026-03-27 09:30", datetime(2026, 3, 29)),
    (BERLIN, "2026-10-23 09:30", datetime(2026, 10, 25)),
])
def test_daily_series_keeps_the_wall_clock_across_daylight_saving(tz: str, start: str, change: datetime) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    first = first_start(parse_when(start, now=now, tz_name=tz), parse_every("day"), now=now)
    local = [moment.astimezone(ZoneInfo(tz)) for moment in next_instances(first, parse_every("day"), 6)]
    assert {(m.hour, m.minute) for m in local} == {(9, 30)}
    offsets = {m.utcoffset() for m in local}
    assert len(offsets) == 2  # the UTC time moved by an hour over the change ...
    # ... and the store, which expands the stored RRULE, agrees with the parser's preview.
    slots = expand_slots(first.astimezone(UTC), timedelta(minutes=15), "FREQ=DAILY", tz,
                         until=first.astimezone(UTC) + timedelta(days=5, hours=1))
    assert [s for s, _ in slots] == [m.astimezone(UTC) for m in local]
    assert any(m.date() > change.date() for m in local)


# ------------------------------------------------------------------------------------------ properties

ZONES = st.sampled_from(["UTC", NY, BERLIN, "Asia/Kolkata", "Australia/Lord_Howe", "America/Sao_Paulo"])
NOWS = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC))


@settings(max_examples=200, deadline=None)
@given(now=NOWS, tz=ZONES, days=st.integers(1, 300), hour=st.integers(0, 23), minute=st.integers(0, 59))
def test_an_iso_date_and_time_reads_back_as_that_wall_clock(now: datetime, tz: str, days: int, hour: int,
                                                           minute: int) -> None:
    day = (now.astimezone(ZoneInfo(tz)) + timedelta(days=days)).date()
    text = f"{day.isoformat()} {hour:02d}:{minute:02d}"
    try:
        local = parse_when(text, now=now, tz_name=tz).local
    except WhenError as error:
        assert "does not exist" in str(error)  # only the daylight-saving gap is refused
        return
    assert (local.date(), local.hour, local.minute) == (day, hour, minute)
    assert local.astimezone(UTC).astimezone(ZoneInfo(tz)).replace(tzinfo=None) == local.replace(tzinfo=None)
    assert first_start(parse_when(text, now=now, tz_name=tz), None, now=now) > now


@settings(max_examples=200, deadline=None)
@given(now=NOWS, tz=ZONES, minutes=st.integers(1, 12 * 60))
def test_in_n_minutes_is_n_minutes_from_now(now: datetime, tz: str, minutes: int) -> None:
    local = parse_when(f"in {minutes}m", now=now, tz_name=tz).local
    assert local.astimezone(UTC) == (now + timedelta(minutes=minutes)).replace(second=0, microsecond=0)


@settings(max_examples=200, deadline=None)
@given(now=NOWS, tz=ZONES, hour=st.integers(0, 23), minute=st.integers(0, 59),
       every=st.sampled_from(["day", "weekday", "week", "mon", "sat,sun", "tue and fri"]))
def test_a_series_starts_after_now_on_a_matching_day_at_that_time(now: datetime, tz: str, hour: int, minute: int,
                                                                  every: str) -> None:
    try:
        parsed = parse_when(f"{hour:02d}:{minute:02d}", now=now, tz_name=tz)
    except WhenError:
        return  # today's wall time falls in a gap
    recurrence = parse_every(every)
    start = first_start(parsed, recurrence, now=now)
    assert start >= now - timedelta(minutes=1)
    local = start.astimezone(ZoneInfo(tz))
    assume((local.hour, local.minute) == (hour, minute))  # a gap on the matching day shifts the wall time
    assert start - now <= timedelta(days=8)
    if "BYDAY" in recurrence.rule:
        days = recurrence.rule.split("BYDAY=")[1].split(",")
        assert ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][local.weekday()] in days


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40), tz=ZONES, now=NOWS)
def test_anything_typed_is_read_or_refused_in_words(text: str, tz: str, now: datetime) -> None:
    try:
        parse_when(text, now=now, tz_name=tz)
    except WhenError as error:
        assert str(error)
    try:
        parse_duration(text)
    except WhenError as error:
        assert str(error)
    try:
        parse_every(text)
    except WhenError as error:
        assert str(error)


# ------------------------------------------------------------------ many cuts of one text (`/room book`)

CUT_WORDS = ["x", "Boardroom", "at", "the", "on", "of", ",", ",,", "at,", "the,of", "in", "IN", "in,5m", "at,in",
             "tomorrow", "today", "tmr", "next", "mon", "fri", "dec", "feb", "1st", "29", "1", "2", "3", "0", "5", "9",
             "12", "2026", "2027", "2026-12-01", "2026-12-01T10:00", "2026-12-01t9", ",2026-12-01t9", "9am", "am",
             "pm", "a.m.", "9:30", "14:00", "25:00", "13pm", "noon", "midnight", "2:30am", "15m", "30m", "1h", "h",
             "m", "min", "mins", "hours", "minutes", "1h30", "1h30m", "1.5", "1.", "0.5m", "12h", "90", "123456",
             "and", "a", "n", "5m,", "1,h", "１", "Σ"]


def readable_cuts_by_brute_force(words: list[str], end: int, tz: str, now: datetime) -> set[int]:
    found = set()
    for cut in range(1, end):
        try:
            parse_when(" ".join(words[cut:end]), now=now, tz_name=tz)
        except WhenError:
            continue
        found.add(cut)
    return found


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(CUT_WORDS), min_size=2, max_size=30),
       tz=st.sampled_from([NY, BERLIN, "No/Zone"]), now=NOWS, data=st.data())
def test_suffixes_give_exactly_the_cuts_that_read(words: list[str], tz: str, now: datetime,
                                                  data: st.DataObject) -> None:
    """WhenSuffixes reads a bounded number of short texts per end; it must find exactly the cuts parse_when
    accepts, asked about ends in any order (the long `in <duration>` reader keeps state between ends)."""
    suffixes = WhenSuffixes(words, now=now, tz_name=tz)
    ends = data.draw(st.lists(st.integers(2, len(words)), min_size=1, max_size=8))
    for end in ends:
        found = {cut for lo, hi in suffixes.readable_cuts(end) for cut in range(lo, hi)}
        assert found == readable_cuts_by_brute_force(words, end, tz, now), (words, end)


DURATION_WORDS = ["0", "1", "2", "5", "10", "0.5", "1.5", "30", "90", "123456", "1.", "m", "h", "min", "mins", "hours",
                  "minutes", "hr", "x", "am", "1h", "30m", "5min", "0m", "1.5h", "1h30", "and", "a", ",", "at", "in"]


@settings(max_examples=300, deadline=None)
@given(tail=st.lists(st.sampled_from(DURATION_WORDS), min_size=8, max_size=40),
       lead=st.sampled_from(["in", "at in", "in,"]))
def test_long_in_durations_are_read_piece_by_piece_exactly(tail: list[str], lead: str) -> None:
    words = ["room", *lead.split(), *tail]
    suffixes = WhenSuffixes(words, now=FRIDAY, tz_name=NY)
    for end in range(2, len(words) + 1):  # growing, as /room book asks
        found = {cut for lo, hi in suffixes.readable_cuts(end) for cut in range(lo, hi)}
        assert found == readable_cuts_by_brute_force(words, end, NY, FRIDAY), (words, end)
