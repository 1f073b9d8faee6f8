"""Strict parsing of one URL-looking token into what a Zoom link says (and, through `thirdparty`, a Teams or
Google Meet link).

We deliberately do not use `urllib.parse.urlsplit` for the authority: it treats `\\` as an ordinary character
(`https://evil.com\\@zoom.us/` has hostname `zoom.us` for urlsplit but `evil.com` for every browser), and it
accepts userinfo, which phishing links use to put a trusted name before the real host.  Instead a token is
rejected outright when it contains a backslash or userinfo, and the host is compared label-by-label against
an allowlist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from bot.meetings.thirdparty import Service, ThirdPartyLink, classify, imitation, mentions_service

ZOOM_DOMAINS: tuple[str, ...] = ("zoom.us", "zoom.com", "zoomgov.com", "zoom-x.de")
WEB_SCHEMES = frozenset({"http", "https"})
APP_SCHEMES = frozenset({"zoommtg", "zoomus"})
# Pseudo-hosts seen in app links (`zoomus://zoomus/join?confno=…`): they name the app, not a server.
APP_PSEUDO_HOSTS = frozenset({"", "zoomus", "zoommtg"})
MAX_UNWRAP_DEPTH = 3

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
# Dot-separated labels of 1-63 letters, digits and hyphens, none starting or ending with a hyphen.
_HOST = re.compile(r"(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)*(?!-)[a-z0-9-]{1,63}(?<!-)", re.ASCII)
_PORT = re.compile(r"^[0-9]{1,5}$", re.ASCII)
_MEETING_ID_IN_PATH = re.compile(r"^/(j|s|w|wc)/([0-9]+)(?=$|[/?#(\[]|[^0-9A-Za-z])", re.ASCII | re.IGNORECASE)
_WC_JOIN = re.compile(r"^/wc/join/([0-9]+)", re.ASCII | re.IGNORECASE)
_PERSONAL = re.compile(r"^/my/([A-Za-z0-9][A-Za-z0-9._\-]{0,63})(?=$|[/?#])", re.ASCII | re.IGNORECASE)
_REGISTRATION = re.compile(r"^/(meeting|webinar)/register/", re.IGNORECASE)
_JOINISH_PATH = re.compile(r"^/(j|s|w|wc|my|join|meeting|webinar)(/|$|\?)", re.IGNORECASE)
# Real tokens are ~32 characters plus ".1"; 200 is also what the store keeps for a booking's link.
_PWD_TOKEN = re.compile(r"^[A-Za-z0-9._~+/=\-]{1,200}$", re.ASCII)
_GOOGLE_HOST = re.compile(r"^(www\.)?google\.(com|[a-z]{2}|co\.[a-z]{2}|com\.[a-z]{2})$", re.ASCII)
_SAFELINKS_SUFFIX = ".safelinks.protection.outlook.com"
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_AUTHORITY_END = re.compile(r"[/?#]")
_GLUED_PWD = re.compile(r"^([A-Za-z0-9_\-]+\.[0-9])[A-Za-z]", re.ASCII)
_DIGITS_ONLY = re.compile(r"[0-9]+", re.ASCII)


@dataclass(slots=True)  # read-only by convention: a frozen dataclass costs ~4x to build, one per link
class LinkFacts:
    """What one link says.  `problem` set means the link must not be used; `fatal` means the whole input is
    refused even if other parts of it look fine (the link imitates Zoom, so the text cannot be trusted)."""

    host: str | None = None
    meeting_id: str | None = None
    id_digits_problem: str | None = None
    pwd_token: str | None = None
    personal_link: str | None = None
    webinar: bool = False
    problem: str | None = None
    fatal: bool = False
    is_zoom: bool = False
    service: Service | None = None  # a Teams, Meet, Webex or Google companion host (or a look-alike of one)
    third_party: ThirdPartyLink | None = None  # a Teams or Meet link a room can be sent to


_ZOOM_SUFFIXES = tuple("." + domain for domain in ZOOM_DOMAINS)


def is_zoom_host(host: str) -> bool:
    """Exact match or subdomain, compared on label boundaries: `evilzoom.us` and `zoom.us.evil.com` fail."""
    return host in ZOOM_DOMAINS or host.endswith(_ZOOM_SUFFIXES)


def _looks_like_zoom(host: str, path_and_query: str, squashed: str | None = None) -> bool:
    """A foreign link that would fool a person: mentions zoom, or has Zoom's join-path shape."""
    squashed = _NOT_ALNUM.sub("", host.lower()) if squashed is None else squashed
    return "zoom" in squashed or bool(_JOINISH_PATH.match(path_and_query)) or "confno=" in path_and_query.lower()


