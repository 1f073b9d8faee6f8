"""Slack's redeliveries (X-Slack-Retry-Num) do not run listeners twice, unless the first never arrived."""

from __future__ import annotations

import threading

import pytest
from slack_bolt import App

from bot.services import Services
from tests.support.slack import FakeSlackApi, SignedSlackClient, SlackAppServers


@pytest.fixture
def counted_events(slack_app_server: SlackAppServers) -> dict[str, int]:
    """Starts an app whose `reaction_added` listener counts deliveries per event item."""
    counts: dict[str, int] = {}
    lock = threading.Lock()

    def count(event: dict) -> None:
        with lock:
            counts[event["item"]["ts"]] = counts.get(event["item"]["ts"], 0) + 1

    def register(app: App) -> None:
        app.event("reaction_added")(count)

    slack_app_server(Services(slack_extensions=[register]))
    return counts


def reaction(ts: str) -> dict:
    item = {"type": "message", "channel": "C1", "ts": ts}
    return {"type": "reaction_added", "user": "U1", "reaction": "tada", "item": item}


def test_timeout_retry_is_acknowledged_without_running_again(
    slack_client: SignedSlackClient, fake_slack: FakeSlackApi, counted_events: dict[str, int]
) -> None:
    first = slack_client.event(reaction("1.1"), event_id="Ev1")
    assert first.status_code == 200
    fake_slack.wait_for(lambda: counted_events.get("1.1") == 1, what="first delivery handled")

    for attempt in (1, 2, 3):
        retry = slack_client.event(reaction("1.1"), event_id="Ev1", retry_num=attempt, retry_reason="http_timeout")
        assert retry.status_code == 200
        assert retry.response.headers["x-slack-no-retry"] == "1"  # answered by the middleware itself

    slack_client.event(reaction("2.2"), event_id="Ev2")  # a marker delivered after the retries
    fake_slack.wait_for(lambda: counted_events.get("2.2") == 1, what="marker handled")
    assert counted_events["1.1"] == 1


def test_retry_without_a_reason_is_skipped_too(
    slack_client: SignedSlackClient, fake_slack: FakeSlackApi, counted_events: dict[str, int]
) -> None:
    retry = slack_client.event(reaction("3.3"), event_id="Ev3", headers={"X-Slack-Retry-Num": "1"})
    assert retry.response.headers["x-slack-no-retry"] == "1"
    slack_client.event(reaction("4.4"), event_id="Ev4")
    fake_slack.wait_for(lambda: counted_events.get("4.4") == 1, what="marker handled")
    assert "3.3" not in counted_events


@pytest.mark.parametrize("reason", ["connection_failed", "ssl_error", "http_error"])
def test_retry_of_a_delivery_that_never_reached_us_is_processed(
    slack_client: SignedSlackClient, fake_slack: FakeSlackApi, counted_events: dict[str, int], reason: str
) -> None:
    retry = slack_client.event(reaction("5.5"), event_id="Ev5", retry_num=1, retry_reason=reason)
    assert retry.status_code == 200
    assert "x-slack-no-retry" not in retry.response.headers
    fake_slack.wait_for(lambda: counted_events.get("5.5") == 1, what="retry handled")


def test_unsigned_retry_is_still_rejected(slack_client: SignedSlackClient, counted_events: dict[str, int]) -> None:
    retry = slack_client.event(reaction("6.6"), retry_num=1, signed=False)
    assert retry.status_code == 401


def test_home_tab_retry_publishes_once(slack_client: SignedSlackClient, fake_slack: FakeSlackApi) -> None:
    slack_client.app_home_opened("U1", event_id="EvHome")
    fake_slack.wait_for(lambda: fake_slack.calls("views.publish"), what="home published")
    slack_client.app_home_opened("U1", event_id="EvHome", retry_num=1)
    slack_client.app_home_opened("U2")
    fake_slack.wait_for(lambda: "U2" in fake_slack.home_views, what="marker")
    assert [c.params["user_id"] for c in fake_slack.calls("views.publish")] == ["U1", "U2"]


def test_attempt_zero_is_the_first_delivery_and_is_processed(
    slack_client: SignedSlackClient, fake_slack: FakeSlackApi, counted_events: dict[str, int]
) -> None:
    """Socket Mode envelopes carry retry_attempt 0 on a first delivery, which Bolt maps to X-Slack-Retry-Num."""
    first = slack_client.event(reaction("7.7"), event_id="Ev7", headers={"X-Slack-Retry-Num": "0"})
    assert "x-slack-no-retry" not in first.response.headers
    fake_slack.wait_for(lambda: counted_events.get("7.7") == 1, what="first delivery handled")
