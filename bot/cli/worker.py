"""`roombot worker`: the booking worker alone (SPEC §4, §9) — run as many as you like against one PostgreSQL.

It dispatches scheduled bookings, posts reminders and results in their channels, and needs the database,
Zoom credentials, ``ROOMBOT_SECRET_KEY`` and ``SLACK_BOT_TOKEN`` (no signing secret: it answers no Slack
requests).  SIGTERM or Ctrl-C stops it gracefully (``bot.runtime.shut_down``): it stops claiming, dispatches
already running get ``ROOMBOT_SHUTDOWN_GRACE_SECONDS`` to finish, those still running are cut short and say so,
and its claims are given back so that another worker takes them over at once.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot import logsafety
from bot.cli.malloc import limit_malloc_arenas
from bot.config import Settings
from bot.config_errors import ConfigError

logger = logging.getLogger("bot.worker")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "worker", help="run the booking worker alone (scheduled bookings, reminders, results)",
        description="Dispatch scheduled bookings exactly once, however many workers and `serve` instances share "
        "the database. Settings come from the environment (ROOMBOT_BOOKING_GRACE_MINUTES, "
        "ROOMBOT_BOOKING_REMINDER_MINUTES, ROOMBOT_WORKER_CONCURRENCY, ROOMBOT_WORKER_POLL_SECONDS); the "
        "options below override them.")
    parser.add_argument("--concurrency", type=int, help="dispatches in flight at once (default: from the Zoom "
                        "Medium rate limit)")
    parser.add_argument("--poll-interval", type=float, help="seconds between looks at the database (default 1)")
    parser.add_argument("--grace-minutes", type=float, help="skip an occurrence this late instead of joining "
                        "(default 10)")
    parser.add_argument("--reminder-minutes", type=float, help="post the reminder this long before (default 10)")
    parser.add_argument("--lease-seconds", type=float, help="how long a claim lasts without its worker before "
                        "another worker takes it over (default 180)")
    parser.set_defaults(func=run)


def worker_config(args: argparse.Namespace, environ: Mapping[str, str]) -> Any:
    from bot.config import WorkerConfig

    config = WorkerConfig.from_env(environ)
    changes: dict[str, Any] = {}
    if args.concurrency is not None:
        if args.concurrency < 1:
            raise ConfigError("--concurrency", "must be at least 1")
        changes["concurrency"] = args.concurrency
    if args.poll_interval is not None:
        changes["poll_interval"] = max(0.01, args.poll_interval)
    if args.grace_minutes is not None:
        changes["grace"] = timedelta(minutes=args.grace_minutes)
    if args.reminder_minutes is not None:
        changes["reminder_lead"] = timedelta(minutes=args.reminder_minutes)
    if args.lease_seconds is not None:
        changes["lease"] = timedelta(seconds=args.lease_seconds)
    return replace(config, **changes).check()


def run(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    from bot.runtime import build_services, shut_down
    from bot.scheduling.worker import BookingWorker
    from bot.slack.bookings.notifier import SlackNotifier, SlackRequesters, bot_client
    from bot.slack.directory import directory_of
    from bot.store.db import DatabaseUnavailable
    from bot.store.migrate import require_up_to_date

    environ = os.environ if environ is None else environ
    limit_malloc_arenas(environ)  # before any thread starts: bot.cli.malloc
    try:
        settings = Settings.from_env(environ, require_slack=False, require_secret_key=True)
        if not settings.slack_bot_token:
            raise ConfigError("SLACK_BOT_TOKEN", "missing; the worker posts reminders and results in Slack with the "
                              "bot token (xoxb-…)")
        config = worker_config(args, environ)
        require_up_to_date(settings.database_url)
        services = build_services(settings, install_slack=False)
    except (ConfigError, DatabaseUnavailable) as error:
        print(f"roombot worker: {error}", file=sys.stderr)
        return 2
    logsafety.configure(settings.log_format)
    stopped = threading.Event()

    def stop(signum: int, _frame: Any) -> None:
        if stopped.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: stop waiting (leases then run out as after a crash)
        logger.info("stopping on %s: no new claims; running dispatches get %g s to finish",
                    signal.Signals(signum).name, settings.shutdown_grace)
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    client = bot_client(settings)  # reminders and results go to Slack; bookers are looked up there
    worker = BookingWorker(services.wired(), config, notifier=SlackNotifier(client),
                           requesters=SlackRequesters(directory_of(services), client)).start()
    try:
        stopped.wait()
    finally:
        shut_down(services, grace=settings.shutdown_grace, worker=worker)
    return 0
