"""One parser from whatever a user pasted to a meeting reference (SPEC §6).

Accepted input, in the order the parser looks for it:
1. Links: `https://<zoom host>/j|s|w|wc|my/…`, `zoommtg://`/`zoomus://` with `confno=`, Microsoft Teams and
   Google Meet join links (`thirdparty`), Outlook SafeLinks and Google `/url?q=` wrappers (unwrapped, then
   checked again), Slack's `<url|label>` form.
2. Invitation text: Meeting ID / Passcode lines (several languages), one-tap dial strings, SIP, H.323; Teams
   invitations (whose Meeting ID is Teams' and whose phone lines are no Zoom meeting), `sip:` URIs and the SIP
   line of a Webex invitation, a bare Google Meet code.
3. The command form `<meeting id> [passcode]` or `<link> [passcode]` (see `split_reference_and_passcode`).

The passcode comes, in order of trust, from: the command form's trailing token, the first labelled
Passcode/Password line, then a SIP/H.323/one-tap string (Zoom only).  The `pwd=` value of a Zoom link is an
encrypted token and the `p=` value of a Teams link a hashed passcode: neither is ever the passcode.

A text that names more than one meeting (two Zoom meetings, or a Zoom and a Teams meeting) is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.meetings.invitations import (
    InvitationFacts,
    has_non_ascii_digits,
    link_tokens,
    normalise,
    remove_labelled_passcode,
    scan_invitation,
    strip_token,
)
from bot.meetings.reference import SPEC_KEYS, Kind, MeetingReference, Provider, TeamsCloud, invalid
from bot.meetings.thirdparty import (
    Stated,
    TextFacts,
    describe,
    more_than_one,
    resolve,
    scan_text,
    text_problem,
)
from bot.meetings.urls import LinkFacts, parse_link

__all__ = [
    "MAX_INPUT_CHARS", "SPEC_KEYS", "UNEXPECTED_FAILURE", "CommandSplit", "Kind", "MeetingReference", "Provider",
    "TeamsCloud", "invalid", "parse_meeting_reference", "parse_message", "split_reference_and_passcode",
]

MAX_INPUT_CHARS = 10_000  # a whole pasted invitation is ~3,000 characters; anything far larger is not one
MIN_ID_DIGITS, MAX_ID_DIGITS = 9, 11
UNEXPECTED_FAILURE = "Could not read that meeting reference; paste the Zoom link exactly as you received it."
NOTHING_TO_READ = "Nothing to read: paste a Zoom meeting link or meeting ID."

# Zoom prints ids as 3-3-3, 3-3-4 or 3-4-4 digit groups; used only to settle an ambiguous `<id> <passcode>`.
_ZOOM_GROUPINGS = {(3, 3, 3), (3, 3, 4), (3, 4, 4)}
_DIGIT_TOKEN = re.compile(r"^[0-9]+(?:[\-\u2010-\u2015.][0-9]+)*$")
_PHONE_LIKE = re.compile(r"^\+[0-9][0-9 \-().]{6,}$")
_NON_DIGITS = re.compile(r"[^0-9]")
_WEB_ADDRESS = re.compile(r"(?i)\b(?:https?://|www\.)")


@dataclass(frozen=True)
class CommandSplit:
    """`split_reference_and_passcode` result: the reference text, the trailing passcode, or why neither."""

    reference: str
    passcode: str | None = None
    meeting_id: str | None = None  # set when the reference part is a bare id
    problem: str | None = None


def _digit_groups(tokens: list[str]) -> tuple[int, ...]:
    return tuple(len(group) for token in tokens for group in _NON_DIGITS.split(token) if group)


def split_reference_and_passcode(text: str) -> CommandSplit:
    """Split the text after `/room join <room>` into `<meeting link | meeting id> [passcode]`.

    The rule, for one line of text:
    - `<link> <token>`: the token is the passcode.
    - `<digit groups> [<token>]`: the leading digit groups (spaces, dashes or dots inside) are the id when they
      add up to 9–11 digits, and at most one token may follow, which is the passcode.  When the groups could
      be read two ways (`123 456 789 12`: a 9-digit id plus passcode `12`, or an 11-digit id), Zoom's own
      grouping (3-3-3, 3-3-4, 3-4-4) decides; if it does not, the input is refused as ambiguous.
    - anything else is left whole for the link and invitation parsers.
    A passcode never contains spaces; the `pwd=` value of a link is never accepted as one.
    """
    stripped = text.strip()
    tokens = stripped.split()
    if "\n" in stripped or not tokens:
        return CommandSplit(reference=stripped)
    if len(tokens) == 2 and link_tokens(tokens[0]) and not link_tokens(tokens[1]):
        return _with_passcode(CommandSplit(reference=strip_token(tokens[0])), tokens[1])
    lead = 0
    while lead < len(tokens) and _DIGIT_TOKEN.match(tokens[lead]):
        lead += 1
    if lead == 0:
        return CommandSplit(reference=stripped)
    candidates = _id_candidates(tokens, lead)
    if len(candidates) > 1:
        zoom_shaped = [c for c in candidates if len(_digit_groups(tokens[: c[0]])) == 1
                       or _digit_groups(tokens[: c[0]]) in _ZOOM_GROUPINGS]
        candidates = zoom_shaped if len(zoom_shaped) == 1 else []
        if not candidates:
            return CommandSplit(reference=stripped, problem="That meeting ID and passcode can be read two ways; "
                                "write the meeting ID without spaces, then the passcode.")
    if not candidates:
        return CommandSplit(reference=stripped, problem=_no_id_problem(tokens, lead))
    count, digits = candidates[0]
    split = CommandSplit(reference=" ".join(tokens[:count]), meeting_id=digits)
    if count == len(tokens) or link_tokens(tokens[count]):  # "<id> <link>" is two references, not a passcode
        return split
    return _with_passcode(split, tokens[count])


def _id_candidates(tokens: list[str], lead: int) -> list[tuple[int, str]]:
    """(number of leading digit tokens, their digits) for each reading as a 9-11 digit id, at most one token
    after it."""
    candidates, digits = [], ""
    for count in range(1, lead + 1):
        digits += _NON_DIGITS.sub("", tokens[count - 1])
        if len(digits) > MAX_ID_DIGITS:
            break  # longer prefixes only get longer
        if len(digits) >= MIN_ID_DIGITS and len(tokens) - count <= 1:
            candidates.append((count, digits))
    return candidates


def _no_id_problem(tokens: list[str], lead: int) -> str:
    if len(tokens) - lead > 1:
        return "After the meeting ID give one passcode, without spaces in it."
    digits = "".join(_NON_DIGITS.sub("", token) for token in tokens[:lead])  # once: linear
    return f"A Zoom meeting ID has 9 to 11 digits; the one given has {len(digits)}."


def _with_passcode(split: CommandSplit, token: str) -> CommandSplit:
    if token.lower().startswith("pwd="):
        return CommandSplit(reference=split.reference, meeting_id=split.meeting_id, problem=(
            "The pwd= part of a link is an encrypted token, not the passcode; give the passcode from the invitation."))
    return CommandSplit(reference=split.reference, meeting_id=split.meeting_id, passcode=token)


def parse_meeting_reference(text: str, *, trailing_passcode: bool = True) -> MeetingReference:
    """Parse the text after `/room join <room>` (or, with `trailing_passcode=False`, a whole Slack message
    for the message shortcut, where a word after a link is not a passcode).  Never raises."""
    try:
        return _parse(text, trailing_passcode)
    except Exception:  # noqa: BLE001 - the contract is "never raises"; property tests check this is never taken
        return invalid(UNEXPECTED_FAILURE)


def parse_message(text: str) -> MeetingReference:
    """For the "Send a room to this meeting" message shortcut: a whole message, no command-form passcode."""
    return parse_meeting_reference(text, trailing_passcode=False)


def _parse(text: str, trailing_passcode: bool) -> MeetingReference:
    if not isinstance(text, str):
        return invalid(NOTHING_TO_READ)
    if len(text) > MAX_INPUT_CHARS:
        return invalid(f"That text is too long (over {MAX_INPUT_CHARS:,} characters); paste just the meeting link.")
    text = normalise(text)
    if not text.strip():
        return invalid(NOTHING_TO_READ)

    links = [facts for token in link_tokens(text) if (facts := parse_link(token)) is not None]
    fatal = next((facts for facts in links if facts.fatal), None)
    if fatal is not None:
        return invalid(fatal.problem or UNEXPECTED_FAILURE)
    usable = [facts for facts in links if facts.is_zoom and not facts.problem]
    services = {facts.service for facts in links}
    elsewhere = scan_text(text)
    # Another service's invitation: its Meeting ID lines and its phone lines are not Zoom's.
    foreign = elsewhere.teams or elsewhere.webex or bool(services & {"teams", "webex"})
    invitation = scan_invitation(text, foreign=foreign, bare_one_tap=not (foreign or "meet" in services))

    split = _command_split(text, links, usable, invitation, trailing_passcode)
    if split.problem:
        return invalid(split.problem)
    if split.meeting_id and split.passcode is not None and not trailing_passcode:
        return invalid("Paste the meeting link or the meeting ID by itself.")

    zoom = _zoom_reference(usable, invitation, split, trailing_passcode)
    if isinstance(zoom, str):
        return invalid(zoom)
    joinable = [facts.third_party for facts in links if facts.third_party is not None]
    if not joinable and not elsewhere.anything and "teams" not in services:
        return zoom or invalid(_why_nothing_found(text, links, invitation, elsewhere))
    stripped = text.strip()
    stated = Stated(
        teams_ids=tuple(invitation.foreign_ids), labelled_passcode=invitation.labelled_passcode,
        command_passcode=split.passcode if split.meeting_id is None else None, trailing_passcode=trailing_passcode,
        words=0 if "\n" in stripped else len(stripped.split()), teams_context=elsewhere.teams or "teams" in services,
    )
    third = resolve(joinable, elsewhere, stated)
    if isinstance(third, str):
        return invalid(third)
    if zoom is not None and third is not None:
        return invalid(more_than_one([describe(zoom), describe(third)]))
    return zoom or third or invalid(_why_nothing_found(text, links, invitation, elsewhere))


def _command_split(text: str, links: list[LinkFacts], usable: list[LinkFacts], invitation: InvitationFacts,
                   trailing_passcode: bool) -> CommandSplit:
    if not links and not invitation.found_anything:
        return split_reference_and_passcode(text)
    if links and not invitation.found_anything and trailing_passcode:
        return split_reference_and_passcode(text)
    if not usable and not invitation.meeting_ids and invitation.labelled_passcode:
        return split_reference_and_passcode(remove_labelled_passcode(text))  # "812 3456 7890 Passcode: x"
    return CommandSplit(reference=text.strip())


def _zoom_reference(usable: list[LinkFacts], invitation: InvitationFacts, split: CommandSplit,
                    trailing_passcode: bool) -> MeetingReference | str | None:
    """The Zoom meeting the text names; why not, when it names several; None when it names none."""
    meeting_ids = [facts.meeting_id for facts in usable if facts.meeting_id]
    meeting_ids += invitation.meeting_ids
    if split.meeting_id:
        meeting_ids.append(split.meeting_id)
    distinct = list(dict.fromkeys(meeting_ids))
    if len(distinct) > 1:
        return more_than_one(distinct)
    personal = next((facts for facts in usable if facts.personal_link), None)
    if not distinct and personal is None:
        return None

    # The same meeting may be linked twice (with and without pwd=); prefer the link that carries the token.
    with_id = [facts for facts in usable if facts.meeting_id]
    source: LinkFacts | None = next((f for f in with_id if f.pwd_token), with_id[0] if with_id else personal)
    passcode = split.passcode if trailing_passcode else None
    passcode = passcode or invitation.labelled_passcode or invitation.dial_passcode
    if personal is not None and (source is personal or not distinct):
        kind: Kind = "personal"
    elif invitation.webinar or (source is not None and source.webinar):
        kind = "webinar"
    else:
        kind = "meeting"
    return MeetingReference(
        meeting_id=distinct[0] if distinct else None,
        pwd_token=source.pwd_token if source else None,
        passcode=passcode,
        personal_link=personal.personal_link if personal else None,
        host=source.host if source else None,
        kind=kind,
        provider="zoom",
    )


def _why_nothing_found(text: str, links: list[LinkFacts], invitation: InvitationFacts, elsewhere: TextFacts) -> str:
    for facts in links:
        if facts.problem:
            return facts.problem
    problem = text_problem(elsewhere)
    if problem:
        return problem
    if invitation.id_problems:
        return invitation.id_problems[0]
    if has_non_ascii_digits(text):
        return ("The meeting ID uses digits that are not plain 0-9 (such as full-width or Arabic-Indic "
                "numerals); type it with 0-9.")
    stripped = text.strip()
    if _PHONE_LIKE.match(stripped):
        return "That looks like a phone number, not a meeting ID; paste the Zoom link or the 9-11 digit meeting ID."
    if _WEB_ADDRESS.search(stripped):
        return ("That is not a Zoom meeting link, nor a Microsoft Teams or Google Meet one; paste a link that "
                "starts with https://zoom.us/ (or your company's Zoom address), https://teams.microsoft.com/ or "
                "https://meet.google.com/.")
    return ("No Zoom meeting link or meeting ID found; paste the Zoom link or the 9-11 digit meeting ID (or a "
            "Microsoft Teams or Google Meet link, or a sip: address).")
