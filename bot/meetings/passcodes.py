"""Zoom Rooms-compatible passcodes (SPEC §1, §7): checking, explaining and generating them.

Zoom Rooms' join call accepts at most 10 characters from `A-Z a-z 0-9 @ - _ *`; Zoom itself happily creates
passcodes like `w46!(i{74n`.  Every message produced here describes a passcode without repeating it or any
of its characters, because these messages may be posted in a channel.

"Consecutive characters" (Zoom's `consecutive_characters_length` n, 4-8: "at most n-1 consecutive
characters") is read the way Zoom's own password rules describe it ("11111", "12345", "abcde", "qwert"):
a run is a stretch of characters that are all the same, or step up or down by one through digits or the
alphabet (ignoring case), or walk left or right along a keyboard row.  A passcode satisfies n when its
longest run of any of these kinds is at most n-1 characters.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

ROOMS_PASSCODE_SPECIALS = "@-_*"
ROOMS_PASSCODE_ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + ROOMS_PASSCODE_SPECIALS
ROOMS_PASSCODE_MAX_LENGTH = 10
DEFAULT_GENERATED_LENGTH = 10
_ALLOWED = frozenset(ROOMS_PASSCODE_ALPHABET)
_KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEY_POSITION = {key: (row, col) for row, keys in enumerate(_KEYBOARD_ROWS) for col, key in enumerate(keys)}
# Lists of the most common passwords/PINs (e.g. the public "top 100" lists) plus Zoom-flavoured guesses.
COMMON_WEAK_PASSCODES = frozenset({
    "123456", "1234567", "12345678", "123456789", "1234567890", "000000", "111111", "121212", "123123",
    "654321", "666666", "696969", "112233", "159753", "147258", "123321", "password", "passw0rd", "password1",
    "qwerty", "qwerty123", "abc123", "abcd1234", "letmein", "welcome", "welcome1", "admin", "admin123",
    "iloveyou", "monkey", "dragon", "master", "sunshine", "princess", "football", "baseball", "trustno1",
    "zoom", "zoom123", "zoom1234", "meeting", "meeting1", "passcode", "changeme", "secret", "test", "test123",
})
# Generated passcodes skip look-alike characters (0/O/o, 1/l/I) because people read them aloud or type
# them on a room controller's keypad; digit-only passcodes keep all ten digits.
_GEN_UPPER = "".join(c for c in string.ascii_uppercase if c not in "IO")
_GEN_LOWER = "".join(c for c in string.ascii_lowercase if c not in "lo")
_GEN_DIGITS = "23456789"
_MAX_GENERATION_ATTEMPTS = 2000


@dataclass(frozen=True)
class Compatibility:
    ok: bool
    problems: tuple[str, ...] = ()

    @property
    def reason(self) -> str | None:
        """One sentence for a channel message; never contains the passcode or any of its characters."""
        if self.ok:
            return None
        return "Zoom Rooms cannot use this passcode: it " + _join_clauses(self.problems) + "."


def _join_clauses(clauses: tuple[str, ...] | list[str]) -> str:
    return clauses[0] if len(clauses) == 1 else ", ".join(clauses[:-1]) + " and " + clauses[-1]


_COMPATIBLE = Compatibility(ok=True)


def rooms_compatibility(passcode: str) -> Compatibility:
    problems: list[str] = []
    if not passcode:
        return Compatibility(ok=False, problems=("is empty",))
    if len(passcode) <= ROOMS_PASSCODE_MAX_LENGTH and _ALLOWED.issuperset(passcode):
        return _COMPATIBLE
    if len(passcode) > ROOMS_PASSCODE_MAX_LENGTH:
        problems.append(f"is longer than the {ROOMS_PASSCODE_MAX_LENGTH} characters Zoom Rooms accepts")
    bad = [ch for ch in passcode if ch not in _ALLOWED]
    if any(ch.isspace() for ch in bad):
        problems.append("contains spaces")
    if any(not ch.isascii() and not ch.isspace() for ch in bad):
        problems.append("contains non-English letters, digits or symbols")
    if any(ch.isascii() and not ch.isspace() and not ch.isprintable() for ch in bad):
        problems.append("contains invisible control characters")
    if any(ch.isascii() and ch.isprintable() and not ch.isspace() for ch in bad):
        specials = " ".join(ROOMS_PASSCODE_SPECIALS)
        problems.append(f"contains symbols other than {specials} (the only ones Zoom Rooms accepts)")
    return Compatibility(ok=not problems, problems=tuple(problems))


def is_rooms_compatible(passcode: str) -> bool:
    return rooms_compatibility(passcode).ok


@dataclass(frozen=True)
class PasscodeRequirement:
    """A host's `meeting_password_requirement` (users/accounts settings API, reference §3.1)."""

    length: int = 0  # minimum length
    have_letter: bool = False
    have_number: bool = False
    have_special_character: bool = False
    only_allow_numeric: bool = False
    have_upper_and_lower_characters: bool = False
    consecutive_characters_length: int = 0  # 0: no rule; n: runs of at most n-1 characters
    weak_enhance_detection: bool = False

    @classmethod
    def from_zoom(cls, data: dict[str, Any] | None) -> PasscodeRequirement:
        """Build from Zoom's JSON object; missing keys take Zoom's "no rule" defaults, unknown keys are ignored."""
        if not data:
            return cls()
        values: dict[str, Any] = {}
        for spec in fields(cls):
            if spec.name not in data or data[spec.name] is None:
                continue
            raw = data[spec.name]
            if spec.type in ("int", int):
                try:
                    values[spec.name] = max(0, int(raw))
                except (TypeError, ValueError):
                    continue  # a malformed number is treated like a missing one: no rule
            else:
                values[spec.name] = _as_bool(raw)
        return cls(**values)

    @property
    def max_run(self) -> int | None:
        """Longest allowed run of consecutive characters, or None when unrestricted."""
        return self.consecutive_characters_length - 1 if self.consecutive_characters_length > 0 else None


