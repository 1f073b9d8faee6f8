"""The container of collaborators that the Slack app, the web entry point and the worker share.

Built once at start-up (``roombot serve``, ``demo``, tests) and passed to ``create_app``/``create_wsgi_app``.
Every field is optional so each area can be wired as it lands; listeners reach it through
``bot.slack.middleware.services_of(context)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.slack.subcommands import SubcommandRegistry

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_sdk.models.blocks import Block

# A health check returns normally (None or True) when its dependency works, and raises or returns False
# when it does not.  It runs on every GET /healthz, so it must be cheap (e.g. `SELECT 1`).
HealthCheck = Callable[[], bool | None]
# Given a Slack user id, blocks for that user's App Home tab (e.g. "Rooms", "Your bookings").
HomeSection = Callable[[str], Sequence["Block"]]
# Adds listeners (actions, views, shortcuts) to the app; called by create_app.
SlackExtension = Callable[["App"], None]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    zoom: Any = None  # bot.zoom.ZoomClient (sync): admin commands, `roombot check`, room sync
    session_factory: Any = None  # SQLAlchemy sessionmaker for the store
    secret_box: Any = None  # encrypts passcodes at rest
    engine: Any = None  # bot.dispatch.engine.DispatchEngine: runs every dispatch (Slack and bookings)
    dispatcher: Any = None  # bot.dispatch.service.DispatchService (async, on the engine's loop)
    meetings: Any = None  # bot.dispatch.meetings.MeetingService: /room new, passcode repairs, `new` bookings
    dispatch_parts: Any = None  # bot.runtime.DispatchParts: what close_services stops
    directory: Any = None  # bot.slack.directory.SlackDirectory: who a Slack user is (email, user groups)
    clock: Callable[[], datetime] = utc_now  # injectable for tests of time-dependent replies
    rooms: Any = None  # the rooms surface's shared state (bot.slack.rooms), set by its install
    bookings: Any = None  # the bookings surface's shared state (bot.slack.bookings), set by its install
    # `/room <name>` handlers; see bot.slack.subcommands.
    subcommands: SubcommandRegistry = field(default_factory=SubcommandRegistry)
    # name -> check, reported by GET /healthz (e.g. "database", "zoom").
    health_checks: dict[str, HealthCheck] = field(default_factory=dict)
    # Sections of the App Home tab, in order, below the shell's header.
    home_sections: list[HomeSection] = field(default_factory=list)
    # `register(app)` functions of other areas (buttons, modals, shortcuts), run by create_app.
    slack_extensions: list[SlackExtension] = field(default_factory=list)
