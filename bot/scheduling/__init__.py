"""Scheduled room bookings, the domain (SPEC §5 `/room book|bookings|cancel`, §9) — nothing here knows Slack.

* ``when`` — the `<when>` / `for <duration>` / `every …` parser (pure); ``request`` — `/room book` arguments.
* ``occurrence`` — an occurrence as plain data; ``service`` — booking, listing, cancelling; ``refusals`` — why
  one of those said no, as codes and facts.
* ``worker`` / ``runner`` — the booking worker: leased claims, the shared dispatch flow, reminders and results,
  told through the Protocols in ``ports`` (a ``BookingNotifier``, a ``RequesterDirectory``).

The Slack surface of bookings (commands, buttons, the "Book a room" form, App Home, the Slack notifier)
lives in the Slack layer, which imports this package and never the other way round;
``bot.scheduling.worker.BookingWorker`` runs the worker.
"""
