"""`roombot parse-link`: run as a real subprocess, the way an operator or a script uses it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.cli import main
from bot.meetings.links import SPEC_KEYS


def _roombot(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "parse-link", *args], input=stdin, capture_output=True, text=True, timeout=60
    )


def test_valid_reference_prints_the_spec_keys_and_exits_0() -> None:
    result = _roombot("https://us02web.zoom.us/j/81234567890?pwd=abc.1&uname=Room")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "meeting_id": "81234567890", "pwd_token": "abc.1", "passcode": None, "personal_link": None,
        "host": "us02web.zoom.us", "provider": "zoom", "join_url": None, "sip_address": None, "kind": "meeting",
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


def test_message_flag_ignores_trailing_word(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse-link", "--message", "https://zoom.us/j/81234567890", "thanks"]) == 0
    assert json.loads(capsys.readouterr().out)["passcode"] is None


SHORT = "https://teams.microsoft.com/meet/285614903771052?p=Hq7TzX2mLp9VbR4sKd"


def test_teams_link_prints_provider_and_join_url() -> None:
    result = _roombot(SHORT, "Vt3kPq8N")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "meeting_id": "285614903771052", "pwd_token": None, "passcode": "Vt3kPq8N", "personal_link": None,
        "host": None, "provider": "teams", "join_url": SHORT, "sip_address": None, "kind": "meeting",
    }
    assert result.stderr == ""


def test_meet_and_webex_invitations_from_stdin() -> None:
    meet = _roombot(stdin="Google Meet joining info\nVideo call link: https://meet.google.com/zvh-hpnn-yjk\n"
                          "Or dial: (US) +1 555-010-0175 PIN: 770 698 765#\n")
    assert meet.returncode == 0 and json.loads(meet.stdout)["join_url"] == "https://meet.google.com/zvh-hpnn-yjk"
    webex = _roombot(stdin="Join by video system\nDial 24357724034@acme.webex.com\n")
    payload = json.loads(webex.stdout)
    assert webex.returncode == 0 and (payload["provider"], payload["sip_address"]) == (
        "sip", "24357724034@acme.webex.com")


def test_teams_lookalike_exits_2_with_the_reason() -> None:
    result = _roombot("https://teams.microsoft.com.evil.example/meet/285614903771052?p=x")
    assert result.returncode == 2
    payload = json.loads(result.stdout)
    assert list(payload) == list(SPEC_KEYS) and payload["provider"] is None and payload["kind"] == "invalid"
    assert "not a Microsoft Teams address" in result.stderr


def test_details_flag_and_the_note_for_a_cloud_rooms_cannot_join(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse-link", "--details", "https://teams.live.com/meet/9356969621606?p=Qw8ogAWeCL73fVssuE"]) == 0
    captured = capsys.readouterr()
    payload = json.loads(captured.out)
    assert list(payload) == [*SPEC_KEYS, "teams_cloud", "meet_code"]
    assert (payload["provider"], payload["teams_cloud"], payload["meet_code"]) == ("teams", "free", None)
    assert "note: Zoom Rooms cannot join free Microsoft Teams meetings" in captured.err
    assert main(["parse-link", "abc-defg-hij"]) == 0
    captured = capsys.readouterr()
    assert "meet_code" not in json.loads(captured.out) and captured.err == ""

