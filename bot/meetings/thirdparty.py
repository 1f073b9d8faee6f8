"""Meetings on other services that Zoom Rooms can join: Microsoft Teams, Google Meet and SIP (SPEC §6).

Facts and their sources: shared/reference/third-party-meetings.md ("the reference" below).  Pure and linear in
the length of the text, like the rest of the parser.

- Hosts are matched against an allowlist on label boundaries, never by substring (reference §7); a host that
  merely contains a service's name (`teams.microsoft.com.evil.example`, `meet-google.com`) is refused, and so
  is a foreign link with a Teams join path.  Wrappers (SafeLinks, Google `/url?q=`) are unwrapped by
  `urls.parse_link` before a link gets here, each layer decoded once, so the join link is the inner link byte
  for byte (reference §0.5).
- Teams: long `/l/meetup-join/<thread>/<message>` links, short `/meet/<meeting id>` links (their `?p=` is a
  *hashed* passcode, never the passcode: reference §0.1), the launcher page around a long link, and the cloud
  each host belongs to (reference §2.2), kept as data so the dispatcher can refuse the clouds Zoom Rooms do not
  join (`ZOOM_ROOMS_CANNOT_JOIN`).
- Google Meet: `meet.google.com/abc-defg-hij` links and a bare code.
- SIP: `sip:user@host` URIs and the `Dial <number>@<site>.webex.com` line of a Webex invitation (a Webex link
  itself cannot be sent: reference §0.2).  A bare `user@host` is an e-mail address as far as we know.
- A Teams or Webex invitation's numbers are not Zoom's: its Meeting ID and conference ID lines and its audio
  dial-in strings (`+1 555-010-0142,,400968124#`, shaped like a Zoom one-tap string) must never become a Zoom
  meeting ID, which would send the room into a stranger's Zoom meeting: `links` asks `invitations.scan_invitation`
  for a `foreign` reading when `scan_text` or a link says the text is such an invitation (and for no one-tap
  string without a passcode part next to a Meet link either).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import unquote

from bot.meetings.invitations import strip_token
from bot.meetings.reference import MeetingReference, TeamsCloud

Service = Literal["teams", "meet", "webex"]

# --- hosts (reference §2.2, §3, §5) --------------------------------------------------------------------------

TEAMS_HOSTS: Final[dict[str, TeamsCloud]] = {
    "teams.microsoft.com": TeamsCloud.COMMERCIAL,
    # Microsoft's new Teams domain (MC1162275); whether join links are issued on it and whether Zoom Rooms
    # accept them is unconfirmed (reference §2.1): read as the commercial cloud, sent as given.
    "teams.cloud.microsoft": TeamsCloud.COMMERCIAL,
    "gov.teams.microsoft.us": TeamsCloud.GCC_HIGH,
    "dod.teams.microsoft.us": TeamsCloud.DOD,
    "teams.live.com": TeamsCloud.FREE,
    "teams.microsoftonline.cn": TeamsCloud.CHINA,  # host unconfirmed (reference §2.2); only ever refused
}
MEET_HOST: Final = "meet.google.com"
WEBEX_DOMAIN: Final = "webex.com"
# Google hosts in Meet invitations that are not meeting links: phone numbers, nickname short links.
_MEET_PHONE_HOST, _GOOGLE_SHORT_HOST = "tel.meet", "g.co"

# Clouds whose meetings Zoom Rooms cannot join, with the reason to give before calling Zoom (KB-Teams, 6.0.6-era
# text, reference §2.2).  GCC High is supported by that text (Zoom Rooms 6.0.6 and later) and not by the older
# 5.13-era one; the commercial cloud (and GCC, on the same host) is supported by both.
ZOOM_ROOMS_CANNOT_JOIN: Final[dict[TeamsCloud, str]] = {
    TeamsCloud.FREE: "Zoom Rooms cannot join free Microsoft Teams meetings (teams.live.com links); ask the "
                     "organizer to send the meeting from a work or school Teams account.",
    TeamsCloud.DOD: "Zoom Rooms cannot join Microsoft Teams meetings in the Office 365 DoD cloud "
                    "(dod.teams.microsoft.us links).",
    TeamsCloud.CHINA: "Zoom Rooms cannot join Microsoft Teams meetings operated by 21Vianet in China.",
}


def teams_cloud_refusal(cloud: TeamsCloud | None) -> str | None:
    """Why Zoom Rooms cannot join a Teams meeting on ``cloud``, or None when they can (or the cloud is unknown)."""
    return ZOOM_ROOMS_CANNOT_JOIN.get(cloud) if cloud is not None else None


_TEAMS_SUFFIXES = tuple(("." + base, cloud) for base, cloud in TEAMS_HOSTS.items())


def teams_cloud(host: str) -> TeamsCloud | None:
    """The cloud of a Teams host or of one of its subdomains (`dialin.teams.microsoft.com`); None otherwise."""
    cloud = TEAMS_HOSTS.get(host)
    if cloud is None and "teams" in host:
        cloud = next((cloud for suffix, cloud in _TEAMS_SUFFIXES if host.endswith(suffix)), None)
    return cloud


def _on(host: str, domain: str) -> bool:
    return host.endswith(domain) and (len(host) == len(domain) or host[-len(domain) - 1] == ".")


# --- reasons, in the parser's style ------------------------------------------------------------------------

TEAMS_NOT_JOIN_LINK: Final = ("This Microsoft Teams link is not a meeting join link (a join link has /l/meetup-join/ "
                              "or /meet/ and the meeting ID in it); paste the Join link from the invitation.")
MEET_NOT_MEETING: Final = ("This Google Meet link has no meeting code in it (like abc-defg-hij); paste the "
                           "meeting's own link.")
MEET_NICKNAME: Final = ("This Google Meet link names the meeting by a nickname, which only works inside the "
                        "organizer's domain; paste the meeting's own link, like https://meet.google.com/abc-defg-hij.")
MEET_STREAM: Final = "This is a Google Meet live stream, which can be watched but not joined by a room."
WEBEX_LINK: Final = ("Zoom Rooms cannot open Webex links; they join Webex meetings by SIP: paste the address on "
                     "the invitation's \"Join by video system\" line (like 12345678901@example.webex.com).")
WEBEX_WITHOUT_SIP: Final = ("That is a Webex invitation without its video system address; Zoom Rooms join Webex "
                            "meetings only by SIP: paste the \"Join by video system\" address "
                            "(like 12345678901@example.webex.com).")
WEBEX_BARE_ADDRESS: Final = ("To send a room to a Webex video address, write it as a SIP address: sip: and then the "
                              "address (like sip:12345678901@example.webex.com).")
TEAMS_WITHOUT_LINK: Final = ("That is part of a Microsoft Teams invitation without its Join link (its phone numbers "
                             "are not a Zoom meeting); paste the Join link (https://teams.microsoft.com/…) or the "
                             "whole invitation.")
TEAMS_ID_NEEDS_PASSCODE: Final = ("A Microsoft Teams meeting ID is joined with its passcode; paste the Join link, or "
                                  "the Passcode line with the Meeting ID.")
TEAMS_ID_MISMATCH: Final = ("The Teams link and the Meeting ID line name different meetings; paste just one "
                            "meeting.")
MEET_NO_PASSCODE: Final = "Google Meet meetings have no passcode; paste just the Meet link."
SIP_NO_PASSCODE: Final = ("A passcode for a SIP meeting goes inside the address, the way its service writes it; "
                          "paste the SIP address by itself.")
MIN_TEAMS_ID_DIGITS, MAX_TEAMS_ID_DIGITS = 10, 15  # seen: 12-15, personal 13, Graph's example 10 (reference §2.3)


def _lookalike(host: str, service: str, addresses: str) -> str:
    shown = host if len(host) <= 60 else host[:57] + "..."
    return f"The link goes to {shown}, which is not a {service} address ({addresses})."


_TEAMS_ADDRESSES = "Teams links start with https://teams.microsoft.com/ or https://gov.teams.microsoft.us/"
_MEET_ADDRESSES = "Meet links start with https://meet.google.com/"


# --- links -----------------------------------------------------------------------------------------------------

@dataclass(slots=True)  # read-only by convention: a frozen dataclass costs ~4x to build
class ThirdPartyLink:
    """A link a room can be sent to with ``zoomroom.thirdparty_meeting_join``."""

    provider: Literal["teams", "meet"]
    join_url: str
    key: str  # the meeting the link names: two links with one key are one meeting
    short: bool = False  # a Teams /meet/<id> link: what new invitations label "Join:"
    meeting_id: str | None = None
    teams_cloud: TeamsCloud | None = None
    meet_code: str | None = None


@dataclass(slots=True)  # read-only by convention: a frozen dataclass costs ~4x to build
class ForeignLink:
    """What a link on another service's host says: a joinable link, or why it is not one."""

    service: Service
    link: ThirdPartyLink | None = None
    problem: str | None = None
    fatal: bool = False
    genuine: bool = True  # on the service's own host (False: a look-alike, or a link pointing at one)


