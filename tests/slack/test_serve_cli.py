"""`roombot serve`: start-up errors are one line with exit 2; HTTP mode really serves under gunicorn."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.cli import build_parser
from bot.cli import serve as serve_command
from bot.services import Services
from bot.store.migrate import upgrade_to_head
from bot.zoom.simulator import SimulatorServer
from tests.support.slack import TEST_BOT_TOKEN, TEST_SIGNING_SECRET, FakeSlackApi, SignedSlackClient

REPO = Path(__file__).resolve().parents[2]
OUR_PREFIXES = ("SLACK_", "ZOOM_", "ROOMBOT_", "DATABASE_URL", "PORT")


def clean_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OUR_PREFIXES)}
    env.update(values)
    return env


def full_env(fake: FakeSlackApi, port: int, **extra: str) -> dict[str, str]:
    return clean_env(
        SLACK_BOT_TOKEN=TEST_BOT_TOKEN,
        SLACK_SIGNING_SECRET=TEST_SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        ROOMBOT_SECRET_KEY="test-key-long-enough-for-a-passphrase",
        PORT=str(port),
        **{"ZOOM_ACCOUNT_ID": "acct", "ZOOM_CLIENT_ID": "client", "ZOOM_CLIENT_SECRET": "zoom-secret", **extra},
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_is_a_subcommand_with_no_worker_flag() -> None:
    args = build_parser().parse_args(["serve", "--no-worker", "--threads", "4"])
    assert args.func is serve_command.run and args.no_worker and args.threads == 4


def test_config_error_is_one_line_and_exit_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        cwd=REPO, env=clean_env(SLACK_SIGNING_SECRET="s3cret-signing"), capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [result.stderr.strip()]  # exactly one line
    assert result.stderr.startswith("roombot serve: SLACK_BOT_TOKEN: missing")
    assert "Traceback" not in result.stderr and "s3cret-signing" not in result.stderr


def test_socket_mode_is_chosen_by_the_app_token(monkeypatch: pytest.MonkeyPatch) -> None:
    chosen: list[str] = []
    # Schema check and service wiring are tested in tests/runtime; here only the mode choice matters.
    monkeypatch.setattr(serve_command, "check_schema", lambda settings: None)
    monkeypatch.setattr(serve_command, "build_services", lambda settings, **_: Services())
    monkeypatch.setattr(serve_command, "serve_socket_mode",
                        lambda settings, services, **_: chosen.append("socket") or 0)
    monkeypatch.setattr(serve_command, "serve_http",
                        lambda settings, services, threads, **_: chosen.append("http") or 0)
    env = {
        "SLACK_BOT_TOKEN": TEST_BOT_TOKEN, "SLACK_SIGNING_SECRET": "x", "ROOMBOT_SECRET_KEY": "k",
        "ZOOM_ACCOUNT_ID": "a", "ZOOM_CLIENT_ID": "b", "ZOOM_CLIENT_SECRET": "c",
    }
    args = argparse.Namespace(no_worker=True, threads=2)
    assert serve_command.run(args, env) == 0
    assert serve_command.run(args, {**env, "SLACK_APP_TOKEN": "xapp-1-test"}) == 0
    assert chosen == ["http", "socket"]


def test_gunicorn_serves_healthz_and_signed_slack_requests(
    fake_slack: FakeSlackApi, zoom_sim: SimulatorServer, tmp_path: Path
) -> None:
    port = free_port()
    # /healthz checks the database and Zoom, and serve refuses an unmigrated database: give it both.
    database_url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    upgrade_to_head(database_url)
    env = full_env(fake_slack, port, DATABASE_URL=database_url, ZOOM_API_URL=zoom_sim.api_url,
                   ZOOM_OAUTH_URL=zoom_sim.oauth_url, ZOOM_ACCOUNT_ID="sim-account", ZOOM_CLIENT_ID="sim-client-id",
                   ZOOM_CLIENT_SECRET="sim-client-secret")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--no-worker", "--threads", "2"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.communicate()[0]
            try:
                health = httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert health.status_code == 200 and health.json()["status"] == "ok"

        client = SignedSlackClient(fake_slack, TEST_SIGNING_SECRET, lambda: f"{base}/slack/events")
        try:
            delivery = client.slash("/room", "help")
            assert delivery.status_code == 200
            fake_slack.wait_for(lambda: fake_slack.responses(delivery.response_url), timeout=15, what="help reply")
            assert client.slash("/room", "help", signed=False).status_code == 401
        finally:
            client.close()
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert process.returncode == 0, output
    assert TEST_BOT_TOKEN not in output and TEST_SIGNING_SECRET not in output


def test_socket_mode_uses_the_websocket_client_with_a_pong_deadline(fake_slack: FakeSlackApi) -> None:
    from slack_bolt import App
    from slack_sdk import WebClient
    from slack_sdk.socket_mode.websocket_client import SocketModeClient

    app = App(client=WebClient(token=TEST_BOT_TOKEN, base_url=fake_slack.api_url), signing_secret="x",
              token_verification_enabled=False)
    handler = serve_command.socket_mode_handler(app, "xapp-1-test")
    try:
        assert isinstance(handler.client, SocketModeClient)  # not slack_sdk's built-in client (see its docstring)
        assert handler.client.ping_interval == serve_command.SOCKET_PING_INTERVAL
        assert serve_command.SOCKET_PONG_TIMEOUT < serve_command.SOCKET_PING_INTERVAL  # websocket-client's rule
    finally:
        handler.close()


def test_gunicorn_gives_the_graceful_stop_the_grace_and_its_margin() -> None:
    from bot.config import Settings
    from bot.runtime import SHUTDOWN_MARGIN_SECONDS

    options = serve_command.gunicorn_options(Settings(shutdown_grace=12.5), threads=3)
    assert options["graceful_timeout"] == int(12.5 + SHUTDOWN_MARGIN_SECONDS) + 1
    assert options["threads"] == 3 and options["workers"] == 1
