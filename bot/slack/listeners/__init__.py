"""Listener registration, one module per kind of Slack request (slack-samples starter-template layout):
``commands`` (`/room`), ``events`` (the Home tab) and ``functions`` (the Workflow Builder step).

Listeners are plain functions; each module's ``register(app)`` attaches them.  Features from other areas
(dispatch buttons, modals, shortcuts) plug in through ``Services.slack_extensions`` and
``Services.subcommands`` instead of editing these modules.
"""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners import commands, events, functions


def register_listeners(app: App) -> None:
    commands.register(app)
    events.register(app)
    functions.register(app)
