"""The shared meeting-reference case tables, also used by bench/: Zoom (link_cases.json) and other services
(thirdparty_cases.json: Microsoft Teams, Google Meet, SIP/Webex, and their look-alikes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.meetings import MeetingReference, parse_meeting_reference
from bot.meetings.links import SPEC_KEYS

CASES_PATH = Path(__file__).with_name("link_cases.json")
THIRDPARTY_CASES_PATH = Path(__file__).with_name("thirdparty_cases.json")


def load_cases() -> list[dict[str, Any]]:
    return json.loads(CASES_PATH.read_text(encoding="utf-8"))["cases"]


def load_thirdparty_cases() -> list[dict[str, Any]]:
    return json.loads(THIRDPARTY_CASES_PATH.read_text(encoding="utf-8"))["cases"]


def load_all_cases() -> list[dict[str, Any]]:
    return load_cases() + load_thirdparty_cases()


def parse_case(case: dict[str, Any]) -> MeetingReference:
    """A case as `/room join` (``command``) or a shared message (``message``) reads it."""
    return parse_meeting_reference(case["input"], trailing_passcode=case["mode"] == "command")


def assert_case(ref: MeetingReference, expect: dict[str, Any]) -> None:
    """The SPEC keys as the table says; an invalid reference says why and carries nothing else."""
    if expect["kind"] == "invalid":
        assert not ref.is_valid, ref.as_dict()
        assert ref.reason and expect["reason_contains"].lower() in ref.reason.lower(), ref.reason
        assert ref.as_dict() == dict.fromkeys(SPEC_KEYS[:-1]) | {"kind": "invalid"}
    else:
        assert ref.as_dict() == expect
        assert ref.is_valid and ref.reason is None
