"""`roombot worker` start-up: one clear line naming what to fix, never a traceback."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.cli import build_parser
from bot.cli.worker import run, worker_config
from bot.scheduling.worker import WorkerConfig

BASE = {"ROOMBOT_SECRET_KEY": "a test key that is long enough", "ZOOM_ACCOUNT_ID": "a", "ZOOM_CLIENT_ID": "b",
        "ZOOM_CLIENT_SECRET": "c", "DATABASE_URL": "sqlite://"}


def parse(*argv: str):
    return build_parser().parse_args(["worker", *argv])


@pytest.mark.parametrize(("environ", "variable"), [
    (BASE, "SLACK_BOT_TOKEN"),
    ({**BASE, "SLACK_BOT_TOKEN": "xoxb-1", "ROOMBOT_BOOKING_GRACE_MINUTES": "soon"}, "ROOMBOT_BOOKING_GRACE_MINUTES"),
    ({**BASE, "SLACK_BOT_TOKEN": "xoxb-1", "ROOMBOT_WORKER_CONCURRENCY": "0"}, "ROOMBOT_WORKER_CONCURRENCY"),
    ({**BASE, "SLACK_BOT_TOKEN": "xoxb-1", "DATABASE_URL": "sqlite:///nonexistent-dir/x/y.db"}, "database"),
])
def test_bad_settings_stop_start_up_with_one_line(environ: dict[str, str], variable: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert run(parse(), environ) == 2
    err = capsys.readouterr().err
    assert err.startswith("roombot worker: ") and variable in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_options_override_the_environment() -> None:
    config = worker_config(parse("--grace-minutes", "3", "--concurrency", "7", "--lease-seconds", "20"),
                           {"ROOMBOT_BOOKING_GRACE_MINUTES": "15", "ROOMBOT_BOOKING_REMINDER_MINUTES": "5"})
    assert config.grace == timedelta(minutes=3) and config.reminder_lead == timedelta(minutes=5)
    assert config.concurrency == 7 and config.lease == timedelta(seconds=20)
    assert WorkerConfig().slots(20) == 60 and WorkerConfig(concurrency=4).slots(20) == 4


@pytest.mark.parametrize("argv", [("--lease-seconds", "2", "--poll-interval", "5"), ("--lease-seconds", "1")])
def test_a_lease_not_comfortably_longer_than_the_poll_interval_is_refused_with_one_line(
        argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(parse(*argv), {**BASE, "SLACK_BOT_TOKEN": "xoxb-1"}) == 2
    err = capsys.readouterr().err
    assert err.startswith("roombot worker: --lease-seconds") and "poll interval" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