def _as_bool(raw: Any) -> bool:
    if isinstance(raw, str):
        return raw.strip().lower() in ("true", "1", "yes")
    return bool(raw)


def _step(a: str, b: str) -> int | None:
    """+1/-1 when b follows/precedes a in the same digit or letter sequence (case-insensitive)."""
    if not (a.isascii() and b.isascii()):
        return None
    if a.isdigit() and b.isdigit() or a.isalpha() and b.isalpha():
        diff = ord(b.lower()) - ord(a.lower())
        return diff if diff in (1, -1) else None
    return None


def _key_step(a: str, b: str) -> int | None:
    pa, pb = _KEY_POSITION.get(a.lower()), _KEY_POSITION.get(b.lower())
    if pa and pb and pa[0] == pb[0] and abs(pa[1] - pb[1]) == 1:
        return pb[1] - pa[1]
    return None


def longest_consecutive_run(passcode: str) -> int:
    """Length of the longest run of repeated, sequential (abc, 321) or keyboard-walk (qwe, lkj) characters."""
    if not passcode:
        return 0
    relations: tuple[Callable[[str, str], int | None], ...] = (
        lambda a, b: 0 if a == b else None, _step, _key_step,
    )
    best = 1
    for relation in relations:
        run, direction = 1, None
        for a, b in zip(passcode, passcode[1:], strict=False):
            step = relation(a, b)
            if step is not None and (direction is None or step == direction or run == 1):
                run, direction = run + 1, step
            else:
                run, direction = (2, step) if step is not None else (1, None)
            best = max(best, run)
    return best


