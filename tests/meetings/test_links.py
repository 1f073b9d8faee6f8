"""Meeting references: the case table (realistic pastes from public sources) and properties of the parser."""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.meetings import (
    MAX_INPUT_CHARS,
    ZOOM_DOMAINS,
    is_zoom_host,
    parse_meeting_reference,
    parse_message,
    split_reference_and_passcode,
)
from bot.meetings.links import SPEC_KEYS, UNEXPECTED_FAILURE
from tests.meetings.cases import assert_case, load_cases, parse_case

CASES = load_cases()




def test_case_table_is_big_and_varied() -> None:
    assert len(CASES) >= 80
    kinds = {case["expect"]["kind"] for case in CASES}
    assert kinds == {"meeting", "webinar", "personal", "invalid"}
    assert sum(case["expect"]["kind"] == "invalid" for case in CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_case_table(case: dict[str, Any]) -> None:
    assert_case(parse_case(case), case["expect"])


@pytest.mark.parametrize("case", [c for c in CASES if c["expect"]["kind"] != "invalid"], ids=lambda c: c["name"])
def test_case_table_canonical_url_round_trips(case: dict[str, Any]) -> None:
    ref = parse_case(case)
    url = ref.canonical_join_url()
    assert url is not None and url.startswith("https://")
    again = parse_meeting_reference(url)
    if ref.provider != "zoom":  # Teams and Meet: the canonical link is the join link itself
        assert url == ref.join_url and again.join_url == url and again.provider == ref.provider
        return
    assert (again.meeting_id, again.pwd_token, again.kind) == (
        ref.meeting_id if ref.kind != "personal" else None, ref.pwd_token, ref.kind)
    assert again.host == (ref.host or "zoom.us")
    assert again.passcode is None  # the canonical link never carries the passcode


def test_reasons_never_echo_the_passcode() -> None:
    for text in ("812 3456 7890 abc def", "81234567890 pwd=Sekr3tTok", "812 3456 Zq9 x"):
        ref = parse_meeting_reference(text)
        assert not ref.is_valid
        for secret in ("abc", "def", "Sekr3tTok", "Zq9"):
            assert secret not in (ref.reason or "")


def test_oversized_input_is_refused_but_a_long_invitation_is_not() -> None:
    invitation = next(c["input"] for c in CASES if c["name"].startswith("full English invitation"))
    padded = invitation + "\n" + "Agenda: discuss the plan. " * ((MAX_INPUT_CHARS - len(invitation)) // 30)
    assert len(padded) <= MAX_INPUT_CHARS and parse_meeting_reference(padded).meeting_id == "85012345678"
    too_long = "https://zoom.us/j/81234567890 " + "x" * MAX_INPUT_CHARS
    ref = parse_meeting_reference(too_long)
    assert not ref.is_valid and "too long" in (ref.reason or "")


def test_non_string_input_is_invalid_not_an_exception() -> None:
    assert parse_meeting_reference(None).kind == "invalid"  # type: ignore[arg-type]
    assert parse_meeting_reference(b"81234567890").kind == "invalid"  # type: ignore[arg-type]


def test_message_shortcut_never_takes_a_word_as_passcode() -> None:
    assert parse_message("https://zoom.us/j/81234567890 thanks").passcode is None
    assert parse_meeting_reference("https://zoom.us/j/81234567890 thanks").passcode == "thanks"
    assert parse_message("Meeting ID: 812 3456 7890\nPasscode: Zz9yy").passcode == "Zz9yy"


@pytest.mark.parametrize(
    ("text", "meeting_id", "passcode"),
    [
        ("812 3456 7890 abc123", "81234567890", "abc123"),
        ("812 3456 7890", "81234567890", None),
        ("81234567890 123456", "81234567890", "123456"),
        ("123 456 789 12", "123456789", "12"),  # 3-3-3 is Zoom's grouping; 3-3-3-2 is not
        ("123 456 7890", "1234567890", None),
        ("https://zoom.us/j/81234567890 x", None, "x"),
    ],
)
def test_split_reference_and_passcode(text: str, meeting_id: str | None, passcode: str | None) -> None:
    split = split_reference_and_passcode(text)
    assert (split.meeting_id, split.passcode, split.problem) == (meeting_id, passcode, None)


def test_split_leaves_multiline_text_whole() -> None:
    split = split_reference_and_passcode("Meeting ID: 812 3456 7890\nPasscode: x")
    assert split.passcode is None and split.meeting_id is None


def test_pwd_is_never_the_passcode() -> None:
    ref = parse_meeting_reference("https://zoom.us/j/81234567890?pwd=Qp4Lk2")
    assert ref.pwd_token == "Qp4Lk2" and ref.passcode is None


def test_canonical_url_drops_tracking_and_quotes_token() -> None:
    ref = parse_meeting_reference("https://zoom.us/j/81234567890?utm_source=x&pwd=a%2Bb%2Fc%3D&uname=Bob#success")
    assert ref.canonical_join_url() == "https://zoom.us/j/81234567890?pwd=a%2Bb%2Fc%3D"


def test_invalid_reference_has_no_canonical_url() -> None:
    assert parse_meeting_reference("https://zoom.us.evil.com/j/81234567890").canonical_join_url() is None


# --- properties ----------------------------------------------------------------------------------------

URL_ALPHABET = string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=%\\ \n\u00a0８٣"
zoomish_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=URL_ALPHABET, max_size=200),
    st.builds(
        lambda scheme, host, path, tail: f"{scheme}{host}{path}{tail}",
        st.sampled_from(["https://", "http://", "zoommtg://", "zoomus://", "", "javascript:", "HTTPS://"]),
        st.sampled_from(["zoom.us", "us02web.zoom.us", "evil.com", "zoom.us.evil.com", "evilzoom.us", "zoom-x.de",
                         "evil.com\\@zoom.us", "zoom.us@evil.com", "www.google.com",
                         "a.safelinks.protection.outlook.com"]),
        st.sampled_from(["/j/", "/w/", "/s/", "/my/", "/wc/join/", "/url?q=", "/?url=", "/join?confno="]),
        st.text(alphabet=URL_ALPHABET, max_size=60),
    ),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(zoomish_text, st.booleans())
def test_property_never_raises_and_never_returns_a_foreign_host(text: str, trailing: bool) -> None:
    ref = parse_meeting_reference(text, trailing_passcode=trailing)
    assert ref.reason != UNEXPECTED_FAILURE  # the safety net was not needed
    assert set(ref.as_dict()) == set(SPEC_KEYS)
    if ref.host is not None:
        assert ref.is_valid and is_zoom_host(ref.host)
        assert any(ref.host == d or ref.host.endswith("." + d) for d in ZOOM_DOMAINS)
    if ref.meeting_id is not None:
        assert ref.meeting_id.isascii() and ref.meeting_id.isdigit() and 9 <= len(ref.meeting_id) <= 11
    assert ref.is_valid == (ref.reason is None)


@settings(max_examples=300)
@given(
    st.text(alphabet=string.digits, min_size=9, max_size=11).filter(lambda s: s[0] != "0"),
    st.one_of(st.none(), st.text(alphabet=string.ascii_letters + string.digits + "._-+/=~%", min_size=1, max_size=40)),
    st.sampled_from(["zoom.us", "us02web.zoom.us", "acme.zoomgov.com", "zoom-x.de", "zoom.com"]),
    st.sampled_from(["j", "w", "s", "wc"]),
)
def test_property_idempotent_on_canonical_url(meeting_id: str, pwd: str | None, host: str, path: str) -> None:
    query = f"?pwd={pwd}" if pwd is not None else ""
    ref = parse_meeting_reference(f"https://{host}/{path}/{meeting_id}{query}")
    assert ref.is_valid and ref.meeting_id == meeting_id and ref.host == host
    url = ref.canonical_join_url()
    assert url is not None
    again = parse_meeting_reference(url)
    assert again.as_dict() == ref.as_dict()
    assert again.canonical_join_url() == url


@settings(max_examples=200)
@given(st.sampled_from(ZOOM_DOMAINS), st.text(alphabet=string.ascii_lowercase + "-.", min_size=1, max_size=12))
def test_property_lookalike_hosts_are_refused(domain: str, extra: str) -> None:
    label = extra.strip(".-") or "x"
    for host in (f"{domain}.{label}.com", f"{label}{domain}", domain.replace(".", "-") + ".com"):
        if is_zoom_host(host):
            continue
        ref = parse_meeting_reference(f"https://{host}/j/81234567890")
        assert not ref.is_valid and ref.host is None


def test_same_meeting_linked_twice_keeps_the_pwd_token() -> None:
    ref = parse_meeting_reference("https://zoom.us/j/81234567890 https://us02web.zoom.us/j/81234567890?pwd=Tok.1")
    assert (ref.meeting_id, ref.pwd_token, ref.host, ref.passcode) == ("81234567890", "Tok.1", "us02web.zoom.us", None)


def test_id_followed_by_a_link_is_not_a_passcode() -> None:
    ref = parse_meeting_reference("81234567890 https://zoom.us/j/81234567890")
    assert ref.passcode is None and ref.meeting_id == "81234567890"
    assert not parse_meeting_reference("81234567890 https://zoom.us/j/85012345678").is_valid


def _zoom_grouped(meeting_id: str) -> str:
    cuts = {9: (3, 6), 10: (3, 6), 11: (3, 7)}[len(meeting_id)]
    return f"{meeting_id[:cuts[0]]} {meeting_id[cuts[0]:cuts[1]]} {meeting_id[cuts[1]:]}"


@settings(max_examples=300)
@given(
    st.text(alphabet=string.digits, min_size=9, max_size=11),
    st.sampled_from(["grouped", "plain", "dashed"]),
    st.text(alphabet=string.ascii_letters + string.digits + "@-_*", min_size=1, max_size=10),
)
def test_property_command_form_id_then_passcode(meeting_id: str, style: str, passcode: str) -> None:
    written = {"grouped": _zoom_grouped(meeting_id), "plain": meeting_id,
               "dashed": _zoom_grouped(meeting_id).replace(" ", "-")}[style]
    ref = parse_meeting_reference(f"{written} {passcode}")
    assert (ref.meeting_id, ref.passcode, ref.kind) == (meeting_id, passcode, "meeting")
