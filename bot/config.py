"""Process-wide settings, read once from the environment (the variables are listed in docs/configuration.md).

This module is the only reader of the environment: ``Settings.from_env`` (Slack, database, secrets, Zoom, the
booking worker) and :func:`migrations_dir_override`.  Every problem is reported as a
``ConfigError`` whose text is one line starting with the variable to fix (start-up code prints it and
exits 2), and never contains the variable's value, because most of these values are secrets.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from bot.config_errors import ConfigError
from bot.zoom.settings import DEFAULT_API_URL, DEFAULT_OAUTH_URL, RoomsApi, ZoomSettings

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
# Relative on purpose: SPEC §3 says "SQLite file in the working directory", i.e. wherever roombot runs.
DEFAULT_DATABASE_URL = "sqlite:///roombot.sqlite3"
DEFAULT_PORT = 3000
DEFAULT_HOST = "0.0.0.0"  # every interface: behind a load balancer or TLS proxy
MIGRATIONS_DIR_VARIABLE = "ROOMBOT_MIGRATIONS_DIR"  # Alembic scripts somewhere other than the installed ones
# On SIGTERM, running dispatches get this long to finish on their own before their watches are cut short.
DEFAULT_SHUTDOWN_GRACE_SECONDS = 30.0
MAX_SHUTDOWN_GRACE_SECONDS = 600.0

# Booking worker: a claim this old whose worker went quiet is taken over; a lease must outlast several polls
# (and renewals, every third of a lease).
DEFAULT_LEASE = timedelta(minutes=3)
LEASE_TO_POLL_RATIO = 3.0
MIN_LEASE_SECONDS = 3.0

# ROOMBOT_LOG_FORMAT: `text` (one human line per record, the default) or `json` (one JSON object per line).
LogFormat = Literal["text", "json"]
DEFAULT_LOG_FORMAT: LogFormat = "text"

_S2S_VARIABLES = ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET")
_JWT_VARIABLES = ("ZOOM_API_KEY", "ZOOM_API_SECRET")

# Slack user ids: U… for ordinary users, W… for Enterprise Grid users.
_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class Settings:
    """Validated configuration.  ``repr`` shows which secrets are set, never their values."""

    slack_signing_secret: str | None = None
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str | None = None
    admins: frozenset[str] = frozenset()
    port: int = DEFAULT_PORT
    host: str = DEFAULT_HOST
    zoom: ZoomSettings = field(default_factory=ZoomSettings)
    log_format: LogFormat = DEFAULT_LOG_FORMAT  # ROOMBOT_LOG_FORMAT (bot.logsafety applies it)
    shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE_SECONDS  # ROOMBOT_SHUTDOWN_GRACE_SECONDS (docs/production.md)

    @property
    def bind(self) -> str:
        """``host:port`` for gunicorn (an IPv6 address in brackets)."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def socket_mode(self) -> bool:
        """Socket Mode (no public URL needed) when an app-level token is configured; HTTP mode otherwise."""
        return self.slack_app_token is not None

    def is_admin(self, slack_user_id: str | None) -> bool:
        return slack_user_id is not None and slack_user_id in self.admins

    def secrets(self) -> tuple[str, ...]:
        """Every secret value, so log scrubbing and leak tests can look for them."""
        own = (self.slack_signing_secret, self.slack_bot_token, self.slack_app_token, self.secret_key)
        return tuple(value for value in own if value) + self.zoom.secrets()

    def __repr__(self) -> str:
        def secret(value: str | None) -> str:
            return "'***'" if value else "None"

        return (
            "Settings("
            f"slack_signing_secret={secret(self.slack_signing_secret)}, "
            f"slack_bot_token={secret(self.slack_bot_token)}, "
            f"slack_app_token={secret(self.slack_app_token)}, "
            f"slack_api_url={self.slack_api_url!r}, "
            f"database_url={redact_url_password(self.database_url)!r}, "
            f"secret_key={secret(self.secret_key)}, "
            f"admins={sorted(self.admins)!r}, "
            f"port={self.port!r}, host={self.host!r}, "
            f"zoom={self.zoom!r}, log_format={self.log_format!r})"
        )

    __str__ = __repr__

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str],
        *,
        require_slack: bool,
        require_secret_key: bool,
        require_zoom: bool = True,
    ) -> Settings:
        """Read and validate every setting; raise ``ConfigError`` naming the first bad variable.

        ``require_slack`` is for ``serve``/``check``; ``require_secret_key`` is false only for ``demo``,
        which makes up its own key; without ``require_zoom`` Zoom credentials may be missing.
        """
        get = _reader(environ)

        signing_secret = get("SLACK_SIGNING_SECRET")
        bot_token = get("SLACK_BOT_TOKEN")
        app_token = get("SLACK_APP_TOKEN")
        if require_slack:
            if bot_token is None:
                raise ConfigError(
                    "SLACK_BOT_TOKEN",
                    "missing; copy the Bot User OAuth Token (xoxb-…) from the Slack app's OAuth & Permissions page",
                )
            if signing_secret is None:
                raise ConfigError(
                    "SLACK_SIGNING_SECRET",
                    "missing; copy the Signing Secret from the Slack app's Basic Information page",
                )
        if bot_token is not None and not bot_token.startswith("xoxb-"):
            raise ConfigError(
                "SLACK_BOT_TOKEN",
                "must be a bot token starting with xoxb- (user tokens xoxp- and app tokens xapp- do not work here)",
            )
        if app_token is not None and not app_token.startswith("xapp-"):
            raise ConfigError(
                "SLACK_APP_TOKEN",
                "must be an app-level token starting with xapp- (with connections:write), or unset for HTTP mode",
            )

        if get("SLACK_CLIENT_ID") and get("SLACK_CLIENT_SECRET"):
            # Bolt would silently switch to its multi-workspace OAuth flow and ignore SLACK_BOT_TOKEN.
            raise ConfigError(
                "SLACK_CLIENT_ID",
                "unset SLACK_CLIENT_ID and SLACK_CLIENT_SECRET: roombot is a single-workspace app "
                "and uses SLACK_BOT_TOKEN",
            )

        secret_key = get("ROOMBOT_SECRET_KEY")
        if require_secret_key and secret_key is None:
            raise ConfigError(
                "ROOMBOT_SECRET_KEY",
                "missing; it encrypts stored passcodes (generate one with: "
                'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")',
            )

        return cls(
            slack_signing_secret=signing_secret,
            slack_bot_token=bot_token,
            slack_app_token=app_token,
            slack_api_url=_slack_api_url(get("SLACK_API_URL") or DEFAULT_SLACK_API_URL),
            database_url=_database_url(get("DATABASE_URL") or DEFAULT_DATABASE_URL),
            secret_key=secret_key,
            admins=_admins(environ.get("ROOMBOT_ADMINS", "")),
            port=_port(get("PORT")),
            host=_host(get("HOST")),
            zoom=zoom_settings_from_env(environ, require_credentials=require_zoom),
            log_format=_log_format(get("ROOMBOT_LOG_FORMAT")),
            shutdown_grace=_shutdown_grace(get("ROOMBOT_SHUTDOWN_GRACE_SECONDS")),
        )


