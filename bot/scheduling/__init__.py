"""Scheduled room bookings (SPEC §5 `/room book|bookings|cancel`, §9).

* ``when`` — the `<when>` / `for <duration>` / `every …` parser (pure).
* ``request`` / ``service`` / ``commands`` / ``modal`` / ``home`` — the Slack surface.
* ``worker`` / ``runner`` — the booking worker: leased claims, the shared dispatch flow,
  reminders and results in the booking's channel.

``install(services)`` registers the Slack handlers; ``bot.scheduling.worker.BookingWorker`` runs the worker.
"""

from __future__ import annotations

from typing import Any

__all__ = ["install"]


def install(services: Any) -> Any:
    """Register `/room book|bookings|cancel`, the booking buttons, the "Book a room" shortcut and modal, and
    the App Home "Your bookings" section on ``services``; returns the feature object."""
    from bot.scheduling import commands, home, modal

    feature = commands.SchedulingFeature(services)
    services.scheduling = feature
    services.subcommands.register("book", commands.book)
    services.subcommands.register("bookings", commands.bookings)
    services.subcommands.register("cancel", commands.cancel)
    services.slack_extensions.append(commands.register)
    services.slack_extensions.append(modal.register)
    services.home_sections.append(home.section_for(services))
    return feature
