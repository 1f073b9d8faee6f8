"""Slash-command listeners: `/room` (see bot.slack.commands for the routing rules)."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.slack.commands import route_room_command
from bot.slack.errors import report_after_ack
from bot.slack.ids import SLASH_COMMAND
from bot.slack.lane import deferred
from bot.slack.middleware import services_of, settings_of


def room_command(
    ack: Ack, command: dict, body: dict, respond: Respond, client: WebClient, context: BoltContext
) -> None:
    # Acknowledge first: Slack gives us 3 seconds, and some subcommands talk to Zoom for longer.
    ack()
    try:
        route_room_command(
            command, respond=respond, client=client, settings=settings_of(context), services=services_of(context)
        )
    except Exception as error:  # noqa: BLE001 - already acknowledged: report here (see report_after_ack)
        report_after_ack(error, body, context)


def register(app: App) -> None:
    app.command(SLASH_COMMAND)(deferred(room_command))