_TEAMS_LONG = re.compile(r"^/l/meetup-join/([^/?#]+)/([0-9]+)/?$", re.ASCII | re.IGNORECASE)
_TEAMS_THREAD = re.compile(r"^19:[^@/\s]+@thread\.[a-z0-9]+$", re.ASCII | re.IGNORECASE)
_TEAMS_SHORT = re.compile(r"^/meet/([0-9]+)/?$", re.ASCII)
_TEAMS_LAUNCHER = re.compile(r"^/dl/launcher/launcher\.html$", re.IGNORECASE)
_LAUNCHED = "/_#/l/meetup-join/"
MEET_CODE = re.compile(r"^[a-z]{3}-[a-z]{4}-[a-z]{3}$", re.ASCII | re.IGNORECASE)
_MEET_PATH = re.compile(r"^/(?:_meet/)?([a-z]{3}-[a-z]{4}-[a-z]{3})/?$", re.ASCII | re.IGNORECASE)
_MEET_LOOKUP = re.compile(r"^/lookup/", re.IGNORECASE)
_GOOGLE_SHORT_MEET = re.compile(r"^/meet/", re.IGNORECASE)
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
# A host that spells a service's domain with its dots moved or dropped (`teams-microsoft.com`,
# `teams.microsoft.com.evil.example`, `evilteams.microsoft.com`, `meet-google.com`).
_BRANDS: tuple[tuple[str, str, str], ...] = (
    ("teamsmicrosoft", "Microsoft Teams", _TEAMS_ADDRESSES),
    ("microsoftteams", "Microsoft Teams", _TEAMS_ADDRESSES),
    ("teamslive", "Microsoft Teams", _TEAMS_ADDRESSES),
    ("meetgoogle", "Google Meet", _MEET_ADDRESSES),
    ("googlemeet", "Google Meet", _MEET_ADDRESSES),
)
_MENTIONS = re.compile(r"teams\.microsoft|teams\.live|meet\.google", re.IGNORECASE)


