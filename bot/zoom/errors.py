"""One exception family for everything Zoom says no to.

Every error keeps Zoom's HTTP status, numeric code, message and per-field details (REST ``errors[]`` or
JSON-RPC ``error.data[]``), plus the request as ``METHOD /path`` (never the query string or body), so the
Slack layer can say exactly what went wrong. Exception text never contains a token, client secret or
passcode: messages are passed through ``redact`` with the secrets known at the time of the call.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

REDACTED = "[redacted]"
PASSCODE_RULE = "Zoom Rooms accept passcodes of at most 10 characters from A-Z a-z 0-9 @ - _ *"


@dataclass(frozen=True)
class ZoomFieldError:
    """One entry of Zoom's ``errors[]`` / JSON-RPC ``error.data[]``, e.g. ``params.password: Invalid field.``"""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ZoomError(Exception):
    """Base class: Zoom (or the network on the way to Zoom) refused a request."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        fields: Iterable[ZoomFieldError] = (),
        request: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.code = code
        self.fields: tuple[ZoomFieldError, ...] = tuple(fields)
        self.request = request
        super().__init__(message)

    def __str__(self) -> str:
        where = f" on {self.request}" if self.request else ""
        status = f" HTTP {self.status}" if self.status is not None else ""
        code = f" code {self.code}" if self.code is not None else ""
        detail = f" ({'; '.join(str(f) for f in self.fields)})" if self.fields else ""
        return f"Zoom{status}{code}{where}: {self.message}{detail}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, message={self.message!r}, "
            f"fields={self.fields!r}, request={self.request!r})"
        )

    def field(self, name: str) -> ZoomFieldError | None:
        return next((f for f in self.fields if f.field == name), None)

    def explain(self) -> str:
        """The reason in plain words, for people reading Slack."""
        return self.message or "Zoom refused the request."


class ZoomAuthError(ZoomError):
    """Credentials rejected: bad client id/secret/account, or a token Zoom refused even after one re-auth."""

    def explain(self) -> str:
        if self.code == 124:
            return "Zoom rejected the bot's access token even after a fresh one; check that the Zoom app is activated."
        if self.status == 403:
            return "The Zoom app lacks a scope this needs; add it in the Zoom Marketplace app settings."
        return (
            "Zoom rejected the bot's credentials; check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET "
            "(or ZOOM_API_KEY/ZOOM_API_SECRET)."
        )


class ZoomNotFound(ZoomError):
    """404: unknown user (1001), room (1012) or meeting (3001)."""

    def explain(self) -> str:
        return {
            1001: "Zoom has no such user; check ZOOM_HOST_USER.",
            1012: "Zoom has no room with that id; the room may have been removed (run /room sync).",
            3001: "That meeting does not exist on the bot's Zoom account (ended, deleted or hosted elsewhere).",
        }.get(self.code or 0, self.message or "Zoom could not find it.")


class ZoomValidationError(ZoomError):
    """400 code 300 (REST) or JSON-RPC 32602 ``Validation Failed``; also a room that is offline."""

    def explain(self) -> str:
        if self.field("params.password") or self.field("params.passcode"):
            return f"Zoom rejected the passcode: {PASSCODE_RULE}."
        if "offline" in self.message.lower():
            return "The room is offline in Zoom; check that the Zoom Rooms device is on and connected."
        detail = "; ".join(str(f) for f in self.fields)
        return f"Zoom rejected the request as invalid: {detail or self.message}."


class ZoomRoomOffline(ZoomValidationError):
    """The room is offline (``/events``: 400 code 300 "Zoom Room is offline"; legacy JSON-RPC: an error
    whose message says offline)."""

    def explain(self) -> str:
        return "The room is offline in Zoom; check that the Zoom Rooms device is on and connected."


def _offline(message: str) -> bool:
    return "offline" in message.lower()


class ZoomRateLimited(ZoomError):
    """429. ``daily`` limits (e.g. 100 meeting create/update per host per day) are never retried."""

    def __init__(
        self,
        message: str,
        *,
        category: str | None = None,
        daily: bool = False,
        retry_after: datetime | None = None,
        retry_after_seconds: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.category = category
        self.daily = daily
        self.retry_after = retry_after
        self.retry_after_seconds = retry_after_seconds

    def __repr__(self) -> str:
        return (
            f"{super().__repr__()[:-1]}, category={self.category!r}, daily={self.daily!r}, "
            f"retry_after={self.retry_after!r})"
        )

    def explain(self) -> str:
        if self.daily:
            when = f" after {self.retry_after:%Y-%m-%d %H:%M} UTC" if self.retry_after else " tomorrow (00:00 UTC)"
            return f"Zoom's daily limit for this kind of request is used up; try again{when}."
        return "Zoom is rate-limiting the bot right now; try again in a few seconds."


class ZoomUnavailable(ZoomError):
    """5xx, timeout or connection failure.

    ``maybe_processed`` is False only when Zoom surely never acted on the call (connection refused, connect
    timeout, failure while getting a token): only then is a non-idempotent call such as a room join retried.
    """

    def __init__(self, message: str, *, maybe_processed: bool = True, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.maybe_processed = maybe_processed

    def explain(self) -> str:
        return "Zoom did not answer properly (server error or timeout); try again in a minute."


class ZoomUnsupported(ZoomError):
    """The configured Zoom Rooms API has no such call (the legacy JSON-RPC API cannot join third-party
    meetings). Raised before anything is sent: Zoom was never asked."""

    def __init__(self, message: str, *, protocol: str, method: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.protocol = protocol
        self.method = method

    def explain(self) -> str:
        if "thirdparty" not in self.method:
            return self.message
        return (
            "The bot uses Zoom's legacy Rooms API (ZOOM_ROOMS_API=jsonrpc), which cannot send a room into a "
            "Teams, Google Meet or SIP meeting; set ZOOM_ROOMS_API=events to allow it."
        )


# ---------------------------------------------------------------------------------------------- parsing


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every known secret in ``text``. Very short secrets only match as whole words."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, REDACTED)
        else:
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", REDACTED, text)
    return text


MAX_RETRY_AFTER_SECONDS = 366 * 24 * 3600.0


def parse_retry_after(value: str | None, now: datetime) -> tuple[datetime | None, float | None]:
    """Parse ``Retry-After`` as delta-seconds, ISO-8601 (Zoom's daily limits) or an HTTP-date.

    Returns ``(moment, seconds_from_now)``; both None when absent or unreadable. Past moments give 0 seconds.
    """
    if not value or not value.strip():
        return None, None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        moment = _parse_moment(text)
        if moment is None:
            return None, None
        return moment, max(0.0, (moment - now).total_seconds())
    if not math.isfinite(seconds) or seconds < 0:  # NaN, inf, negative: unreadable
        return None, None
    # An absurd finite wait (1E100) means "not any time soon"; clamp it so the date arithmetic cannot overflow.
    seconds = min(seconds, MAX_RETRY_AFTER_SECONDS)
    return now + timedelta(seconds=seconds), seconds


def _parse_moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _field_errors(items: Any, secrets: Iterable[str | None]) -> tuple[ZoomFieldError, ...]:
    if not isinstance(items, list):
        return ()
    secrets = tuple(secrets)
    return tuple(
        ZoomFieldError(redact(str(item.get("field", "")), secrets), redact(str(item.get("message", "")), secrets))
        for item in items
        if isinstance(item, Mapping)
    )


def error_from_jsonrpc(
    body: Mapping[str, Any], *, status: int, request: str, secrets: Iterable[str | None] = ()
) -> ZoomError:
    """Turn ``{"jsonrpc":"2.0","error":{code,message,data[]}}`` into a ZoomError (32602 → validation)."""
    secrets = tuple(secrets)
    raw_error = body.get("error")
    error = raw_error if isinstance(raw_error, Mapping) else {}
    code = _int_or_none(error.get("code"))
    message = redact(str(error.get("message") or "JSON-RPC error"), secrets)
    fields = _field_errors(error.get("data"), secrets)
    if _offline(message):
        cls: type[ZoomError] = ZoomRoomOffline
    elif code is not None and abs(code) == 32602:
        cls = ZoomValidationError
    else:
        cls = ZoomError
    return cls(message, status=status, code=code, fields=fields, request=request)


def error_from_response(
    status: int,
    body: Any,
    headers: Mapping[str, str],
    *,
    request: str,
    now: datetime,
    secrets: Iterable[str | None] = (),
    oauth: bool = False,
) -> ZoomError:
    """Classify an HTTP error response (REST, OAuth or JSON-RPC body shape) into the ZoomError family."""
    secrets = tuple(secrets)
    body = body if isinstance(body, Mapping) else {}
    if isinstance(body.get("error"), Mapping) and "jsonrpc" in body:
        return error_from_jsonrpc(body, status=status, request=request, secrets=secrets)
    code = _int_or_none(body.get("code"))
    raw_message = body.get("message") or body.get("reason") or body.get("error") or f"HTTP {status}"
    message = redact(str(raw_message), secrets)
    fields = _field_errors(body.get("errors"), secrets)
    common: dict[str, Any] = {"status": status, "code": code, "fields": fields, "request": request}
    if status == 429:
        return _rate_limited(message, headers, now, common)
    if status >= 500:
        return ZoomUnavailable(message, **common)
    if oauth or status in (401, 403):
        return ZoomAuthError(message, **common)
    if status == 404:
        return ZoomNotFound(message, **common)
    if status == 400 and code == 300 and _offline(message):
        return ZoomRoomOffline(message, **common)
    if status == 400 and (code == 300 or fields):
        return ZoomValidationError(message, **common)
    return ZoomError(message, **common)


def _rate_limited(message: str, headers: Mapping[str, str], now: datetime, common: dict[str, Any]) -> ZoomRateLimited:
    lowered = {key.lower(): value for key, value in headers.items()}
    limit_type = (lowered.get("x-ratelimit-type") or "").lower()
    # Real daily 429s may carry neither X-RateLimit-Type nor Retry-After, only the message.
    daily = "daily" in limit_type if limit_type else "daily" in message.lower()
    retry_after, seconds = parse_retry_after(lowered.get("retry-after"), now)
    return ZoomRateLimited(
        message,
        category=(lowered.get("x-ratelimit-category") or None),
        daily=daily,
        retry_after=retry_after,
        retry_after_seconds=seconds,
        **common,
    )