def database_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """Only ``DATABASE_URL`` (for ``roombot migrate`` and the plain ``alembic`` command), checked as in Settings."""
    value = _reader(os.environ if environ is None else environ)("DATABASE_URL")
    return _database_url(value or DEFAULT_DATABASE_URL)


def migrations_dir_override(environ: Mapping[str, str] | None = None) -> str | None:
    """``ROOMBOT_MIGRATIONS_DIR``: where the Alembic scripts are when not in the installed package."""
    return _reader(os.environ if environ is None else environ)(MIGRATIONS_DIR_VARIABLE)


def zoom_settings_from_env(environ: Mapping[str, str], *, require_credentials: bool = True) -> ZoomSettings:
    """Build Zoom's settings from the ``ZOOM_*`` variables.

    Raises ``ConfigError`` (one line naming the variable, never its value) when credentials are missing,
    half-set or both kinds are set, when ``ZOOM_ROOMS_API`` is not ``events``/``jsonrpc``, or when a URL is
    not http(s).
    """
    get = _reader(environ)
    s2s = {name: get(name) for name in _S2S_VARIABLES}
    jwt = {name: get(name) for name in _JWT_VARIABLES}
    _check_credentials(s2s, jwt, require_credentials)
    rooms_api = _rooms_api(get("ZOOM_ROOMS_API") or "events")
    return ZoomSettings(
        api_url=_url(get("ZOOM_API_URL") or DEFAULT_API_URL, "ZOOM_API_URL"),
        oauth_url=_url(get("ZOOM_OAUTH_URL") or DEFAULT_OAUTH_URL, "ZOOM_OAUTH_URL"),
        account_id=s2s["ZOOM_ACCOUNT_ID"],
        client_id=s2s["ZOOM_CLIENT_ID"],
        client_secret=s2s["ZOOM_CLIENT_SECRET"],
        api_key=jwt["ZOOM_API_KEY"],
        api_secret=jwt["ZOOM_API_SECRET"],
        rooms_api=rooms_api,
        host_user=get("ZOOM_HOST_USER") or "me",
    )


