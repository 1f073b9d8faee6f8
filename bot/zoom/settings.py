"""Zoom connection settings, built from the ``ZOOM_*`` variables by ``bot.config`` (the one reader of the
environment)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.config_errors import ConfigError

RoomsApi = Literal["events", "jsonrpc"]
AuthMode = Literal["s2s", "jwt"]

DEFAULT_API_URL = "https://api.zoom.us/v2"
DEFAULT_OAUTH_URL = "https://zoom.us/oauth/token"
ROOMS_API_CHOICES: tuple[str, ...] = ("events", "jsonrpc")


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
