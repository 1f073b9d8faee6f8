"""Zoom connection settings, read from the environment variables named in SPEC §3."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from bot.config_errors import ConfigError

RoomsApi = Literal["events", "jsonrpc"]
AuthMode = Literal["s2s", "jwt"]

DEFAULT_API_URL = "https://api.zoom.us/v2"
DEFAULT_OAUTH_URL = "https://zoom.us/oauth/token"
ROOMS_API_CHOICES: tuple[str, ...] = ("events", "jsonrpc")

_S2S_VARIABLES = ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET")
_JWT_VARIABLES = ("ZOOM_API_KEY", "ZOOM_API_SECRET")


@dataclass(frozen=True)
class ZoomSettings:
    """Everything the Zoom client needs. Secrets are excluded from ``repr``.

    QPS defaults follow Zoom's Pro plan (Zoom Rooms need Pro or higher); they are deliberately a little
    under the published limits because the limits are shared by every app on the account.
    """

    api_url: str = DEFAULT_API_URL
    oauth_url: str = DEFAULT_OAUTH_URL
    account_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    api_key: str | None = None
    api_secret: str | None = field(default=None, repr=False)
    rooms_api: RoomsApi = "events"
    host_user: str = "me"
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    qps_light: float = 25.0
    qps_medium: float = 15.0
    qps_heavy: float = 8.0
    max_retries: int = 3
    # A QPS 429 whose Retry-After asks for longer than this is raised instead of slept on.
    max_retry_wait: float = 30.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "api_url", self.api_url.rstrip("/"))
        if self.rooms_api not in ROOMS_API_CHOICES:
            raise ValueError(f"rooms_api must be one of {ROOMS_API_CHOICES}, not {self.rooms_api!r}")
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        for name in ("qps_light", "qps_medium", "qps_heavy", "connect_timeout", "read_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")

    @property
    def auth_mode(self) -> AuthMode:
        """``s2s`` when the Server-to-Server OAuth trio is set, else ``jwt`` (legacy)."""
        if self.account_id and self.client_id and self.client_secret:
            return "s2s"
        if self.api_key and self.api_secret:
            return "jwt"
        raise ConfigError(
            "ZOOM_ACCOUNT_ID",
            "Zoom credentials missing: set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET "
            "(Server-to-Server OAuth) or ZOOM_API_KEY and ZOOM_API_SECRET (legacy JWT)",
        )

    def qps_for(self, category: str) -> float:
        """Client-side QPS budget for a Zoom rate-limit category (resource-intensive counts as heavy)."""
        return {"light": self.qps_light, "medium": self.qps_medium}.get(category.lower(), self.qps_heavy)

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in logs or exception text."""
        return tuple(value for value in (self.client_secret, self.api_secret) if value)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, require_credentials: bool = True) -> ZoomSettings:
        """Build settings from ``ZOOM_*`` variables.

        Raises ``ConfigError`` (one line naming the variable, never its value) when credentials are missing,
        half-set or both kinds are set, when ``ZOOM_ROOMS_API`` is not ``events``/``jsonrpc``, or when a URL is
        not http(s).
        """

        def get(name: str) -> str | None:
            value = environ.get(name)
            value = value.strip() if value is not None else None
            return value or None

        s2s = {name: get(name) for name in _S2S_VARIABLES}
        jwt = {name: get(name) for name in _JWT_VARIABLES}
        _check_credentials(s2s, jwt, require_credentials)

        rooms_api = (get("ZOOM_ROOMS_API") or "events").lower()
        if rooms_api not in ROOMS_API_CHOICES:
            raise ConfigError("ZOOM_ROOMS_API", "must be 'events' (current Rooms API) or 'jsonrpc' (legacy)")

        return cls(
            api_url=_url(get("ZOOM_API_URL") or DEFAULT_API_URL, "ZOOM_API_URL"),
            oauth_url=_url(get("ZOOM_OAUTH_URL") or DEFAULT_OAUTH_URL, "ZOOM_OAUTH_URL"),
            account_id=s2s["ZOOM_ACCOUNT_ID"],
            client_id=s2s["ZOOM_CLIENT_ID"],
            client_secret=s2s["ZOOM_CLIENT_SECRET"],
            api_key=jwt["ZOOM_API_KEY"],
            api_secret=jwt["ZOOM_API_SECRET"],
            rooms_api=rooms_api,  # type: ignore[arg-type]  # checked just above
            host_user=get("ZOOM_HOST_USER") or "me",
        )


def _check_credentials(s2s: Mapping[str, str | None], jwt: Mapping[str, str | None], required: bool) -> None:
    any_s2s = any(s2s.values())
    any_jwt = any(jwt.values())
    if any_s2s and any_jwt:
        raise ConfigError(
            "ZOOM_API_KEY",
            "set either Server-to-Server OAuth (ZOOM_ACCOUNT_ID/ZOOM_CLIENT_ID/ZOOM_CLIENT_SECRET) "
            "or legacy JWT (ZOOM_API_KEY/ZOOM_API_SECRET), not both",
        )
    for group, kind in ((s2s, "Server-to-Server OAuth"), (jwt, "legacy JWT")):
        if any(group.values()):
            missing = [name for name, value in group.items() if not value]
            if missing:
                others = ", ".join(name for name in group if name != missing[0])
                raise ConfigError(missing[0], f"missing; {kind} needs it together with {others}")
    if required and not any_s2s and not any_jwt:
        raise ConfigError(
            "ZOOM_ACCOUNT_ID",
            "Zoom credentials missing: set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET "
            "(Server-to-Server OAuth) or ZOOM_API_KEY and ZOOM_API_SECRET (legacy JWT)",
        )


def _url(value: str, variable: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(variable, "must be an http(s) URL, e.g. https://api.zoom.us/v2")
    return value.rstrip("/")
