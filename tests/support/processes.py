"""Shared by the runtime tests: clean environments for `roombot` subprocesses and settings for the simulator."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.devtools.fake_slack import FakeSlackApi
from bot.zoom.settings import ZoomSettings
from bot.zoom.simulator import SimulatorServer

REPO = Path(__file__).resolve().parents[2]
OUR_PREFIXES = ("SLACK_", "ZOOM_", "ROOMBOT_", "DATABASE_URL", "PORT")
BOT_TOKEN = "xoxb-runtime-test"
SIGNING_SECRET = "runtime-signing-secret-0123456789"
SECRET_KEY = "runtime-test-passphrase-long-enough"
ZOOM_SECRET = "sim-client-secret"


def clean_env(**values: str) -> dict[str, str]:
    """The test process's environment without roombot's variables, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OUR_PREFIXES)}
    env["PYTHONPATH"] = str(REPO)
    env.update(values)
    return env


def full_env(sim: SimulatorServer, slack: FakeSlackApi, database_url: str, **overrides: str) -> dict[str, str]:
    values = {
        "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack.api_url,
        "ROOMBOT_SECRET_KEY": SECRET_KEY, "DATABASE_URL": database_url,
        "ZOOM_ACCOUNT_ID": "sim-account", "ZOOM_CLIENT_ID": "sim-client-id", "ZOOM_CLIENT_SECRET": ZOOM_SECRET,
        "ZOOM_API_URL": sim.api_url, "ZOOM_OAUTH_URL": sim.oauth_url,
    }
    values.update(overrides)
    return clean_env(**values)


def sim_settings(sim: SimulatorServer, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        slack_signing_secret=SIGNING_SECRET, slack_bot_token=BOT_TOKEN, database_url=database_url,
        secret_key=SECRET_KEY, admins=frozenset({"UADMIN"}), port=0,
        zoom=ZoomSettings(api_url=sim.api_url, oauth_url=sim.oauth_url, account_id="sim-account",
                          client_id="sim-client-id", client_secret=ZOOM_SECRET),
    )
    values.update(overrides)
    return Settings(**values)


def roombot(*args: str, env: dict[str, str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, *, interval: float = 0.05) -> Any:
    """Poll ``predicate`` (a subprocess's effect: a row, a file, a simulator state) until it is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