def mentions_service(token: str) -> bool:
    """Whether a token names a Teams or Meet address anywhere (a malformed link that does is refused outright)."""
    return bool(_MENTIONS.search(token))


def classify(host: str, path: str, query: str) -> ForeignLink | None:
    """A link on a Teams, Meet, Webex or Google companion host (``host`` lower case and well formed, ``path``
    and ``query`` as written), or None for any other host."""
    cloud = teams_cloud(host)
    if cloud is not None:
        return _teams_link(host, cloud, path, query)
    if _on(host, MEET_HOST):
        return _meet_link(host, path, query)
    if _on(host, WEBEX_DOMAIN):
        return ForeignLink(service="webex", problem=WEBEX_LINK)
    if host == _MEET_PHONE_HOST:
        return ForeignLink(service="meet")  # "More phone numbers" in a Meet invitation: not a meeting link
    if host == _GOOGLE_SHORT_HOST and _GOOGLE_SHORT_MEET.match(path):
        return ForeignLink(service="meet", problem=MEET_NICKNAME)
    return None


def _url(host: str, path: str, query: str) -> str:
    return f"https://{host}{path}" + (f"?{query}" if query else "")


def _query_value(query: str, name: str) -> str | None:
    """The first ``name=`` value of a query, percent-decoded once (as `urls` splits queries)."""
    for item in query.split("&"):
        key, _, value = item.partition("=")
        if unquote(key).lower() == name:
            return unquote(value)
    return None


