"""Reading pasted text: Slack's escaping, the tokens that may be links, and the plain-text parts of a Zoom
invitation (Meeting ID / Passcode lines in several languages, one-tap dial strings, SIP and H.323 lines).

Every digit class here is ASCII-only (`[0-9]`, never `\\d`): Python's `\\d` also matches full-width and
Arabic-Indic digits, which Zoom does not accept as a meeting number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Characters people (and calendar exports) put between digit groups or words that are spaces in effect.
_SPACE_LIKE = re.compile("[\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\u3000]")
_SLACK_MARKUP = re.compile(r"<([^<>|\s]*)(?:\|[^<>]*)?>")
_OPENERS = "([{\"'<«“‘"
_CLOSERS = ".,;:!?)]}\"'>»”’…"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_BARE_HOST_LINK = re.compile(r"^[^\s/?#\\]+\.[A-Za-z]{2,}(?::[0-9]{1,5})?[/?]")
_DIAL_SCHEMES = ("sip:", "sips:", "tel:", "h323:")
_EMBEDDED_SCHEME = re.compile(r"(?:https?|zoommtg|zoomus)://", re.IGNORECASE)
_ADDRESS_CHARS = re.compile(r"[/.?@:\\]")
_LINK_END = re.compile(r"[\"<>`]")
# Every token link_tokens() keeps has one of these (a scheme's `:`, a path's `/` or `?`, or a backslash): the
# whitespace-separated words that do, in order (the lookbehind makes each word be tried once, from its start).
_LINKISH_WORD = re.compile(r"(?<!\S)\S*[:/?\\]\S*")

ID_LABELS = (
    "meeting id", "meeting-id", "meeting number", "webinar id", "webinar-id", "conference id",
    "id de réunion", "id de la réunion", "n° de réunion", "nº de réunion", "numéro de réunion",
    "id de reunión", "id de la reunión", "id da reunião", "id riunione", "id della riunione",
    "besprechungs-id", "konferenz-id", "vergader-id", "vergadering-id", "identyfikator spotkania",
    "идентификатор конференции", "toplantı kimliği", "ミーティングid", "ミーティング id", "ウェビナーid",
    "会议号", "会议 id", "會議號碼", "會議 id", "회의 id",
)
PASSCODE_LABELS = (
    "passcode", "password", "pass code", "kenncode", "passwort", "code secret", "mot de passe",
    "código de acceso", "contraseña", "código de acesso", "senha", "codice d'accesso", "wachtwoord",
    "toegangscode", "kod dostępu", "hasło", "код доступа", "пароль", "parola", "şifre", "パスコード",
    "パスワード", "密码", "密碼", "암호", "비밀번호",
)
_WEBINAR_LABELS = ("webinar id", "webinar-id", "ウェビナーid")
_WEBINAR_KEYS = frozenset(label.replace(" ", "") for label in _WEBINAR_LABELS)


def _alternation(labels: tuple[str, ...]) -> str:
    # Longest first so "meeting id" is not cut short by a shorter label sharing its start.  The lookahead on
    # the first character changes no match (under IGNORECASE a class accepts exactly what its characters do
    # as literals); it only spares trying every label at every position.
    firsts = "".join(sorted({re.escape(label[0]) for label in labels}))
    return f"(?=[{firsts}])(?:" + "|".join(
        re.escape(label).replace(r"\ ", r"\s*") for label in sorted(labels, key=len, reverse=True)) + ")"


_ID_LINE = re.compile(
    rf"(?<![^\W_])({_alternation(ID_LABELS)})(?:\s*\([^)\n]{{0,30}}\))?[ \t]*[:：]?[ \t]*"
    r"([0-9](?:[0-9]|[ \-\u2010-\u2015.](?=[0-9]))*)",
    re.IGNORECASE,
)
_PASSCODE_LINE = re.compile(
    rf"(\(?)(?<![^\W_])(?:{_alternation(PASSCODE_LABELS)})[ \t]*[:：][ \t]*([^\s]+)", re.IGNORECASE
)
_GLUED_LABEL = re.compile(r"(?<=[^\s(])(\(?(?:passcode|password)\s*[:：])", re.IGNORECASE)
# Any label either line pattern starts with, anywhere: a text without one has no Meeting ID or Passcode line
# (a line's first character has no character before it, like one after a line break).
_ANY_LABEL = re.compile(rf"(?<![^\W_])(?:{_alternation(ID_LABELS + PASSCODE_LABELS)})", re.IGNORECASE)


_TrieNode = dict[str, "_TrieNode"]


def _trie(labels: tuple[str, ...]) -> str:
    """The labels as one case-sensitive regex shaped like a trie, each branch starting with a literal (so the
    engine skips straight to the characters a label can start with) and checking the word boundary just after
    it; a longer label is tried before a shorter one it extends."""
    root: _TrieNode = {}
    for label in labels:
        node = root
        for char in label:
            node = node.setdefault(r"\s*" if char == " " else re.escape(char), {})
        node[""] = {}

    def branches(node: _TrieNode) -> str:
        alternatives = [key + branches(child) for key, child in node.items() if key]
        if not alternatives:
            return ""
        body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
        return f"(?:{body})?" if "" in node else body

    return "|".join(f"{first}(?<![^\\W_]{first}){branches(child)}" for first, child in root.items())


# _ANY_LABEL for ASCII text, run on its lower-cased copy (same offsets): for ASCII text the two find the same
# labels, because the labels are lower case and none with a non-ASCII character can match ASCII text (the only
# non-ASCII label character IGNORECASE matches to ASCII is the `ı` of "toplantı kimliği", whose `ğ` matches none).
_ASCII_LABEL = re.compile(_trie(tuple(label.lower() for label in ID_LABELS + PASSCODE_LABELS)))


def _label_spans(text: str, first_only: bool = False) -> list[tuple[int, int]]:
    if text.isascii():
        lowered = text.lower()
        if first_only:
            match = _ASCII_LABEL.search(lowered)
            return [match.span()] if match else []
        return [match.span() for match in _ASCII_LABEL.finditer(lowered)]
    if first_only:
        match = _ANY_LABEL.search(text)
        return [match.span()] if match else []
    return [match.span() for match in _ANY_LABEL.finditer(text)]
_ONE_TAP = re.compile(
    r"\+?[0-9]{5,15},,([0-9]+)#(?:,+\*([0-9A-Za-z]+)#|,+0#,+([0-9A-Za-z]+)#)?", re.ASCII
)
_SIP = re.compile(r"(?<![0-9.])([0-9]+)(?:\.([0-9A-Za-z]+))?@(?:[A-Za-z0-9-]+\.)*zoomcrc\.com\b",
                  re.ASCII | re.IGNORECASE)
_H323 = re.compile(r"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}##([0-9]+)(?:#([0-9A-Za-z]+))?", re.ASCII)


@dataclass
class InvitationFacts:
    """Meeting ids and passcodes stated in plain text, in the order they appear."""

    meeting_ids: list[str] = field(default_factory=list)
    id_problems: list[str] = field(default_factory=list)
    webinar: bool = False
    labelled_passcode: str | None = None
    dial_passcode: str | None = None  # from SIP, H.323 or one-tap strings, in that order of trust
    # In another service's invitation (`foreign`): the digits of its Meeting ID lines, which are not Zoom's.
    foreign_ids: list[str] = field(default_factory=list)

    @property
    def found_anything(self) -> bool:
        return bool(self.meeting_ids or self.id_problems or self.labelled_passcode or self.dial_passcode)


def normalise(text: str) -> str:
    """Undo Slack's message formatting and make space-like characters plain spaces.

    Slack sends links as `<url|label>` (the label is only what people see: the url is what opens) and escapes
    `&`, `<`, `>` as entities; real `<`/`>` in a payload are always Slack markup."""
    if "<" in text:
        text = _SLACK_MARKUP.sub(r" \1 ", text)
    if "&" in text:
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    if not text.isascii():  # every space-like character is outside ASCII
        text = _SPACE_LIKE.sub(" ", text)
    return _GLUED_LABEL.sub(r" \1", text) if _may_glue(text) else text


# Where _GLUED_LABEL can match: at a `passcode`/`password` (or the `(` before it) that follows a character
# other than whitespace or `(`.  Looking for the word first is an order of magnitude faster than running the
# lookbehind at every position; any case this cannot rule out runs the real substitution.
_GLUE_CANDIDATE = re.compile(r"\(?pass(?:code|word)", re.IGNORECASE)


def _may_glue(text: str) -> bool:
    if _GLUE_CANDIDATE.search(text) is None:
        return False
    return any(match.start() > 0 and text[match.start() - 1] not in " \t\n\r\f\v("
               for match in _GLUE_CANDIDATE.finditer(text))


def strip_token(token: str) -> str:
    """Remove the brackets and sentence punctuation that wrap a pasted link (`(https://…).`)."""
    token = token.lstrip(_OPENERS)
    while token and token[-1] in _CLOSERS:
        token = token[:-1]
    return token


def _unwrap_markup(token: str) -> str:
    """`[Join](https://…)` or `href="https://…"`: start at the embedded link when what precedes it cannot be
    part of an address or a scheme (no `/ . ? @ : \\`), so `evil.com/?u=https://zoom.us/…` still counts as evil.com."""
    match = _EMBEDDED_SCHEME.search(token)
    if match and match.start() > 0 and not _ADDRESS_CHARS.search(token, 0, match.start()):
        return token[match.start():]
    return token


def link_tokens(text: str) -> list[str]:
    """Whitespace-separated tokens that are, or pretend to be, links; bare `host/path` tokens get `https://`."""
    found: list[str] = []
    for raw in _LINKISH_WORD.findall(text):
        # `"`, `<`, `>` and backticks never occur unencoded in a link: they end it (HTML or Markdown around it).
        token = _unwrap_markup(raw)
        end = _LINK_END.search(token)
        token = strip_token(token[: end.start()] if end else token)
        lowered = token.lower()
        if not token or lowered.startswith(_DIAL_SCHEMES):
            continue
        if _SCHEME.match(token) and (":" in token[:20]):
            if lowered.startswith(("http:", "https:", "zoommtg:", "zoomus:")) or "zoom" in lowered:
                found.append(token)
            continue
        if "\\" in token and "zoom" in lowered:
            found.append("https://" + token)  # let the URL layer refuse it with the backslash reason
        elif _BARE_HOST_LINK.match(token):
            found.append("https://" + token)
    return found


_NON_DIGITS = re.compile(r"[^0-9]")


def _digits(value: str) -> str:
    return _NON_DIGITS.sub("", value)


def _id_problem(digits: str) -> str | None:
    if 9 <= len(digits) <= 11:
        return None
    return f"A Zoom meeting ID has 9 to 11 digits; the one given has {len(digits)}."


# The ID labels of a Teams invitation's other numbers: its audio and video-device conference IDs.
_CONFERENCE_KEYS = frozenset({"conferenceid", "konferenz-id"})


def scan_invitation(text: str, *, foreign: bool = False, bare_one_tap: bool = True) -> InvitationFacts:
    """The plain-text parts of a Zoom invitation in ``text``.

    ``foreign``: the text is another service's invitation (Teams, Webex): its Meeting ID lines go to
    ``foreign_ids`` instead of being Zoom meeting ids.  ``bare_one_tap=False``: a one-tap string without a
    passcode part (`+1 555-010-0142,,400968124#`, which Teams and Meet phone lines look like) is no Zoom meeting."""
    facts = InvitationFacts()
    _scan_lines(text, facts, foreign)
    for meeting_digits, passcode in _dial_strings(text, bare_one_tap):
        _add_id(facts, meeting_digits)
        if passcode and facts.dial_passcode is None:
            facts.dial_passcode = passcode
    return facts


def _add_id(facts: InvitationFacts, digits: str) -> None:
    problem = _id_problem(digits)
    if problem:
        facts.id_problems.append(problem)
    elif digits not in facts.meeting_ids:
        facts.meeting_ids.append(digits)


_SHORT_TEXT = 400


def _labelled_lines(text: str) -> list[str]:
    """The lines a Meeting ID or Passcode line can be on, in order: those that a label match touches.

    Every match of either line pattern starts at a label, and a label the left-to-right scan does not report is
    inside (or right after the start of) one it does, so a line no reported label touches has no match; a text
    is scanned once for labels instead of every line being tried with both patterns.  A short text is not worth
    the bookkeeping: all its lines, if it has a label at all."""
    if len(text) < _SHORT_TEXT:
        return text.splitlines() if _label_spans(text, first_only=True) else []
    spans = _label_spans(text)
    if not spans:
        return []
    lines, start, index = [], 0, 0
    for line in text.splitlines(keepends=True):
        end = start + len(line)
        while index < len(spans) and spans[index][1] <= start:
            index += 1
        if index < len(spans) and spans[index][0] < end:
            lines.append((line.splitlines() or [""])[0])
        start = end
    return lines


def _scan_lines(text: str, facts: InvitationFacts, foreign: bool) -> None:
    for line in _labelled_lines(text):
        for match in _ID_LINE.finditer(line):
            key = match.group(1).lower().replace(" ", "")
            if not foreign:
                _add_id(facts, _digits(match.group(2)))
                facts.webinar = facts.webinar or key in _WEBINAR_KEYS
            elif key not in _CONFERENCE_KEYS and key not in _WEBINAR_KEYS:
                facts.foreign_ids.append(_digits(match.group(2)))
        if facts.labelled_passcode is None:
            facts.labelled_passcode = _labelled_passcode(line)


def _labelled_passcode(line: str) -> str | None:
    match = _PASSCODE_LINE.search(line)
    if not match:
        return None
    value = match.group(2)
    if match.group(1) == "(" and value.endswith(")"):
        value = value[:-1]
    return value or None


def _dial_strings(text: str, bare_one_tap: bool) -> list[tuple[str, str | None]]:
    dial: list[tuple[str, str | None]] = []
    if "@" in text and "zoomcrc" in text.lower():
        dial += [(m.group(1), m.group(2)) for m in _SIP.finditer(text)]
    if "##" in text:
        dial += [(m.group(1), m.group(2)) for m in _H323.finditer(text)]
    # Without bare ones, only one-tap strings with a passcode part (`,,,,*<pc>#` or `,,0#,,<pc>#`) count.
    if ",," in text and (bare_one_tap or ",*" in text or ",0#" in text):
        taps = [(m.group(1), m.group(2) or m.group(3)) for m in _ONE_TAP.finditer(text)]
        dial += taps if bare_one_tap else [tap for tap in taps if tap[1]]
    return dial


# Where a Meeting ID / Passcode line can start (a label's first word, as the line patterns find it), and the
# labels normalise() splits off the text they are glued to: a word with neither, and no dial string, is no
# part of an invitation wherever it stands.
_LABEL_START = re.compile(
    r"(?<![^\W_])(?:" + "|".join(sorted({re.escape(label.split(" ")[0]) for label in ID_LABELS + PASSCODE_LABELS},
                                       key=len, reverse=True)) + ")",
    re.IGNORECASE,
)
_GLUABLE_LABEL = re.compile(r"passcode|password", re.IGNORECASE)


def may_hold_label(word: str) -> bool:
    """Whether a Meeting ID or Passcode label could start in ``word`` (over-approximate, never under)."""
    return bool(_LABEL_START.search(word) or _GLUABLE_LABEL.search(word))


def has_gluable_label(word: str) -> bool:
    """Whether normalise() might split ``word`` before a glued `passcode:`/`password:` label."""
    return bool(_GLUABLE_LABEL.search(word))


def has_dial_string(text: str) -> bool:
    """Whether ``text`` holds a SIP, H.323 or one-tap dial string (each fits in one whitespace-free word)."""
    return bool(_SIP.search(text) or _H323.search(text) or _ONE_TAP.search(text))


def has_non_ascii_digits(text: str) -> bool:
    return any(ch.isdecimal() and not ch.isascii() for ch in text)


def remove_labelled_passcode(text: str) -> str:
    return _PASSCODE_LINE.sub(" ", text)