def _split_query(query: str) -> list[tuple[str, str]]:
    """`a=1&b=2` into pairs, percent-decoding once, keeping `+` literal (pwd tokens are base64-ish).

    Google Calendar sometimes encodes the `=` of the inner link (`?pwd%3Dabc&sa=D`); an item without `=` whose
    decoded form has one is split after decoding."""
    pairs: list[tuple[str, str]] = []
    for item in query.split("&"):
        if not item:
            continue
        if "=" in item:
            key, value = item.split("=", 1)
            pairs.append((unquote(key).lower(), unquote(value)))
            continue
        decoded = unquote(item)
        if "=" in decoded:
            key, value = decoded.split("=", 1)
            pairs.append((key.lower(), value))
        else:
            pairs.append((decoded.lower(), ""))
    return pairs


def _first(pairs: list[tuple[str, str]], key: str) -> str | None:
    return next((value for name, value in pairs if name == key), None)


def _parse_authority(authority: str) -> tuple[str | None, str | None]:
    """Return (host, problem) for the part between `//` and the path."""
    if "@" in authority:
        return None, ("The link hides its real address behind an '@' (a user name before the host), "
                      "a common phishing trick.")
    if authority.startswith("["):
        return None, "The link points at a raw IP address, not a Zoom address."
    host, _, port = authority.partition(":")
    if port and not _PORT.match(port):
        return None, "The link's address is malformed."
    if not host.isascii():
        return None, "The link's address uses non-ASCII look-alike characters, so it is not the address it looks like."
    host = host.lower().rstrip(".")
    if "%" in host or not host:
        return None, "The link's address is malformed."
    if not _HOST.fullmatch(host):
        return None, "The link's address is malformed."
    return host, None


def _describe_host(host: str) -> str:
    return host if len(host) <= 60 else host[:57] + "..."


def parse_link(token: str, depth: int = 0) -> LinkFacts | None:
    """Parse one whitespace-free token that starts with a scheme (or a bare host and path, already prefixed
    with `https://` by the caller).  Returns None for links that are neither Zoom, nor Teams or Meet (or the
    pages around them, or Webex), nor pretend to be."""
    parts = _split_link(token)
    if not isinstance(parts, tuple):
        return parts
    scheme, authority, path_and_query = parts
    path, _, query = path_and_query.partition("?")
    path = path or "/"
    joinish = bool(_JOINISH_PATH.match(path)) or "confno=" in query.lower()
    host, problem = _parse_authority(authority)
    if scheme in APP_SCHEMES and authority.lower() in APP_PSEUDO_HOSTS:
        host, problem = None, None
    elif problem:
        return LinkFacts(problem=problem, fatal="zoom" in token.lower() or joinish or mentions_service(token))
    assert host is not None or scheme in APP_SCHEMES
    if host is not None and not is_zoom_host(host):
        return _foreign_link_facts(scheme, host, path_and_query, depth)
    return _zoom_link_facts(host, path, _split_query(query))


def _split_link(token: str) -> tuple[str, str, str] | LinkFacts | None:
    """(scheme, authority, path and query without the fragment), or the refusal of a malformed link, or None
    for a token that is no web or Zoom link and does not pretend to be."""
    match = _SCHEME.match(token)
    if not match:
        return None
    scheme = match.group(1).lower()
    rest = token[match.end():]
    mentions_zoom = "zoom" in token.lower()
    if scheme not in WEB_SCHEMES and scheme not in APP_SCHEMES:
        if mentions_zoom:
            return LinkFacts(problem=f"'{scheme}:' links are not meeting links; paste the https:// Zoom link.",
                             fatal=True)
        return None
    if "\\" in token:
        return LinkFacts(problem="The link contains a backslash, which browsers read differently from how it looks; "
                         "paste the link exactly as you received it.", fatal=True)
    if not rest.startswith("//"):
        if not mentions_zoom:
            return None
        return LinkFacts(problem="The link is malformed (it should start with https://).", fatal=True)
    rest = rest[2:]
    end = _AUTHORITY_END.search(rest)
    cut = end.start() if end else len(rest)
    return scheme, rest[:cut], rest[cut:].split("#", 1)[0]


