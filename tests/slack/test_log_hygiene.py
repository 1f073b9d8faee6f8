"""Log hygiene, over real HTTP with signed requests: what users type never reaches a log, what reaches a log
cannot forge lines or carry a ``pwd=`` token, and a request that fails Slack's signature check is refused
with one short line — whatever its body or headers hold.

The rule: logs carry reason codes (an error class, a short fixed code), room names and meeting numbers, never
text a user typed.  Replies may quote what the requester typed back to them alone (ephemerally); a channel
message never carries a passcode or a ``pwd=`` token.  tests/slack/rooms/test_no_passcode_leaks.py follows
passcodes through successful dispatches; this file sends them through every `/room` subcommand and refusal.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot import logsafety
from bot.app import create_app
from bot.cli import serve as serve_command
from bot.devtools.loopback import LoopbackServer
from bot.dispatch.service import DispatchPolicy
from bot.services import Services
from bot.slack.bookings import install as install_bookings
from bot.slack.rooms import install as install_rooms
from tests.support.slack import (
    TEST_ADMIN,
    TEST_BOT_TOKEN,
    FakeSlackApi,
    SignedSlackClient,
    SlackAppServers,
    SlackCall,
    SlackDelivery,
    strings_in,
)
from tests.support.stack import Stack

SEED = "w46!(i{74n"  # a Zoom-generated passcode a room cannot type
STATED = "Xk7_9ab"
PWD_TOKEN = "AbCdEfGh12"
MEETING = "85512345678"
LINK = f"https://zoom.us/j/{MEETING}?pwd={PWD_TOKEN}"
SECRETS = (SEED, STATED, PWD_TOKEN)
PWD = re.compile(r"pwd(?:=|%3D)(?!\[redacted\])[^&\s]+", re.IGNORECASE)
USER, HOST = "U1", "UHOST"
CHANNEL = "C1"
PROGRESS_PREFIX = ":hourglass_flowing_sand:"
POLICY = DispatchPolicy(watch_timeout=3.0, poll_interval=0.05, first_poll_delay=0.0)
LONGEST_LINE = 1000


@dataclass
class Bot:
    stack: Stack
    slack: FakeSlackApi
    client: SignedSlackClient

    def room(self, text: str, *, user: str = USER) -> SlackDelivery:
        delivery = self.client.slash("/room", text, user_id=user, channel_id=CHANNEL)
        assert delivery.status_code == 200, delivery.response.text
        return delivery

    def ask(self, text: str, *, user: str = USER, contains: str = "") -> str:
        """`/room <text>`; wait for the (first) reply through the response_url and return all its text."""
        delivery = self.room(text, user=user)
        reply = self.slack.wait_for(lambda: self.slack.responses(delivery.response_url), 15,
                                    what=f"reply to /room {text}")[0]
        said = "\n".join([str(reply.params.get("text", "")), *strings_in(reply.params.get("blocks") or [])])
        assert contains in said, said
        return said

    def dispatch(self, text: str, *, settled_prefix: str, user: str = USER) -> Any:
        """`/room <text>` that posts a card in the channel; wait until that card no longer shows progress."""
        before = len(self.slack.messages_in(CHANNEL))
        self.room(text, user=user)

        def card() -> Any:
            messages = self.slack.messages_in(CHANNEL)
            if len(messages) > before and not messages[before].text.startswith(PROGRESS_PREFIX):
                return messages[before]
            return None

        settled = self.slack.wait_for(card, 20, what=f"a settled card after /room {text}")
        assert settled.text.startswith(settled_prefix), settled.text
        return settled


@pytest.fixture
def bot(make_stack: Callable[..., Stack], slack_app_server: SlackAppServers, fake_slack: FakeSlackApi,
        slack_client: SignedSlackClient, caplog: pytest.LogCaptureFixture) -> Iterator[Bot]:
    """Rooms and bookings on the events API, every `/room` subcommand registered, meeting MEETING (passcode
    STATED) known to the simulator; logging at DEBUG before the app exists (Bolt copies the root logger's
    level into its own loggers when it creates them)."""
    caplog.set_level(logging.DEBUG)
    fake_slack.add_user(HOST, name="hana", email="host@example.com")
    fake_slack.add_user(TEST_ADMIN, name="admin", email="admin@example.com")
    stack = make_stack(rooms_api="events", policy=POLICY)
    services = Services(zoom=stack.zoom, session_factory=stack.db.sessions, engine=stack.engine,
                        dispatcher=stack.async_dispatcher, meetings=stack.async_meetings,
                        secret_box=stack.async_dispatcher.trail.secret_box)
    install_rooms(services)
    install_bookings(services)
    slack_app_server(services=services)
    stack.admin("POST", "/meetings", {"id": MEETING, "password": STATED})
    yield Bot(stack, fake_slack, slack_client)


def written(record: logging.LogRecord) -> str:
    """What a handler writes for ``record``: its final message and its traceback text."""
    return "\n".join(part for part in (record.getMessage(), record.exc_text, record.stack_info) if part)


def secrets_logged(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, str]]:
    found = []
    for record in caplog.records:
        text = written(record)
        for secret in SECRETS:
            if secret in text:
                found.append((record.name, secret, text[:300]))
        if PWD.search(text):
            found.append((record.name, "pwd=", text[:300]))
    for secret in SECRETS:
        if secret in caplog.text:
            found.append(("(formatted)", secret, ""))
    return found


def seen_by_others(call: SlackCall) -> bool:
    """Could people other than the requester see what this call sent?"""
    if call.method in ("chat.postEphemeral", "ack", "views.open", "views.update", "views.push", "views.publish"):
        return False
    if call.method == "response_url":
        return call.params.get("response_type") == "in_channel"
    return True


def run_every_subcommand(bot: Bot) -> None:
    """Every `/room` subcommand, with passcodes and pwd tokens where the grammar takes text, through its
    refusals and its successes; each waits for its reply."""
    # -- the shell: help, unknown words, admin-only refusals ------------------------------------------
    bot.ask(f"help {STATED}")
    bot.ask(STATED)  # not a subcommand: "did you mean"
    bot.ask(f"{LINK} {SEED}")
    bot.ask(f"sync {STATED}", contains="admin")  # U1 is not an admin
    bot.ask(f"audit {SEED}", contains="admin")
    bot.ask(f"list {SEED}")
    bot.ask("list")

    # -- join: usage, unknown room (the passcode as the room name), bad links, then real joins -----------
    bot.ask(f"join {STATED}")
    bot.ask(f"join {SEED} {MEETING} {STATED}")
    bot.ask(f"join {STATED} {LINK}")
    bot.ask(f"join Boardroom https://example.com/j/{MEETING}?pwd={PWD_TOKEN}")
    bot.ask(f"join Boardroom https://zoom.us/my/{STATED}?pwd={PWD_TOKEN}")
    bot.dispatch(f"join Boardroom {MEETING} {SEED}{SEED}{SEED}", settled_prefix="")  # longer than any passcode
    bot.dispatch(f"join Boardroom {MEETING} {STATED}", settled_prefix="Boardroom is in meeting")
    bot.dispatch("leave Boardroom", settled_prefix="Boardroom is leaving")
    bot.dispatch(f"join Boardroom {LINK} {STATED}", settled_prefix="Boardroom is in meeting")
    bot.dispatch("leave Boardroom", settled_prefix="Boardroom is leaving")
    # a wrong passcode: the room sits on the passcode prompt until the watch gives up and clears it
    bot.dispatch(f"join Huddle 3 {MEETING} {SEED}", settled_prefix="")

    # -- new / leave / status ----------------------------------------------------------------------------
    bot.ask("new")
    bot.ask(f"new {SEED}")
    bot.ask(f"new {SEED} Planning {STATED}")
    bot.ask(f"leave {SEED}")
    bot.ask(f"leave {STATED} {PWD_TOKEN}")
    bot.ask(f"status {SEED}")
    bot.ask("status Boardroom")

    # -- bookings ------------------------------------------------------------------------------------------
    bot.ask(f"book Boardroom tomorrow 9am {MEETING} {STATED} for -1h {STATED}")
    bot.ask(f"book Boardroom tomorrow 9am {LINK} for {SEED}")
    bot.ask(f"book Boardroom tomorrow 9am {MEETING} {STATED} every {SEED}")
    bot.ask(f"book Boardroom {SEED} {MEETING} {STATED}")
    bot.ask(f"book {SEED} tomorrow 9am {MEETING} {STATED}")
    bot.ask(f"book Boardroom tomorrow 9am https://example.com/j/1?pwd={PWD_TOKEN}")
    bot.ask(f"book Boardroom tomorrow 9am {LINK} {STATED} for 30m", contains="Booked")
    bot.ask(f"bookings {SEED}")
    bot.ask("bookings mine")
    bot.ask(f"cancel {SEED}")
    bot.ask(f"cancel 999 {STATED}")

    # -- admin ---------------------------------------------------------------------------------------------
    bot.ask(f"sync {STATED}", user=TEST_ADMIN)
    bot.ask("add Boardroom", user=TEST_ADMIN)
    # the last word is a Zoom room id, which goes into Zoom's URL (and so the access log): not a secret
    bot.ask(f"add {SEED} {STATED} NoSuchZoomRoomId", user=TEST_ADMIN, contains="NoSuchZoomRoomId")
    bot.ask(f"alias {SEED} {STATED}", user=TEST_ADMIN)
    bot.ask(f"alias {STATED}", user=TEST_ADMIN)
    bot.ask(f"remove {SEED}", user=TEST_ADMIN)
    bot.ask(f"allow {SEED} <#C1>", user=TEST_ADMIN)
    bot.ask(f"allow {SEED}", user=TEST_ADMIN)
    bot.ask(f"allow Boardroom {STATED}", user=TEST_ADMIN)
    bot.ask(f"audit {SEED}", user=TEST_ADMIN)


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_every_subcommand_and_refusal_keeps_secrets_out_of_logs_and_channels(
        bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    run_every_subcommand(bot)
    time.sleep(0.3)  # late log lines (progress edits, audit rows) of the last dispatches

    assert any(r.name.startswith("slack_sdk") and r.levelno == logging.DEBUG for r in caplog.records)
    assert any(r.name.startswith("slack_bolt") and r.levelno == logging.DEBUG for r in caplog.records)
    leaks = secrets_logged(caplog)
    assert leaks == [], "\n".join(map(str, leaks))
    refusals = [r.getMessage() for r in caplog.records if r.name == "bot.slack.errors"
                and "told the" in r.getMessage()]
    # a reason code says why: the class of what was refused, not the reply
    assert any(m.endswith("UserFacingError<-BookRequestError") for m in refusals), refusals
    assert any(m.startswith("alias: ") and m.endswith("UserFacingError<-RoomNotFound") for m in refusals), refusals

    for call in bot.slack.calls():
        if seen_by_others(call):
            sent = "\n".join(strings_in(call.params))
            assert not PWD.search(sent), f"a pwd= token reached the channel in {call.method}: {sent[:300]}"
            for secret in SECRETS:
                assert secret not in sent, f"{secret!r} reached the channel in {call.method}: {sent[:300]}"


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_no_reply_at_all_carries_a_pwd_token(bot: Bot) -> None:
    """Only the requester sees these replies, but a pwd token admits anyone: it is never echoed, nor kept in
    the audit trail that `/room audit` shows."""
    bot.ask(LINK)
    bot.ask(f"status {LINK}")
    bot.ask(f"leave {LINK}")
    bot.ask(f"bookings {STATED}?pwd={PWD_TOKEN}")
    bot.ask("audit", user=TEST_ADMIN)
    echoed = [call.method for call in bot.slack.calls() if PWD.search("\n".join(strings_in(call.params)))]
    assert echoed == []


# ------------------------------------------------------------------------------------------ signatures


def slash_body(text: str) -> str:
    return urlencode({"token": "deprecated", "team_id": "T0TEST", "channel_id": CHANNEL, "user_id": USER,
                      "command": "/room", "text": text, "api_app_id": "A0TEST",
                      "response_url": "http://127.0.0.1:9/never", "trigger_id": "1.2.3"})


def test_bad_signatures_keep_the_body_out_of_the_log(
        slack_client: SignedSlackClient, fake_slack: FakeSlackApi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    stale = int(time.time()) - 10 * 60
    # a genuine request, signed with the right secret, replayed too late: it carries a passcode and a pwd token
    assert slack_client.slash("/room", f"join Boardroom {LINK} {STATED}", timestamp=stale).status_code == 401
    assert slack_client.post("x" * 1_000_000, "application/x-www-form-urlencoded", signed=False).status_code == 401
    assert slack_client.post(slash_body(STATED), "application/x-www-form-urlencoded",
                             signature="v0=" + "0" * 64).status_code == 401
    assert fake_slack.responses() == []  # and nothing ran

    assert secrets_logged(caplog) == []
    longest = max(caplog.records, key=lambda r: len(written(r)))
    assert len(written(longest)) <= LONGEST_LINE, (longest.name, written(longest)[:200])
    refused = [re.fullmatch(r"refused a request to /slack/events: invalid signature \((.+); (\d+)-byte body\)",
                            r.getMessage()) for r in caplog.records if r.name == "bot.web"]
    assert [(m.group(1), int(m.group(2)) > 100) for m in refused if m] == [
        ("stale timestamp", True), ("no timestamp", True), ("wrong signature", True)]
    assert int(refused[1].group(2)) == 1_000_000


@pytest.mark.parametrize("headers", [
    pytest.param({"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=" + "0" * 64}, id="word"),
    pytest.param({"X-Slack-Request-Timestamp": "1e9", "X-Slack-Signature": "v0=" + "0" * 64}, id="float"),
    pytest.param({"X-Slack-Request-Timestamp": "", "X-Slack-Signature": "v0=" + "0" * 64}, id="empty"),
    pytest.param({"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=\u00e9" * 20},
                 id="non-ascii-signature"),
])
def test_a_malformed_signature_header_is_refused_like_any_bad_signature(
        slack_client: SignedSlackClient, fake_slack: FakeSlackApi, caplog: pytest.LogCaptureFixture,
        headers: dict[str, str]) -> None:
    caplog.set_level(logging.DEBUG)
    encoded = {name: value.encode("latin-1") for name, value in headers.items()}
    response = slack_client.post(slash_body(f"join Boardroom {MEETING} {STATED}"),
                                 "application/x-www-form-urlencoded", signed=False, headers=encoded)  # type: ignore[arg-type]
    assert response.status_code == 401, response.text
    assert response.json() == {"error": "invalid request"}
    assert fake_slack.calls() == []  # nothing ran, nothing was posted to the payload's response_url
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
    assert secrets_logged(caplog) == []


def test_bolt_alone_refuses_a_malformed_timestamp_and_uses_nothing_in_the_body(
        slack_settings: Any, fake_slack: FakeSlackApi, caplog: pytest.LogCaptureFixture) -> None:
    """Without bot.web's check in front (another adapter, a test harness), Bolt's own verification raises on a
    timestamp that is not a number; the central error handler then refuses the request instead of answering
    it, and never posts to the response_url the unverified body names."""
    caplog.set_level(logging.DEBUG)
    server = LoopbackServer(SlackRequestHandler(create_app(slack_settings)), name="bolt-alone")
    server.start()
    try:
        client = SignedSlackClient(fake_slack, "not-the-signing-secret", lambda: f"{server.url}/slack/events")
        headers = {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=" + "0" * 64}
        command = client.slash("/room", f"join Boardroom {LINK} {STATED}", signed=False, headers=headers)
        click = client.block_action("leave", "x", signed=False, headers=headers)
        client.close()
    finally:
        server.stop()
    assert (command.status_code, click.status_code) == (401, 401)
    assert fake_slack.calls() == []
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
    assert "refused a Slack request that failed verification or authorization (ValueError)" in caplog.messages
    assert secrets_logged(caplog) == []


# ------------------------------------------------------------------------------------------ the filter


def test_the_root_filter_escapes_line_breaks_and_redacts_pwd_tokens(
        slack_app_server: SlackAppServers, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    slack_app_server()  # create_app installs the filter on the root logger's handlers
    assert all(logsafety.LOG_SAFETY in handler.filters for handler in logging.getLogger().handlers)

    # log lines of modules outside the Slack shell (the booking worker here) get the same treatment
    worker_log = logging.getLogger("bot.scheduling")
    worker_log.info("occurrence %s skipped: %s", 7, "forged\r\n2026-01-01 INFO bot: all fine\x1b[2J https://zoom.us/j/"
                    f"{MEETING}?pwd={PWD_TOKEN}&uname=x")
    worker_log.info("form body text=join+Boardroom+https%%3A%%2F%%2Fzoom.us%%2Fj%%2F1%%3Fpwd%%3D%s%%26x%%3D1",
                    PWD_TOKEN)
    try:
        raise ValueError(f"bad link {LINK}")
    except ValueError:
        worker_log.warning("could not parse", exc_info=True)
    logging.getLogger("slack_sdk.webhook.client").debug(
        'Sending a request - url: http://127.0.0.1/response/R1, body: {"text": "No room called \u201c%s\u201d"}, '
        "headers: {}", SEED)
    logging.getLogger("slack_sdk.web.base_client").debug(
        "Received the following response - status: 200, headers: {}, body: "
        '{"ok": false, "error": "channel_not_found", "text": "%s"}', STATED)

    skipped, form, failed, sent, received = caplog.records[-5:]
    assert skipped.getMessage() == (
        "occurrence 7 skipped: forged\\r\\n2026-01-01 INFO bot: all fine\\x1b[2J "
        f"https://zoom.us/j/{MEETING}?pwd=[redacted]&uname=x")
    assert form.getMessage() == "form body text=join+Boardroom+https%3A%2F%2Fzoom.us%2Fj%2F1%3Fpwd=[redacted]%26x%3D1"
    assert PWD_TOKEN not in (failed.exc_text or "") and "pwd=[redacted]" in (failed.exc_text or "")
    assert re.fullmatch(r"Sending a request - url: http://127\.0\.0\.1/response/R1, body: \[\d+ chars not logged\]",
                        sent.getMessage()), sent.getMessage()
    assert re.fullmatch(r"Received the following response - status: 200, headers: \{\}, "
                        r"body: \[\d+ chars not logged; error: channel_not_found\]", received.getMessage())
    # one line per record, plus the traceback's own lines
    assert len(caplog.text.splitlines()) == len(caplog.records) + 1 + failed.exc_text.count("\n")
    assert secrets_logged(caplog) == []


def test_serve_installs_the_filter_once_logging_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    monkeypatch.setattr(serve_command.logging, "basicConfig", lambda **_: order.append("basicConfig"))
    monkeypatch.setattr(logsafety, "install", lambda *_, **__: order.append("install"))
    monkeypatch.setattr(serve_command, "check_schema", lambda settings: None)
    monkeypatch.setattr(serve_command, "build_services", lambda settings, **_: Services())
    monkeypatch.setattr(serve_command, "close_services", lambda services: None)
    monkeypatch.setattr(serve_command, "serve_http",
                        lambda settings, services, threads, **_: order.append("serve") or 0)
    env = {"SLACK_BOT_TOKEN": TEST_BOT_TOKEN, "SLACK_SIGNING_SECRET": "x", "ROOMBOT_SECRET_KEY": "k",
           "ZOOM_ACCOUNT_ID": "a", "ZOOM_CLIENT_ID": "b", "ZOOM_CLIENT_SECRET": "c"}
    args = serve_command.argparse.Namespace(no_worker=True, threads=2)
    assert serve_command.run(args, env) == 0
    assert order == ["basicConfig", "install", "serve"]
