"""What security a meeting really gets: the "secure with one security option" scenario tables, passcode rules.

Pure functions (no HTTP, no state), so the rules can be read next to the tables in
`seeds/meeting-api-security-enhancements.md`.  One rule set reproduces all 23 rows of the Create table and all
22 (+ the unlocked row) of the Update table:

1. A **locked** setting wins: enabled+locked forces it on (a passcode is generated when none is given, a default
   authentication option is filled in), disabled+locked forces it off (a passcode sent in is dropped).
2. An **unlocked** setting takes the request's value; on update, a value not sent keeps the meeting's previous one.
   Unlocked settings do not pull in the user's web-portal defaults ("Meetings created via the Zoom API do not
   synchronize your Zoom web portal scheduler settings"), except that `default_password: true` sent explicitly
   asks for a generated passcode when the user's passcode setting is on.
3. If "secure with one option" is on and the result has no passcode, no waiting room and no authentication, Zoom
   turns one on: the Waiting Room unless it is locked off (Create 3, 4, 7, 23), else a generated passcode unless
   that is locked off (Create 2, 6), else authentication (Create 5).
"""

from __future__ import annotations

import base64
import hashlib
import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

SettingState = Literal["on", "off", "free"]  # enabled+locked, disabled+locked, unlocked

ROOMS_PASSCODE_CHARS = set(string.ascii_letters + string.digits + "@-_*")
# Characters Zoom's generator uses that Zoom Rooms' join API rejects (the seed thread's `w46!(i{74n`).
ZOOM_SPECIALS = "!(){}#^?.~[]$%&+="
WEAK_PASSCODES = {"123456", "1234567", "12345678", "123456789", "1234567890", "111111", "000000", "654321",
                  "password", "passw0rd", "abc123", "qwerty", "abcdef", "zoom", "zoom123", "meeting", "a123456"}


@dataclass(frozen=True)
class Policy:
    waiting_room: SettingState = "free"
    passcode: SettingState = "free"
    authentication: SettingState = "free"
    one_option_required: bool = True  # "Require that all meetings are secured with one security option"
    passcode_enabled: bool = True  # the user's "Require a passcode when scheduling new meetings" (unlocked case)


@dataclass(frozen=True)
class Requested:
    """The security fields of a create/update body; None means "not provided"."""

    password: str | None = None
    waiting_room: bool | None = None
    meeting_authentication: bool | None = None
    authentication_option: str | None = None
    default_password: bool | None = None


@dataclass(frozen=True)
class Applied:
    password: str = ""
    waiting_room: bool = False
    meeting_authentication: bool = False
    authentication_option: str = ""


def setting_state(enabled: bool, locked: bool) -> SettingState:
    return ("on" if enabled else "off") if locked else "free"


def _toggle(locked: SettingState, requested: bool | None, previous: bool) -> bool:
    """A lock wins; else what the request asks; else what the meeting had (False for a new one)."""
    if locked != "free":
        return locked == "on"
    return requested if requested is not None else previous


def _password(policy: Policy, req: Requested, previous: Applied | None, generate: Callable[[], str]) -> str:
    if policy.passcode == "off":
        return ""
    if req.password not in (None, ""):
        return req.password or ""
    # On update, an omitted password keeps the previous one; "" explicitly removes it (unless locked on).
    password = previous.password if previous and (req.password is None or policy.passcode == "on") else ""
    if not password and policy.passcode == "on":
        return generate()
    if not password and previous is None and req.default_password is True and policy.passcode_enabled:
        return generate()
    return password


def resolve(policy: Policy, req: Requested, previous: Applied | None, generate: Callable[[], str],
            default_auth_option: str) -> Applied:
    """The security a meeting gets from a create (`previous` None) or update request."""
    waiting_room = _toggle(policy.waiting_room, req.waiting_room, previous.waiting_room if previous else False)
    password = _password(policy, req, previous, generate)
    authentication = _toggle(policy.authentication, req.meeting_authentication,
                             previous.meeting_authentication if previous else False)

    if policy.one_option_required and not (password or waiting_room or authentication):
        if policy.waiting_room != "off":
            waiting_room = True
        elif policy.passcode != "off":
            password = generate()
        elif policy.authentication != "off":
            authentication = True
        # All three locked off cannot be configured in Zoom; the meeting then simply has none.

    option = ""
    if authentication:
        option = req.authentication_option or (previous.authentication_option if previous else "") \
            or default_auth_option
    return Applied(password=password, waiting_room=waiting_room, meeting_authentication=authentication,
                   authentication_option=option)