def _foreign_link_facts(scheme: str, host: str, path_and_query: str, depth: int) -> LinkFacts | None:
    """A link whose host is not Zoom's: a wrapper (parsed again on its target), a Teams/Meet/Webex link, a
    look-alike of Zoom or of those, or None."""
    path, _, query = path_and_query.partition("?")
    path = path or "/"
    inner = _unwrap(host, path, query)
    if inner is not None:
        if depth >= MAX_UNWRAP_DEPTH:
            return LinkFacts(problem="The link is wrapped in too many redirect layers.", fatal=True)
        return parse_link(inner, depth + 1)
    web = scheme in WEB_SCHEMES
    foreign = classify(host, path, query) if web else None
    squashed = _NOT_ALNUM.sub("", host)  # host is lower case already
    if foreign is None and (_looks_like_zoom(host, path_and_query, squashed) or not web):
        joinish = bool(_JOINISH_PATH.match(path)) or "confno=" in query.lower()
        return LinkFacts(
            problem=f"The link goes to {_describe_host(host)}, which is not a Zoom address "
            f"(Zoom links end in {', '.join(ZOOM_DOMAINS[:-1])} or {ZOOM_DOMAINS[-1]}).",
            fatal=joinish or not web,
        )
    foreign = foreign or imitation(host, path, query, squashed)
    if foreign is None:
        return None
    return LinkFacts(problem=foreign.problem, fatal=foreign.fatal, third_party=foreign.link,
                     service=foreign.service if foreign.genuine else None)


def _unwrap(host: str, path: str, query: str) -> str | None:
    """The target of an Outlook SafeLinks or Google redirect wrapper, or None if this is no such wrapper."""
    if host.endswith(_SAFELINKS_SUFFIX):
        return _first(_split_query(query), "url")
    if _GOOGLE_HOST.match(host) and path == "/url":
        pairs = _split_query(query)
        return _first(pairs, "q") or _first(pairs, "url")
    return None


def _pwd_from(pairs: list[tuple[str, str]]) -> str | None:
    token = _first(pairs, "pwd")
    if token is None:
        return None
    # A token glued to invitation text ("…ZmeNs6FQ.1Passcode:") keeps only its Zoom-shaped head.
    glued = _GLUED_PWD.match(token)
    if glued:
        token = glued.group(1)
    return token if _PWD_TOKEN.match(token) else None


def _id_facts(digits: str) -> tuple[str | None, str | None]:
    if 9 <= len(digits) <= 11:
        return digits, None
    return None, f"A Zoom meeting ID has 9 to 11 digits; the one in this link has {len(digits)}."


def _zoom_link_facts(host: str | None, path: str, pairs: list[tuple[str, str]]) -> LinkFacts:
    pwd = _pwd_from(pairs)
    personal = _PERSONAL.match(path)
    if personal:
        return LinkFacts(host=host, personal_link=personal.group(1).rstrip("."), pwd_token=pwd, is_zoom=True)
    if _REGISTRATION.match(path):
        return LinkFacts(
            host=host,
            is_zoom=True,
            problem="This is a registration page, not a join link: register first, then paste the join link "
            "from the confirmation email.",
        )
    in_path = _MEETING_ID_IN_PATH.match(path)
    wc_join = None if in_path else _WC_JOIN.match(path)
    confno = None if in_path or wc_join else _first(pairs, "confno")
    if in_path:
        digits, webinar = in_path.group(2), in_path.group(1).lower() == "w"
    elif wc_join:
        digits, webinar = wc_join.group(1), False
    elif confno is not None and _DIGITS_ONLY.fullmatch(confno):
        digits, webinar = confno, False
    else:
        return LinkFacts(host=host, is_zoom=True, problem="This Zoom link is not a meeting link (no meeting ID in it).")
    meeting_id, problem = _id_facts(digits)
    return LinkFacts(
        host=host, meeting_id=meeting_id, id_digits_problem=problem, pwd_token=pwd, webinar=webinar, is_zoom=True,
        problem=problem,
    )
