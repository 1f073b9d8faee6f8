"""`roombot check`: try every outside dependency once and say, line by line, what works and what to fix.

Order: configuration → secret key → database (reachable, schema at head) → Zoom (token, rooms) → Slack
(`auth.test`).  Each line is ``✓ name: detail`` or ``✗ name: problem — fix: what to do``.  Exit 0 when every
line is ✓, 1 otherwise.  Secrets never appear: every printed line is scrubbed of the configured secrets.

``--json`` prints the same checks as one JSON object instead (for deployment tooling and monitors):
``{"ok": bool, "passed": int, "total": int, "checks": [{"name", "ok", "detail", "fix"}]}`` with ``fix``
null on a passing check; same exit status, same scrubbing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.config import Settings, redact_url_password
from bot.config_errors import ConfigError

if TYPE_CHECKING:
    from bot.zoom import ZoomClient

OK, FAIL = "✓", "✗"


@dataclass(frozen=True)
class CheckLine:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def render(self) -> str:
        text = f"{OK if self.ok else FAIL} {self.name}: {self.detail}"
        return text if self.ok or not self.fix else f"{text} — fix: {self.fix}"


class CheckFailed(Exception):
    def __init__(self, detail: str, fix: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fix = fix


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check the configuration, database, Zoom credentials and Slack token; print what works",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--json", action="store_true",
                        help='print one JSON object instead of lines: {"ok": …, "checks": [{"name", "ok", "detail", '
                        '"fix"}, …]}')
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")  # ✓/✗ on a non-UTF-8 terminal: "?" rather than a crash
    lines = run_checks(environ)
    secrets = _secret_values(environ)
    failed = [line for line in lines if not line.ok]
    if getattr(args, "json", False):
        print(json.dumps(report(lines, secrets)))  # ASCII: whatever the terminal's encoding
        return 1 if failed else 0
    for line in lines:
        print(_scrub(line.render(), secrets))
    print(f"{len(lines) - len(failed)} of {len(lines)} checks passed" + ("." if not failed else "; fix the ✗ lines."))
    return 1 if failed else 0


def report(lines: list[CheckLine], secrets: tuple[str, ...]) -> dict[str, Any]:
    """The checks as ``--json`` prints them, every text scrubbed of ``secrets``."""
    checks = [{"name": line.name, "ok": line.ok, "detail": _scrub(line.detail, secrets),
               "fix": _scrub(line.fix, secrets) if line.fix and not line.ok else None} for line in lines]
    passed = sum(1 for line in lines if line.ok)
    return {"ok": passed == len(lines), "passed": passed, "total": len(lines), "checks": checks}


def run_checks(environ: Mapping[str, str]) -> list[CheckLine]:
    lines: list[CheckLine] = []
    try:
        settings = Settings.from_env(environ, require_slack=True, require_secret_key=True)
        lines.append(CheckLine("configuration", True, _describe(settings)))
    except ConfigError as error:
        lines.append(CheckLine("configuration", False, str(error), "set the variable named, then run check again"))
        try:
            # Go on with whatever is configured, so one missing variable does not hide the other problems.
            settings = Settings.from_env(environ, require_slack=False, require_secret_key=False, require_zoom=False)
        except ConfigError:
            return lines

    lines.append(_attempt("secret key", lambda: _check_secret_key(settings)))
    lines.append(_attempt("database", lambda: _check_database(settings)))
    lines.append(_attempt("database schema", lambda: _check_schema(settings)))
    zoom = _zoom_client(settings)
    try:
        token = _attempt("Zoom token", lambda: _check_zoom_token(settings, zoom))
        lines.append(token)
        # Without a token the room listing would only repeat the token's error.
        lines.append(_attempt("Zoom rooms", lambda: _check_zoom_rooms(zoom if token.ok else None)))
    finally:
        if zoom is not None:
            zoom.close()
    lines.append(_attempt("Slack auth.test", lambda: _check_slack(settings)))
    return lines


def _attempt(name: str, check: Callable[[], str]) -> CheckLine:
    try:
        return CheckLine(name, True, check())
    except CheckFailed as failure:
        return CheckLine(name, False, failure.detail, failure.fix)
    except Exception as error:  # noqa: BLE001 — an unexpected failure is still a ✗ line, not a traceback
        return CheckLine(name, False, f"unexpected {type(error).__name__}", "run with a debugger or report a bug")


def _describe(settings: Settings) -> str:
    mode = "Socket Mode" if settings.socket_mode else f"HTTP on port {settings.port}"
    zoom = settings.zoom
    return (f"Slack {mode}; Zoom {zoom.auth_mode} at {zoom.api_url}, rooms API `{zoom.rooms_api}`, "
            f"host user {zoom.host_user}; {len(settings.admins)} admin(s)")


def _check_secret_key(settings: Settings) -> str:
    from bot.store.crypto import SecretBox

    if not settings.secret_key:
        raise CheckFailed("ROOMBOT_SECRET_KEY is not set", "set it to a Fernet key or a passphrase of 16+ characters")
    try:
        box = SecretBox(settings.secret_key)
    except ConfigError as error:
        raise CheckFailed(str(error), "set ROOMBOT_SECRET_KEY to a Fernet key or a passphrase of 16+ characters") \
            from None
    box.open(box.seal("check"))
    return "passcodes at rest can be encrypted and decrypted"


def _check_database(settings: Settings) -> str:
    from bot.store.db import DatabaseUnavailable, check_connection, create_engine_for_url

    engine = create_engine_for_url(settings.database_url)
    try:
        check_connection(engine)
    except DatabaseUnavailable as error:
        raise CheckFailed(str(error), "check DATABASE_URL and that the database server is running") from None
    finally:
        engine.dispose()
    return f"connected to {redact_url_password(settings.database_url)}"


def _check_schema(settings: Settings) -> str:
    from bot.store.db import DatabaseUnavailable
    from bot.store.migrate import SchemaOutOfDate, current_revision, require_up_to_date

    try:
        require_up_to_date(settings.database_url)
        return f"at revision {current_revision(settings.database_url)} (latest)"
    except SchemaOutOfDate as error:
        problem = str(error).removeprefix("DATABASE_URL: ")
        raise CheckFailed(problem, "run `roombot migrate` with this DATABASE_URL") from None
    except DatabaseUnavailable:
        raise CheckFailed("not checked: the database is unreachable", "fix the database line above") from None


def _zoom_client(settings: Settings) -> ZoomClient | None:
    from bot.zoom import ZoomClient

    try:
        settings.zoom.auth_mode  # noqa: B018 — raises ConfigError when no credentials are set
    except ConfigError:
        return None
    return ZoomClient(settings.zoom)


def _check_zoom_token(settings: Settings, zoom: ZoomClient | None) -> str:
    from bot.zoom import ZoomError

    if zoom is None:
        raise CheckFailed("no Zoom credentials", "set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET")
    try:
        zoom.check_auth()
    except ZoomError as error:
        raise CheckFailed(str(error), error.explain()) from None
    kind = "Server-to-Server OAuth token" if settings.zoom.auth_mode == "s2s" else "JWT"
    return f"{kind} obtained from {settings.zoom.oauth_url if settings.zoom.auth_mode == 's2s' else 'the API key'}"


def _check_zoom_rooms(zoom: ZoomClient | None) -> str:
    from bot.zoom import ZoomError

    if zoom is None:
        raise CheckFailed("not checked: no Zoom token", "fix the Zoom token line above")
    try:
        rooms = zoom.list_rooms()
    except ZoomError as error:
        raise CheckFailed(str(error), error.explain()) from None
    if not rooms:
        raise CheckFailed("Zoom lists no rooms on this account",
                          "add Zoom Rooms in the Zoom admin portal, or use the account that owns them")
    online = sum(1 for room in rooms if room.status in ("Available", "InMeeting"))
    return f"{len(rooms)} room(s), {online} online; import them with `roombot rooms sync`"


def _check_slack(settings: Settings) -> str:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError, SlackClientError

    if not settings.slack_bot_token:
        raise CheckFailed("not checked: SLACK_BOT_TOKEN is not set", "set SLACK_BOT_TOKEN (xoxb-…)")
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
    try:
        answer: Any = client.auth_test()
    except SlackApiError as error:
        code = error.response.get("error", "unknown error") if error.response is not None else "unknown error"
        fixes = {
            "invalid_auth": "copy SLACK_BOT_TOKEN again from the app's OAuth & Permissions page",
            "not_authed": "set SLACK_BOT_TOKEN",
            "account_inactive": "the app was uninstalled or the token revoked; reinstall the app to the workspace",
            "token_revoked": "the token was revoked; reinstall the app and copy the new SLACK_BOT_TOKEN",
        }
        raise CheckFailed(f"Slack said {code}", fixes.get(code, "check SLACK_BOT_TOKEN and SLACK_API_URL")) from None
    except (SlackClientError, OSError) as error:
        raise CheckFailed(f"cannot reach {settings.slack_api_url} ({type(error).__name__})",
                          "check SLACK_API_URL and the network") from None
    return f"bot @{answer.get('user')} in workspace {answer.get('team')!r} ({answer.get('team_id')})"


def _secret_values(environ: Mapping[str, str]) -> tuple[str, ...]:
    names = ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "ROOMBOT_SECRET_KEY",
             "ZOOM_CLIENT_SECRET", "ZOOM_API_SECRET")
    values = [environ.get(name, "").strip() for name in names]
    database_url = environ.get("DATABASE_URL", "")
    if "://" in database_url:
        from urllib.parse import urlsplit

        values.append(urlsplit(database_url).password or "")
    return tuple(value for value in values if len(value) >= 4)


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
