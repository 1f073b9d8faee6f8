"""The one error path (bot.slack.errors): the reporter after the ack, where its replies go, and the two ways a
listener is registered so that a failure after ``ack()`` is told instead of re-raised into Bolt."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from slack_bolt import Ack, App, BoltContext

from bot.services import Services
from bot.slack.blocks import SlackMessage
from bot.slack.errors import ReplyTo, UserFacingError, acks_itself, report_after_ack, report_failure
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.slack.lane import defer, deferred
from bot.slack.rooms import flow
from bot.store.db import DatabaseUnavailable
from bot.zoom.errors import ZoomUnavailable
from tests.support.slack import FakeSlackApi, SignedSlackClient, SlackAppServers


class RecordingClient:
    """The WebClient methods a reply may use, recorded."""

    def __init__(self, *, fail: bool = False) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail

    def _record(self, method: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((method, kwargs))
        if self.fail:
            raise RuntimeError("slack is down")
        return {"ok": True}

    def chat_postEphemeral(self, **kwargs: Any) -> dict[str, Any]:
        return self._record("chat.postEphemeral", kwargs)

    def chat_postMessage(self, **kwargs: Any) -> dict[str, Any]:
        return self._record("chat.postMessage", kwargs)

    def views_open(self, **kwargs: Any) -> dict[str, Any]:
        return self._record("views.open", kwargs)


def context_for(client: RecordingClient, *, user: str | None = "U1", channel: str | None = None,
                responses: list[dict[str, Any]] | None = None) -> BoltContext:
    context = BoltContext({"client": client, "user_id": user, "channel_id": channel})
    if responses is not None:
        context["response_url"] = "https://hooks.slack.test/response"
        context["respond"] = lambda **kwargs: responses.append(kwargs)
    return context


MESSAGE = SlackMessage(text="Boardroom is offline.")


# ------------------------------------------------------------------------------------------ where replies go


def test_reply_goes_through_response_url_first() -> None:
    client, responses = RecordingClient(), []
    ReplyTo.request({"type": "block_actions", "trigger_id": "T1"}, context_for(client, channel="C1",
                                                                              responses=responses)).send(MESSAGE)
    assert responses == [{"response_type": "ephemeral", "replace_original": False, "text": "Boardroom is offline.",
                          "blocks": []}]
    assert client.calls == []


def test_reply_is_ephemeral_in_the_channel_without_response_url() -> None:
    client = RecordingClient()
    ReplyTo.request({"type": "block_actions"}, context_for(client, channel="C1")).send(MESSAGE)
    assert [(method, kwargs["channel"], kwargs["user"]) for method, kwargs in client.calls] == [
        ("chat.postEphemeral", "C1", "U1")]


def test_a_global_shortcut_is_answered_in_a_modal() -> None:
    client = RecordingClient()
    ReplyTo.request({"type": "shortcut", "trigger_id": "T1"}, context_for(client)).send(MESSAGE)
    [(method, kwargs)] = client.calls
    assert method == "views.open" and kwargs["trigger_id"] == "T1"


def test_a_submitted_form_is_answered_by_direct_message() -> None:
    """The ack closed the modal; its trigger may be too old for another one, so the app writes to the user."""
    client = RecordingClient()
    ReplyTo.request({"type": "view_submission", "trigger_id": "T1"}, context_for(client)).send(MESSAGE)
    assert [(method, kwargs["channel"]) for method, kwargs in client.calls] == [("chat.postMessage", "U1")]


def test_a_reply_that_cannot_be_posted_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    ReplyTo.request({"type": "block_actions"}, context_for(RecordingClient(fail=True), channel="C1")).send(MESSAGE)
    ReplyTo.request({"type": "block_actions"}, context_for(RecordingClient(), user=None)).send(MESSAGE)
    assert "could not post an error reply for a Slack block_actions" in caplog.text
    assert "could not tell anyone about a failed Slack block_actions" in caplog.text


# ------------------------------------------------------------------------------------------ what is said


def test_user_facing_error_is_told_as_written_and_logged_by_its_reason(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.slack.errors")
    told: list[SlackMessage] = []
    try:
        raise UserFacingError("No room called *Pc-Secret-1*.", hint="Try `/room list`.", code="unknown_room")
    except UserFacingError as error:
        report_failure(error, told.append, where="join")
    assert [m.text for m in told] == ["No room called *Pc-Secret-1*. Try `/room list`."]
    assert "join: told the requester why it stopped: unknown_room" in caplog.messages
    assert "Pc-Secret-1" not in caplog.text


def test_outage_is_said_plainly_with_the_callers_next_step() -> None:
    told: list[SlackMessage] = []
    report_failure(DatabaseUnavailable("sqlite:///x.sqlite3", "unable to open"), told.append, where="a dispatch",
                   next_step=flow.CHECK_THE_ROOM)
    report_failure(ZoomUnavailable("upstream 503", status=503), told.append, where="status")
    database, zoom = (m.text for m in told)
    assert database == ("roombot cannot reach its database right now, so nothing was done. "
                        f"{flow.CHECK_THE_ROOM}")
    assert zoom.startswith("Zoom did not do it: Zoom did not answer properly") and "Try again in a minute." in zoom


def test_unexpected_error_gets_a_reference_the_log_shares(caplog: pytest.LogCaptureFixture) -> None:
    told: list[SlackMessage] = []
    report_failure(KeyError("secret-detail"), told.append, where="dispatch_button")
    [message] = told
    assert message.text.startswith("roombot hit an unexpected error and stopped before finishing.")
    assert "secret-detail" not in message.text
    reference = message.text.rsplit("`", 2)[-2]
    [record] = [r for r in caplog.records if reference in r.getMessage()]
    assert record.exc_info and record.getMessage().startswith("unexpected error in dispatch_button")


def test_a_reporter_that_fails_to_report_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    def broken(message: SlackMessage) -> None:
        raise RuntimeError("chat.update failed")

    report_failure(UserFacingError("x"), broken, where="a dispatch")
    assert "could not report a failure in a dispatch to Slack" in caplog.text


def test_events_have_no_one_to_tell(caplog: pytest.LogCaptureFixture) -> None:
    client = RecordingClient()
    body = {"type": "event_callback", "event": {"type": "app_home_opened", "user": "U1", "channel": "D1"}}
    report_after_ack(RuntimeError("home"), body, context_for(client, channel="D1"), where="publish_home_tab")
    assert client.calls == []
    assert any(r.getMessage().startswith("unexpected error in publish_home_tab") for r in caplog.records)


# ------------------------------------------------------------------------------------------ registration styles


def test_acks_itself_reraises_before_the_ack_and_reports_after_it() -> None:
    def listener(ack: Ack, view: dict) -> None:
        if view.get("broken_before"):
            raise UserFacingError("before")
        ack()
        raise UserFacingError("after the ack")

    guarded = acks_itself(listener)
    client, responses, acks = RecordingClient(), [], []
    context = context_for(client, responses=responses)
    with pytest.raises(UserFacingError):  # the central handler answers in the HTTP response
        guarded(ack=acks.append, body={}, context=context, view={"broken_before": True})
    assert responses == [] and acks == []
    guarded(ack=lambda: acks.append("acked"), body={"type": "view_submission"}, context=context, view={})
    assert acks == ["acked"] and [r["text"] for r in responses] == ["after the ack"]


def test_a_deferred_listener_that_raises_is_told_to_the_clicker(
    slack_app_server: SlackAppServers, slack_client: SignedSlackClient, fake_slack: FakeSlackApi
) -> None:
    def broken_button(body: dict) -> None:
        raise UserFacingError("Boardroom is offline in Zoom.", hint="Check its power and network.")

    def broken_other_button(body: dict) -> None:
        raise KeyError("secret-detail")

    def register(app: App) -> None:
        app.action(ActionId.JOIN_ANYWAY)(deferred(broken_button))
        app.action(ActionId.RETRY)(deferred(broken_other_button))

    slack_app_server(Services(slack_extensions=[register]))
    delivery = slack_client.block_action(ActionId.JOIN_ANYWAY, "x")
    assert delivery.status_code == 200
    [reply] = fake_slack.wait_for(lambda: fake_slack.responses(delivery.response_url), what="reply")
    assert reply.params["text"] == "Boardroom is offline in Zoom. Check its power and network."
    assert reply.params["replace_original"] is False

    delivery = slack_client.block_action(ActionId.RETRY, "x")
    [reply] = fake_slack.wait_for(lambda: fake_slack.responses(delivery.response_url), what="reply")
    assert reply.params["text"].startswith("roombot hit an unexpected error")
    assert "secret-detail" not in fake_slack.all_text()


def test_a_form_whose_work_fails_after_the_ack_is_answered_by_direct_message(
    slack_app_server: SlackAppServers, slack_client: SignedSlackClient, fake_slack: FakeSlackApi
) -> None:
    def submitted(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()

        def work() -> None:
            raise UserFacingError("That room is no longer known to roombot.")

        defer(context, work, body=body)

    def register(app: App) -> None:
        app.view(CallbackId.PASSCODE_MODAL)(acks_itself(submitted))

    slack_app_server(Services(slack_extensions=[register]))
    delivery = slack_client.view_submission(CallbackId.PASSCODE_MODAL, {BlockId.PASSCODE: {}}, user_id="U7")
    assert delivery.status_code == 200
    [message] = fake_slack.wait_for(lambda: fake_slack.messages_in("U7"), what="a direct message")
    assert message.text == "That room is no longer known to roombot."


# ------------------------------------------------------------------------------------------ a dispatch


class Progress:
    def __init__(self) -> None:
        self.finished: list[SlackMessage] = []

    def finish(self, message: SlackMessage) -> None:
        self.finished.append(message)


@pytest.mark.parametrize(("error", "said", "next_step"), [
    (DatabaseUnavailable("sqlite:///x.sqlite3", "gone"), "roombot cannot reach its database", flow.CHECK_THE_ROOM),
    (ZoomUnavailable("upstream 503", status=503), "Zoom did not do it", flow.TRY_AGAIN_SOON),
    (RuntimeError("bug"), "roombot hit an unexpected error", "Check the room's status before trying again."),
])
def test_a_dispatch_that_fails_ends_its_progress_message_with_words(error: Exception, said: str,
                                                                      next_step: str) -> None:
    async def dispatch() -> Any:
        raise error

    progress = Progress()
    assert asyncio.run(flow._guarded(progress, dispatch())) is None  # type: ignore[arg-type]
    [message] = progress.finished
    assert message.text.startswith(said) and next_step in message.text
