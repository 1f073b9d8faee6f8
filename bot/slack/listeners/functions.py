"""The custom Workflow Builder step "Send a Zoom Room to a meeting" (Slack's ``function_executed`` event).

A workflow that uses the step (``FunctionId.SEND_ROOM_STEP``, declared under ``functions`` in manifest.yml)
sends its inputs (``StepInput``): the room, the meeting link or ID, an optional passcode, and who the request
is for (``requested_by``, a Slack user id: usually "Person who used this workflow").  The step goes through
the one dispatch flow, as `/room join` does: the room is resolved and its access rules (`/room allow`) are
checked for that person, the passcode is found, the room is checked, sent and watched until Zoom shows it in
the meeting, and every run leaves an audit row.  The audit row's source is ``command`` (the store has no
"workflow" source), with no channel: a run of a workflow belongs to no conversation, so channel rules of
`/room allow` do not match it; user, user-group and everyone rules do.

The step is completed only with the verified outcome, once the dispatch has finished:
``functions.completeSuccess`` with the outputs (``StepOutput``) when the room was seen in the meeting
(``ResultKind.IN_MEETING``), ``functions.completeError`` with the reason in plain words
(``bot.slack.wording.describe``) for everything else.  Slack itself gets its HTTP answer at once: the listener
only admits the run to the listener lane (the short blocking steps: a once-only claim on the execution id, so
a redelivered event does not send the room twice, and who the requester is), which hands the dispatch to the
dispatch engine.  When the lane or the engine is full the step fails at once, in words, instead of being left
running.  Nothing is posted in Slack: the workflow shows the outcome (or the error) itself.

Calls to Slack go through ``context.client``, which Bolt (its ``AttachingFunctionToken`` middleware) gives
the run's own workflow token, the event's ``bot_access_token``.

A passcode never leaves for Slack or a log: the outputs hold none, an error is a reason worded by
``bot.slack.wording`` (which never holds one) and is scrubbed of the stated passcode all the same, and log
lines carry the execution id and the result kind only.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltContext

from bot.dispatch.engine import to_messaging_thread
from bot.dispatch.outcomes import DispatchResult, JoinRequest, ResultKind
from bot.meetings import parse_meeting_reference
from bot.slack.errors import failure_message
from bot.slack.ids import FunctionId, StepInput, StepOutput
from bot.slack.lane import defer
from bot.slack.middleware import services_of
from bot.slack.rooms.feature import RoomsFeature
from bot.slack.wording import describe
from bot.store.types import DispatchSource

log = logging.getLogger(__name__)

STEP_SOURCE = DispatchSource.WORKFLOW  # its own trigger in the audit trail and the metrics
STEP_BUSY = ("roombot is busy right now and could not take this step, so no room was sent. "
             "Run the workflow again in a minute.")
NOT_SET_UP = "roombot cannot send rooms from this app: its rooms feature is not set up, so no room was sent."
CHECK_THE_ROOM = "Check the room's status with /room status <room> before running the workflow again."
INPUT_TITLES = {StepInput.ROOM: "Room", StepInput.MEETING: "Meeting link or ID", StepInput.REQUESTED_BY: "Requested by"}
REDACTED = "[passcode]"
MIN_SCRUBBED = 3  # shorter "passcodes" would scrub digits out of meeting numbers; Zoom's are longer anyway

# Failing a refused step is a Slack call: made here, never in the thread that owes Slack its HTTP answer.
_REFUSALS = ThreadPoolExecutor(1, thread_name_prefix="slack-step-refusal")


class StepRun:
    """One run of the step: how it ends (``complete`` or ``fail``, once), logged by execution id only."""

    def __init__(self, execution_id: str, complete: Callable[..., object], fail: Callable[..., object],
                 secrets: Iterable[str | None] = ()) -> None:
        self.execution_id = execution_id
        self._complete = complete
        self._fail = fail
        self._secrets: tuple[str, ...] = ()
        self.keep_secret(*secrets)

    def keep_secret(self, *secrets: str | None) -> None:
        """Scrub these too from what the step says (e.g. the passcode a pasted invitation states)."""
        kept = {*self._secrets, *(s for s in secrets if s and len(s) >= MIN_SCRUBBED)}
        self._secrets = tuple(sorted(kept, key=len, reverse=True))

    def finish(self, result: DispatchResult) -> None:
        """Complete with the outputs when the room was seen in the meeting; fail with the reason otherwise."""
        log.info("workflow step %s: %s", self.execution_id, result.kind.value)
        if result.kind is ResultKind.IN_MEETING:
            self.succeed(outputs_of(result))
            return
        words = describe(result.reason)
        self.fail(f"{words} (dispatch {result.dispatch_ref})" if result.dispatch_ref else words)

    def succeed(self, outputs: Mapping[str, str]) -> None:
        try:
            self._complete(outputs=dict(outputs))
        except Exception as error:  # noqa: BLE001 - nothing else can be told: the step stays open until Slack gives up on it
            log.warning("workflow step %s: functions.completeSuccess failed (%s)", self.execution_id,
                        type(error).__name__)

    def fail(self, words: str) -> None:
        try:
            self._fail(error=self.scrub(words))
        except Exception as error:  # noqa: BLE001 - nothing else can be told: the step stays open until Slack gives up on it
            log.warning("workflow step %s: functions.completeError failed (%s)", self.execution_id,
                        type(error).__name__)

    def scrub(self, text: str) -> str:
        """``text`` without the passcodes this run was given (defence in depth: reasons never hold one)."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def outputs_of(result: DispatchResult) -> dict[str, str]:
    return {StepOutput.OUTCOME: result.kind.value, StepOutput.MEETING_NUMBER: result.meeting_id or "",
            StepOutput.ROOM_STATUS: result.room_status or ""}


