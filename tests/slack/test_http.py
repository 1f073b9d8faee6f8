"""The HTTP surface over real loopback HTTP: request signing, routing, and /healthz."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
from werkzeug.test import Client

from bot.services import Services
from bot.web import create_wsgi_app
from tests.support.slack import FakeSlackApi, SignedSlackClient, SlackAppServers

# Slack's window is five minutes either way. A minute past it, so that the second boundaries crossed
# between stamping a request and checking it cannot bring a future stamp back inside the window.
STALE_SECONDS = 6 * 60


def test_signed_slash_command_is_acknowledged(slack_client: SignedSlackClient, fake_slack: FakeSlackApi) -> None:
    delivery = slack_client.slash("/room", "help")
    assert delivery.status_code == 200
    # The reply itself comes after the ack, through the response_url.
    fake_slack.wait_for(lambda: fake_slack.responses(delivery.response_url), what="help reply")


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"signed": False}, id="unsigned"),
        pytest.param({"signature": "v0=" + "0" * 64}, id="wrong-signature"),
        pytest.param({"timestamp": -STALE_SECONDS}, id="stale"),
        pytest.param({"timestamp": +STALE_SECONDS}, id="from-the-future"),
    ],
)
def test_requests_not_signed_by_slack_are_rejected(
    slack_client: SignedSlackClient, fake_slack: FakeSlackApi, options: dict
) -> None:
    if "timestamp" in options:  # an offset from now, applied at run time
        options = {"timestamp": int(time.time()) + options["timestamp"]}
    delivery = slack_client.slash("/room", "help", **options)
    assert delivery.status_code == 401
    assert fake_slack.responses() == []  # and nothing ran


def test_signature_made_with_another_secret_is_rejected(
    slack_app_server: SlackAppServers, fake_slack: FakeSlackApi
) -> None:
    server = slack_app_server()
    impostor = SignedSlackClient(fake_slack, "not-the-signing-secret", lambda: server.events_url)
    try:
        assert impostor.slash("/room", "help").status_code == 401
        assert impostor.app_home_opened("U1").status_code == 401
    finally:
        impostor.close()


def test_other_paths_and_methods(slack_app_server: SlackAppServers) -> None:
    server = slack_app_server()
    assert httpx.get(server.events_url).status_code == 405
    assert httpx.get(f"{server.url}/nope").status_code == 404
    assert httpx.post(f"{server.url}/healthz").status_code == 405


def test_healthz_ok_without_checks(slack_app_server: SlackAppServers) -> None:
    response = httpx.get(f"{slack_app_server().url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {}}
    assert response.headers["content-type"] == "application/json"


def test_healthz_reports_each_check(slack_app_server: SlackAppServers) -> None:
    database_up = threading.Event()
    database_up.set()

    def database() -> None:
        if not database_up.is_set():
            raise ConnectionRefusedError("connect to postgresql://bot:hunter2@db failed")

    services = Services(health_checks={"database": database, "zoom": lambda: True})
    server = slack_app_server(services)

    healthy = httpx.get(f"{server.url}/healthz")
    assert healthy.status_code == 200
    assert healthy.json() == {"status": "ok", "checks": {"database": {"ok": True}, "zoom": {"ok": True}}}

    database_up.clear()
    degraded = httpx.get(f"{server.url}/healthz")
    assert degraded.status_code == 503
    assert degraded.json() == {
        "status": "degraded",
        "checks": {"database": {"ok": False, "error": "ConnectionRefusedError"}, "zoom": {"ok": True}},
    }
    assert "hunter2" not in degraded.text  # exception messages can carry credentials; only the type is shown

    services.health_checks["zoom"] = lambda: False  # checks plugged in later are picked up
    assert httpx.get(f"{server.url}/healthz").json()["checks"]["zoom"] == {"ok": False, "error": "check failed"}


def test_healthz_does_not_hang_on_a_hung_check(slack_settings) -> None:
    release = threading.Event()
    services = Services(health_checks={"zoom": lambda: release.wait(30) and None})
    client = Client(create_wsgi_app(slack_settings, services, health_check_timeout=0.2))
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json["checks"]["zoom"] == {"ok": False, "error": "no answer within 0.2s"}
        assert client.head("/healthz").data == b""
    finally:
        release.set()


def test_url_verification_challenge_is_answered(slack_client: SignedSlackClient) -> None:
    """Slack sends this when the Event Subscriptions request URL is saved (docs/slack.md, step 5)."""
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = json.dumps({"token": "x", "challenge": challenge, "type": "url_verification"})
    response = slack_client.post(body, "application/json")
    assert response.status_code == 200
    assert response.json() == {"challenge": challenge}
