"""The Slack surface of bookings (SPEC §5 `/room book|bookings|cancel`, §9): the subcommands, the Cancel and
reminder buttons, the "Book a room" shortcut and modal, the App Home "Your bookings" section, and the Slack
side of the booking worker (its notifier and requester directory).

* ``commands`` — `/room book|bookings|cancel`; ``actions`` — the buttons; ``modal`` — the shortcut and its form;
  ``home`` — App Home; each listener module has its ``register(app)``.
* ``messages`` — pure Block Kit builders; ``wording`` — refusals and other words of the bookings domain.
* ``notifier`` — ``SlackNotifier`` / ``SlackRequesters``, the ports of ``bot.scheduling.worker.BookingWorker``.
* ``feature`` — what the listeners share, on ``services.bookings``.

Wiring (before ``create_app``)::

    bot.slack.bookings.install(services)
    app = create_app(settings, services=services)
"""

from __future__ import annotations

from bot.services import Services
from bot.slack.bookings import actions, commands, home, modal
from bot.slack.bookings.feature import BookingsFeature

__all__ = ["BookingsFeature", "install"]


def install(services: Services) -> BookingsFeature:
    """Register `/room book|bookings|cancel`, the booking buttons, the "Book a room" shortcut and modal, and
    the App Home "Your bookings" section on ``services``; returns the feature object (``services.bookings``)."""
    feature = BookingsFeature(services)
    services.bookings = feature
    services.subcommands.register("book", commands.book)
    services.subcommands.register("bookings", commands.bookings)
    services.subcommands.register("cancel", commands.cancel)
    services.slack_extensions.append(actions.register)
    services.slack_extensions.append(modal.register)
    services.home_sections.append(home.section_for(services))
    return feature
