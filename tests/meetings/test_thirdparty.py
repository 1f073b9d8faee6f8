"""Teams, Google Meet and SIP references: the case table (realistic pastes, sources in
shared/reference/third-party-meetings.md) and properties of the parser on them (SPEC §6)."""

from __future__ import annotations

import string
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.meetings import (
    ZOOM_ROOMS_CANNOT_JOIN,
    MeetingReference,
    TeamsCloud,
    parse_meeting_reference,
    parse_message,
    teams_cloud_refusal,
)
from bot.meetings.links import UNEXPECTED_FAILURE
from bot.meetings.thirdparty import MEET_HOST, TEAMS_HOSTS, teams_cloud
from tests.meetings.cases import assert_case, load_cases, load_thirdparty_cases, parse_case

CASES = load_thirdparty_cases()




def _typed(ref: MeetingReference) -> tuple[Any, ...]:
    return (ref.as_dict(), ref.teams_cloud, ref.meet_code)


def test_case_table_covers_every_service_and_refusal() -> None:
    assert len(CASES) >= 100
    providers = {case["expect"].get("provider") for case in CASES}
    assert {"teams", "meet", "sip"} <= providers
    assert sum(case["expect"]["kind"] == "invalid" for case in CASES) >= 45
    names = [case["name"] for case in CASES + load_cases()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_case_table(case: dict[str, Any]) -> None:
    ref = parse_case(case)
    expect = case["expect"]
    assert_case(ref, expect)
    if expect["kind"] == "invalid":
        assert ref.teams_cloud is None and ref.meet_code is None
    else:
        extra = case.get("extra", {})
        assert ref.teams_cloud == (TeamsCloud(extra["teams_cloud"]) if extra.get("teams_cloud") else None)
        assert ref.meet_code == extra.get("meet_code")


@pytest.mark.parametrize("case", [c for c in CASES if c["expect"].get("join_url")], ids=lambda c: c["name"])
def test_case_table_join_url_parses_to_the_same_meeting(case: dict[str, Any]) -> None:
    ref = parse_case(case)
    assert ref.canonical_join_url() == ref.join_url
    again = parse_meeting_reference(ref.join_url or "")
    assert (again.provider, again.join_url, again.teams_cloud, again.meet_code) == (
        ref.provider, ref.join_url, ref.teams_cloud, ref.meet_code)
    assert again.passcode is None  # the link never carries the passcode (Teams' p= is hashed)


def test_reasons_never_echo_a_passcode_or_a_sip_address() -> None:
    texts = {
        "Microsoft Teams meeting\nJoin: https://teams.microsoft.com/meet/285614903771052?p=Hq7TzX2mLp9VbR4sKd\n"
        "Meeting ID: 391 328 174 033 204\nPasscode: Vt3kPq8N": ("Vt3kPq8N", "Hq7TzX2mLp9VbR4sKd"),
        "https://meet.google.com/abc-defg-hij Sekr3t": ("Sekr3t",),
        "sip:85012345.9911@vc.example.org\nsip:12345678@myprovider.com": ("9911", "myprovider", "vc.example.org"),
        "sip:vmr@vc.example.org Sekr3t": ("Sekr3t", "vmr@"),
    }
    for text, secrets in texts.items():
        ref = parse_meeting_reference(text)
        assert not ref.is_valid
        for secret in secrets:
            assert secret not in (ref.reason or "")


def test_teams_p_is_never_the_passcode() -> None:
    ref = parse_meeting_reference("https://teams.microsoft.com/meet/285614903771052?p=Vt3kPq8N")
    assert ref.passcode is None and ref.meeting_id == "285614903771052"
    assert ref.join_url == "https://teams.microsoft.com/meet/285614903771052?p=Vt3kPq8N"


def test_older_callers_get_zoom_references() -> None:
    """Dispatch, bookings and buttons build references by hand; they stay Zoom meetings."""
    built = MeetingReference(meeting_id="85012345678", kind="meeting")
    assert built.provider == "zoom" and built.is_zoom and not built.is_third_party
    assert built.join_url is None and built.sip_address is None and built.third_party_meeting_id is None
    nothing = MeetingReference()
    assert nothing.provider is None and not nothing.is_valid and not nothing.is_zoom
    assert MeetingReference(kind="invalid", provider="teams").provider is None
    assert parse_meeting_reference("https://zoom.us/j/85012345678").is_zoom


def test_third_party_meeting_id_is_what_the_join_call_would_carry() -> None:
    teams = parse_meeting_reference("https://teams.microsoft.com/meet/285614903771052?p=x Vt3kPq8N")
    assert teams.is_third_party and teams.third_party_meeting_id == "285614903771052"
    meet = parse_meeting_reference("https://meet.google.com/abc-defg-hij")
    assert meet.third_party_meeting_id == "abc-defg-hij" and meet.meeting_id is None
    assert parse_meeting_reference("sip:12345678@myprovider.com").third_party_meeting_id is None


def test_cloud_refusals_are_data_for_the_dispatcher() -> None:
    assert set(ZOOM_ROOMS_CANNOT_JOIN) == {TeamsCloud.FREE, TeamsCloud.DOD, TeamsCloud.CHINA}
    for cloud in (TeamsCloud.COMMERCIAL, TeamsCloud.GCC_HIGH, None):
        assert teams_cloud_refusal(cloud) is None
    free = parse_meeting_reference("https://teams.live.com/meet/9356969621606?p=Qw8ogAWeCL73fVssuE")
    assert free.is_valid and "free Microsoft Teams" in (teams_cloud_refusal(free.teams_cloud) or "")
    assert teams_cloud("dialin.teams.microsoft.com") is TeamsCloud.COMMERCIAL
    assert teams_cloud("teams.microsoft.com.evil.example") is None and teams_cloud("evilteams.microsoft.com") is None


def test_message_shortcut_reads_a_teams_invitation_like_the_command() -> None:
    case = next(c for c in CASES if c["name"].startswith("teams invitation, 2026 layout: "))
    assert parse_message(case["input"]) == parse_case(case)


# --- properties ----------------------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
teams_ids = st.text(alphabet=string.digits, min_size=10, max_size=15)
hashed = st.text(alphabet=ALNUM, min_size=1, max_size=24)
teams_short = st.builds(lambda host, digits, p: f"https://{host}/meet/{digits}?p={p}",
                        st.sampled_from(sorted(TEAMS_HOSTS)), teams_ids, hashed)
teams_long = st.builds(
    lambda host, thread, kind, tenant, extra: (f"https://{host}/l/meetup-join/19%3a{thread}%40thread.{kind}/0"
                                               f"?context=%7b%22Tid%22%3a%22{tenant}%22%7d{extra}"),
    st.sampled_from(sorted(TEAMS_HOSTS)), st.text(alphabet=ALNUM + "_-", min_size=8, max_size=60),
    st.sampled_from(["v2", "tacv2", "skype"]), st.uuids().map(str), st.sampled_from(["", "&anon=true", "&x=%20y"]),
)
meet_codes = st.builds(lambda a, b, c: f"{a}-{b}-{c}",
                       *(st.text(alphabet=string.ascii_lowercase, min_size=n, max_size=n) for n in (3, 4, 3)))
meet_queries = st.sampled_from(["", "?authuser=0", "?authuser=0&hs=178", "?pli=1", "?authuser=me%40example.com"])
meet_links = st.builds(lambda code, query: f"https://meet.google.com/{code}{query}", meet_codes, meet_queries)
joinable_links = st.one_of(teams_short, teams_long, meet_links)


def _safelinks(link: str) -> str:
    return (f"https://nam11.safelinks.protection.outlook.com/?url={quote(link, safe='')}"
            "&data=05%7C02%7C%7Cabc%7C0%7C0%7C638712345678901234%7CUnknown&sdata=Zm9vYmFy%3D&reserved=0")


def _google(link: str) -> str:
    return f"https://www.google.com/url?q={quote(link, safe='')}&sa=D&source=calendar&usd=2&usg=AOvVaw0Fake"


def _slack(link: str, label: str) -> str:
    return f"<{link.replace('&', '&amp;')}|{label or link.replace('&', '&amp;')}>"


@settings(max_examples=200)
@given(joinable_links, st.sampled_from(["safelinks", "google", "slack", "safelinks+google", "google+slack"]),
       st.sampled_from(["", "Join", "Click here to join the meeting"]))
def test_property_wrapping_a_link_gives_the_same_reference(link: str, wrapper: str, label: str) -> None:
    ref = parse_meeting_reference(link)
    assert ref.is_valid and ref.join_url == link and ref.provider in ("teams", "meet")
    wrapped = link
    for layer in wrapper.split("+"):
        wrapped = {"safelinks": _safelinks, "google": _google}[layer](wrapped) if layer != "slack" else _slack(
            wrapped, label)
    assert _typed(parse_meeting_reference(wrapped)) == _typed(ref)
    assert _typed(parse_message(f"Join here: {wrapped} thanks")) == _typed(parse_message(f"Join here: {link} thanks"))


@settings(max_examples=200)
@given(meet_codes, st.sampled_from(["bare", "link", "no scheme", "upper", "quoted", "www", "_meet"]))
def test_property_any_meet_code_round_trips(code: str, form: str) -> None:
    text = {"bare": code, "link": f"https://meet.google.com/{code}", "no scheme": f"meet.google.com/{code}",
            "upper": f"https://meet.google.com/{code.upper()}", "quoted": f"“{code}”",
            "www": f"http://www.meet.google.com/{code}", "_meet": f"https://meet.google.com/_meet/{code}"}[form]
    ref = parse_meeting_reference(text)
    assert (ref.provider, ref.meet_code, ref.meeting_id, ref.passcode) == ("meet", code, None, None)
    assert ref.join_url is not None and ref.join_url.lower().startswith(f"https://{MEET_HOST}/")
    assert parse_meeting_reference(ref.join_url).meet_code == code


@settings(max_examples=200)
@given(teams_ids, hashed, st.one_of(st.none(), st.text(alphabet=ALNUM + "@-_*", min_size=1, max_size=10)))
def test_property_teams_short_link_id_and_never_p(digits: str, p: str, passcode: str | None) -> None:
    link = f"https://teams.microsoft.com/meet/{digits}?p={p}"
    ref = parse_meeting_reference(link if passcode is None else f"{link} {passcode}")
    assert (ref.provider, ref.meeting_id, ref.join_url, ref.passcode) == ("teams", digits, link, passcode)
    assert ref.teams_cloud is TeamsCloud.COMMERCIAL


SERVICE_DOMAINS = [*sorted(TEAMS_HOSTS), MEET_HOST]
SERVICE_PATHS = {MEET_HOST: ["/abc-defg-hij", "/abc-defg-hij?authuser=0"]}
TEAMS_PATHS = ["/meet/285614903771052?p=Hq7TzX2mLp9VbR4sKd", "/l/meetup-join/19%3ameeting_ZmFr%40thread.v2/0",
               "/l/meetup-join/19:meeting_ZmFr@thread.v2/0?context=%7b%7d"]


def _genuine(host: str) -> bool:
    return teams_cloud(host) is not None or host == MEET_HOST or host.endswith("." + MEET_HOST)


@settings(max_examples=300)
@given(st.sampled_from(SERVICE_DOMAINS), st.text(alphabet=string.ascii_lowercase + "-.", min_size=1, max_size=12),
       st.integers(0, 2), st.sampled_from(["plain", "safelinks", "google", "slack"]))
def test_property_lookalike_hosts_are_never_valid(domain: str, extra: str, path_index: int, wrapper: str) -> None:
    label = extra.strip(".-") or "x"
    paths = SERVICE_PATHS.get(domain, TEAMS_PATHS)
    path = paths[path_index % len(paths)]
    for host in (f"{domain}.{label}.com", f"{label}{domain}", domain.replace(".", "-") + ".com",
                 domain.replace(".", "") + ".com", f"{domain}.{label}", f"{domain}@{label}.com",
                 f"{label}.com\\@{domain}", f"{label}.com/{domain}"):
        if _genuine(host):
            continue
        link = f"https://{host}{path}"
        text = {"plain": link, "safelinks": _safelinks(link), "google": _google(link),
                "slack": _slack(link, "")}[wrapper]
        ref = parse_meeting_reference(text)
        assert not ref.is_valid and ref.join_url is None, (text, ref)


FRAGMENTS = [
    "Microsoft Teams meeting", "Join:", "Meeting ID: 285 614 903 771 052", "Passcode: Vt3kPq8N", "Dial in by phone",
    "+1 555-010-0142,,400968124#<tel:+15550100142,,400968124#>", "Phone conference ID: 400 968 124#",
    "https://teams.microsoft.com/meet/285614903771052?p=Hq7", "https://teams.live.com/meet/9356969621606?p=q",
    "https://teams.microsoft.com/l/meetup-join/19%3ameeting_Zm%40thread.v2/0", "https://meet.google.com/abc-defg-hij",
    "abc-defg-hij", "sip:24357724034@acme.webex.com", "Dial 24357724034@acme.webex.com", "Webex",
    "https://acme.webex.com/meet/jdoe", "https://zoom.us/j/85012345678", "+16699006833,,85012345678#,,,,*482913#",
    "https://teams.microsoft.com.evil.example/meet/1", "https://meet.google.com@evil.example/abc-defg-hij",
    "https://nam12.safelinks.protection.outlook.com/?url=", "https://www.google.com/url?q=", "%3A%2F%2F", "<", ">",
    "|", "&amp;", "mailto:", "sips:", "@", "\\", "\n", " ", "Meeting number (access code): 2435 772 4034",
]
texts = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(alphabet=ALNUM + ":/?&=%.@-", max_size=12)),
             max_size=12).map("".join),
    st.lists(st.sampled_from(FRAGMENTS), max_size=10).map(" ".join),
)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(texts, st.booleans())
def test_property_never_raises_and_results_are_well_formed(text: str, trailing: bool) -> None:
    ref = parse_meeting_reference(text, trailing_passcode=trailing)
    assert ref.reason != UNEXPECTED_FAILURE
    assert ref.is_valid == (ref.reason is None) == (ref.provider is not None)
    if ref.provider in ("teams", "meet"):
        assert ref.host is None and ref.sip_address is None and ref.pwd_token is None
        if ref.join_url is not None:
            assert ref.join_url.startswith("https://")
            host = ref.join_url[len("https://"):].split("/", 1)[0]
            assert host in TEAMS_HOSTS if ref.provider == "teams" else host == MEET_HOST
    if ref.provider == "teams":
        assert ref.meeting_id is None or 10 <= len(ref.meeting_id) <= 15
        assert ref.join_url is not None or ref.passcode is not None  # a bare Teams ID needs its passcode
    if ref.provider == "meet":
        assert ref.meet_code is not None and ref.passcode is None and ref.meeting_id is None
    if ref.provider == "sip":
        assert ref.sip_address is not None and ref.sip_address.count("@") == 1
        assert ":" not in ref.sip_address.split("@")[0]  # no scheme: user@host (a port may follow the host)
        assert ref.meeting_id is None and ref.join_url is None
    if ref.provider == "zoom":
        assert ref.join_url is None and ref.sip_address is None and ref.teams_cloud is None
        assert ref.meeting_id is None or 9 <= len(ref.meeting_id) <= 11