def _reader(environ: Mapping[str, str]) -> Callable[[str], str | None]:
    """A variable's value stripped of surrounding blanks, or None when unset or blank."""

    def get(name: str) -> str | None:
        value = environ.get(name)
        value = value.strip() if value is not None else None
        return value or None

    return get


def _rooms_api(value: str) -> RoomsApi:
    lowered = value.lower()
    if lowered == "events":
        return "events"
    if lowered == "jsonrpc":
        return "jsonrpc"
    raise ConfigError("ZOOM_ROOMS_API", "must be 'events' (current Rooms API) or 'jsonrpc' (legacy)")


def _minutes(environ: Mapping[str, str], name: str, default: float) -> timedelta:
    raw = environ.get(name, "").strip()
    if not raw:
        return timedelta(minutes=default)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, "must be a number of minutes, like 10") from None
    if value < 0:
        raise ConfigError(name, "must not be negative")
    return timedelta(minutes=value)


@dataclass(frozen=True)
class WorkerConfig:
    grace: timedelta = timedelta(minutes=10)  # later than this: skipped and reported, never joined late
    reminder_lead: timedelta = timedelta(minutes=10)  # the channel's reminder comes this long before
    lease: timedelta = DEFAULT_LEASE  # a claim this old whose worker went quiet is taken over
    poll_interval: float = 1.0  # seconds between looks at the database
    concurrency: int = 0  # dispatches in flight per worker; 0: enough to keep Zoom's Medium limit busy
    materialise_every: float = 300.0  # seconds between top-ups of recurring bookings
    meeting_fallback_lead: timedelta = timedelta(minutes=2)  # `new` meetings the reminder did not create

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> WorkerConfig:
        """``ROOMBOT_BOOKING_GRACE_MINUTES`` (10), ``ROOMBOT_BOOKING_REMINDER_MINUTES`` (10),
        ``ROOMBOT_WORKER_CONCURRENCY`` (from the Zoom rate limit), ``ROOMBOT_WORKER_POLL_SECONDS`` (1)."""
        concurrency = environ.get("ROOMBOT_WORKER_CONCURRENCY", "").strip()
        poll = environ.get("ROOMBOT_WORKER_POLL_SECONDS", "").strip()
        if concurrency and not (concurrency.isdigit() and int(concurrency) > 0):
            raise ConfigError("ROOMBOT_WORKER_CONCURRENCY", "must be a positive whole number")
        try:
            poll_interval = float(poll) if poll else 1.0
        except ValueError:
            raise ConfigError("ROOMBOT_WORKER_POLL_SECONDS", "must be a number of seconds, like 1") from None
        return cls(grace=_minutes(environ, "ROOMBOT_BOOKING_GRACE_MINUTES", 10),
                   reminder_lead=_minutes(environ, "ROOMBOT_BOOKING_REMINDER_MINUTES", 10),
                   concurrency=int(concurrency) if concurrency else 0, poll_interval=max(0.05, poll_interval))

    def check(self, name: str = "--lease-seconds") -> WorkerConfig:
        """Refuse settings under which a live worker's claims could look abandoned (one line, at start)."""
        lease = self.lease.total_seconds()
        if lease < LEASE_TO_POLL_RATIO * self.poll_interval or lease < MIN_LEASE_SECONDS:
            raise ConfigError(name, f"the lease ({lease:g} s) must be at least {MIN_LEASE_SECONDS:.0f} s and "
                              f"{LEASE_TO_POLL_RATIO:.0f}× the poll interval ({self.poll_interval:g} s), or a busy "
                              "worker's claims would be taken over while it still works on them")
        return self

    def slots(self, medium_qps: float) -> int:
        # A dispatch holds its slot for a few seconds (pre-flight, join, watching the room join) while it
        # spends about one Medium request; three seconds' worth of the rate limit keeps Zoom busy.
        return self.concurrency or max(8, int(medium_qps * 3))


