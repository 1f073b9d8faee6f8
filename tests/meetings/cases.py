"""The shared meeting-reference case tables, also used by bench/: Zoom (link_cases.json) and other services
(thirdparty_cases.json: Microsoft Teams, Google Meet, SIP/Webex, and their look-alikes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CASES_PATH = Path(__file__).with_name("link_cases.json")
THIRDPARTY_CASES_PATH = Path(__file__).with_name("thirdparty_cases.json")


def load_cases() -> list[dict[str, Any]]:
    return json.loads(CASES_PATH.read_text(encoding="utf-8"))["cases"]


def load_thirdparty_cases() -> list[dict[str, Any]]:
    return json.loads(THIRDPARTY_CASES_PATH.read_text(encoding="utf-8"))["cases"]


def load_all_cases() -> list[dict[str, Any]]:
    return load_cases() + load_thirdparty_cases()
