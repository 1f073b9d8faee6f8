"""The Workflow Builder step "Send a Zoom Room to a meeting", over real HTTP: signed ``function_executed``
events as Slack sends them, the real app, the Zoom simulator and a migrated database.

The step is acknowledged at once, goes through the dispatch flow of `/room join` (access rules, audit trail),
and is completed only with the verified outcome: ``functions.completeSuccess`` when the room was seen in the
meeting, ``functions.completeError`` with the reason in plain words otherwise.  Its passcode input never
reaches Slack or a log.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_bolt import BoltContext

from bot.devtools.fake_slack import FunctionExecution
from bot.dispatch.reasons import Why, reason
from bot.meetings import quote_typed
from bot.services import Services
from bot.slack.ids import FunctionId
from bot.slack.lane import LANE_KEY, ListenerLane
from bot.slack.listeners.functions import NOT_SET_UP, STEP_BUSY, StepRun, send_room_step
from bot.slack.middleware import SERVICES_KEY
from bot.slack.wording import describe
from bot.store import rooms as room_store
from bot.store.db import session_scope
from bot.store.models import Dispatch
from bot.store.types import AccessPrincipal, DispatchOutcome, DispatchSource
from tests.slack.rooms.conftest import EXTERNAL_ID, RoomBot
from tests.support.slack import SlackDelivery, strings_in

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])

PASSCODE = "Xk7_9ab"
MANIFEST = Path(__file__).resolve().parents[3] / "manifest.yml"
STEP = yaml.safe_load(MANIFEST.read_text())["functions"][FunctionId.SEND_ROOM_STEP]


def run_step(bot: RoomBot, room: str, meeting: str, *, passcode: str | None = None,
             requested_by: str | None = "U1") -> SlackDelivery:
    inputs: dict[str, Any] = {"room": room, "meeting": meeting}
    if passcode is not None:
        inputs["passcode"] = passcode
    if requested_by is not None:
        inputs["requested_by"] = requested_by
    delivery = bot.client.function_executed(FunctionId.SEND_ROOM_STEP, inputs, definition=STEP)
    assert delivery.status_code == 200, delivery.response.text
    return delivery


def execution_id(delivery: SlackDelivery) -> str:
    return str(delivery.payload["event"]["function_execution_id"])


def completed(bot: RoomBot, delivery: SlackDelivery) -> FunctionExecution:
    return bot.slack.wait_for_completion(execution_id(delivery), timeout=20)


def dispatch_rows(bot: RoomBot) -> list[Dispatch]:
    with session_scope(bot.stack.db.sessions) as session:
        rows = session.query(Dispatch).order_by(Dispatch.id).all()
        session.expunge_all()
        return rows


def external_meeting(bot: RoomBot, password: str = PASSCODE) -> None:
    bot.stack.admin("POST", "/meetings", {"id": EXTERNAL_ID, "password": password})


# ------------------------------------------------------------------------------------------ success


def test_the_step_sends_the_room_and_completes_with_the_verified_outcome(room_bot: RoomBot) -> None:
    external_meeting(room_bot)
    delivery = run_step(room_bot, "Boardroom", f"https://zoom.us/j/{EXTERNAL_ID}", passcode=PASSCODE)

    execution = completed(room_bot, delivery)
    assert execution.outcome == "success", execution.error
    assert execution.outputs == {"outcome": "in_meeting", "meeting_number": EXTERNAL_ID, "room_status": "InMeeting"}
    assert room_bot.stack.sim_room("Boardroom")["meeting_number"] == EXTERNAL_ID  # really there
    [sent] = room_bot.joins_sent()
    assert sent["json"]["params"]["passcode"] == PASSCODE
    # Completed once, with the run's own workflow token (Bolt's function token), not the bot token.
    [success] = room_bot.slack.calls("functions.completeSuccess")
    assert success.token == execution.bot_access_token != room_bot.slack.bot_token
    assert success.params["function_execution_id"] == execution.function_execution_id
    assert room_bot.slack.calls("functions.completeError") == []
    # The requester was looked up with that token too; nothing was posted anywhere.
    assert [c.token for c in room_bot.slack.calls("users.info")] == [execution.bot_access_token]
    assert room_bot.slack.all_messages() == []
    # The same audit trail as /room join.
    [row] = dispatch_rows(room_bot)
    assert (row.requested_by, row.source, row.room_name, row.meeting_id) == (
        "U1", DispatchSource.WORKFLOW, "Boardroom", EXTERNAL_ID)
    assert row.outcome is DispatchOutcome.JOINED and row.passcode_used and row.channel_id is None


def test_a_pasted_invitation_with_its_passcode_works_as_the_meeting_input(room_bot: RoomBot) -> None:
    """"When a link is posted in #boardroom-requests": the message text is the meeting input."""
    external_meeting(room_bot)
    message = (f"Can Boardroom join this? https://zoom.us/j/{EXTERNAL_ID}\nMeeting ID: 855 1234 5678\n"
               f"Passcode: {PASSCODE}")
    execution = completed(room_bot, run_step(room_bot, "Boardroom", message))
    assert execution.outcome == "success", execution.error
    assert room_bot.joins_sent()[0]["json"]["params"]["passcode"] == PASSCODE


def test_the_step_is_acknowledged_at_once_and_completed_only_after_the_dispatch(
        make_room_bot: Callable[..., RoomBot]) -> None:
    bot = make_room_bot(join_delay_seconds=3.0)  # the room takes 3 s to show up in the meeting
    external_meeting(bot)
    started = time.monotonic()
    delivery = run_step(bot, "Boardroom", EXTERNAL_ID, passcode=PASSCODE)
    answered = time.monotonic() - started

    assert answered < 1.5, f"Slack waited {answered:.2f}s for its answer"
    assert delivery.response.text == ""
    assert bot.slack.function_execution(execution_id(delivery)).running
    assert bot.slack.calls("functions.completeSuccess") == bot.slack.calls("functions.completeError") == []
    bot.slack.wait_for(bot.joins_sent, 10, what="the join sent to Zoom")
    assert bot.slack.function_execution(execution_id(delivery)).running  # sent, but not yet seen in the meeting

    execution = completed(bot, delivery)
    assert execution.outcome == "success" and execution.outputs is not None
    assert execution.outputs["room_status"] == "InMeeting"


# ------------------------------------------------------------------------------------------ refusals


def _unknown_room(bot: RoomBot) -> tuple[str, str, str]:
    return "Boardrom", EXTERNAL_ID, describe(reason(Why.UNKNOWN_ROOM, typed=quote_typed("Boardrom"),
                                                    suggestions=("Boardroom",)))


def _not_allowed(bot: RoomBot) -> tuple[str, str, str]:
    with session_scope(bot.stack.db.sessions) as session:
        room = room_store.find_room_or_unique_prefix(session, "Huddle 3")
        assert room is not None
        room_store.allow(session, room, AccessPrincipal.USER, "U2")  # only bob; the step is alice's
    return "Huddle 3", EXTERNAL_ID, describe(reason(Why.NOT_ALLOWED, room="Huddle 3"))


def _bad_link(bot: RoomBot) -> tuple[str, str, str]:
    return "Boardroom", "see you at the usual place", "No Zoom meeting link or meeting ID found"


def _offline_room(bot: RoomBot) -> tuple[str, str, str]:
    return "Ocean View (4th floor)", EXTERNAL_ID, describe(reason(Why.ROOM_NOT_ONLINE, room="Ocean View (4th floor)",
                                                                  status="Offline"))


@pytest.mark.parametrize("case, audited", [(_unknown_room, "refusal"), (_not_allowed, "refusal"), (_bad_link, None),
                                           (_offline_room, "dispatch")],
                         ids=["unknown room", "not allowed", "bad link", "offline room"])
def test_a_refused_step_fails_with_the_reason_in_plain_words_and_sends_nothing(
        room_bot: RoomBot, case: Callable[[RoomBot], tuple[str, str, str]], audited: str | None) -> None:
    room, meeting, words = case(room_bot)
    delivery = run_step(room_bot, room, meeting, passcode=PASSCODE)

    execution = completed(room_bot, delivery)
    assert execution.outcome == "error" and execution.error is not None
    assert execution.error.startswith(words), execution.error
    assert room_bot.joins_sent() == []
    assert room_bot.slack.calls("functions.completeSuccess") == []
    [failure] = room_bot.slack.calls("functions.completeError")
    assert failure.token == execution.bot_access_token
    rows = dispatch_rows(room_bot)
    if audited:  # the refusal is in the audit trail, as for /room join
        [row] = rows
        assert row.outcome is DispatchOutcome.REFUSED and row.requested_by == "U1"
        assert row.source is DispatchSource.WORKFLOW
        # A refused dispatch (past the room lookup) is named, as its card names it, for `/room audit`.
        assert execution.error.endswith(f"(dispatch {row.reference})") == (audited == "dispatch")
    else:
        assert rows == []


def test_an_empty_requester_input_fails_the_step_without_sending(room_bot: RoomBot) -> None:
    execution = completed(room_bot, run_step(room_bot, "Boardroom", EXTERNAL_ID, requested_by=None))
    assert execution.outcome == "error"
    assert execution.error == "The step's “Requested by” input is empty, so no room was sent."
    assert room_bot.joins_sent() == [] and dispatch_rows(room_bot) == []


def test_a_redelivered_event_does_not_send_the_room_twice(room_bot: RoomBot) -> None:
    external_meeting(room_bot)
    delivery = run_step(room_bot, "Boardroom", EXTERNAL_ID, passcode=PASSCODE)
    # Slack retries a delivery it thinks failed (this reason is one the app processes again, see
    # bot.slack.middleware): the same event, the same execution.
    again = room_bot.client.post(json.dumps(delivery.payload), "application/json",
                                 headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"})
    assert again.status_code == 200
    execution = completed(room_bot, delivery)
    assert execution.outcome == "success"
    time.sleep(0.3)  # give a second run the time to show itself
    assert len(room_bot.joins_sent()) == 1 and len(dispatch_rows(room_bot)) == 1
    assert len(room_bot.slack.calls("functions.completeSuccess")) == 1


def test_a_full_dispatch_engine_fails_the_step_at_once(make_room_bot: Callable[..., RoomBot]) -> None:
    bot = make_room_bot(max_in_flight=1, max_queued=0, join_delay_seconds=2.0)
    external_meeting(bot)
    first = run_step(bot, "Boardroom", EXTERNAL_ID, passcode=PASSCODE)
    bot.slack.wait_for(lambda: bot.stack.engine.load().in_flight == 1, 10, what="the first step in flight")

    second = completed(bot, run_step(bot, "Huddle 3", EXTERNAL_ID, passcode=PASSCODE))
    assert second.outcome == "error" and second.error == STEP_BUSY
    assert completed(bot, first).outcome == "success"
    assert len(bot.joins_sent()) == 1


# ------------------------------------------------------------------------------------------ secrets


def test_the_passcode_input_never_reaches_slack_or_a_log(make_room_bot: Callable[..., RoomBot],
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bot = make_room_bot()
    external_meeting(bot)
    runs = [run_step(bot, "Boardroom", EXTERNAL_ID, passcode=PASSCODE),  # joins
            run_step(bot, "Ocean View (4th floor)", EXTERNAL_ID, passcode=PASSCODE),  # offline
            run_step(bot, "Boardrom", EXTERNAL_ID, passcode=PASSCODE),  # unknown room
            run_step(bot, f"Huddle 3 {PASSCODE}", EXTERNAL_ID, passcode=PASSCODE)]  # the passcode typed as the room
    outcomes = [completed(bot, delivery) for delivery in runs]
    assert [e.outcome for e in outcomes] == ["success", "error", "error", "error"]
    assert [j["json"]["params"]["passcode"] for j in bot.joins_sent()] == [PASSCODE]  # it was used

    for call in bot.slack.calls():  # every Web API call, ack and response Slack received
        assert not any(PASSCODE in text for text in strings_in(call.params)), f"passcode reached {call.method}"
    assert outcomes[3].error is not None and outcomes[3].error.startswith("There is no room called “Huddle 3 …”")
    logged = caplog.text + "\n".join(record.getMessage() for record in caplog.records)
    assert any(record.name.startswith("slack_sdk") and record.levelno == logging.DEBUG for record in caplog.records)
    assert PASSCODE not in logged


def test_an_error_is_scrubbed_of_the_stated_passcode_whatever_words_it_has(db_backend: str) -> None:
    """Defence in depth: the reasons never quote a passcode (``quote_typed`` elides one typed as a room), but
    a step's error is scrubbed of the passcodes it was given all the same.  (``db_backend``: the module's
    parametrisation; no database here.)"""
    errors: list[str] = []
    run = StepRun("Fx1", complete=lambda **_: None, fail=lambda *, error: errors.append(error),
                  secrets=[PASSCODE, "", None, "12"])
    run.fail(f"Zoom said: wrong passcode {PASSCODE} for meeting 812 3456 7890")
    assert errors == ["Zoom said: wrong passcode [passcode] for meeting 812 3456 7890"]


def _step_body(inputs: dict[str, Any]) -> dict[str, Any]:
    return {"type": "event_callback", "event": {"type": "function_executed", "function_execution_id": "Fx2",
                                                "inputs": inputs, "function": {"callback_id": "send_room_to_meeting"}}}


def test_a_full_listener_lane_fails_the_step_instead_of_leaving_it_running(db_backend: str) -> None:
    """``deferred`` would acknowledge and drop the run (an event has no response_url to say "busy" to): the
    step would stay running in the workflow until Slack gives up on it."""
    failed: list[str] = []
    acked: list[bool] = []
    context = BoltContext({LANE_KEY: ListenerLane(threads=1, max_pending=0), SERVICES_KEY: Services()})
    send_room_step(ack=lambda: acked.append(True), body=_step_body({"room": "Boardroom", "passcode": PASSCODE}),
                   context=context, complete=lambda **_: None, fail=lambda *, error: failed.append(error))
    assert acked == [True]
    deadline = time.monotonic() + 5
    while not failed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert failed == [STEP_BUSY]


def test_without_the_rooms_feature_the_step_fails_in_words(db_backend: str) -> None:
    failed: list[str] = []
    lane = ListenerLane(threads=1)
    context = BoltContext({LANE_KEY: lane, SERVICES_KEY: Services()})
    send_room_step(ack=lambda: None, body=_step_body({"room": "Boardroom", "meeting": EXTERNAL_ID}), context=context,
                   complete=lambda **_: None, fail=lambda *, error: failed.append(error))
    lane.stop(wait=True)
    assert failed == [NOT_SET_UP]