def redact_url_password(url: str) -> str:
    """``postgresql://bot:pw@db/x`` → ``postgresql://bot:***@db/x``, for logs and ``repr``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hostinfo}"))


def _slack_api_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError("SLACK_API_URL", "must be an http(s) URL such as https://slack.com/api/")
    # slack_sdk appends the method name to the base URL, so the trailing slash is significant.
    return value if value.endswith("/") else value + "/"


def _database_url(value: str) -> str:
    if "://" not in value:
        raise ConfigError(
            "DATABASE_URL",
            "must be an SQLAlchemy URL such as sqlite:///roombot.sqlite3 or postgresql+psycopg://user@host/db",
        )
    return value


def _admins(value: str) -> frozenset[str]:
    admins = [item.strip() for item in value.split(",") if item.strip()]
    for admin in admins:
        if not _SLACK_USER_ID.match(admin):
            raise ConfigError(
                "ROOMBOT_ADMINS",
                "must list Slack user ids separated by commas (like U012AB3CD, shown under a profile's "
                "'Copy member ID'); names and @handles do not work",
            )
    return frozenset(admins)


def _host(value: str | None) -> str:
    if value is None:
        return DEFAULT_HOST
    host = value.strip().strip("[]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?", host):
            raise ConfigError("HOST", "must be an address to bind to (0.0.0.0, 127.0.0.1, ::) or a host name") from None
    return host


def _shutdown_grace(value: str | None) -> float:
    if value is None:
        return DEFAULT_SHUTDOWN_GRACE_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError("ROOMBOT_SHUTDOWN_GRACE_SECONDS", "must be a number of seconds, like 30") from None
    if not 0 <= seconds <= MAX_SHUTDOWN_GRACE_SECONDS:
        raise ConfigError("ROOMBOT_SHUTDOWN_GRACE_SECONDS",
                          f"must be between 0 and {MAX_SHUTDOWN_GRACE_SECONDS:.0f} seconds")
    return seconds


def _log_format(value: str | None) -> LogFormat:
    lowered = (value or DEFAULT_LOG_FORMAT).lower()
    if lowered in ("text", "human"):
        return "text"
    if lowered == "json":
        return "json"
    raise ConfigError("ROOMBOT_LOG_FORMAT", "must be 'text' (one line per record for people, the default) or 'json' "
                      "(one JSON object per line, for a log collector)")


def _port(value: str | None) -> int:
    if value is None:
        return DEFAULT_PORT
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= 65535:
        raise ConfigError("PORT", "must be a TCP port number between 1 and 65535")
    return int(value)


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
