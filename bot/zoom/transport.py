"""The request pipeline every Zoom call goes through: pacing, auth, one re-auth, error mapping, retries.

Policy (see docs/zoom-client.md):
- Each attempt first waits for the category's client-side rate limiter, then sends with explicit timeouts.
- ``401 code 124`` (token expired/revoked): the token is invalidated and the request re-sent once.
- ``429`` per-second: retried after ``Retry-After`` (seconds or ISO date, jittered) or exponential backoff, as
  long as the wait is at most ``max_retry_wait``; Zoom never acted on the request, so this is safe for every
  call. Daily-limit 429s are raised at once: waiting hours inside a Slack interaction is never right.
- 5xx, timeouts and connection errors: retried with exponential backoff + jitter only when the call is
  idempotent, or when Zoom surely never saw it (connect failure, token fetch failure).
- At most ``max_retries`` retries in total. Retries and backoff use tenacity.

``TransportPolicy`` holds all of that as pure decisions (what to send, how to read an answer, whether and
when to retry); ``ZoomTransport`` (here, over ``httpx.Client``) and ``AsyncZoomTransport`` (``bot.zoom.aclient``,
over ``httpx.AsyncClient``) only add the sending and the waiting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import tenacity

from bot import metrics
from bot.zoom.auth import TokenProvider
from bot.zoom.errors import ZoomError, ZoomRateLimited, ZoomUnavailable, error_from_response
from bot.zoom.ratelimit import CategoryRateLimiter
from bot.zoom.settings import ZoomSettings

log = logging.getLogger("bot.zoom")

Sleep = Callable[[float], None]

# First backoff after a 5xx/timeout; doubled each retry, capped, plus up to BACKOFF_JITTER random seconds.
BACKOFF_INITIAL = 0.5
BACKOFF_MAX = 8.0
BACKOFF_JITTER = 0.5
# Added on top of Retry-After so that many waiting threads do not all return in the same instant.
RETRY_AFTER_JITTER = 0.25


@dataclass(frozen=True)
class ZoomCall:
    """One logical Zoom API call (possibly sent several times)."""

    method: str
    path: str  # relative to the API base URL, already percent-encoded, no query string
    category: str  # Zoom rate-limit label: light / medium / heavy
    idempotent: bool
    params: Mapping[str, Any] | None = None
    json: Any = field(default=None, repr=False)  # may hold a passcode
    secrets: tuple[str, ...] = field(default=(), repr=False)  # per-call values to scrub from errors, e.g. a passcode

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def http_timeout(settings: ZoomSettings) -> httpx.Timeout:
    """The explicit per-request timeouts every Zoom request is sent with."""
    return httpx.Timeout(
        connect=settings.connect_timeout,
        read=settings.read_timeout,
        write=settings.read_timeout,
        pool=settings.connect_timeout,
    )


class TransportPolicy:
    """Everything about sending a ``ZoomCall`` except the I/O: request shape, error mapping, secrets, retry
    rules. Shared by the sync and the async transport so the two can never drift apart."""

    def __init__(self, settings: ZoomSettings, auth: TokenProvider, limiter: CategoryRateLimiter) -> None:
        self.settings = settings
        self.auth = auth
        self.limiter = limiter
        self.timeout = http_timeout(settings)

    # ------------------------------------------------------------------------------------------ requests

    def request_args(self, call: ZoomCall, token: str) -> dict[str, Any]:
        """Keyword arguments for ``httpx.Client.request`` / ``httpx.AsyncClient.request``."""
        return {
            "method": call.method,
            "url": self.settings.api_url + call.path,
            "params": _clean_params(call.params),
            "json": call.json,
            "headers": {"Authorization": f"Bearer {token}", "Accept": "application/json"},
            "timeout": self.timeout,
        }

    def needs_reauth(self, response: httpx.Response) -> bool:
        """``401 code 124``: the token expired or was revoked; get a new one and send exactly once more."""
        return response.status_code == 401 and _zoom_code(response) == 124

    def log_reauth(self, call: ZoomCall) -> None:
        log.info("Zoom %s: access token rejected (code 124); re-authenticating once", call.label)

    def log_response(self, call: ZoomCall, response: httpx.Response | None, started: float) -> None:
        """Log and count (``bot.metrics``) one request's answer; ``response`` None: it got no HTTP answer."""
        seconds = time.monotonic() - started
        status = response.status_code if response is not None else None
        metrics.zoom_request(call.category, call.method, call.path, status, seconds)
        if response is not None:
            log.debug("Zoom %s -> %s (%.0f ms)", call.label, status, seconds * 1000)

    def check(self, call: ZoomCall, response: httpx.Response) -> httpx.Response:
        """The response when it is a success; raises its ``ZoomError`` otherwise."""
        if response.status_code >= 400:
            raise self._error(call, response)
        return response

    def token_failed(self, exc: ZoomUnavailable) -> ZoomUnavailable:
        """A token fetch failure: the API call itself was never sent, so even a room join may be retried."""
        return ZoomUnavailable(
            exc.message, status=exc.status, code=exc.code, request=exc.request, maybe_processed=False
        )

    def transport_failed(self, call: ZoomCall, exc: httpx.TransportError) -> ZoomUnavailable:
        """The ``ZoomUnavailable`` for an httpx failure; ``maybe_processed`` says whether Zoom may have acted."""
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
            return ZoomUnavailable(
                f"could not connect to Zoom ({type(exc).__name__})", request=call.label, maybe_processed=False
            )
        if isinstance(exc, httpx.TimeoutException):
            return ZoomUnavailable(f"Zoom did not answer in time ({type(exc).__name__})", request=call.label)
        return ZoomUnavailable(f"connection to Zoom failed ({type(exc).__name__})", request=call.label)

    def _error(self, call: ZoomCall, response: httpx.Response) -> ZoomError:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        error = error_from_response(
            response.status_code,
            body,
            response.headers,
            request=call.label,
            now=_server_now(response),
            secrets=self.secrets(call.secrets),
        )
        if isinstance(error, ZoomRateLimited) and not error.daily:
            error.category = error.category or call.category
            if error.retry_after_seconds:
                # Other threads sending in this category would only collect more 429s meanwhile.
                self.limiter.pause(error.category, error.retry_after_seconds)
        return error

    def secrets(self, extra: Iterable[str] = ()) -> tuple[str, ...]:
        return (*self.settings.secrets(), *self.auth.secrets(), *extra)

    # ------------------------------------------------------------------------------------------ retries

    def retry_args(self, call: ZoomCall) -> dict[str, Any]:
        """Keyword arguments for ``tenacity.Retrying`` / ``tenacity.AsyncRetrying`` (all but ``sleep``)."""
        return {
            "stop": tenacity.stop_after_attempt(self.settings.max_retries + 1),
            "retry": tenacity.retry_if_exception(lambda exc: self._should_retry(call, exc)),
            "wait": self._wait,
            "before_sleep": lambda state: self._log_retry(call, state),
            "reraise": True,
        }

    def _should_retry(self, call: ZoomCall, exc: BaseException) -> bool:
        if isinstance(exc, ZoomRateLimited):
            if exc.daily:
                return False
            return exc.retry_after_seconds is None or exc.retry_after_seconds <= self.settings.max_retry_wait
        if isinstance(exc, ZoomUnavailable):
            return call.idempotent or not exc.maybe_processed
        return False

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, ZoomRateLimited) and exc.retry_after_seconds is not None:
            return exc.retry_after_seconds + tenacity.wait_random(0, RETRY_AFTER_JITTER)(state)
        backoff = tenacity.wait_exponential_jitter(multiplier=BACKOFF_INITIAL, max=BACKOFF_MAX, jitter=BACKOFF_JITTER)
        return backoff(state)

    def _log_retry(self, call: ZoomCall, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "Zoom %s failed (%s); retry %d/%d in %.1fs",
            call.label,
            exc,
            state.attempt_number,
            self.settings.max_retries,
            wait,
        )


