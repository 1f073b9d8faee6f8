"""`roombot serve`: run the Slack app — HTTP under gunicorn, or Socket Mode when SLACK_APP_TOKEN is set."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from bot import logsafety
from bot.config import Settings
from bot.config_errors import ConfigError
from bot.services import Services

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

logger = logging.getLogger("bot.serve")

DEFAULT_THREADS = 8
ACK_SWITCH_INTERVAL = 0.0001  # seconds (CPython: 0.005); see serve_http
# Starts the booking worker and returns the function that stops it (None when there is nothing to stop).
WorkerStarter = Callable[[], Callable[[], None] | None]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the Slack app (HTTP on $PORT, or Socket Mode when SLACK_APP_TOKEN is set)",
        description="Serve POST /slack/events and GET /healthz under gunicorn on $HOST:$PORT, or connect "
        "to Slack over Socket Mode when SLACK_APP_TOKEN is set. Also runs the booking worker unless "
        "--no-worker is given.",
    )
    parser.add_argument("--no-worker", action="store_true", help="do not run the booking worker in this process")
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        help=f"gunicorn threads serving Slack requests (default {DEFAULT_THREADS})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    from bot.store.db import DatabaseUnavailable  # SQLAlchemy only for the commands that need it

    environ = os.environ if environ is None else environ
    try:
        settings = Settings.from_env(environ, require_slack=True, require_secret_key=True)
        worker_config = None if args.no_worker else booking_worker_config(environ)
        check_schema(settings)
        services = build_services(settings)
    except (ConfigError, DatabaseUnavailable) as error:
        # One line naming the variable or the command that fixes it (SPEC §3); never a traceback or a secret.
        print(f"roombot serve: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logsafety.install()  # before anything logs: escaped lines, no pwd= tokens, no request bodies
    start_worker: WorkerStarter | None = None
    if not args.no_worker:
        def start_worker() -> Callable[[], None] | None:
            return start_booking_worker(settings, services, worker_config)
    try:
        if settings.socket_mode:
            stop_worker = start_worker() if start_worker else None
            try:
                return serve_socket_mode(settings, services)
            finally:
                if stop_worker is not None:
                    stop_worker()
        return serve_http(settings, services, threads=args.threads, start_worker=start_worker)
    finally:
        close_services(services)


def check_schema(settings: Settings) -> None:
    """Refuse to serve on a database that `roombot migrate` has not brought up to date.

    Raises ``SchemaOutOfDate`` (a ``ConfigError`` naming `roombot migrate`) or ``DatabaseUnavailable``.
    """
    from bot.store.migrate import require_up_to_date

    require_up_to_date(settings.database_url)


def build_services(settings: Settings) -> Services:
    """Collaborators for this process (store, Zoom client, dispatcher, health checks, Slack handlers)."""
    from bot.runtime import build_services as build

    return build(settings)


def close_services(services: Services) -> None:
    from bot.runtime import close_services as close

    close(services)


def booking_worker_config(environ: Mapping[str, str]) -> Any:
    """The booking worker's settings (``ROOMBOT_BOOKING_*``, ``ROOMBOT_WORKER_*``); None when it is not built."""
    try:
        from bot.config import WorkerConfig
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("bot.scheduling"):
            raise
        return None
    # ConfigError naming the variable, before anything starts.
    return WorkerConfig.from_env(environ).check("ROOMBOT_WORKER_POLL_SECONDS")


def start_booking_worker(settings: Settings, services: Services, config: Any) -> Callable[[], None] | None:
    """Start the booking worker (SPEC §9) in this process; returns the function that stops it."""
    if config is None:
        logger.warning("the booking worker is not part of this build; scheduled bookings will not be dispatched")
        return None
    from bot.scheduling.worker import BookingWorker
    from bot.slack.bookings.notifier import SlackNotifier, SlackRequesters, bot_client
    from bot.slack.directory import directory_of

    client = bot_client(settings)  # reminders and results go to Slack; bookers are looked up there
    worker = BookingWorker(services.wired(), config, notifier=SlackNotifier(client),
                           requesters=SlackRequesters(directory_of(services), client)).start()
    return worker.stop


def serve_socket_mode(settings: Settings, services: Services) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import create_app

    assert settings.slack_app_token is not None  # socket_mode implies it
    logger.info("connecting to Slack in Socket Mode (no public URL needed)")
    sys.setswitchinterval(ACK_SWITCH_INTERVAL)  # as for HTTP: acks never queue behind dispatch work
    SocketModeHandler(create_app(settings, services=services), settings.slack_app_token).start()
    return 0


def serve_http(settings: Settings, services: Services, *, threads: int,
               start_worker: WorkerStarter | None = None) -> int:
    # Imported here: every `roombot` subcommand imports this module to build the parser.
    from bot.runtime import engine_of
    from bot.web import GunicornServer, create_wsgi_app

    stoppers: list[Callable[[], None]] = []

    def load() -> WSGIApplication:
        # Runs in the forked worker process.  The master never opened a database connection, but if a pool
        # ever holds one, SQLAlchemy's fork recipe drops it without closing the parent's socket.
        # A thread answering Slack waits for the GIL while dispatch work holds it: switch more often than
        # CPython's 5 ms so that an acknowledgement is never queued behind a long stretch of background work.
        sys.setswitchinterval(ACK_SWITCH_INTERVAL)
        engine = engine_of(services)
        if engine is not None:
            engine.dispose(close=False)
        # The booking worker starts here, after the fork, so that only the serving process uses the Zoom
        # client's connections and the database pool (threads and sockets do not survive a fork cleanly).
        stop = start_worker() if start_worker is not None else None
        if stop is not None:
            stoppers.append(stop)
        return create_wsgi_app(settings, services)

    def worker_exit(_server: Any, _worker: Any) -> None:
        # gunicorn calls this in the worker process on shutdown: let running dispatches finish.
        for stop in stoppers:
            stop()

    options = {**gunicorn_options(settings, threads=threads), "worker_exit": worker_exit}
    logger.info("serving POST /slack/events and GET /healthz on %s", settings.bind)
    GunicornServer(load, options).run()
    return 0


def gunicorn_options(settings: Settings, *, threads: int) -> dict[str, Any]:
    return {
        "bind": settings.bind,
        # One process: Bolt acks from a thread pool and keeps working after the response, and the booking
        # worker must not be started once per process.  Scale out with more instances instead.
        "workers": 1,
        "worker_class": "gthread",
        "threads": max(1, threads),
        # Requests return as soon as ack() is called, so a long timeout only matters for stuck sockets.
        "timeout": 60,
        # Longer than a dispatch's watch (45 s), so a deploy lets running dispatches finish and report.
        "graceful_timeout": 90,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "roombot",
        # gunicorn's control socket (a file under ~/.gunicorn) is not needed to run roombot.
        "control_socket_disable": True,
    }
