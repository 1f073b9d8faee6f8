"""Wire the collaborators of one roombot process: store, secrets, Zoom, dispatch, health checks, Slack handlers.

``build_services(settings)`` is what ``serve``, ``demo`` and the tests call; ``close_services`` releases the
database pool and Zoom's HTTP connections, and ``shut_down`` is the graceful stop on SIGTERM (``roombot serve``
and ``roombot worker``).  Nothing here does network or database I/O: connections open on first use, so
building the services before gunicorn forks its worker is safe.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.dispatch.engine import DEFAULT_BLOCKING_THREADS, DispatchEngine
from bot.dispatch.meetings import MeetingService
from bot.dispatch.service import DispatchPolicy, DispatchService
from bot.dispatch.status_board import RoomStatusBoard
from bot.services import Services, utc_now
from bot.slack.wording import describe
from bot.store.crypto import SecretBox
from bot.store.db import DEFAULT_POOL_SIZE, check_connection, create_engine_for_url, session_factory
from bot.zoom import ZoomClient, ZoomSettings
from bot.zoom.aclient import AsyncZoomClient

logger = logging.getLogger(__name__)

STATUS_LISTING_INTERVAL = 1.0  # the shared room-status listing is taken at most once a second


@dataclass
class DispatchParts:
    """The dispatch engine and what runs on it, built together so their sizes agree."""

    engine: DispatchEngine
    zoom: AsyncZoomClient
    board: RoomStatusBoard
    dispatcher: DispatchService
    meetings: MeetingService

    def close(self, timeout: float = 30.0, *, cut_short: Callable[[], object] | None = None) -> int:
        """Let accepted dispatches finish (within ``timeout``), close Zoom's connections on the loop that
        opened them, stop the engine; returns how many dispatches could not finish.

        Those still running after ``timeout`` are cut short, not killed: ``cut_short`` runs first (the booking
        worker hands its claims over), then the dispatcher stops watching, so each one records and reports
        what it knows (``DispatchService.stop_watching``) before the engine stops."""
        if not self.engine.started:
            return 0

        def stop_waiting() -> None:
            if cut_short is not None:
                cut_short()
            self.dispatcher.stop_watching()

        unfinished = self.engine.drain(timeout, cut_short=stop_waiting)
        try:
            self.engine.run(self.zoom.aclose(), timeout=5)
        except Exception:
            logger.debug("closing the async Zoom client failed", exc_info=True)
        self.engine.stop(timeout=0)
        return unfinished


QUEUE_SECONDS = 60.0  # a burst may wait this long for its turn at Zoom's rate limit and still be in flight


def engine_capacity(zoom: ZoomSettings, policy: DispatchPolicy) -> int:
    """Dispatches in flight at once: enough to keep the Medium rate limit busy through a burst that queues for
    a minute at the limiter and then waits the whole watch (each needs at least one Medium request, its join).
    A waiting dispatch costs a coroutine, not a thread."""
    return max(32, int(zoom.qps_medium * (policy.watch_timeout + QUEUE_SECONDS)))


def build_dispatch(zoom_settings: ZoomSettings, sessions: sessionmaker[Session], secret_box: SecretBox | None, *,
                   policy: DispatchPolicy | None = None, transport: httpx.AsyncBaseTransport | None = None,
                   status_listing_interval: float = STATUS_LISTING_INTERVAL, max_in_flight: int | None = None,
                   max_queued: int | None = None) -> DispatchParts:
    policy = policy or DispatchPolicy()
    capacity = max_in_flight or engine_capacity(zoom_settings, policy)
    engine = DispatchEngine(max_in_flight=capacity, max_queued=2 * capacity if max_queued is None else max_queued,
                            blocking_threads=DEFAULT_BLOCKING_THREADS)
    zoom = AsyncZoomClient(zoom_settings, transport)
    # The board refreshes at most every ``status_listing_interval``: poll the watch as often, not more.
    board = RoomStatusBoard(zoom, min_interval=status_listing_interval, max_age=2 * status_listing_interval)
    # The audit trail and the booking worker keep reasons in the words the channel was told.
    dispatcher = DispatchService(zoom, board, sessions, policy=policy, secret_box=secret_box, describe=describe)
    return DispatchParts(engine, zoom, board, dispatcher, MeetingService(dispatcher, zoom))


def build_services(
    settings: Settings,
    *,
    zoom_transport: httpx.BaseTransport | None = None,
    zoom_async_transport: httpx.AsyncBaseTransport | None = None,
    policy: DispatchPolicy | None = None,
    clock: Callable[[], datetime] = utc_now,
    install_slack: bool = True,
    pool_size: int = DEFAULT_POOL_SIZE,
) -> Services:
    """Everything the Slack app, /healthz and the worker share, for ``settings``.

    ``zoom_transport`` plugs an ``httpx`` transport into the Zoom client (tests); ``policy`` tunes the
    dispatch watch (the demo watches a fast simulator more often); ``pool_size`` is the database pool's size
    (serve passes ``bot.store.db.pool_size_for`` its request threads).  Raises ``ConfigError`` when the secret
    key is missing or unusable.
    """
    secret_box = _secret_box(settings)
    engine = create_engine_for_url(settings.database_url, pool_size=pool_size)
    sessions = session_factory(engine)
    # The secret box lets Retry and Join anyway reuse a stated passcode without it ever travelling via Slack.
    parts = build_dispatch(settings.zoom, sessions, secret_box, policy=policy, transport=zoom_async_transport)
    # Admin commands and health checks use the sync client: it paces against the same account budget.
    zoom = ZoomClient(settings.zoom, zoom_transport, limiter=parts.zoom.limiter)
    services = Services(zoom=zoom, session_factory=sessions, secret_box=secret_box, engine=parts.engine,
                        dispatcher=parts.dispatcher, meetings=parts.meetings, clock=clock)
    services.dispatch_parts = parts
    services.health_checks["database"] = database_check(engine)
    services.health_checks["zoom"] = zoom_check(zoom)
    if install_slack:
        _install_slack_surfaces(services)
    return services


class ClaimHolder(Protocol):
    """What ``shut_down`` needs of the booking worker (``bot.scheduling.worker.BookingWorker``)."""

    def stop_claiming(self) -> None: ...

    def retire(self) -> int: ...

    def release(self) -> int: ...


# Beyond the grace, a stop takes at most this long: cut-short dispatches report (CUT_SHORT_SETTLE_SECONDS),
# stragglers are cancelled, Zoom's connections close, the claims are given back.  gunicorn's graceful_timeout
# and a supervisor's stop timeout must be at least the grace plus this (docs/production.md).
SHUTDOWN_MARGIN_SECONDS = 30.0


def shut_down(services: Services, *, grace: float, worker: ClaimHolder | None = None) -> int:
    """Stop this process's work in order (SIGTERM); returns how many dispatches did not finish on their own.

    1. The booking worker stops claiming (its leases on running dispatches are still renewed).
    2. The engine refuses new work (Slack is told nothing was done) and running dispatches get ``grace`` seconds.
    3. Those still running are cut short: the worker first moves its claims out of their reach (so none is
       finished as failed), then every watch ends as unconfirmed — audited, and the channel told the bot
       restarted before it could confirm — and a join not yet sent is refused instead.
    4. The claims are given back (scheduled again), so another instance takes them over at once; its runner
       sees each occurrence's join marker and re-checks the room before sending anything.
    5. Zoom's clients and the database pool are closed.
    """
    started = time.monotonic()
    if worker is not None:
        worker.stop_claiming()
    parts = services.dispatch_parts
    unfinished = 0
    if parts is not None:
        unfinished = parts.close(grace, cut_short=worker.retire if worker is not None else None)
    released = worker.release() if worker is not None else 0
    close_services(services)
    logger.info("stopped in %.1f s: %d dispatches cut short, %d booking claims given back to other workers",
                time.monotonic() - started, unfinished, released)
    return unfinished


def close_services(services: Services) -> None:
    """Stop the dispatch engine, close Zoom's HTTP clients and the database pool; safe to call twice."""
    parts = services.dispatch_parts
    if parts is not None:
        parts.close()
    if services.zoom is not None:
        services.zoom.close()
    engine = engine_of(services)
    if engine is not None:
        engine.dispose()


