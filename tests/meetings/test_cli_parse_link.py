"""`roombot parse-link`: run as a real subprocess, the way an operator or a script uses it."""

from __future__ import annotations

import json
import subprocess
import sys

from bot.cli import main
from bot.meetings.links import SPEC_KEYS


def _roombot(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "parse-link", *args], input=stdin, capture_output=True, text=True, timeout=60
    )


def test_valid_reference_prints_six_keys_and_exits_0() -> None:
    result = _roombot("https://us02web.zoom.us/j/81234567890?pwd=abc.1&uname=Room")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "meeting_id": "81234567890", "pwd_token": "abc.1", "passcode": None, "personal_link": None,
        "host": "us02web.zoom.us", "kind": "meeting",
    }
    assert result.stderr == ""


def test_words_are_joined_like_the_slash_command_text() -> None:
    result = _roombot("812", "3456", "7890", "abc123")
    assert result.returncode == 0
    assert json.loads(result.stdout)["passcode"] == "abc123"


def test_invalid_reference_exits_2_with_reason_on_stderr() -> None:
    result = _roombot("https://evil.com\\@zoom.us/j/81234567890")
    assert result.returncode == 2
    payload = json.loads(result.stdout)
    assert list(payload) == list(SPEC_KEYS) and payload["kind"] == "invalid" and payload["host"] is None
    assert "backslash" in result.stderr and result.stderr.count("\n") == 1


def test_invitation_from_stdin() -> None:
    invitation = "Join Zoom Meeting\nhttps://zoom.us/j/81234567890\n\nMeeting ID: 812 3456 7890\nPasscode: Zz9yy\n"
    result = _roombot(stdin=invitation)
    assert result.returncode == 0
    assert json.loads(result.stdout)["passcode"] == "Zz9yy"


def test_message_flag_ignores_trailing_word(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["parse-link", "--message", "https://zoom.us/j/81234567890", "thanks"]) == 0
    assert json.loads(capsys.readouterr().out)["passcode"] is None
