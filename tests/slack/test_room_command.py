"""`/room` end to end: signed slash commands to the real app, replies read from the fake Slack API."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from bot.services import Services
from bot.slack.errors import UserFacingError
from bot.slack.subcommands import SubcommandRequest
from tests.support.slack import (
    TEST_ADMIN,
    FakeSlackApi,
    SignedSlackClient,
    SlackAppServers,
    SlackDelivery,
    strings_in,
)


def reply_to(fake: FakeSlackApi, delivery: SlackDelivery) -> dict[str, Any]:
    """The one response_url post answering ``delivery``."""
    posts = fake.wait_for(lambda: fake.responses(delivery.response_url), what="a response_url reply")
    assert len(posts) == 1
    return posts[0].params


def blocks_text(params: dict[str, Any]) -> str:
    return "\n".join(strings_in(params.get("blocks")))


@pytest.mark.parametrize("text", ["", "help", "HELP", "  help  ", "?", "--help"])
def test_help(slack_client: SignedSlackClient, fake_slack: FakeSlackApi, text: str) -> None:
    delivery = slack_client.slash("/room", text)
    assert delivery.status_code == 200
    reply = reply_to(fake_slack, delivery)
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("roombot help:")
    assert "`/room join &lt;room&gt; &lt;meeting link | meeting id&gt; [passcode]`" in blocks_text(reply)
    assert "did you mean" not in reply["text"].lower()
    assert fake_slack.messages_in("C1") == []  # help is for the requester only
    assert [m.ephemeral_to for m in fake_slack.ephemerals(channel="C1")] == ["U1"]


def test_typo_gets_did_you_mean(slack_client: SignedSlackClient, fake_slack: FakeSlackApi) -> None:
    reply = reply_to(fake_slack, slack_client.slash("/room", "joni Boardroom 123456789"))
    assert reply["response_type"] == "ephemeral"
    assert "`/room joni` is not a roombot command. Did you mean `/room join`?" in reply["text"]
    assert "roombot help:" in reply["text"]


def test_unknown_word_without_suggestion_gets_help(slack_client: SignedSlackClient, fake_slack: FakeSlackApi) -> None:
    reply = reply_to(fake_slack, slack_client.slash("/room", "xyzzy"))
    assert "`/room xyzzy` is not a roombot command." in reply["text"]
    assert "Did you mean" not in reply["text"]


@pytest.mark.parametrize("name", ["list", "join", "new", "leave", "status", "book", "bookings", "cancel"])
def test_unregistered_subcommand_says_so_honestly(
    slack_client: SignedSlackClient, fake_slack: FakeSlackApi, name: str
) -> None:
    reply = reply_to(fake_slack, slack_client.slash("/room", f"{name} Boardroom"))
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith(f"`/room {name}` is not available yet.")
    assert "Nothing was done" in reply["text"]


def test_arguments_are_never_echoed(slack_client: SignedSlackClient, fake_slack: FakeSlackApi) -> None:
    """The arguments may hold a passcode: no reply quotes them (SPEC §5)."""
    for text in ("join Boardroom 123456789 Pc-Secret-1", "jion Boardroom 123456789 Pc-Secret-1"):
        reply_to(fake_slack, slack_client.slash("/room", text))
    assert "Pc-Secret-1" not in fake_slack.all_text()


def test_registered_handler_gets_the_request(
    slack_app_server: SlackAppServers, slack_client: SignedSlackClient, fake_slack: FakeSlackApi
) -> None:
    seen: list[SubcommandRequest] = []

    def join(request: SubcommandRequest) -> None:
        seen.append(request)
        request.respond(text=f"Dispatching {request.args.split()[0]}…", response_type="in_channel")

    services = Services()
    services.subcommands.register("join", join)
    slack_app_server(services)

    delivery = slack_client.slash("/room", "Join  Boardroom https://zoom.us/j/123456789", user_id="U2",
                                  channel_id="C9")
    assert delivery.status_code == 200
    assert reply_to(fake_slack, delivery)["text"] == "Dispatching Boardroom…"
    [request] = seen
    assert (request.name, request.args) == ("join", "Boardroom https://zoom.us/j/123456789")
    assert (request.user_id, request.channel_id, request.team_id) == ("U2", "C9", "T0TEST")
    assert request.trigger_id and not request.is_admin and request.services is services
    assert request.command_text == "/room join"
    assert [m.text for m in fake_slack.messages_in("C9")] == ["Dispatching Boardroom…"]

    help_reply = reply_to(fake_slack, slack_client.slash("/room", "help"))
    lines = blocks_text(help_reply).splitlines()
    assert not any(line.startswith("`/room join") and "not available yet" in line for line in lines)
    assert any(line.startswith("`/room list") and "not available yet" in line for line in lines)


def test_admin_subcommands_are_for_admins_only(
    slack_app_server: SlackAppServers, slack_client: SignedSlackClient, fake_slack: FakeSlackApi
) -> None:
    ran = threading.Event()
    services = Services()
    services.subcommands.register("sync", lambda request: (ran.set(), request.respond(text="Synced 3 rooms.")))
    slack_app_server(services)

    refused = reply_to(fake_slack, slack_client.slash("/room", "sync", user_id="U1"))
    assert refused["text"].startswith("`/room sync` is for roombot admins.")
    assert not ran.is_set()

    assert reply_to(fake_slack, slack_client.slash("/room", "sync", user_id=TEST_ADMIN))["text"] == "Synced 3 rooms."
    assert ran.is_set()

    unregistered = reply_to(fake_slack, slack_client.slash("/room", "audit", user_id=TEST_ADMIN))
    assert unregistered["text"].startswith("`/room audit` is not available yet.")
    assert "*Admin commands*" in blocks_text(reply_to(fake_slack, slack_client.slash("/room", "", user_id=TEST_ADMIN)))


def test_unexpected_exception_becomes_a_clear_reply(
    slack_app_server: SlackAppServers, slack_client: SignedSlackClient, fake_slack: FakeSlackApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def status(request: SubcommandRequest) -> None:
        raise RuntimeError("zoom said no; token=xoxb-leaky-secret")

    services = Services()
    services.subcommands.register("status", status)
    slack_app_server(services)

    delivery = slack_client.slash("/room", "status Boardroom")
    assert delivery.status_code == 200
    reply = reply_to(fake_slack, delivery)
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("roombot hit an unexpected error and stopped before finishing.")
    everything = fake_slack.all_text()
    for leak in ("Traceback", "RuntimeError", "xoxb-leaky-secret", "zoom said no", 'File "'):
        assert leak not in everything
    reference = reply["text"].rsplit("`", 2)[-2]
    assert len(reference) == 8
    # The operator can find the details under the same reference.
    assert any(reference in record.getMessage() and record.exc_info for record in caplog.records)


def test_user_facing_error_is_shown_as_written(
    slack_app_server: SlackAppServers, slack_client: SignedSlackClient, fake_slack: FakeSlackApi
) -> None:
    def leave(request: SubcommandRequest) -> None:
        raise UserFacingError("There is no room called *Boardrom*.", hint="Did you mean *Boardroom*?")

    services = Services()
    services.subcommands.register("leave", leave)
    slack_app_server(services)

    reply = reply_to(fake_slack, slack_client.slash("/room", "leave Boardrom"))
    assert reply["response_type"] == "ephemeral"
    assert reply["text"] == "There is no room called *Boardrom*. Did you mean *Boardroom*?"
    assert reply["blocks"][0]["text"]["text"] == ":warning: There is no room called *Boardrom*."