def _teams_link(host: str, cloud: TeamsCloud, path: str, query: str) -> ForeignLink:
    if host not in TEAMS_HOSTS:  # dialin.teams.microsoft.com and other pages around the meeting
        return ForeignLink(service="teams", problem=TEAMS_NOT_JOIN_LINK)
    short = _TEAMS_SHORT.match(path)
    if short:
        digits = short.group(1)
        if not MIN_TEAMS_ID_DIGITS <= len(digits) <= MAX_TEAMS_ID_DIGITS:
            return ForeignLink(service="teams", problem=_teams_id_problem(len(digits), "in this link"))
        link = ThirdPartyLink("teams", _url(host, path, query), key="teams:" + digits, short=True,
                              meeting_id=digits, teams_cloud=cloud)
        return ForeignLink(service="teams", link=link)
    long = _TEAMS_LONG.match(path)
    # "19%3ameeting_…%40thread.v2" or "19:meeting_…@thread.v2": the two spellings of one thread id.
    thread = long.group(1).replace("%3a", ":").replace("%3A", ":").replace("%40", "@") if long else ""
    if long and _TEAMS_THREAD.match(thread):
        key = f"teams:{thread}/{long.group(2)}"
        return ForeignLink(service="teams", link=ThirdPartyLink("teams", _url(host, path, query), key=key,
                                                                teams_cloud=cloud))
    if _TEAMS_LAUNCHER.match(path):
        launched = _query_value(query, "url") or ""
        if launched.startswith(_LAUNCHED):  # the long link's path and query, encoded once into url=
            inner_path, _, inner_query = launched[len("/_#"):].partition("?")
            if _TEAMS_LONG.match(inner_path):
                return _teams_link(host, cloud, inner_path, inner_query)
    return ForeignLink(service="teams", problem=TEAMS_NOT_JOIN_LINK)


def _teams_id_problem(digits: int, where: str) -> str:
    return (f"A Microsoft Teams meeting ID has {MIN_TEAMS_ID_DIGITS} to {MAX_TEAMS_ID_DIGITS} digits; the one "
            f"{where} has {digits}.")


def _meet_link(host: str, path: str, query: str) -> ForeignLink:
    if host not in (MEET_HOST, "www." + MEET_HOST):
        return ForeignLink(service="meet", problem=MEET_STREAM if host == "stream." + MEET_HOST else MEET_NOT_MEETING)
    code = _MEET_PATH.match(path)
    if code is None:
        return ForeignLink(service="meet", problem=MEET_NICKNAME if _MEET_LOOKUP.match(path) else MEET_NOT_MEETING)
    meet_code = code.group(1).lower()
    link = ThirdPartyLink("meet", _url(MEET_HOST, path, query), key="meet:" + meet_code, meet_code=meet_code)
    return ForeignLink(service="meet", link=link)


