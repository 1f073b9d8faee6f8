"""`roombot serve`: run the Slack app — HTTP under gunicorn, or Socket Mode when SLACK_APP_TOKEN is set.

SIGTERM (or Ctrl-C) stops it gracefully (``bot.runtime.shut_down``): no new work is taken — gunicorn stops
accepting, Socket Mode answers "busy, nothing was done" and then closes its connection — running dispatches
get ``ROOMBOT_SHUTDOWN_GRACE_SECONDS``, those still running are cut short and say so, and the booking
worker's claims are given back for another instance to take over at once.
"""

from __future__ import annotations

import argparse
import functools
import gc
import logging
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from types import FrameType
from typing import TYPE_CHECKING, Any

from bot import logsafety
from bot.cli.malloc import limit_malloc_arenas
from bot.config import Settings
from bot.config_errors import ConfigError
from bot.services import Services

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

    from slack_bolt import App
    from slack_bolt.adapter.socket_mode.base_handler import BaseSocketModeHandler

    from bot.scheduling.worker import BookingWorker

logger = logging.getLogger("bot.serve")

DEFAULT_THREADS = 8
# GIL switch interval in seconds (CPython: 0.005); see serve_http.  1 ms, not shorter: at 0.1 ms the forced
# switches cost a booking burst about 15 % more CPU, and the p99 acks at ten clients were worse, not better
# (bench_ack, alternating runs: 89–143 / 91–168 ms for commands / buttons at 0.1 ms, 53–97 / 51–97 ms at 1 ms).
ACK_SWITCH_INTERVAL = 0.001
# Socket Mode: ping Slack this often and give up on a connection whose pong is this late (one that died without
# a close frame is replaced within about their sum), see socket_mode_handler.
SOCKET_PING_INTERVAL = 5.0
SOCKET_PONG_TIMEOUT = 3.0
# On SIGTERM in Socket Mode: envelopes being answered get this long for their acks before the connection closes,
# and work their listeners handed to the lane (posting "Sending…", submitting the dispatch) this long to finish.
ACK_LINGER_SECONDS = 0.5
# Starts the booking worker in this process and returns it (None when it is not part of this build).
WorkerStarter = Callable[[], "BookingWorker | None"]


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
    limit_malloc_arenas(environ)  # before any thread starts: bot.cli.malloc
    try:
        settings = Settings.from_env(environ, require_slack=True, require_secret_key=True)
        worker_config = None if args.no_worker else booking_worker_config(environ)
        check_schema(settings)
        services = build_services(settings, request_threads=args.threads)
    except (ConfigError, DatabaseUnavailable) as error:
        # One line naming the variable or the command that fixes it (SPEC §3); never a traceback or a secret.
        print(f"roombot serve: {error}", file=sys.stderr)
        return 2
    # Before anything logs: escaped lines, no pwd= tokens, no request bodies; ROOMBOT_LOG_FORMAT's format.
    logsafety.configure(settings.log_format)
    start_worker: WorkerStarter | None = None
    if not args.no_worker:
        def start_worker() -> BookingWorker | None:
            return start_booking_worker(settings, services, worker_config)
    try:
        if settings.socket_mode:
            return serve_socket_mode(settings, services, start_worker=start_worker)
        return serve_http(settings, services, threads=args.threads, start_worker=start_worker, environ=environ)
    finally:
        close_services(services)  # a second close after shut_down is harmless


def check_schema(settings: Settings) -> None:
    """Refuse to serve on a database that `roombot migrate` has not brought up to date.

    Raises ``SchemaOutOfDate`` (a ``ConfigError`` naming `roombot migrate`) or ``DatabaseUnavailable``.
    """
    from bot.store.migrate import require_up_to_date

    require_up_to_date(settings.database_url)


def build_services(settings: Settings, *, request_threads: int = DEFAULT_THREADS) -> Services:
    """Collaborators for this process (store, Zoom client, dispatcher, health checks, Slack handlers), with a
    database connection for each of the ``request_threads`` as well as for the background threads."""
    from bot.runtime import build_services as build
    from bot.store.db import pool_size_for

    return build(settings, pool_size=pool_size_for(request_threads))


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


def start_booking_worker(settings: Settings, services: Services, config: Any) -> BookingWorker | None:
    """Start the booking worker (SPEC §9) in this process; ``bot.runtime.shut_down`` stops it."""
    if config is None:
        logger.warning("the booking worker is not part of this build; scheduled bookings will not be dispatched")
        return None
    from bot.scheduling.worker import BookingWorker
    from bot.slack.bookings.notifier import SlackNotifier, SlackRequesters, bot_client
    from bot.slack.directory import directory_of

    client = bot_client(settings)  # reminders and results go to Slack; bookers are looked up there
    return BookingWorker(services.wired(), config, notifier=SlackNotifier(client),
                         requesters=SlackRequesters(directory_of(services), client)).start()


