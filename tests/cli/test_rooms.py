"""`roombot rooms sync|list|add|remove` on the store and the Zoom simulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.devtools.fake_slack import FakeSlackApi
from bot.store.migrate import upgrade_to_head
from bot.zoom.simulator import SimulatorServer
from tests.support.processes import full_env, roombot


@pytest.fixture
def env(tmp_path: Path, zoom_sim: SimulatorServer, fake_slack: FakeSlackApi) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'rooms.sqlite3'}"
    upgrade_to_head(url)
    return full_env(zoom_sim, fake_slack, url)


def rooms(env: dict[str, str], *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parsed = build_parser().parse_args(["rooms", *args])
    code = parsed.func(parsed, env)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_sync_list_add_remove(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = rooms(env, "list", capsys=capsys)
    assert code == 0 and "No rooms yet" in out

    code, out, _ = rooms(env, "sync", capsys=capsys)
    assert code == 0
    assert "Zoom lists 4 room(s)." in out and "added: Boardroom, Huddle 3" in out

    code, out, _ = rooms(env, "sync", capsys=capsys)
    assert code == 0 and "unchanged: Boardroom" in out and "added" not in out

    code, out, _ = rooms(env, "list", "--live", capsys=capsys)
    assert code == 0
    boardroom = next(line for line in out.splitlines() if line.startswith("Boardroom"))
    assert "Available" in boardroom and "everyone may dispatch it" in boardroom

    code, out, _ = rooms(env, "remove", "board-room", capsys=capsys)
    assert code == 0 and out.strip() == "removed Boardroom"

    code, out, _ = rooms(env, "add", "Board Room", "qMOLddnySIGGVycz8aX_JQ", capsys=capsys)
    assert code == 0 and "added Board Room" in out and "Zoom calls it 'Boardroom'" in out

    code, out, _ = rooms(env, "list", capsys=capsys)
    assert "Board Room · zoom room_id qMOLddnySIGGVycz8aX_JQ" in out


def test_mistakes_are_one_line_with_a_suggestion(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    rooms(env, "sync", capsys=capsys)
    code, _, err = rooms(env, "remove", "Bordroom", capsys=capsys)
    assert code == 1 and err.strip() == "roombot rooms remove: No room called 'Bordroom'. Did you mean 'Boardroom'?"

    code, _, err = rooms(env, "add", "Closet", "no-such-room", capsys=capsys)
    assert code == 1 and "1012" in err and len(err.strip().splitlines()) == 1

    code, _, err = rooms(env, "add", "Boardroom", "whatever", "--no-verify", capsys=capsys)
    assert code == 1 and "already used by room 'Boardroom'" in err


def test_an_unmigrated_database_is_refused(tmp_path: Path, zoom_sim: SimulatorServer, fake_slack: FakeSlackApi) -> None:
    env = full_env(zoom_sim, fake_slack, f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    result = roombot("rooms", "sync", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "`roombot migrate`" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_zoom_is_not_needed_to_list_or_remove(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'offline.sqlite3'}"
    upgrade_to_head(url)
    code, out, err = rooms({"DATABASE_URL": url}, "list", capsys=capsys)
    assert code == 0 and "No rooms yet" in out, err