def imitation(host: str, path: str, query: str, squashed: str | None = None) -> ForeignLink | None:
    """A link on a host that is not the service's but pretends to be (fatal: the text cannot be trusted), or a
    foreign link that points at a Teams/Meet address in its path or query (refused if nothing else is found).
    ``squashed``: the host without its non-alphanumeric characters, if the caller has it."""
    squashed = _NOT_ALNUM.sub("", host) if squashed is None else squashed
    for brand, service, addresses in _BRANDS:
        if brand in squashed:
            kind: Service = "teams" if service == "Microsoft Teams" else "meet"
            return ForeignLink(service=kind, problem=_lookalike(host, service, addresses), fatal=True, genuine=False)
    lowered_path, lowered = path.lower(), query.lower()
    if lowered_path.startswith("/l/meetup-join/") or (_TEAMS_SHORT.match(path) and "p=" in query):
        return ForeignLink(service="teams", problem=_lookalike(host, "Microsoft Teams", _TEAMS_ADDRESSES), fatal=True,
                           genuine=False)
    if "teams.microsoft." in lowered or "teams.live." in lowered or "teams.microsoft." in lowered_path:
        return ForeignLink(service="teams", problem=_lookalike(host, "Microsoft Teams", _TEAMS_ADDRESSES),
                           genuine=False)
    if "meet.google." in lowered or "meet.google." in lowered_path or _MEET_PATH.match(path):
        return ForeignLink(service="meet", problem=_lookalike(host, "Google Meet", _MEET_ADDRESSES), genuine=False)
    return None


# --- plain text ----------------------------------------------------------------------------------------------

# These four are looked for in the lower-cased text, so that each starts with a literal the regex engine can skip
# to (a leading lookbehind or IGNORECASE would make it try every position); a word boundary is checked after
# the first word.
# Lines only a Teams invitation prints (reference §2.3, §2.4): its heading, its audio and video-device parts.
_TEAMS_MARKER = re.compile(
    r"microsoft(?<![^\W_]microsoft)\s+teams|phone(?<![^\W_]phone)\s+conference\s+id"
    r"|dial(?<![^\W_]dial)\s+in\s+by\s+phone|or(?<![^\W_]or)\s+call\s+in\s+\(audio"
    r"|(?:video|vtc)(?<![^\W_]video)(?<![^\W_]vtc)\s+conference\s+id"
)
# A Webex invitation's own words ("a scheduled Webex meeting", "join the Webex meeting here") or a Webex address.
_WEBEX_MARKER = re.compile(r"webex(?<![^\W_]webex)(?:\s+meeting|\.com)")
_SIP_URI = re.compile(
    r"(?<![A-Za-z0-9+.\-])sips?:([A-Za-z0-9._+\-*!~%]+)@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)(?::([0-9]{1,5}))?",
    re.ASCII | re.IGNORECASE,
)
# "Join by video system / Dial 24357724034@ietf.webex.com" (reference §5); Slack may have auto-linked the address
# (`mailto:`), and it may end a sentence.  (Lower case: Webex addresses are.)
_WEBEX_DIAL = re.compile(
    r"dial(?<![^\W_]dial)[ \t]*:?[ \t]*(?:(?:sips?|mailto):)?([a-z0-9._+\-]+)@((?:[a-z0-9\-]+\.)*webex\.com)"
    r"(?![a-z0-9\-]|\.[a-z0-9])",
)
_WEBEX_ADDRESS = re.compile(r"@(?<=[a-z0-9._+\-]@)(?:[a-z0-9\-]+\.)*webex\.com(?![a-z0-9\-])")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$", re.ASCII)
_IPV4 = re.compile(r"^(?:[0-9]{1,3}\.){3}[0-9]{1,3}$", re.ASCII)
_ZOOM_SIP_DOMAIN = "zoomcrc.com"  # a Zoom meeting's own SIP address (`<id>@zoomcrc.com`): Zoom's, not SIP's
# Words that can take part in a text pattern above; `suffixes` treats a word with one as part of an invitation.
_KEY_WORDS = re.compile(r"teams|conference|dial|call|webex|sips?:", re.IGNORECASE)


def may_matter(word: str) -> bool:
    """Whether ``word`` could take part in a Teams, Webex or SIP text pattern (over-approximate, never under)."""
    return bool(_KEY_WORDS.search(word))