def serve_socket_mode(settings: Settings, services: Services, *, start_worker: WorkerStarter | None = None,
                      stop: threading.Event | None = None) -> int:
    """Serve over Socket Mode until SIGTERM/SIGINT (or until ``stop`` is set), then shut down gracefully."""
    from slack_sdk.errors import SlackApiError

    from bot.app import create_app
    from bot.cli.serve_work import LANE_DRAIN_SECONDS, drain_lane
    from bot.runtime import shut_down
    from bot.slack.lane import ListenerLane

    assert settings.slack_app_token is not None  # socket_mode implies it
    stop = stop if stop is not None else threading.Event()
    stop_on_signals(stop)
    sys.setswitchinterval(ACK_SWITCH_INTERVAL)  # as for HTTP: acks never queue behind dispatch work
    lane = ListenerLane()
    handler = socket_mode_handler(create_app(settings, services=services, lane=lane), settings.slack_app_token)
    worker = start_worker() if start_worker is not None else None
    logger.info("connecting to Slack in Socket Mode (no public URL needed)")
    try:
        handler.connect()
    except SlackApiError as error:
        print(f"roombot serve: SLACK_APP_TOKEN: Slack refused the Socket Mode connection "
              f"({error.response.get('error')}); it needs an app-level token (xapp-…) with connections:write",
              file=sys.stderr)
        return_code = 2
    else:
        stop.wait()
        logger.info("stopping: new Slack requests are answered busy; running dispatches get %g s to finish",
                    settings.shutdown_grace)
        lane.stop(wait=False)  # new requests: "busy, nothing was done" (bot.slack.lane)
        time.sleep(ACK_LINGER_SECONDS)  # acks already on their way go out before the connection closes
        return_code = 0
    handler.close()  # Slack sends new requests to the app's other connections
    drain_lane(lane, LANE_DRAIN_SECONDS)
    shut_down(services, grace=settings.shutdown_grace, worker=worker)
    return return_code


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT set ``stop``; a second Ctrl-C interrupts the graceful stop.  Only the main thread can
    install signal handlers: elsewhere (a test serving in a thread) ``stop`` is set by the caller."""
    if threading.current_thread() is not threading.main_thread():
        return

    def handle(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        logger.info("%s received: stopping gracefully", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def _shut_down_connection(session: Any, **_close_options: Any) -> None:
    """Stop a websocket-client ``WebSocketApp`` from another thread without waiting: its reader sees the end
    of the stream at once and tears it down (closing the socket, calling on_close)."""
    session.keep_running = False
    sock = session.sock
    if sock is not None:
        sock.abort()  # shutdown(SHUT_RDWR), not close: the reader's select() must see it


def socket_mode_handler(app: App, app_token: str) -> BaseSocketModeHandler:
    """Bolt's Socket Mode adapter on slack_sdk's websocket-client client, which replaces its connection at once
    on Slack's ``disconnect`` (``refresh_requested``) and on a close.  slack_sdk's built-in client instead
    stalls about 3 s after every ``disconnect`` and takes about a minute to notice a connection that died
    without a close frame.  slack_sdk runs websocket-client without a pong deadline, which would never notice
    such a connection at all: here the client pings every ``SOCKET_PING_INTERVAL`` s and reconnects when a pong
    is ``SOCKET_PONG_TIMEOUT`` s late."""
    from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler
    from slack_sdk.socket_mode.websocket_client import SocketModeClient

    class PongCheckingClient(SocketModeClient):
        def connect(self) -> None:
            # slack_sdk closes the connection it replaces with websocket-client's close(), which waits up to 3 s
            # for the peer's close frame and then closes the socket under the reader thread, whose select() is
            # then never woken: the new connection starts only when that select times out.  Shut the old socket
            # down instead: its reader wakes at once, tears the connection down and lets the new one start.
            replaced = self.current_session
            if replaced is not None:
                replaced.close = functools.partial(_shut_down_connection, replaced)  # type: ignore[method-assign]
            super().connect()

        def _run_current_session(self) -> None:  # slack_sdk's, with ping_timeout
            session = self.current_session
            if session is None:
                return
            try:
                self.logger.info("Starting to receive messages from a new connection")
                session.run_forever(ping_interval=self.ping_interval, ping_timeout=SOCKET_PONG_TIMEOUT)
                self.logger.info("Stopped receiving messages from a connection")
            except Exception as error:  # noqa: BLE001 - as slack_sdk: close it, and the monitor reconnects
                self.logger.warning("the Socket Mode connection failed: %s", type(error).__name__)
                if self.current_session is not None:
                    self.current_session.close()

    class Handler(SocketModeHandler):
        def __init__(self) -> None:  # SocketModeHandler's, with the client above
            self.app = app
            self.app_token = app_token
            self.client = PongCheckingClient(app_token=app_token, logger=app.logger, web_client=app.client,
                                             ping_interval=SOCKET_PING_INTERVAL)
            self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]

    return Handler()


def serve_http(settings: Settings, services: Services, *, threads: int,
               start_worker: WorkerStarter | None = None, environ: Mapping[str, str] | None = None) -> int:
    """gunicorn's worker process answers Slack and hands every request over to the work process, which runs
    the listeners' work, the dispatch engine and the booking worker (``bot.slack.handoff`` says why)."""
    # Imported here: every `roombot` subcommand imports this module to build the parser.
    from bot import metrics
    from bot.cli.serve_work import WRITE_OUT_SECONDS, WorkProcess
    from bot.runtime import engine_of
    from bot.slack.handoff import ForwardingLane, Handoff
    from bot.web import GunicornServer, create_wsgi_app

    master = os.getpid()
    lanes: list[ForwardingLane] = []  # the one made in gunicorn's worker (after the fork)

    def load() -> WSGIApplication:
        # Runs in the forked worker process.  The master never opened a database connection, but if a pool
        # ever holds one, SQLAlchemy's fork recipe drops it without closing the parent's socket.
        # A thread answering Slack waits for the GIL while another holds it: switch more often than CPython's
        # 5 ms so that an acknowledgement is never queued behind a long stretch of other work.
        sys.setswitchinterval(ACK_SWITCH_INTERVAL)
        engine = engine_of(services)
        if engine is not None:
            engine.dispose(close=False)
        services.health_checks["work_process"] = handoff.beating
        lanes.append(ForwardingLane(handoff))
        wsgi = create_wsgi_app(settings, services, lane=lanes[-1])
        # Everything loaded so far lives as long as the process: keep it out of the collector's full passes,
        # which otherwise stop an answer now and then for tens of ms (bench_ack at ten clients: p99 1.7-1.8x a
        # bare Bolt app without this, 0.9-1.3x with it).
        gc.collect()
        gc.freeze()
        return wsgi

    def worker_exit(_server: Any, _worker: Any) -> None:
        # gunicorn calls this in its worker once it has stopped accepting requests (SIGTERM) and answered those
        # it had: what it handed over is written out before the process exits.  (Also in the master.)
        if os.getpid() != master and lanes:
            lanes[0].close(WRITE_OUT_SECONDS)
        close_services(services)

    def when_ready(_server: Any) -> None:
        # In the master, once gunicorn handles signals: if the work process dies, stop serving.
        work.watch(on_death=lambda: os.kill(master, signal.SIGTERM))

    # Before the work process is forked: the metrics directory is emptied of an earlier run's files here.
    options = {**gunicorn_options(settings, threads=threads), "worker_exit": worker_exit, "when_ready": when_ready,
               "logger_class": logsafety.gunicorn_logger_class(settings.log_format),
               **metrics.gunicorn_hooks(os.environ if environ is None else environ)}
    handoff = Handoff()
    # Forked before gunicorn starts, so it holds nothing of gunicorn's (threads, sockets, signal handlers).
    work = WorkProcess(settings, services, handoff, start_worker).start()
    logger.info("serving POST /slack/events and GET /healthz on %s", settings.bind)
    try:
        GunicornServer(load, options).run()
    finally:
        # gunicorn's worker, forked inside run(), leaves through here too (SystemExit): only the master stops
        # the work process.
        if os.getpid() == master:
            work.stop()
            if work.failed:
                raise SystemExit(1)  # the service failed: not gunicorn's exit status 0
    return 0


def gunicorn_options(settings: Settings, *, threads: int) -> dict[str, Any]:
    from bot.runtime import SHUTDOWN_MARGIN_SECONDS

    return {
        "bind": settings.bind,
        # One process answers Slack (the work process is one more, see serve_http): its admission count and
        # the work process are shared, and more answering processes would only compete for the same cores.
        # Scale out with more instances instead.
        "workers": 1,
        "worker_class": "gthread",
        "threads": max(1, threads),
        # Requests return as soon as ack() is called, so a long timeout only matters for stuck sockets.
        "timeout": 60,
        # The graceful stop (bot.runtime.shut_down) takes at most the grace plus the margin; gunicorn kills the
        # serving process after this.
        "graceful_timeout": math.ceil(settings.shutdown_grace + SHUTDOWN_MARGIN_SECONDS),
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "roombot",
        # gunicorn's control socket (a file under ~/.gunicorn) is not needed to run roombot.
        "control_socket_disable": True,
    }
