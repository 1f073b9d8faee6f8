"""Rooms-compatible passcodes: checking, explaining, and generating against a host's requirement."""

from __future__ import annotations

import itertools
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.meetings import (
    ROOMS_PASSCODE_ALPHABET,
    ROOMS_PASSCODE_MAX_LENGTH,
    PasscodeRequirement,
    UnsatisfiableRequirement,
    describe_violations,
    generate_passcode,
    is_rooms_compatible,
    requirement_violations,
    rooms_compatibility,
    unsatisfiable_reason,
)
from bot.meetings.passcodes import longest_consecutive_run


@pytest.mark.parametrize(
    ("passcode", "ok", "mentions"),
    [
        ("test123", True, None),  # worked in the seed thread
        ("A-b_c*d@9Z", True, None),
        ("1234567890", True, None),
        ("x", True, None),
        ("w46!(i{74n", False, "symbols other than @ - _ *"),  # Zoom-generated, refused by Rooms (seed thread)
        ("uHkjZfqkFasd", False, "longer than the 10"),  # 12 characters (reference §8, thread 1060)
        ("", False, "empty"),
        ("ab cd", False, "spaces"),
        ("pässwörd", False, "non-English"),
        ("１２３４", False, "non-English"),
        ("ab\x07cd", False, "control characters"),
        ("abc#defghijk!", False, "longer than the 10"),
    ],
)
def test_rooms_compatibility(passcode: str, ok: bool, mentions: str | None) -> None:
    result = rooms_compatibility(passcode)
    assert result.ok is ok and is_rooms_compatible(passcode) is ok
    if ok:
        assert result.reason is None and result.problems == ()
    else:
        assert mentions is not None and result.reason is not None and mentions in result.reason


def test_too_long_and_bad_symbols_are_both_reported() -> None:
    reason = rooms_compatibility("abc#defghijk!").reason or ""
    assert "longer than" in reason and "symbols other than" in reason and reason.count(".") == 1


def _shape(passcode: str) -> str:
    """Replace each character by a representative of its class: what the reason may depend on."""
    def rep(ch: str) -> str:
        if ch in ROOMS_PASSCODE_ALPHABET:
            return "a"
        if ch.isspace():
            return " "
        if not ch.isascii():
            return "é"
        return "!" if ch.isprintable() else "\x01"
    return "".join(rep(ch) for ch in passcode)


@settings(max_examples=300)
@given(st.text(max_size=16))
def test_property_reason_reveals_nothing_about_the_characters(passcode: str) -> None:
    # The reason is the same for any passcode with the same character classes and length, so it cannot leak
    # which characters the passcode has.
    assert rooms_compatibility(passcode).reason == rooms_compatibility(_shape(passcode)).reason


@pytest.mark.parametrize(
    ("passcode", "run"),
    [("", 0), ("a", 1), ("abc1x@8fdh", 3), ("abcd", 4), ("4321", 4), ("1111", 4), ("qwer", 4), ("aBcD", 4),
     ("lkjh", 4), ("a1b2c3", 1), ("zyx9", 3), ("90", 2), ("abcba", 3), ("aab", 2), ("@@@", 3)],
)
def test_longest_consecutive_run(passcode: str, run: int) -> None:
    assert longest_consecutive_run(passcode) == run


@pytest.mark.parametrize(
    ("requirement", "passcode", "expected"),
    [
        (PasscodeRequirement(length=8), "abc", ["is shorter than the required 8 characters"]),
        (PasscodeRequirement(only_allow_numeric=True), "12a4", ["must contain digits only"]),
        (PasscodeRequirement(have_letter=True), "123456", ["has no letter"]),
        (PasscodeRequirement(have_number=True), "abcdef", ["has no number"]),
        (PasscodeRequirement(have_special_character=True), "abc123", ["has no special character"]),
        (PasscodeRequirement(have_upper_and_lower_characters=True), "abc123",
         ["needs both upper- and lower-case letters"]),
        (PasscodeRequirement(consecutive_characters_length=4), "abc1x@8fdh", []),  # Zoom's own example
        (PasscodeRequirement(consecutive_characters_length=4), "x1234y",
         ["has more than 3 consecutive characters in a row (like repeated, sequential or keyboard-row ones)"]),
        (PasscodeRequirement(weak_enhance_detection=True), "123456", ["is on lists of the most common passcodes"]),
        (PasscodeRequirement(weak_enhance_detection=True), "Password", ["is on lists of the most common passcodes"]),
        (PasscodeRequirement(weak_enhance_detection=True), "zzzzzz", ["repeats a single character"]),
        (PasscodeRequirement(weak_enhance_detection=True), "mnopq",
         ["is one simple sequence (like 12345, abcde or qwert)"]),
        (PasscodeRequirement(weak_enhance_detection=True), "ab1ab1", ["is a short pattern repeated"]),
        (PasscodeRequirement(weak_enhance_detection=True), "Tq7-mZ2x", []),
        (PasscodeRequirement(length=6, have_number=True, have_special_character=True), "abc", [
            "is shorter than the required 6 characters", "has no number", "has no special character"]),
        (PasscodeRequirement(have_special_character=True), "w46!(i{74n", []),  # Zoom counts ! as special
    ],
)
def test_requirement_violations(requirement: PasscodeRequirement, passcode: str, expected: list[str]) -> None:
    assert requirement_violations(passcode, requirement) == expected