def weak_reasons(passcode: str) -> list[str]:
    """Why a passcode is easy to guess (Zoom's `weak_enhance_detection`), as clauses; empty when it is not."""
    lowered = passcode.lower()
    if lowered in COMMON_WEAK_PASSCODES:
        return ["is on lists of the most common passcodes"]
    if len(passcode) >= 2 and len(set(lowered)) == 1:
        return ["repeats a single character"]
    if len(passcode) >= 3 and longest_consecutive_run(passcode) == len(passcode):
        return ["is one simple sequence (like 12345, abcde or qwert)"]
    for unit in range(1, len(passcode) // 2 + 1):
        if len(passcode) >= 4 and len(passcode) % unit == 0 and lowered == lowered[:unit] * (len(passcode) // unit):
            return ["is a short pattern repeated"]
    return []


def requirement_violations(passcode: str, requirement: PasscodeRequirement) -> list[str]:
    """Plain-English clauses ("is shorter than 8 characters") for each rule the passcode breaks."""
    req, problems = requirement, []
    if len(passcode) < req.length:
        problems.append(f"is shorter than the required {req.length} characters")
    has_letter = any(c.isascii() and c.isalpha() for c in passcode)
    has_digit = any(c.isascii() and c.isdigit() for c in passcode)
    if req.only_allow_numeric and not (passcode and all(c.isascii() and c.isdigit() for c in passcode)):
        problems.append("must contain digits only")
    if req.have_letter and not has_letter:
        problems.append("has no letter")
    if req.have_number and not has_digit:
        problems.append("has no number")
    if req.have_special_character and not any(not c.isalnum() for c in passcode):
        problems.append("has no special character")
    if req.have_upper_and_lower_characters and not (
        any(c.isascii() and c.isupper() for c in passcode) and any(c.isascii() and c.islower() for c in passcode)
    ):
        problems.append("needs both upper- and lower-case letters")
    if req.max_run is not None and longest_consecutive_run(passcode) > req.max_run:
        problems.append(
            f"has more than {req.max_run} consecutive characters in a row "
            "(like repeated, sequential or keyboard-row ones)"
            if req.max_run > 0 else "cannot satisfy a consecutive-characters limit of 0"
        )
    if req.weak_enhance_detection:
        problems.extend(weak_reasons(passcode))
    return problems


def describe_violations(passcode: str, requirement: PasscodeRequirement) -> str | None:
    """One sentence explaining why Zoom would refuse the passcode, or None when it meets the requirement."""
    problems = requirement_violations(passcode, requirement)
    return "The passcode " + _join_clauses(problems) + "." if problems else None


class UnsatisfiableRequirement(ValueError):
    """No Rooms-compatible passcode can meet the host's passcode requirement."""


def _required_classes(req: PasscodeRequirement) -> list[str]:
    if req.only_allow_numeric:
        return [string.digits] if req.have_number else []
    classes = []
    if req.have_upper_and_lower_characters:
        classes += [_GEN_UPPER, _GEN_LOWER]
    elif req.have_letter:
        classes.append(_GEN_UPPER + _GEN_LOWER)
    if req.have_number:
        classes.append(_GEN_DIGITS)
    if req.have_special_character:
        classes.append(ROOMS_PASSCODE_SPECIALS)
    return classes


def _generated_length(req: PasscodeRequirement, length: int | None) -> int:
    if length is not None:
        return length
    return min(max(req.length, DEFAULT_GENERATED_LENGTH), ROOMS_PASSCODE_MAX_LENGTH)


def unsatisfiable_reason(req: PasscodeRequirement, length: int | None = None) -> str | None:
    """Why no Rooms-compatible passcode (of `length`, if given) can meet `req`; None when one can."""
    limit = ROOMS_PASSCODE_MAX_LENGTH
    if req.length > limit:
        return (f"The host requires passcodes of at least {req.length} characters, "
                f"but Zoom Rooms accepts at most {limit}.")
    if length is not None and not 1 <= length <= limit:
        return f"A Zoom Rooms passcode must be 1 to {limit} characters long, not {length}."
    if length is not None and length < req.length:
        return f"A {length}-character passcode is shorter than the host's minimum of {req.length}."
    wants_non_digits = req.have_letter or req.have_special_character or req.have_upper_and_lower_characters
    if req.only_allow_numeric and wants_non_digits:
        return "The host's passcode rules require digits only and also letters or special characters."
    if req.max_run is not None and req.max_run < 1:
        return "The host's consecutive-characters limit allows no characters at all."
    size = _generated_length(req, length)
    needed = len(_required_classes(req))
    if needed > size:
        return f"The host's passcode rules need {needed} kinds of character, more than fit in {size}."
    return None


def generate_passcode(requirement: PasscodeRequirement | None = None, length: int | None = None) -> str:
    """A Rooms-compatible passcode meeting `requirement`, from the `secrets` CSPRNG.

    Length: `length` if given, else 10 (the most Zoom Rooms accepts, so the strongest it can use).
    Special characters (only when required) come from `@ - _ *`."""
    req = requirement or PasscodeRequirement()
    reason = unsatisfiable_reason(req, length)
    if reason:
        raise UnsatisfiableRequirement(reason)
    size = _generated_length(req, length)
    classes = _required_classes(req)
    if req.only_allow_numeric:
        pool = string.digits
    else:
        pool = _GEN_UPPER + _GEN_LOWER + _GEN_DIGITS + (ROOMS_PASSCODE_SPECIALS if req.have_special_character else "")
    rng = secrets.SystemRandom()
    for _ in range(_MAX_GENERATION_ATTEMPTS):
        chars = [secrets.choice(cls) for cls in classes] + [secrets.choice(pool) for _ in range(size - len(classes))]
        rng.shuffle(chars)
        candidate = "".join(chars)
        if is_rooms_compatible(candidate) and not requirement_violations(candidate, req):
            return candidate
    # Unreachable for every requirement unsatisfiable_reason accepts (see the property tests); kept as a guard.
    raise UnsatisfiableRequirement("Could not generate a passcode that meets the host's passcode rules.")
