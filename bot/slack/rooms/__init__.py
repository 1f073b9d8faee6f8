"""The Slack surface of the dispatch flow (SPEC §5, §7): `/room list | join | new | leave | status`, the admin
subcommands, the buttons on every result, the passcode and send-room modals, the message shortcut and the
App Home "Rooms" section.

Wiring (before ``create_app``)::

    services = Services(zoom=..., session_factory=..., dispatcher=DispatchService(...), ...)
    bot.slack.rooms.install(services)
    app = create_app(settings, services=services)

``install`` registers the subcommand handlers, appends one ``register(app)`` to ``services.slack_extensions``
and one section to ``services.home_sections``.  It uses ``services.meetings`` when present, otherwise one
``MeetingService(services.dispatcher)`` built here.
"""

from __future__ import annotations

from slack_bolt import App

from bot.dispatch.meetings import MeetingService
from bot.services import Services
from bot.slack.rooms import actions, admin, commands, home, shortcuts, views
from bot.slack.rooms.feature import RoomsFeature

__all__ = ["RoomsFeature", "install"]


def install(services: Services, *, meetings: MeetingService | None = None) -> RoomsFeature:
    feature = RoomsFeature(services, meetings)
    for name, handler in {**commands.make_handlers(feature), **admin.make_handlers(feature)}.items():
        services.subcommands.register(name, handler)  # type: ignore[arg-type]

    def register_rooms_listeners(app: App) -> None:
        actions.register(app, feature)
        views.register(app, feature)
        shortcuts.register(app, feature)

    services.slack_extensions.append(register_rooms_listeners)
    services.home_sections.append(home.make_section(feature))
    return feature
