"""Events API listeners: the App Home tab."""

from __future__ import annotations

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.slack import blocks
from bot.slack.lane import deferred
from bot.slack.middleware import services_of


def publish_home_tab(event: dict, client: WebClient, context: BoltContext) -> None:
    """Rebuild the user's Home tab each time they open it (events are acknowledged by Bolt itself)."""
    if event.get("tab", "home") != "home":
        return  # the Messages tab needs nothing from us
    services = services_of(context)
    user_id = event["user"]
    sections = [section(user_id) for section in services.home_sections]
    view = blocks.home_view(sections, available=services.subcommands.available())
    client.views_publish(user_id=user_id, view=view)


def register(app: App) -> None:
    app.event("app_home_opened")(deferred(publish_home_tab))
