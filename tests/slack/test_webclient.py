"""``PooledWebClient``: slack_sdk's client over kept-alive connections, answering exactly as slack_sdk's own
transport does — Slack errors, rate limits and an unreachable Slack included — against the fake Slack Web API
over loopback HTTP."""

from __future__ import annotations

import socket
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.devtools.fake_slack import FakeSlackApi
from bot.slack import webclient
from bot.slack.webclient import PooledWebClient, pooled_like

TOKEN = "xoxb-pooled-test"


@pytest.fixture
def slack() -> FakeSlackApi:
    with FakeSlackApi(bot_token=TOKEN) as api:
        yield api


def accepted(api: FakeSlackApi) -> int:
    server = api._server._server
    assert server is not None
    return server.connections_accepted


def test_calls_share_one_connection_and_post_what_was_asked(slack: FakeSlackApi) -> None:
    client = PooledWebClient(token=TOKEN, base_url=slack.api_url)
    ts = client.chat_postMessage(channel="C1", text="Boardroom is joining")["ts"]
    for text in ("Boardroom is in the meeting", "Boardroom left"):
        client.chat_update(channel="C1", ts=ts, text=text)
    assert [m.text for m in slack.messages_in("C1")] == ["Boardroom left"]
    assert [call.token for call in slack.calls("chat.update")] == [TOKEN, TOKEN]
    assert accepted(slack) == 1


def test_slack_sdk_own_client_opens_a_connection_per_call(slack: FakeSlackApi) -> None:
    # The baseline the pooled client is measured against: what this change is for.
    client = WebClient(token=TOKEN, base_url=slack.api_url)
    for _ in range(3):
        client.auth_test()
    assert accepted(slack) == 3


def test_a_slack_error_answer_is_a_slack_api_error(slack: FakeSlackApi) -> None:
    slack.close_channel("C_PRIVATE")
    client = PooledWebClient(token=TOKEN, base_url=slack.api_url)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C_PRIVATE", text="hello")
    assert raised.value.response["error"] == "channel_not_found"


def test_a_rate_limit_answer_keeps_its_status_and_retry_after(slack: FakeSlackApi) -> None:
    slack.inject_error("chat.postMessage", "ratelimited", status=429, headers={"Retry-After": "7"})
    client = PooledWebClient(token=TOKEN, base_url=slack.api_url)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="hello")
    assert raised.value.response.status_code == 429
    assert raised.value.response["error"] == "ratelimited"
    assert raised.value.response.headers["Retry-After"] == "7"


def test_slack_sdk_rate_limit_retry_handler_still_retries(slack: FakeSlackApi) -> None:
    slack.inject_error("chat.postMessage", "ratelimited", status=429, headers={"Retry-After": "0"})
    client = PooledWebClient(token=TOKEN, base_url=slack.api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    assert client.chat_postMessage(channel="C1", text="hello")["ok"] is True
    assert len(slack.calls("chat.postMessage")) == 2


def test_slack_unreachable_raises_url_error_as_urllib_would() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = PooledWebClient(token=TOKEN, base_url=f"http://127.0.0.1:{port}/api/")
    with pytest.raises(URLError) as raised:
        client.auth_test()
    assert TOKEN not in str(raised.value)


def test_pooled_like_keeps_token_team_and_retry_handlers(slack: FakeSlackApi) -> None:
    original = WebClient(token="xoxe-workflow-token", base_url=slack.api_url, team_id="T123")
    original.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    pooled = pooled_like(original)
    assert isinstance(pooled, PooledWebClient)
    assert (pooled.token, pooled.base_url, pooled.default_params) == ("xoxe-workflow-token", slack.api_url,
                                                                     {"team_id": "T123"})
    assert [type(h) for h in pooled.retry_handlers] == [type(h) for h in original.retry_handlers]
    assert pooled_like(pooled) is pooled


def test_a_forked_process_gets_its_own_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = webclient.shared_pool()
    assert webclient.shared_pool() is parent
    monkeypatch.setattr(webclient.os, "getpid", lambda: -1)  # as in a child after fork
    child = webclient.shared_pool()
    assert child is not parent and webclient.shared_pool() is child


def test_answers_are_decoded_by_their_charset(slack: FakeSlackApi) -> None:
    client = PooledWebClient(token=TOKEN, base_url=slack.api_url)
    answer = client.chat_postMessage(channel="C1", text="Café ☕ is in the meeting")
    assert answer["message"]["text"] == "Café ☕ is in the meeting"