# ---------------------------------------------------------------- passcode requirements and generation

def _has_run(passcode: str, limit: int) -> bool:
    """True when `passcode` has `limit` or more consecutive characters: repeated (`1111`) or sequential (`abcd`)."""
    up = down = same = 1
    for prev, cur in zip(passcode, passcode[1:], strict=False):
        up = up + 1 if ord(cur) - ord(prev) == 1 else 1
        down = down + 1 if ord(prev) - ord(cur) == 1 else 1
        same = same + 1 if cur == prev else 1
        if max(up, down, same) >= limit:
            return True
    return False


def requirement_violations(passcode: str, req: dict[str, Any]) -> list[str]:
    """Why `passcode` breaks a `meeting_password_requirement` object (empty list: it complies)."""
    problems = []
    if len(passcode) < int(req.get("length") or 0):
        problems.append(f"must be at least {req['length']} characters")
    if req.get("only_allow_numeric") and not passcode.isdigit():
        problems.append("must contain only numbers")
    if req.get("have_letter") and not any(c.isalpha() for c in passcode):
        problems.append("must contain a letter")
    if req.get("have_number") and not any(c.isdigit() for c in passcode):
        problems.append("must contain a number")
    if req.get("have_special_character") and all(c.isalnum() for c in passcode):
        problems.append("must contain a special character")
    if req.get("have_upper_and_lower_characters") and not (
            any(c.isupper() for c in passcode) and any(c.islower() for c in passcode)):
        problems.append("must contain upper and lower case letters")
    run = int(req.get("consecutive_characters_length") or 0)
    if run and _has_run(passcode, run):
        problems.append(f"must not contain {run} or more consecutive characters")
    if req.get("weak_enhance_detection") and (passcode.lower() in WEAK_PASSCODES or len(set(passcode)) == 1):
        problems.append("is too weak")
    return problems


def generate_passcode(style: str, req: dict[str, Any], rng: random.Random) -> str:
    """A passcode the way Zoom generates one for `style`, satisfying the requirement `req`.

    `zoom-default` always contains at least one character Zoom Rooms rejects (like `w46!(i{74n`), `alphanumeric`
    uses letters and digits, `numeric` digits only (also forced by `only_allow_numeric`).
    """
    if req.get("only_allow_numeric"):
        style = "numeric"
    elif style == "numeric" and (req.get("have_letter") or req.get("have_special_character")
                                 or req.get("have_upper_and_lower_characters")):
        # Digits alone cannot meet this requirement; Zoom's generator then mixes in letters.
        style = "alphanumeric"
    length = min(10, max(int(req.get("length") or 0), 6 if style == "numeric" else 10))
    letters = string.ascii_letters if req.get("have_upper_and_lower_characters") else string.ascii_lowercase
    alphabet = {"numeric": string.digits, "alphanumeric": letters + string.digits}.get(
        style, letters + string.digits + ZOOM_SPECIALS)
    for _ in range(1000):
        chars = [rng.choice(alphabet) for _ in range(length)]
        if style == "zoom-default":
            chars[rng.randrange(1, length)] = rng.choice(ZOOM_SPECIALS)
        elif style == "alphanumeric" and req.get("have_special_character"):
            chars[rng.randrange(length)] = rng.choice("!#")
        candidate = "".join(chars)
        if not requirement_violations(candidate, req):
            return candidate
    raise ValueError("no passcode satisfies the meeting_password_requirement")


def is_rooms_compatible(passcode: str) -> bool:
    return 1 <= len(passcode) <= 10 and set(passcode) <= ROOMS_PASSCODE_CHARS


def pwd_token(meeting_id: int, passcode: str, salt: str) -> str:
    """The opaque `pwd=` value of a join link: derived from, but never equal to or containing, the passcode."""
    digest = hashlib.sha256(f"{salt}:{meeting_id}:{passcode}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:32] + ".1"


def numeric_passcode(meeting_id: int, passcode: str, salt: str) -> str:
    """The numeric h323/PSTN passcode Zoom derives for alphanumeric passcodes."""
    if passcode.isdigit():
        return passcode
    digest = hashlib.sha256(f"{salt}:phone:{meeting_id}:{passcode}".encode()).hexdigest()
    return str(int(digest, 16))[: max(6, len(passcode))]
