"""`roombot demo`: runs with no configuration, plays every step, exits 0, and never shows a passcode in #general."""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
import pytest

from bot.demo import runner
from bot.demo.conversation import Conversation
from bot.demo.environment import ALL_HANDS, MEETINGS
from bot.demo.render import message_lines
from bot.demo.script import Step
from tests.support.processes import clean_env, roombot

CHANNEL_LINE = re.compile(r"^\s+#general( \(edited\))? \|")
PRIVATE_LINE = "(only you can see this) |"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, str, Path]:
    # Run where no roombot configuration exists, with none in the environment: the demo needs nothing.
    cwd = tmp_path_factory.mktemp("demo")
    result = roombot("demo", env=clean_env(), cwd=cwd, timeout=120)
    return result.returncode, result.stdout, result.stderr, cwd


@pytest.fixture
def demo(demo_run: tuple[int, str, str, Path]) -> tuple[int, str, str]:
    return demo_run[:3]


def test_demo_runs_every_step_and_exits_0(demo: tuple[int, str, str]) -> None:
    code, out, err = demo
    assert code == 0, out + err
    assert "Traceback" not in out + err
    last = out.strip().splitlines()[-2]
    assert last.startswith("roombot demo: all 7 steps went as expected")
    assert "✗" not in out


def test_demo_output_tells_each_story(demo: tuple[int, str, str]) -> None:
    _, out, _ = demo
    steps = re.split(r"^── \d/7 ", out, flags=re.M)[1:]
    assert len(steps) == 7
    joined, mistyped, repaired, busy, waiting = steps[0], steps[1], steps[3], steps[4], steps[5]
    assert "alice types:  /room join Boardroom 93456789012" in joined and "934 5678 9012" in joined
    assert "bob types:  /room join Huddle 3 93456789021" in mistyped
    assert "meeting ID or the passcode is probably wrong" in mistyped and "Huddle 3 is in meeting" not in mistyped
    assert "/room join Huddle 3 <https://" in steps[2] and "GET /meetings/87654321098" in steps[2]
    assert "Validation Failed" in repaired and "params.password" in repaired
    assert "[button: Repair passcode]" in repaired and "ada clicks [Repair passcode]" in repaired
    assert "[button: Join anyway]" in busy and "alice clicks [Join anyway]" in busy
    assert "/room new Huddle 3 Design review" in waiting and "waiting room" in waiting
    assert re.search(r"#general \| Join link: https://\S+/j/\d+", waiting)
    teams = steps[6]
    assert "/room join Huddle 3 <https://teams.microsoft.com/meet/" in teams
    assert "Huddle 3 is in the Microsoft Teams meeting" in teams
    # Narration comes before the command it explains.
    assert joined.index("Alice has an invitation") < joined.index("alice types:")


def test_no_passcode_in_channel_lines_and_private_ones_are_marked(demo: tuple[int, str, str]) -> None:
    _, out, _ = demo
    lines = out.splitlines()
    channel = [line for line in lines if CHANNEL_LINE.match(line)]
    private = [line for line in lines if PRIVATE_LINE in line]
    assert channel and private
    passcodes = {m.password for m in MEETINGS}
    # Passcodes roombot generated (repair, new meeting) appear only in the requester's private lines.
    generated = set(re.findall(r"passcode (?:of meeting [\d ]+ is )?`([^`]+)`", "\n".join(private)))
    assert len(generated) == 2, private
    for passcode in passcodes | generated:
        assert not any(passcode in line for line in channel), passcode
    assert ALL_HANDS.password not in "\n".join(channel + private)


def test_a_step_that_does_not_happen_fails_the_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    def impossible(c: Conversation) -> None:
        c.narrate("Nothing will happen.")
        c.expect("something that never happens", lambda: False, timeout=0.2)
        c.show()

    monkeypatch.setattr(runner, "STEPS", (Step("An impossible step", impossible),))
    out = io.StringIO()
    assert runner.main(None, out) == 1
    text = out.getvalue()
    assert "   ✗ something that never happens — not seen within 0.2 s" in text
    assert text.strip().splitlines()[-1].startswith(
        "roombot demo: FAILED — 1 step(s) did not go as expected; first: 1. An impossible step")


def test_block_kit_renders_as_text() -> None:
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": ":x: *Boardroom did not join.* <@U1> in <#C1|general>"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Room: *Boardroom*"},
                                         {"type": "plain_text", "text": "dispatch #3"}]},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Join link:* <https://zoom.us/j/1|https://zoom.us/j/1>"}},
        {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Join anyway"},
                                          "value": "secret-ish-value", "action_id": "a"}]},
        {"type": "divider"},
    ]
    assert message_lines("fallback", blocks, {"U1": "alice"}) == [
        "❌ Boardroom did not join. @alice in #general",
        "Room: Boardroom · dispatch #3",
        "Join link: https://zoom.us/j/1",
        "[button: Join anyway]",
        "──────",
    ]
    assert message_lines("plain *text* &amp; more", []) == ["plain text & more"]


def test_demo_leaves_nothing_behind_in_the_working_directory(demo_run: tuple[int, str, str, Path]) -> None:
    # Its SQLite database lives in a temporary directory that is removed at the end.
    assert list(demo_run[3].iterdir()) == []


def test_a_demo_that_fails_to_start_leaves_nothing_behind(monkeypatch) -> None:
    import bot.demo.environment as environment

    def broken_migration(url):
        raise RuntimeError("disk full")

    monkeypatch.setattr(environment, "upgrade_to_head", broken_migration)
    demo = environment.DemoEnvironment()
    try:
        demo.start()
    except RuntimeError:
        pass
    else:
        raise AssertionError("start() should have failed")
    assert not demo.workdir.exists()
    with pytest.raises(httpx.TransportError):  # the simulator and the fake Slack were shut down
        httpx.get(demo.sim.url + "/_sim/state", timeout=1)