def test_describe_violations_is_one_sentence_without_the_passcode() -> None:
    req = PasscodeRequirement(length=8, have_number=True)
    sentence = describe_violations("Zebra", req)
    assert sentence == "The passcode is shorter than the required 8 characters and has no number."
    assert describe_violations("Zebra1234", req) is None


def test_from_zoom_reads_the_settings_object() -> None:
    zoom = {
        "length": 8, "have_letter": True, "have_number": True, "have_special_character": True,
        "only_allow_numeric": False, "have_upper_and_lower_characters": True, "consecutive_characters_length": 4,
        "weak_enhance_detection": True, "some_future_field": 1,
    }
    assert PasscodeRequirement.from_zoom(zoom) == PasscodeRequirement(8, True, True, True, False, True, 4, True)
    assert PasscodeRequirement.from_zoom(None) == PasscodeRequirement()
    loose = {"length": "6", "have_number": "true", "consecutive_characters_length": None}
    assert PasscodeRequirement.from_zoom(loose) == PasscodeRequirement(length=6, have_number=True)
    assert PasscodeRequirement.from_zoom({"length": "lots"}) == PasscodeRequirement()


def test_default_generated_passcode() -> None:
    passcodes = {generate_passcode() for _ in range(50)}
    assert len(passcodes) == 50  # a fixed seed or a tiny pool would repeat
    for passcode in passcodes:
        assert len(passcode) == ROOMS_PASSCODE_MAX_LENGTH and is_rooms_compatible(passcode)
        assert not set(passcode) & set("0O1lI")  # nothing to misread on a room controller


def test_specials_only_when_required_and_only_rooms_ones() -> None:
    plain = "".join(generate_passcode() for _ in range(30))
    assert not set(plain) - set(string.ascii_letters + string.digits)
    special = generate_passcode(PasscodeRequirement(have_special_character=True))
    assert set(special) & set("@-_*") and is_rooms_compatible(special)


@pytest.mark.parametrize(
    ("requirement", "length", "message"),
    [
        (PasscodeRequirement(length=12), None, "at most 10"),
        (PasscodeRequirement(), 11, "1 to 10"),
        (PasscodeRequirement(), 0, "1 to 10"),
        (PasscodeRequirement(length=8), 6, "shorter than the host's minimum of 8"),
        (PasscodeRequirement(only_allow_numeric=True, have_letter=True), None, "digits only"),
        (PasscodeRequirement(only_allow_numeric=True, have_special_character=True), None, "digits only"),
        (PasscodeRequirement(consecutive_characters_length=1), None, "allows no characters"),
        (PasscodeRequirement(have_upper_and_lower_characters=True, have_number=True, have_special_character=True), 3,
         "need 4 kinds"),
    ],
)
def test_unsatisfiable_requirements_raise_a_clear_error(
    requirement: PasscodeRequirement, length: int | None, message: str
) -> None:
    with pytest.raises(UnsatisfiableRequirement, match=message):
        generate_passcode(requirement, length=length)
    assert issubclass(UnsatisfiableRequirement, ValueError)


requirements = st.builds(
    PasscodeRequirement,
    length=st.integers(0, 12),
    have_letter=st.booleans(),
    have_number=st.booleans(),
    have_special_character=st.booleans(),
    only_allow_numeric=st.booleans(),
    have_upper_and_lower_characters=st.booleans(),
    consecutive_characters_length=st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7, 8]),
    weak_enhance_detection=st.booleans(),
)


@settings(max_examples=500, deadline=None)
@given(requirements, st.one_of(st.none(), st.integers(0, 12)))
def test_property_generator_satisfies_every_requirement_or_says_why_not(
    requirement: PasscodeRequirement, length: int | None
) -> None:
    reason = unsatisfiable_reason(requirement, length)
    if reason is not None:
        with pytest.raises(UnsatisfiableRequirement):
            generate_passcode(requirement, length=length)
        return
    passcode = generate_passcode(requirement, length=length)
    assert is_rooms_compatible(passcode)
    assert requirement_violations(passcode, requirement) == []
    assert len(passcode) == (length if length is not None else 10)
    if requirement.only_allow_numeric:
        assert passcode.isdigit()


# Two characters of each class with no repeated, sequential or keyboard-row relation between any of them:
# for short lengths a passcode meeting a requirement exists iff one exists over these.
REPRESENTATIVES = "aeKP27@*"


def _exists_by_brute_force(requirement: PasscodeRequirement, length: int) -> bool:
    return any(
        not requirement_violations("".join(chars), requirement)
        for chars in itertools.product(REPRESENTATIVES, repeat=length)
    )


@settings(max_examples=250, deadline=None)
@given(requirements, st.integers(1, 3))
def test_property_raises_exactly_when_no_short_passcode_exists(requirement: PasscodeRequirement, length: int) -> None:
    exists = length >= requirement.length and _exists_by_brute_force(requirement, length)
    assert (unsatisfiable_reason(requirement, length) is None) == exists
    if exists:
        assert not requirement_violations(generate_passcode(requirement, length=length), requirement)
    else:
        with pytest.raises(UnsatisfiableRequirement):
            generate_passcode(requirement, length=length)
