"""The Slack surface of the dispatch flow (SPEC §5, §7): `/room list | join | new | leave | status`, the admin
subcommands, the buttons on every result, the passcode and send-room modals, the message shortcut and the
App Home "Rooms" section.

Wiring (before ``create_app``)::

    services = Services(zoom=..., session_factory=..., dispatcher=DispatchService(...), ...)
    bot.slack.rooms.install(services)
    app = create_app(settings, services=services)

Layout — every listener and every subcommand handler is a plain module-level function, and each module has
one ``register``:

* ``commands`` (`/room list|join|new|leave|status`) and ``admin`` (`/room sync|add|alias|remove|allow|audit`):
  ``register(services.subcommands)``; a handler finds the feature with ``feature_of(request.services)``.
* ``actions`` (buttons), ``views`` (the three forms), ``shortcuts`` (message shortcut, room type-ahead):
  ``register(app)``, run by ``create_app`` through ``services.slack_extensions``; a listener finds the
  feature with ``rooms_of(context)``.
* ``home``: ``rooms_section(feature, user_id)``, one of ``services.home_sections``.
* ``feature`` (what listeners share), ``flow`` (runs a dispatch against its progress message), ``progress``,
  ``render`` (pure Block Kit) and ``values`` (what buttons and modals carry).

Failures go through ``bot.slack.errors``: listeners just raise (``UserFacingError`` for what the requester
should read).  These modules import each other, never this package's ``__init__``.
"""

from __future__ import annotations

import functools

from bot.dispatch.meetings import MeetingService
from bot.services import Services
from bot.slack.rooms import actions, admin, commands, home, shortcuts, views
from bot.slack.rooms.feature import RoomsFeature

__all__ = ["RoomsFeature", "install"]


def install(services: Services, *, meetings: MeetingService | None = None) -> RoomsFeature:
    """Put one ``RoomsFeature`` on ``services.rooms`` and register the rooms surface on ``services``: the
    subcommand handlers, one ``register(app)`` per listener module, and the Home tab's "Rooms" section.
    ``meetings`` replaces ``services.meetings`` (for /room new and passcode repairs)."""
    feature = RoomsFeature(services, meetings)
    services.rooms = feature
    commands.register(services.subcommands)
    admin.register(services.subcommands)
    services.slack_extensions.extend([actions.register, views.register, shortcuts.register])
    services.home_sections.append(functools.partial(home.rooms_section, feature))
    return feature