class ZoomTransport(TransportPolicy):
    """Sends ``ZoomCall``s over ``httpx.Client``. Shared by ``ZoomClient`` and the room-control implementations."""

    def __init__(
        self,
        settings: ZoomSettings,
        http: httpx.Client,
        auth: TokenProvider,
        limiter: CategoryRateLimiter,
        *,
        sleep: Sleep = time.sleep,
    ) -> None:
        super().__init__(settings, auth, limiter)
        self.http = http
        self._sleep = sleep

    def send(self, call: ZoomCall) -> httpx.Response:
        """Send ``call`` under the retry policy; returns a 2xx response or raises a ZoomError."""
        retrying = tenacity.Retrying(sleep=self._sleep, **self.retry_args(call))
        return retrying(self._attempt, call)

    def _attempt(self, call: ZoomCall) -> httpx.Response:
        self.limiter.acquire(call.category)
        token = self._token()
        response = self._send_once(call, token)
        if self.needs_reauth(response):
            self.log_reauth(call)
            self.auth.invalidate(token)
            response = self._send_once(call, self._token())
        return self.check(call, response)

    def _token(self) -> str:
        try:
            return self.auth.token()
        except ZoomUnavailable as exc:
            raise self.token_failed(exc) from None

    def _send_once(self, call: ZoomCall, token: str) -> httpx.Response:
        started = time.monotonic()
        try:
            response = self.http.request(**self.request_args(call, token))
        except httpx.TransportError as exc:
            self.log_response(call, None, started)
            raise self.transport_failed(call, exc) from None
        self.log_response(call, response, started)
        return response


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not params:
        return None
    cleaned: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        cleaned[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return cleaned


def _zoom_code(response: httpx.Response) -> int | None:
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, int) else None


def _server_now(response: httpx.Response) -> datetime:
    """Zoom's idea of "now" (the Date header), so an ISO Retry-After is measured on Zoom's clock."""
    date = response.headers.get("date")
    if date:
        try:
            moment = parsedate_to_datetime(date)
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except (TypeError, ValueError, IndexError):
            pass
    return datetime.now(UTC)
