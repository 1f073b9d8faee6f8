"""Global Bolt middleware: hand settings/services to listeners, and skip Slack's redundant retries.

Bolt runs these after its own request verification and authorization, so an unsigned "retry" is still
rejected with 401 before it gets here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import BoltContext, BoltRequest, BoltResponse

from bot.config import Settings
from bot.services import Services
from bot.slack.lane import LANE_KEY, REQUEST_KEY, Lane
from bot.slack.webclient import pooled_like

logger = logging.getLogger(__name__)

SETTINGS_KEY = "roombot_settings"
SERVICES_KEY = "roombot_services"

# Retry reasons meaning Slack never got an answer from this app for the earlier attempt
# (https://api.slack.com/apis/connections/events-api#retries): the original never ran here, or it failed
# before acknowledging, so the retry is the only delivery that can do the work.
REASONS_TO_PROCESS = frozenset({"connection_failed", "ssl_error", "too_many_redirects", "http_error", "unknown_error"})


def settings_of(context: BoltContext) -> Settings:
    return context[SETTINGS_KEY]


def services_of(context: BoltContext) -> Services:
    return context[SERVICES_KEY]


def provide(settings: Settings, services: Services, lane: Lane) -> Callable[..., BoltResponse | None]:
    """Middleware that puts ``settings`` and ``services`` into every request's context.

    Listeners are plain module-level functions (starter-template style), so this is how they reach the
    per-app collaborators without globals: ``services_of(context)``.
    """

    def provide_roombot_context(context: BoltContext, request: BoltRequest,
                                next: Callable[[], BoltResponse]) -> BoltResponse:
        context[SETTINGS_KEY] = settings
        context[SERVICES_KEY] = services
        context[LANE_KEY] = lane
        context[REQUEST_KEY] = request  # a lane that hands the request on reads it here
        # Bolt's per-request client (with a workflow step's token, if any) over the kept-alive pool.
        context["client"] = pooled_like(context.client)
        return next()

    return provide_roombot_context


def skip_slack_retries(
    request: BoltRequest, next: Callable[[], BoltResponse]
) -> BoltResponse | None:
    """Acknowledge a retried delivery without running listeners again, unless the first attempt never ran.

    Slack retries Events API deliveries (up to 3 times, adding ``X-Slack-Retry-Num`` and
    ``X-Slack-Retry-Reason``) when it got no 2xx within 3 seconds.  This app answers as soon as a listener
    has handed its work to the listener lane, and the work goes on there, so the usual
    reason, ``http_timeout``, means the first attempt *did* reach us and is being (or was) processed —
    running it again would post twice.  Bolt does nothing about this itself (slackapi/bolt-python#731,
    #845).  When Slack reports that the earlier attempt failed to connect or got an error status
    (``REASONS_TO_PROCESS``), the retry is processed normally.  ``X-Slack-No-Retry: 1`` tells Slack to
    stop retrying this delivery.  Socket Mode maps ``retry_attempt``/``retry_reason`` to the same headers.
    """
    retry_num = _first(request.headers.get("x-slack-retry-num"))
    if not retry_num or retry_num == "0":  # Socket Mode's retry_attempt 0 is the first delivery
        return next()
    reason = _first(request.headers.get("x-slack-retry-reason")) or ""
    if reason in REASONS_TO_PROCESS:
        logger.info("processing Slack retry %s (%s): the first attempt did not get through", retry_num, reason)
        return next()
    logger.info("skipping Slack retry %s (%s): the first attempt is being handled", retry_num, reason or "no reason")
    return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})


def _first(values: object) -> str | None:
    """Bolt stores header values as lists of strings."""
    if isinstance(values, (list, tuple)):
        return values[0] if values else None
    return values if isinstance(values, str) else None
