"""WSGI entry point: ``POST /slack/events`` (Bolt), ``GET /healthz`` (for load balancers and monitors) and
``GET /metrics`` (Prometheus; ``bot.metrics``).

Served by gunicorn's threaded worker in production (``roombot serve``) and by a werkzeug server in tests.

Slack's request signature is checked here, before Bolt sees the request (``SlackSignature``), because Bolt's
own check logs the whole body of every request that fails it (one unsigned 10 MB request became one 10 MB
log line, and a stale but genuine request would log its passcode), and answers a timestamp that is not a
number with a traceback and HTTP 200 (slack_sdk's ``int(timestamp)`` raises inside the check).  Here every
bad request gets 401 and one short log line naming the reason; Bolt's check still runs on what passes.

Every answer on ``/slack/events`` is timed (``roombot_slack_ack_duration_seconds``): the listeners only
hand their work on and acknowledge, so this is the time Slack waits for its answer.  ``/metrics`` serves
prometheus_client's exposition of ``bot.metrics.scrape_registry`` (every worker's samples under gunicorn's
multi-process mode) and ``roombot_database_up``, the ``database`` health check run at each scrape.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication
from prometheus_client import make_wsgi_app
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot import metrics
from bot.app import create_app
from bot.config import Settings
from bot.services import HealthCheck, Services

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from bot.slack.lane import Lane

logger = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"
HEALTHZ_PATH = "/healthz"
METRICS_PATH = "/metrics"
HEALTH_CHECK_TIMEOUT_SECONDS = 5.0
SIGNATURE_MAX_AGE_SECONDS = 5 * 60  # Slack's rule, as slack_sdk's SignatureVerifier applies it


def create_wsgi_app(
    settings: Settings,
    services: Services | None = None,
    *,
    client: WebClient | None = None,
    health_check_timeout: float = HEALTH_CHECK_TIMEOUT_SECONDS,
    lane: Lane | None = None,
) -> WSGIApplication:
    """The WSGI app.  ``lane``: where listeners' work goes (default: a ``ListenerLane`` in this process, whose
    dispatches are counted here; `roombot serve` passes a ``ForwardingLane`` and counts them in its work
    process)."""
    services = services if services is not None else Services()
    if lane is None:
        metrics.observe_dispatches(services.dispatcher, services.meetings)  # roombot_dispatches_total
    slack = SlackRequestHandler(create_app(settings, client=client, services=services, lane=lane),
                                path=SLACK_EVENTS_PATH)
    signature = SlackSignature(settings.slack_signing_secret) if settings.slack_signing_secret else None
    return RoombotWsgi(slack, services.health_checks, health_check_timeout=health_check_timeout,
                       signature=signature)


class SlackSignature:
    """Slack's v0 request signature (HMAC-SHA256 of ``v0:<timestamp>:<body>``), checked without raising and
    without logging anything of the request: ``problem()`` names what is wrong, or returns None."""

    def __init__(self, signing_secret: str, *, clock: Callable[[], float] = time.time,
                 max_age: float = SIGNATURE_MAX_AGE_SECONDS) -> None:
        self._secret = signing_secret.encode()
        self._clock = clock
        self._max_age = max_age

    def problem(self, body: bytes, timestamp: str | None, signature: str | None) -> str | None:
        if not timestamp:
            return "no timestamp"
        if not signature:
            return "no signature"
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return "timestamp is not a number"
        if abs(self._clock() - int(timestamp)) > self._max_age:
            return "stale timestamp"
        digest = hmac.new(self._secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        # Compared as bytes: compare_digest refuses str with non-ASCII characters (a header can hold them).
        if not hmac.compare_digest(f"v0={digest}".encode(), signature.encode("utf-8", "replace")):
            return "wrong signature"
        return None


class RoombotWsgi:
    """Routes the three public paths; everything else is 404."""

    def __init__(
        self,
        slack: SlackRequestHandler,
        health_checks: Mapping[str, HealthCheck],
        *,
        health_check_timeout: float,
        signature: SlackSignature | None = None,
    ) -> None:
        self._slack = slack
        self._signature = signature  # None: Bolt's own check only (no signing secret: Socket Mode settings)
        self._health_checks = health_checks  # read on each request, so checks added later are picked up
        self._health_check_timeout = health_check_timeout
        # Checks run in parallel and are abandoned after the timeout, so a hung dependency cannot hang
        # /healthz itself (the stuck thread finishes or stays stuck on its own).
        self._check_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="healthz")
        database_up = metrics.AvailabilityCollector(
            "roombot_database_up", "1 when the database health check passes (SELECT 1), 0 when it fails.",
            lambda: self._passes("database"))
        self._metrics = make_wsgi_app(metrics.scrape_registry([database_up]))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == SLACK_EVENTS_PATH:
            return self._timed(self._slack_events, environ, start_response)
        if path == METRICS_PATH:
            if method != "GET":
                return _respond(start_response, 405, {"error": "GET only"}, extra_headers=[("Allow", "GET")])
            return self._metrics(environ, start_response)
        if path == HEALTHZ_PATH:
            if method not in ("GET", "HEAD"):
                return _respond(start_response, 405, {"error": "GET only"}, extra_headers=[("Allow", "GET, HEAD")])
            status, report = self.health()
            body = _respond(start_response, status, report)
            return [] if method == "HEAD" else body
        return _respond(start_response, 404, {"error": "not found"})

    def _slack_events(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD", "GET") != "POST":
            return _respond(start_response, 405, {"error": "POST only"}, extra_headers=[("Allow", "POST")])
        if self._signature is not None and not self._signature_ok(environ):
            return _respond(start_response, 401, {"error": "invalid request"})
        return self._slack(environ, start_response)

    @staticmethod
    def _timed(app: WSGIApplication, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Run ``app`` and record how long its answer took, by HTTP status (``error`` when it raised)."""
        started = time.monotonic()
        statuses: list[str] = []

        def recording(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], object]:
            statuses.append(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)

        try:
            return app(environ, recording)
        finally:
            metrics.slack_ack(statuses[-1] if statuses else "error", time.monotonic() - started)

    def _passes(self, name: str) -> bool | None:
        """Whether the health check ``name`` passes now (within the timeout); None when there is no such check."""
        check = self._health_checks.get(name)
        if check is None:
            return None
        try:
            return self._check_pool.submit(check).result(timeout=self._health_check_timeout) is not False
        except FutureTimeout:
            return False
        except Exception:
            # Every scrape while the database is down: not a warning each time (/healthz says it, and the gauge).
            logger.debug("health check %s failed during a metrics scrape", name, exc_info=True)
            return False

    def _signature_ok(self, environ: WSGIEnvironment) -> bool:
        """Read the body, check Slack's signature, and leave the body for Bolt to read again."""
        assert self._signature is not None
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        stream = environ.get("wsgi.input")
        body = stream.read(length) if length > 0 and stream is not None else b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        problem = "unreadable Content-Length" if length < 0 else self._signature.problem(
            body, environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"), environ.get("HTTP_X_SLACK_SIGNATURE"))
        if problem is None:
            return True
        # The reason and the size only: the body is whatever the sender chose (or a genuine, stale request
        # with a passcode in it), and the headers are theirs too.
        logger.warning("refused a request to %s: invalid signature (%s; %d-byte body)", SLACK_EVENTS_PATH,
                       problem, len(body))
        return False

    def health(self) -> tuple[int, dict[str, Any]]:
        """``(200, {"status": "ok", ...})`` when every check passes, else ``(503, {"status": "degraded", ...})``."""
        futures = {name: self._check_pool.submit(check) for name, check in dict(self._health_checks).items()}
        checks: dict[str, dict[str, Any]] = {}
        for name, future in futures.items():
            try:
                result = future.result(timeout=self._health_check_timeout)
            except FutureTimeout:
                checks[name] = {"ok": False, "error": f"no answer within {self._health_check_timeout:g}s"}
            except Exception as error:
                # Only the exception type goes out: messages can carry hosts, URLs or credentials.
                logger.warning("health check %s failed", name, exc_info=True)
                checks[name] = {"ok": False, "error": type(error).__name__}
            else:
                checks[name] = {"ok": True} if result is not False else {"ok": False, "error": "check failed"}
        healthy = all(check["ok"] for check in checks.values())
        return (200 if healthy else 503), {"status": "ok" if healthy else "degraded", "checks": checks}


def _respond(
    start_response: StartResponse,
    status: int,
    payload: Mapping[str, Any],
    *,
    extra_headers: Iterable[tuple[str, str]] = (),
) -> list[bytes]:
    body = json.dumps(payload).encode()
    reason = {200: "OK", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
              503: "Service Unavailable"}[status]
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
        *extra_headers,
    ]
    start_response(f"{status} {reason}", headers)
    return [body]


class GunicornServer(BaseApplication):
    """gunicorn run in-process (no command-line parsing), building the WSGI app inside the worker process."""

    def __init__(self, load_wsgi: Callable[[], WSGIApplication], options: Mapping[str, Any]) -> None:
        self._load_wsgi = load_wsgi
        self._options = dict(options)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIApplication:
        # Called after fork, so Bolt's thread pool and HTTP clients are created in the worker itself.
        return self._load_wsgi()
