"""The container of collaborators that the Slack app, the web entry point and the worker share.

Built once at start-up (``roombot serve``, ``demo``, tests) and passed to ``create_app``/``create_wsgi_app``.
Every field is optional so each area can be wired as it lands; listeners reach it through
``bot.slack.middleware.services_of(context)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.slack.subcommands import SubcommandRegistry

if TYPE_CHECKING:  # for type checkers only: the container imports none of its parts at run time
    from slack_bolt import App
    from slack_sdk.models.blocks import Block
    from sqlalchemy.orm import Session, sessionmaker

    from bot.dispatch.engine import DispatchEngine
    from bot.dispatch.meetings import MeetingService
    from bot.dispatch.service import DispatchService
    from bot.runtime import DispatchParts
    from bot.slack.bookings.feature import BookingsFeature
    from bot.slack.directory import SlackDirectory
    from bot.slack.rooms.feature import RoomsFeature
    from bot.store.crypto import SecretBox
    from bot.zoom.client import ZoomClient

# A health check returns normally (None or True) when its dependency works, and raises or returns False
# when it does not.  It runs on every GET /healthz, so it must be cheap (e.g. `SELECT 1`).
HealthCheck = Callable[[], bool | None]
# Given a Slack user id, blocks for that user's App Home tab (e.g. "Rooms", "Your bookings").
HomeSection = Callable[[str], Sequence["Block"]]
# Adds listeners (actions, views, shortcuts) to the app; called by create_app.
SlackExtension = Callable[["App"], None]


def utc_now() -> datetime:
    return datetime.now(UTC)


class NotWired(RuntimeError):
    """Services were built without a part the caller needs (a test wiring only some of them)."""


@dataclass(frozen=True)
class Wired:
    """The parts every dispatch and booking needs, all present (``Services.wired``)."""

    session_factory: sessionmaker[Session]
    secret_box: SecretBox
    engine: DispatchEngine
    dispatcher: DispatchService
    meetings: MeetingService
    zoom: ZoomClient | None  # only the admin commands and room sync use the sync client


@dataclass
class Services:
    zoom: ZoomClient | None = None  # sync: admin commands, `roombot check`, room sync
    session_factory: sessionmaker[Session] | None = None  # the store
    secret_box: SecretBox | None = None  # encrypts passcodes at rest
    engine: DispatchEngine | None = None  # runs every dispatch (Slack and bookings)
    dispatcher: DispatchService | None = None  # the dispatch flow (async, on the engine's loop)
    meetings: MeetingService | None = None  # /room new, passcode repairs, `new` bookings
    dispatch_parts: DispatchParts | None = None  # what close_services stops
    directory: SlackDirectory | None = None  # who a Slack user is (email, user groups)
    clock: Callable[[], datetime] = utc_now  # injectable for tests of time-dependent replies
    rooms: RoomsFeature | None = None  # the rooms surface's shared state, set by bot.slack.rooms.install
    bookings: BookingsFeature | None = None  # the bookings surface's, set by bot.slack.bookings.install
    # `/room <name>` handlers; see bot.slack.subcommands.
    subcommands: SubcommandRegistry = field(default_factory=SubcommandRegistry)
    # name -> check, reported by GET /healthz (e.g. "database", "zoom").
    health_checks: dict[str, HealthCheck] = field(default_factory=dict)
    # Sections of the App Home tab, in order, below the shell's header.
    home_sections: list[HomeSection] = field(default_factory=list)
    # `register(app)` functions of other areas (buttons, modals, shortcuts), run by create_app.
    slack_extensions: list[SlackExtension] = field(default_factory=list)

    def wired(self) -> Wired:
        """The dispatch parts, checked present; ``NotWired`` names the first one missing."""
        missing = [name for name in ("session_factory", "secret_box", "engine", "dispatcher", "meetings")
                   if getattr(self, name) is None]
        if missing:
            raise NotWired(f"services were built without {missing[0]} (bot.runtime.build_services wires them all)")
        assert self.session_factory and self.secret_box and self.engine and self.dispatcher and self.meetings
        return Wired(self.session_factory, self.secret_box, self.engine, self.dispatcher, self.meetings, self.zoom)

    def sync_zoom(self) -> ZoomClient:
        if self.zoom is None:
            raise NotWired("services were built without the sync Zoom client (services.zoom)")
        return self.zoom

    def sessions(self) -> sessionmaker[Session]:
        if self.session_factory is None:
            raise NotWired("services were built without the store (services.session_factory)")
        return self.session_factory
