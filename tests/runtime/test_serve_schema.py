"""`roombot serve` refuses to start on a database `roombot migrate` has not prepared: one line, exit 2."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.devtools.fake_slack import FakeSlackApi
from bot.zoom.simulator import SimulatorServer
from tests.runtime.helpers import SECRET_KEY, closed_port, full_env, roombot


def test_serve_refuses_an_unmigrated_database(tmp_path: Path, zoom_sim: SimulatorServer,
                                              fake_slack: FakeSlackApi) -> None:
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).close()  # an empty SQLite file, as a first start would find
    result = roombot("serve", "--no-worker", env=full_env(zoom_sim, fake_slack, f"sqlite:///{empty}"), cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("roombot serve: DATABASE_URL: ") and "`roombot migrate`" in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert SECRET_KEY not in result.stderr


def test_serve_refuses_an_unreachable_database_in_one_line(tmp_path: Path, zoom_sim: SimulatorServer,
                                                           fake_slack: FakeSlackApi) -> None:
    url = f"postgresql+psycopg://roombot:db-password-not-shown@127.0.0.1:{closed_port()}/roombot"
    result = roombot("serve", "--no-worker", env=full_env(zoom_sim, fake_slack, url), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("roombot serve: database unavailable"), result.stderr
    assert "db-password-not-shown" not in result.stderr and "Traceback" not in result.stderr


def test_serve_config_errors_still_come_first(tmp_path: Path, zoom_sim: SimulatorServer,
                                              fake_slack: FakeSlackApi) -> None:
    env = full_env(zoom_sim, fake_slack, f"sqlite:///{tmp_path / 'never-created.sqlite3'}", ROOMBOT_SECRET_KEY="")
    result = roombot("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("roombot serve: ROOMBOT_SECRET_KEY: missing")
    assert not (tmp_path / "never-created.sqlite3").exists()
