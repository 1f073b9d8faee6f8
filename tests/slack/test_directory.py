"""SlackDirectory against the fake Slack Web API over HTTP: what a requester is, and what is answered from the
cache without a call."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.dispatch.outcomes import Requester
from bot.slack.directory import SlackDirectory
from tests.support.slack import FakeSlackApi


def test_a_looked_up_requester_is_known_from_the_cache_until_it_expires(fake_slack: FakeSlackApi) -> None:
    fake_slack.add_user("U_ALICE", name="alice", email="alice@example.com")
    fake_slack.add_usergroup("S_OPS", "ops", ["U_ALICE"])
    clock = [0.0]
    directory = SlackDirectory(monotonic=lambda: clock[0], ttl=300)
    assert directory.known_requester("U_ALICE", is_admin=False) is None  # nothing asked yet
    client = WebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url)
    asked = directory.requester(client, "U_ALICE", is_admin=False)
    assert asked == Requester("U_ALICE", email="alice@example.com", usergroup_ids=("S_OPS",))
    calls = len(fake_slack.calls())
    clock[0] = 299.0
    assert directory.known_requester("U_ALICE", is_admin=False) == asked
    assert directory.known_requester("U_BOB", is_admin=False) is None  # never looked up
    assert len(fake_slack.calls()) == calls  # answered without Slack
    clock[0] = 300.0
    assert directory.known_requester("U_ALICE", is_admin=False) is None  # stale: ask Slack again