@dataclass(slots=True)  # read-only by convention: a frozen dataclass costs ~4x to build
class TextFacts:
    """What plain text says about meetings on other services."""

    teams: bool = False  # lines only a Teams invitation has
    webex: bool = False  # "Webex meeting" or a webex.com address
    webex_address: bool = False  # a `user@<site>.webex.com` address, on a Dial line or not
    sip_addresses: tuple[str, ...] = ()  # distinct, in order: sip: URIs, then Webex Dial lines
    sip_uri_first: bool = False  # the text starts with a sip: URI
    meet_code: str | None = None  # the whole text is a Meet code

    @property
    def anything(self) -> bool:
        return bool(self.teams or self.webex or self.sip_addresses or self.meet_code)


def scan_text(text: str) -> TextFacts:
    code = _bare_meet_code(text)
    lowered = text.lower()
    teams = _TEAMS_MARKER.search(lowered) is not None
    webex = _WEBEX_MARKER.search(lowered) is not None
    sip = "sip:" in lowered or "sips:" in lowered
    if not (teams or webex or sip):
        return TextFacts(meet_code=code)
    addresses: dict[str, None] = {}
    starts_with_uri = False
    first = len(text) - len(text.lstrip())
    for match in _SIP_URI.finditer(text) if sip else ():
        address = _sip_address(match.group(1), match.group(2), match.group(3))
        if address is not None:
            addresses.setdefault(address)
            starts_with_uri = starts_with_uri or match.start() == first
    for match in _WEBEX_DIAL.finditer(lowered) if webex else ():
        address = _sip_address(match.group(1), match.group(2), None)
        if address is not None:
            addresses.setdefault(address)
    return TextFacts(teams=teams, webex=webex, webex_address=webex and bool(_WEBEX_ADDRESS.search(lowered)),
                     sip_addresses=tuple(addresses), sip_uri_first=starts_with_uri, meet_code=code)


def _bare_meet_code(text: str) -> str | None:
    if len(text) > 64:
        return None
    bare = strip_token(text.strip())
    return bare.lower() if MEET_CODE.match(bare) else None


def _sip_address(user: str, host: str, port: str | None) -> str | None:
    host = host.lower().rstrip(".")
    labels = host.split(".")
    if not all(_HOST_LABEL.match(label) for label in labels):
        return None
    if not (_IPV4.match(host) or labels[-1].isalpha()):
        return None
    if _on(host, _ZOOM_SIP_DOMAIN):
        return None
    return f"{user}@{host}" + (f":{port}" if port else "")


# --- one meeting from it all ---------------------------------------------------------------------------------

def describe(reference: MeetingReference) -> str:
    """How a meeting is named in "more than one meeting" (no passcode, no link, no SIP address: those may hold a
    passcode)."""
    if reference.provider == "teams":
        return f"Teams meeting {reference.meeting_id}" if reference.meeting_id else "a Teams meeting"
    if reference.provider == "meet":
        return f"Google Meet {reference.meet_code}"
    if reference.provider == "sip":
        return "a SIP address"
    return reference.meeting_id or "a Zoom personal link"


def more_than_one(names: Sequence[str]) -> str:
    return f"That text mentions more than one meeting ({', '.join(names[:3])}); paste just one."


@dataclass(slots=True)  # read-only by convention: a frozen dataclass costs ~4x to build
class Stated:
    """What the rest of the parser read that a third-party meeting may use."""

    teams_ids: tuple[str, ...] = ()  # digits of Meeting ID lines in a Teams or Webex invitation
    labelled_passcode: str | None = None
    command_passcode: str | None = None  # the token after a link in `/room join <room> <link> <passcode>`
    trailing_passcode: bool = True  # the text is a command, not a whole message
    words: int = 0  # whitespace-separated words of a one-line text (0 for several lines)
    teams_context: bool = False  # a Teams host link or Teams invitation lines


