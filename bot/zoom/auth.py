"""Access tokens for the Zoom REST API: Server-to-Server OAuth (current) and legacy JWT apps.

Both providers are thread-safe and cache their token. ``invalidate(token)`` is how the client reports a
``401 code 124``: only the first report for a given token drops it, so many threads hitting the same
expired token still cause exactly one refresh.

``token()`` may block (an S2S fetch is an HTTP request, and other threads wait on its lock), so async code
calls ``cached()`` first: it never blocks and returns the cached token while it is still valid, or None,
and only then runs ``token()`` in a worker thread (about once an hour).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

import httpx
import jwt

from bot.zoom.errors import ZoomAuthError, ZoomUnavailable, error_from_response
from bot.zoom.settings import ZoomSettings

log = logging.getLogger("bot.zoom")

Clock = Callable[[], float]

# Refresh this long before Zoom's ``expires_in`` runs out (capped at a tenth of the lifetime), so a token
# never expires between being handed out and reaching Zoom.
REFRESH_MARGIN_SECONDS = 120.0
JWT_LIFETIME_SECONDS = 90


class TokenProvider(Protocol):
    def token(self) -> str:
        """A bearer token that is valid now (fetching or minting one if needed)."""
        ...

    def cached(self) -> str | None:
        """The cached token if it is valid now, else None. Never blocks (no I/O, no waiting on a lock)."""
        ...

    def invalidate(self, token: str) -> None:
        """Zoom rejected ``token``; the next ``token()`` call must produce a different one."""
        ...

    def secrets(self) -> tuple[str, ...]:
        """Values to scrub from logs and errors (current token, client secret...)."""
        ...


class _CachedToken:
    """The cache both providers share: one token, replaced at ``refresh_at``, one refresh at a time."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    def _new_token(self) -> tuple[str, float]:
        """A fresh token and the clock reading at which to replace it."""
        raise NotImplementedError

    def _own_secret(self) -> str | None:
        raise NotImplementedError

    def token(self) -> str:
        # Holding the lock across the fetch is the point: one refresh at a time, the others reuse its result.
        with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                self._token, self._refresh_at = self._new_token()
            return self._token

    def cached(self) -> str | None:
        # Not waiting for the lock is the point: while another thread fetches, the caller should wait off-loop.
        if not self._lock.acquire(blocking=False):
            return None
        try:
            if self._token is None or self._clock() >= self._refresh_at:
                return None
            return self._token
        finally:
            self._lock.release()

    def invalidate(self, token: str) -> None:
        with self._lock:
            if self._token == token:
                self._token = None

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self._own_secret(), self._token) if s)


class ServerToServerOAuth(_CachedToken):
    """``grant_type=account_credentials``: client id/secret as HTTP Basic, params as a form body.

    Zoom's S2S tokens last an hour and have no refresh token; a new one is simply requested.
    """

    def __init__(
        self,
        settings: ZoomSettings,
        http: httpx.Client,
        *,
        clock: Clock = time.monotonic,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        if not (settings.account_id and settings.client_id and settings.client_secret):
            raise ValueError("Server-to-Server OAuth needs account_id, client_id and client_secret")
        super().__init__(clock)
        self._settings = settings
        self._http = http
        self._timeout = timeout or httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
        self.fetch_count = 0  # how many tokens this provider has requested (for `roombot check` and tests)

    def __repr__(self) -> str:
        return f"ServerToServerOAuth(account_id={self._settings.account_id!r}, oauth_url={self._settings.oauth_url!r})"

    def _own_secret(self) -> str | None:
        return self._settings.client_secret

    def _new_token(self) -> tuple[str, float]:
        settings = self._settings
        request = "POST /oauth/token"
        secrets = self.secrets()
        try:
            response = self._http.post(
                settings.oauth_url,
                data={"grant_type": "account_credentials", "account_id": settings.account_id or ""},
                auth=httpx.BasicAuth(settings.client_id or "", settings.client_secret or ""),
                headers={"Accept": "application/json"},
                timeout=self._timeout,
            )
        except httpx.TimeoutException as exc:
            raise ZoomUnavailable(f"Zoom token endpoint timed out ({type(exc).__name__})", request=request) from None
        except httpx.TransportError as exc:
            raise ZoomUnavailable(f"Zoom token endpoint unreachable ({type(exc).__name__})", request=request) from None
        body = _json_or_none(response)
        if response.status_code != 200:
            raise error_from_response(
                response.status_code,
                body,
                response.headers,
                request=request,
                now=datetime.now(UTC),
                secrets=secrets,
                oauth=True,
            )
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(token, str) or not token:
            raise ZoomAuthError("Zoom token response had no access_token", status=200, request=request)
        try:
            lifetime = float(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0
        margin = min(REFRESH_MARGIN_SECONDS, lifetime / 10)
        self.fetch_count += 1
        log.info("Zoom S2S OAuth token obtained (valid %.0fs, scopes: %s)", lifetime, body.get("scope", "?"))
        return token, self._clock() + lifetime - margin


class JwtAuth(_CachedToken):
    """Legacy JWT app: an HS256 token ``{iss: api_key, exp: now + 90s}`` signed with the API secret, replaced
    when a third of its lifetime is left.

    Zoom disabled JWT apps in September 2023; this stays for old tenants and for the simulator.
    """

    def __init__(
        self, settings: ZoomSettings, *, clock: Clock = time.time, lifetime: int = JWT_LIFETIME_SECONDS
    ) -> None:
        if not (settings.api_key and settings.api_secret):
            raise ValueError("JWT auth needs api_key and api_secret")
        super().__init__(clock)
        self._settings = settings
        self._lifetime = lifetime

    def __repr__(self) -> str:
        return f"JwtAuth(api_key={self._settings.api_key!r})"

    def _own_secret(self) -> str | None:
        return self._settings.api_secret

    def _new_token(self) -> tuple[str, float]:
        expires_at = int(self._clock()) + self._lifetime
        token = jwt.encode({"iss": self._settings.api_key, "exp": expires_at}, self._settings.api_secret or "",
                           algorithm="HS256", headers={"typ": "JWT"})
        return token, expires_at - self._lifetime / 3


def provider_for(settings: ZoomSettings, http: httpx.Client, *, clock: Clock = time.monotonic) -> TokenProvider:
    """The provider matching ``settings.auth_mode`` (raises ConfigError when no credentials are set)."""
    if settings.auth_mode == "s2s":
        return ServerToServerOAuth(settings, http, clock=clock)
    return JwtAuth(settings)


def _json_or_none(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None
