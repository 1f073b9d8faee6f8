"""A database outage or a Zoom failure that reaches the Slack layer is explained, not shown as a crash."""

from __future__ import annotations

import pytest

from bot.services import Services
from bot.slack.subcommands import SubcommandRequest
from bot.store.db import create_engine_for_url, session_factory, session_scope
from bot.zoom.errors import ZoomUnavailable
from tests.slack.test_room_command import reply_to


def test_database_down_gets_a_clear_reply_without_the_password(slack_app_server, slack_client, fake_slack) -> None:
    # Nothing listens on port 9: every connection attempt fails like a database that is down.
    engine = create_engine_for_url("postgresql+psycopg://roombot:hunter2-db-password@127.0.0.1:9/roombot")

    def status(request: SubcommandRequest) -> None:
        with session_scope(session_factory(engine)) as session:
            session.connection()

    services = Services()
    services.subcommands.register("status", status)
    slack_app_server(services)
    reply = reply_to(fake_slack, slack_client.slash("/room", "status Boardroom"))
    assert reply["text"].startswith("roombot cannot reach its database right now, so nothing was done.")
    assert "hunter2-db-password" not in fake_slack.all_text()


@pytest.mark.parametrize("error", [ZoomUnavailable("upstream 503", status=503)])
def test_zoom_failure_is_explained(slack_app_server, slack_client, fake_slack, error) -> None:
    def leave(request: SubcommandRequest) -> None:
        raise error

    services = Services()
    services.subcommands.register("leave", leave)
    slack_app_server(services)
    reply = reply_to(fake_slack, slack_client.slash("/room", "leave Boardroom"))
    assert reply["text"].startswith("Zoom did not do it: Zoom did not answer properly")
