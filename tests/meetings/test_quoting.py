"""Quoting typed text back: names stay readable, secrets do not come back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.meetings import quote_typed


def test_room_names_are_quoted_as_typed() -> None:
    for name in ("huddle 4", "bordroom", "Ocean View (4th floor)", "R&D <lab>", "Lab <!channel>"):
        assert quote_typed(name) == name


def test_passcodes_links_and_pwd_tokens_are_not_handed_back() -> None:
    for secret in ("w46!(i{74n", "Xk7_9ab", "a1@b2c3"):
        assert secret not in quote_typed(f"Boardroom {secret}")
    assert "AbCdEf" not in quote_typed("https://zoom.us/j/85512345678?pwd=AbCdEf")
    assert "AbCdEf" not in quote_typed("room pwd=AbCdEf x")
    assert quote_typed("x" * 500).endswith("…") and len(quote_typed("x" * 500)) <= 60


@given(st.text(), st.sampled_from(["w46!(i{74n", "Xk7_9ab", "pwd=Zz9Yy8Xx7", "zoom.us/j/85512345678?pwd=Q1w2E3"]))
def test_a_secret_anywhere_in_the_text_never_comes_back(prefix: str, secret: str) -> None:
    quoted = quote_typed(f"{prefix} {secret} end")
    assert secret not in quoted and secret.split("=")[-1] not in quoted
