"""Wire the collaborators of one roombot process: store, secrets, Zoom, dispatch, health checks, Slack handlers.

``build_services(settings)`` is what ``serve``, ``demo`` and the tests call; ``close_services`` releases the
database pool and Zoom's HTTP connections.  Nothing here does network or database I/O: connections open on
first use, so building the services before gunicorn forks its worker is safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import httpx
from sqlalchemy import Engine

from bot.config import Settings
from bot.dispatch.meetings import MeetingService
from bot.dispatch.service import DispatchPolicy, DispatchService
from bot.services import Services, utc_now
from bot.store.crypto import SECRET_KEY_VARIABLE, SecretBox
from bot.store.db import check_connection, create_engine_for_url, session_factory
from bot.zoom import ZoomClient

logger = logging.getLogger(__name__)

def build_services(
    settings: Settings,
    *,
    zoom_transport: httpx.BaseTransport | None = None,
    policy: DispatchPolicy | None = None,
    clock: Callable[[], datetime] = utc_now,
    install_slack: bool = True,
) -> Services:
    """Everything the Slack app, /healthz and the worker share, for ``settings``.

    ``zoom_transport`` plugs an ``httpx`` transport into the Zoom client (tests); ``policy`` tunes the
    dispatch watch (the demo watches a fast simulator more often).  Raises ``ConfigError`` when the secret
    key is missing or unusable.
    """
    secret_box = _secret_box(settings)
    engine = create_engine_for_url(settings.database_url)
    sessions = session_factory(engine)
    zoom = ZoomClient(settings.zoom, zoom_transport)
    # The secret box lets Retry and Join anyway reuse a stated passcode without it ever travelling via Slack.
    dispatcher = DispatchService(zoom, sessions, policy=policy or DispatchPolicy(), secret_box=secret_box)
    services = Services(zoom=zoom, session_factory=sessions, secret_box=secret_box, dispatcher=dispatcher, clock=clock)
    services.meetings = MeetingService(dispatcher)
    services.health_checks["database"] = database_check(engine)
    services.health_checks["zoom"] = zoom_check(zoom)
    if install_slack:
        _install_slack_surfaces(services)
    return services


def close_services(services: Services) -> None:
    """Close Zoom's HTTP client and the database pool; safe to call twice."""
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
    # from_environment gives the one-line ConfigError (naming ROOMBOT_SECRET_KEY) when the key is missing.
    return SecretBox.from_environment({SECRET_KEY_VARIABLE: settings.secret_key or ""})


def _install_slack_surfaces(services: Services) -> None:
    """Register the Slack handlers: dispatch (/room join, new, list, ...) first, then bookings (/room book,
    bookings, cancel), in App Home order."""
    # Imported here: these import Bolt and the dispatch flow, which CLI commands like `roombot rooms list`
    # should not pay for, and they register into `services` rather than at import time.
    import bot.scheduling
    import bot.slack.rooms

    bot.slack.rooms.install(services)
    bot.scheduling.install(services)
