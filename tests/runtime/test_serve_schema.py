"""`roombot serve` refuses to start on a database `roombot migrate` has not prepared: one line, exit 2."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.devtools.fake_slack import FakeSlackApi
from bot.store.migrate import upgrade_to_head
from bot.zoom.simulator import SimulatorServer
from tests.support.processes import SECRET_KEY, closed_port, full_env, roombot


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


def test_serve_runs_http_with_the_booking_worker_and_stops_cleanly(
    tmp_path: Path, zoom_sim: SimulatorServer, fake_slack: FakeSlackApi
) -> None:
    pytest.importorskip("bot.scheduling.worker")
    url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    upgrade_to_head(url)
    port = closed_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--threads", "2"], cwd=tmp_path,
        env=full_env(zoom_sim, fake_slack, url, PORT=str(port), ROOMBOT_WORKER_POLL_SECONDS="0.2"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.communicate()[0]
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                if health.status_code == 200:  # degraded until the work process has started
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve was not healthy within 30 s"
            time.sleep(0.1)
        assert health.json()["checks"].keys() == {"database", "zoom", "work_process"}
        time.sleep(0.5)  # a few worker ticks on the real database
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=60)[0]
    assert process.returncode == 0, output
    assert "booking worker" in output and "started" in output
    assert "booking worker tick failed" not in output and "Traceback" not in output
    assert SECRET_KEY not in output and fake_slack.bot_token not in output
