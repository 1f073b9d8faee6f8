"""Slash-command listeners: `/room` (see bot.slack.commands for the routing rules)."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.slack.commands import route_room_command
from bot.slack.ids import SLASH_COMMAND
from bot.slack.lane import deferred
from bot.slack.middleware import services_of, settings_of


def room_command(ack: Ack, command: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
    """Runs after the ack (``deferred``: Slack gives us 3 seconds, and some subcommands talk to Zoom for
    longer).  A subcommand's failure is reported by the router; anything else this raises, by ``deferred``."""
    route_room_command(
        command, respond=respond, client=client, settings=settings_of(context), services=services_of(context)
    )


def register(app: App) -> None:
    app.command(SLASH_COMMAND)(deferred(room_command))