def resolve(links: Sequence[ThirdPartyLink], text: TextFacts, stated: Stated) -> MeetingReference | str | None:
    """The one third-party meeting in the text; a reason (str) when it names one that cannot be used as given or
    more than one; None when it names none.  A Teams or Meet link decides over SIP addresses (a Teams invitation
    may print its video-device address too: reference §8)."""
    teams = _teams(links, stated)
    if isinstance(teams, str):
        return teams
    meet = _meet(links, text, stated)
    if isinstance(meet, str):
        return meet
    found = [reference for reference in (teams, meet) if reference is not None]
    if len(found) > 1:
        return more_than_one([describe(reference) for reference in found])
    if found:
        return found[0]
    return _sip(text, stated)


def _teams(links: Sequence[ThirdPartyLink], stated: Stated) -> MeetingReference | str | None:
    teams = [link for link in links if link.provider == "teams"]
    shorts = list(dict.fromkeys(link.key for link in teams if link.short))
    longs = list(dict.fromkeys(link.key for link in teams if not link.short))
    if len(shorts) > 1 or (not shorts and len(longs) > 1):
        return more_than_one(list(dict.fromkeys(
            f"Teams meeting {link.meeting_id}" if link.meeting_id else "a Teams meeting"
            for link in teams if link.short or not shorts)))
    # New invitations print the short Join link and, as "System reference", the long one (reference §2.1).
    chosen = next((link for link in teams if link.short), teams[0] if teams else None)
    ids = list(dict.fromkeys(stated.teams_ids)) if stated.teams_context else []
    if len(ids) > 1:
        return more_than_one([f"Teams meeting {digits}" for digits in ids])
    line_id = ids[0] if ids else None
    if line_id is not None and not MIN_TEAMS_ID_DIGITS <= len(line_id) <= MAX_TEAMS_ID_DIGITS:
        if chosen is None:
            return _teams_id_problem(len(line_id), "given")
        line_id = None  # not a Teams meeting ID; the link decides
    passcode = (stated.command_passcode if stated.trailing_passcode else None) or stated.labelled_passcode
    if chosen is None:
        if line_id is None:
            return None
        if passcode is None:
            return TEAMS_ID_NEEDS_PASSCODE
        return MeetingReference(meeting_id=line_id, passcode=passcode, kind="meeting", provider="teams")
    if chosen.meeting_id and line_id and chosen.meeting_id != line_id:
        return TEAMS_ID_MISMATCH
    return MeetingReference(meeting_id=chosen.meeting_id or line_id, passcode=passcode, kind="meeting",
                            provider="teams", join_url=chosen.join_url, teams_cloud=chosen.teams_cloud)


def _meet(links: Sequence[ThirdPartyLink], text: TextFacts, stated: Stated) -> MeetingReference | str | None:
    meet = [link for link in links if link.provider == "meet"]
    codes = list(dict.fromkeys(link.meet_code for link in meet if link.meet_code))
    if len(codes) > 1:
        return more_than_one([f"Google Meet {code}" for code in codes])
    if meet:
        chosen = meet[0]
        join_url, code = chosen.join_url, chosen.meet_code
    elif text.meet_code is not None:
        join_url, code = f"https://{MEET_HOST}/{text.meet_code}", text.meet_code
    else:
        return None
    if stated.command_passcode is not None and stated.trailing_passcode:
        return MEET_NO_PASSCODE
    return MeetingReference(kind="meeting", provider="meet", join_url=join_url, meet_code=code)


def _sip(text: TextFacts, stated: Stated) -> MeetingReference | str | None:
    if len(text.sip_addresses) > 1:
        return "That text mentions more than one SIP address; paste just one."
    if not text.sip_addresses:
        return None
    if stated.trailing_passcode and text.sip_uri_first and stated.words == 2:
        return SIP_NO_PASSCODE
    return MeetingReference(kind="meeting", provider="sip", sip_address=text.sip_addresses[0])


def text_problem(text: TextFacts) -> str | None:
    """Why a text with no usable meeting in it is a Teams or Webex invitation that cannot be used as pasted."""
    if text.teams:
        return TEAMS_WITHOUT_LINK
    if text.webex:
        return WEBEX_BARE_ADDRESS if text.webex_address else WEBEX_WITHOUT_SIP
    return None