def failure_words(error: Exception, *, next_step: str | None = None) -> str:
    """An exception as the step's error: the one wording of ``bot.slack.errors`` (and its one log line)."""
    return failure_message(error, where="workflow step", next_step=next_step).text


def step_input(inputs: Mapping[str, Any], name: StepInput) -> str:
    value = inputs.get(name)
    return value.strip() if isinstance(value, str) else ""


def rooms_feature(context: BoltContext) -> RoomsFeature | None:
    feature = services_of(context).rooms
    return feature if isinstance(feature, RoomsFeature) else None


# ------------------------------------------------------------------------------------------ the listener


def send_room_step(ack: Callable[..., object], body: dict, context: BoltContext, complete: Callable[..., object],
                   fail: Callable[..., object]) -> None:
    """Admit the run to the listener lane and acknowledge at once (as ``bot.slack.lane.deferred`` does); when
    the lane is full, fail the step in words rather than leave it running."""
    event = body.get("event") or {}
    given = event.get("inputs")
    inputs: dict[str, Any] = given if isinstance(given, dict) else {}
    run = StepRun(str(event.get("function_execution_id", "")), complete, fail, [step_input(inputs, StepInput.PASSCODE)])
    if not defer(context, functools.partial(start_step, context, inputs, run), body=body):
        log.warning("listener lane full: refused workflow step %s", run.execution_id)
        _REFUSALS.submit(run.fail, STEP_BUSY)
    ack()


def start_step(context: BoltContext, inputs: Mapping[str, Any], run: StepRun) -> None:
    """In the lane: check the inputs, claim the run once, find the requester, hand the dispatch to the engine."""
    try:
        _start(context, inputs, run)
    except Exception as error:  # noqa: BLE001 - the step must end, in words
        run.fail(failure_words(error))


def _start(context: BoltContext, inputs: Mapping[str, Any], run: StepRun) -> None:
    feature = rooms_feature(context)
    if feature is None:
        run.fail(NOT_SET_UP)
        return
    missing = [title for name, title in INPUT_TITLES.items() if not step_input(inputs, name)]
    if missing:
        run.fail(f"The step's “{missing[0]}” input is empty, so no room was sent.")
        return
    if not feature.claim(f"function:{run.execution_id}"):
        log.info("workflow step %s was delivered again: already being handled", run.execution_id)
        return
    meeting = parse_meeting_reference(step_input(inputs, StepInput.MEETING))
    run.keep_secret(meeting.passcode)
    # Not an admin, whoever is named: a workflow's editor chooses that person (admins only matter for repairs).
    requester = feature.requester(context.client, step_input(inputs, StepInput.REQUESTED_BY), is_admin=False)
    request = JoinRequest(step_input(inputs, StepInput.ROOM), meeting, requester, None, STEP_SOURCE,
                          passcode=step_input(inputs, StepInput.PASSCODE) or None)

    async def dispatch() -> None:
        try:
            result = await feature.dispatcher.join(request)
        except Exception as error:  # noqa: BLE001 - the step must end, in words
            await to_messaging_thread(run.fail, failure_words(error, next_step=CHECK_THE_ROOM))
            return
        await to_messaging_thread(run.finish, result)

    if not feature.engine.submit(dispatch, label="workflow step"):
        run.fail(STEP_BUSY)


def register(app: App) -> None:
    app.function(FunctionId.SEND_ROOM_STEP)(send_room_step)