TEAMS_CONTEXT = ["Microsoft Teams meeting", "Dial in by phone", "Or call in (audio only)",
                 "Join: https://teams.microsoft.com/meet/285614903771052?p=Hq7TzX2mLp9VbR4sKd",
                 "Click here to join the meeting<https://teams.microsoft.com/l/meetup-join/19%3ameeting_Zm%40thread.v2/0>"]


@settings(max_examples=300)
@given(st.text(alphabet=string.digits, min_size=9, max_size=11), st.text(alphabet=string.digits, min_size=10,
                                                                         max_size=10),
       st.sampled_from(["{phone},,{id}#", "+{compact},,{id}#", "{phone},,{id}#<tel:+{compact},,{id}#>"]),
       st.lists(st.sampled_from(TEAMS_CONTEXT), min_size=1, max_size=3, unique=True), st.booleans(), st.booleans())
def test_property_teams_dial_in_is_never_a_zoom_meeting(conference_id: str, phone: str, shape: str,
                                                        context: list[str], with_id_line: bool, trailing: bool) -> None:
    """`+1 555-010-0142,,400968124#` is shaped like a Zoom one-tap string; inside a Teams invitation it must never
    send the room into Zoom meeting 400968124 (reference §8)."""
    grouped = " ".join(conference_id[i:i + 3] for i in range(0, len(conference_id), 3))
    line = shape.format(phone=f"+1 {phone[:3]}-{phone[3:6]}-{phone[6:]}", compact="1" + phone, id=conference_id)
    lines = [*context, line + " United States, Toledo"]
    if with_id_line:
        lines.append(f"Phone conference ID: {grouped}#")
    ref = parse_meeting_reference("\n".join(lines), trailing_passcode=trailing)
    assert ref.provider != "zoom"
    assert ref.meeting_id != conference_id


@settings(max_examples=200)
@given(st.text(alphabet=string.digits, min_size=10, max_size=11), st.text(alphabet=ALNUM, min_size=6, max_size=10),
       st.booleans())
def test_property_webex_numbers_are_never_a_zoom_meeting(number: str, password: str, with_sip: bool) -> None:
    grouped = f"{number[:4]} {number[4:7]} {number[7:]}"
    text = (f"Join the Webex meeting\nMeeting number (access code): {grouped}\nMeeting password: {password}\n"
            f"+15550100001,,{number}# United States Toll\n")
    if with_sip:
        text += f"Join by video system\nDial {number}@acme.webex.com\n"
    ref = parse_meeting_reference(text)
    assert ref.provider != "zoom" and ref.meeting_id is None
    assert ref.is_valid == with_sip
    if with_sip:
        assert ref.sip_address == f"{number}@acme.webex.com"
