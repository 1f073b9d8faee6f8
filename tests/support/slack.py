"""Slack test harness: the real app over real loopback HTTP, signed requests, and a fake Slack Web API.

Fixtures:
* ``fake_slack`` — a running ``FakeSlackApi`` (bot/devtools/fake_slack.py, shipped for ``roombot demo``).
* ``slack_settings`` — ``Settings`` with test secrets whose SLACK_API_URL points at ``fake_slack``.
* ``slack_app_server`` — factory: ``slack_app_server(services=None, settings=None)`` serves
  ``create_wsgi_app(...)`` on 127.0.0.1 and returns the ``SlackAppServer``.
* ``slack_client`` — a ``SignedSlackClient`` aimed at the most recently started app server (a default
  one is started on first use), e.g. ``slack_client.slash("/room", "help")``.

``SignedSlackClient``/``SlackDelivery`` live in bot/devtools/slack_signing.py and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.config import Settings
from bot.devtools.fake_slack import TEAM_ID, FakeSlackApi, SlackCall
from bot.devtools.loopback import LoopbackServer
from bot.devtools.slack_signing import SignedSlackClient, SlackDelivery
from bot.services import Services
from bot.web import create_wsgi_app
from bot.zoom.settings import ZoomSettings

__all__ = [
    "FakeSlackApi", "SignedSlackClient", "SlackAppServer", "SlackCall", "SlackDelivery", "TEAM_ID",
    "TEST_ADMIN", "TEST_BOT_TOKEN", "TEST_SIGNING_SECRET", "make_test_settings",
]

TEST_SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
TEST_BOT_TOKEN = "xoxb-test-token"
TEST_SECRET_KEY = "cm9vbWJvdC10ZXN0LWtleS0wMTIzNDU2Nzg5YWJjZGU="  # Fernet-shaped, test only
TEST_ADMIN = "UADMIN"


def make_test_settings(fake: FakeSlackApi, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        slack_signing_secret=TEST_SIGNING_SECRET,
        slack_bot_token=fake.bot_token,
        slack_api_url=fake.api_url,
        database_url="sqlite://",
        secret_key=TEST_SECRET_KEY,
        admins=frozenset({TEST_ADMIN}),
        port=0,
        zoom=ZoomSettings(account_id="test-account", client_id="test-client", client_secret="test-zoom-secret"),
    )
    values.update(overrides)
    return Settings(**values)


class SlackAppServer:
    """``create_wsgi_app(settings, services)`` served on 127.0.0.1:<free port>."""

    def __init__(self, settings: Settings, services: Services) -> None:
        self.settings = settings
        self.services = services
        self._server = LoopbackServer(create_wsgi_app(settings, services), name="roombot-app")

    def start(self) -> SlackAppServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def events_url(self) -> str:
        return f"{self.url}/slack/events"


class SlackAppServers:
    """The ``slack_app_server`` fixture: call it to start a server; ``latest()`` is what ``slack_client`` hits."""

    def __init__(self, default_settings: Settings) -> None:
        self._default_settings = default_settings
        self._servers: list[SlackAppServer] = []

    def __call__(self, services: Services | None = None, *, settings: Settings | None = None) -> SlackAppServer:
        server = SlackAppServer(settings or self._default_settings, services if services is not None else Services())
        self._servers.append(server.start())
        return server

    def latest(self) -> SlackAppServer:
        return self._servers[-1] if self._servers else self()

    def stop_all(self) -> None:
        for server in self._servers:
            server.stop()


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi(bot_token=TEST_BOT_TOKEN) as fake:
        yield fake


@pytest.fixture
def slack_settings(fake_slack: FakeSlackApi) -> Settings:
    return make_test_settings(fake_slack)


@pytest.fixture
def slack_app_server(slack_settings: Settings) -> Iterator[SlackAppServers]:
    servers = SlackAppServers(slack_settings)
    yield servers
    servers.stop_all()


@pytest.fixture
def slack_client(fake_slack: FakeSlackApi, slack_app_server: SlackAppServers) -> Iterator[SignedSlackClient]:
    client = SignedSlackClient(fake_slack, TEST_SIGNING_SECRET, lambda: slack_app_server.latest().events_url)
    yield client
    client.close()


def strings_in(value: Any) -> list[str]:
    """Every string inside a Block Kit structure (texts, labels, button values), in order: what Slack could
    show or send back, for assertions on message content."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings_in(item)]
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in strings_in(item)]
    return []