def engine_of(services: Services) -> Engine | None:
    sessions = services.session_factory
    bind = getattr(sessions, "kw", {}).get("bind") if sessions is not None else None
    return bind if isinstance(bind, Engine) else None


def database_check(engine: Engine) -> Callable[[], None]:
    def check() -> None:
        # SELECT 1 on a pooled connection: cheap, and it fails fast when the server is gone.
        check_connection(engine)

    return check


def zoom_check(zoom: ZoomClient) -> Callable[[], None]:
    def check() -> None:
        # The token provider caches its token until shortly before it expires, so after the first call this
        # costs nothing: /healthz must not spend the account's Zoom rate limits.
        zoom.check_auth()

    return check


def _secret_box(settings: Settings) -> SecretBox:
    # from_key gives the one-line ConfigError (naming ROOMBOT_SECRET_KEY) when the key is missing.
    return SecretBox.from_key(settings.secret_key)


def _install_slack_surfaces(services: Services) -> None:
    """Register the Slack handlers: dispatch (/room join, new, list, ...) first, then bookings (/room book,
    bookings, cancel), in App Home order."""
    # Imported here: these import Bolt and the dispatch flow, which CLI commands like `roombot rooms list`
    # should not pay for, and they register into `services` rather than at import time.
    import bot.slack.bookings
    import bot.slack.rooms

    bot.slack.rooms.install(services)
    bot.slack.bookings.install(services)
