"""``create_app``: the one factory for the Slack (Bolt) application.  No module-level app, no I/O here."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot import logsafety
from bot.config import Settings
from bot.config_errors import ConfigError
from bot.services import Services
from bot.slack import errors, middleware
from bot.slack.lane import Lane, ListenerLane
from bot.slack.listeners import register_listeners
from bot.slack.webclient import PooledWebClient

logger = logging.getLogger(__name__)


class _DropClientTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself and then warns that the token of the client we
    pass wins; it is the same token, so the warning would only alarm operators."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


_BOLT_APP_LOGGER = logging.getLogger("slack_bolt.App")
if not any(isinstance(f, _DropClientTokenWarning) for f in _BOLT_APP_LOGGER.filters):
    _BOLT_APP_LOGGER.addFilter(_DropClientTokenWarning())


def create_app(settings: Settings, *, client: WebClient | None = None, services: Services | None = None,
               lane: Lane | None = None, verify_requests: bool = True) -> App:
    """Build the sync Bolt ``App`` for one workspace.

    * Token and signing secret come from ``settings`` (single workspace, no OAuth install flow).
    * The Web API client talks to ``settings.slack_api_url`` (a local fake in tests) and retries once on
      HTTP 429, honouring ``Retry-After``.
    * ``auth.test`` is not called here (``token_verification_enabled=False``) but on the first request, so
      building the app needs no network; ``roombot check`` verifies the token up front.
    * ``process_before_response=True``: the listener runs in the request's own thread and Slack is answered
      when it returns.  Listeners only hand their work to the listener lane and acknowledge
      (``bot.slack.lane``), so the answer takes microseconds whatever Zoom and the dispatch backlog do, and
      Bolt's 3-second wait for ``ack()`` — which answered "not handled" and then ran the listener anyway
      when its thread pool was busy — is never used.
    * ``verify_requests=False`` only for the work process of `roombot serve`, which gets requests that the
      process answering Slack has verified, over a Unix socket only this user's processes can reach
      (``bot.slack.handoff``); a request can wait there longer than the five minutes a signature is valid.
    * ``raise_error_for_unhandled_request=True`` routes requests nobody handles to the central error
      handler, which answers honestly instead of Slack's generic failure.
    """
    # Escapes, pwd= redaction, body elision and the work's ids on every root handler, in ROOMBOT_LOG_FORMAT.
    logsafety.install(log_format=settings.log_format)
    if not settings.slack_bot_token:
        raise ConfigError("SLACK_BOT_TOKEN", "missing; the Slack app cannot start without a bot token")
    if not settings.slack_signing_secret and not settings.socket_mode:
        # Bolt would only notice at the first request; say it at start-up instead.
        raise ConfigError("SLACK_SIGNING_SECRET", "missing; HTTP mode needs it to verify requests from Slack")
    services = services if services is not None else Services()
    if client is None:
        client = PooledWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))

    elif not client.token:
        raise ValueError("create_app: the WebClient passed in must carry the bot token")

    app = App(
        # The token travels in the client (Bolt takes it from there and warns if both are given).
        signing_secret=settings.slack_signing_secret or "",
        client=client,
        process_before_response=True,
        request_verification_enabled=verify_requests,
        raise_error_for_unhandled_request=True,
        token_verification_enabled=False,
    )
    if app.oauth_flow is not None:
        # Bolt turns on its OAuth install flow by itself when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are in
        # the environment, and then ignores the bot token.  Settings.from_env refuses that too.
        raise ConfigError("SLACK_CLIENT_ID", "unset SLACK_CLIENT_ID and SLACK_CLIENT_SECRET: roombot is a "
                          "single-workspace app and Bolt would ignore SLACK_BOT_TOKEN")
    errors.register(app)
    app.use(middleware.provide(settings, services, lane or ListenerLane()))
    app.use(middleware.skip_slack_retries)
    register_listeners(app)
    for extension in services.slack_extensions:
        extension(app)
    return app
