"""ReferenceSuffixes: what it says about `parse_meeting_reference(" ".join(words[i:]))` without parsing holds."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.meetings import MeetingReference, parse_meeting_reference
from bot.meetings.suffixes import COMMAND_FORM_MAX_WORDS, PARSE, REFUSED, TOO_LONG, ReferenceSuffixes

_TOKEN = re.compile(r"<[^>]*>|\S+")  # how /room book splits its words
LINK = "https://zoom.us/j/85512345678"
WORDS = [
    "1", "2", "85512345678", "855", "1234", "5678", "123", "456", "789", "1-2", "1.2", "1\u20132", "x", "abc",
    "Xk7_9ab", "pwd=abc", "new", "9am", "friday", "video", "code", "x:", "x/y", "(123)", "１２３",
    LINK, LINK + "?pwd=abc.1", "https://zoom.us/j/123456789", "https://zoom.us/w/85512345678",
    "https://zoom.us/my/alice", "https://evil.com/j/85512345678", "http://zoom.us.evil.com/j/1", "https://example.com",
    "evil.com/j/85512345678", "zoom.us/j/85512345678", "zoommtg://zoom.us/join?confno=85512345678", "zoom:",
    "<" + LINK + "|Join>", "<https://zoom.us/j/1|a", "b>", "x<https://zoom.us/j/123456789|see", "<>", "<|>",
    "<a\nb>", "Meeting", "ID:", "ID", "id", "Meeting-ID", "meetingid123456789", "Webinar", "Passcode:", "Password",
    "xpasscode:", "(passcode:", "Kenncode:", "&amp;", "&lt;", "a&gt;", "123456789@zoomcrc.com",
    "+16465588656,,85512345678#", "1.2.3.4##85512345678",
    # other services: words that change how the text around them reads, and their links
    "Microsoft", "Teams", "teams", "Dial", "dial", "in", "by", "phone", "Phone", "conference", "(audio", "Webex",
    "24357724034@ietf.webex.com", "mailto:24357724034@acme.webex.com", "sip:24357724034@ietf.webex.com",
    "sip:85512345678@zoomcrc.com", "85512345678@global.zoomcrc.com", "+15672491957,,400968124#",
    "https://teams.microsoft.com/meet/219137232612292?p=x", "https://teams.microsoft.com/meet/85512345678?p=x",
    "https://teams.microsoft.com/l/meetup-join/19%3ameeting_a%40thread.v2/0", "https://teams.live.com/meet/9356969621606",
    "https://teams.microsoft.com.evil.com/meet/1?p=1", "https://evil.com/?u=teams.microsoft.com",
    "https://dialin.teams.microsoft.com/x?id=1", "https://meet.google.com/abc-defg-hij", "abc-defg-hij",
    "meet.google.com/xyz-abcd-efg", "https://tel.meet/abc-defg-hij?pin=1", "https://acme.webex.com/meet/alice",
]


def usable(reference: MeetingReference) -> bool:
    """What a booking can use (bot.scheduling.request): a valid reference, whether or not it has a meeting ID
    (a Meet link and a SIP address have none); the screen promises no more than validity."""
    return reference.is_valid


@settings(max_examples=300, deadline=None)
@given(runs=st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from([1, 1, 1, 3, COMMAND_FORM_MAX_WORDS + 1, 20])),
                     min_size=1, max_size=8),
       padded=st.booleans())
def test_verdicts_agree_with_parsing(runs: list[tuple[str, int]], padded: bool) -> None:
    words = _TOKEN.findall(" ".join(word for word, count in runs for _ in range(count)))
    if padded:
        words = ["x" * 9_000, *words]  # the first starts are over the size limit
    screen = ReferenceSuffixes(words)
    groups: dict[int, tuple[bool, MeetingReference | None]] = {}
    for start in range(len(words)):
        verdict = screen.verdict(start)
        reference = parse_meeting_reference(" ".join(words[start:]))
        if verdict == TOO_LONG:
            assert not reference.is_valid and "too long" in (reference.reason or "")
        elif verdict == REFUSED:
            assert not usable(reference), words[start:]
        elif verdict != PARSE:
            assert isinstance(verdict, int)
            seen = (usable(reference), reference if usable(reference) else None)
            assert groups.setdefault(verdict, seen) == seen, words[start:]


def test_a_long_run_of_meeting_ids_is_one_question() -> None:
    words = ["85512345678"] * 2_000
    screen = ReferenceSuffixes(words)
    verdicts = [screen.verdict(start) for start in range(len(words))]
    assert verdicts.count(PARSE) == COMMAND_FORM_MAX_WORDS  # the last few could be `<id> <passcode>`
    settled = verdicts[:-COMMAND_FORM_MAX_WORDS]
    assert all(verdict in (TOO_LONG, REFUSED) or isinstance(verdict, int) for verdict in settled)
