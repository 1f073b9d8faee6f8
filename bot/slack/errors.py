"""The one error path of the Slack surface: one ``@app.error`` handler before the ack, one reporter after it.

Whatever goes wrong, the requester gets a short private message that says what happened and what to do —
never a traceback, an exception text or a secret.  The log gets a reason code (``reason_code``: an error's
``code`` or its class), never the message: refusals quote what was typed, and that can be a passcode.
Three kinds of failure, worded in ``failure_message``:

* ``UserFacingError`` — raised on purpose ("no room called Boardrom"); its ``user_message`` is shown as is.
* An outage of what roombot depends on (``outage_error``: its database, Zoom) — said plainly.
* Anything else — logged with a short reference, and the user gets that reference.

**Before the ack** (a listener or middleware raised before ``ack()``, or nothing handles the request) the
central handler installed by ``register`` answers: in the HTTP response when Slack shows that body (slash
commands, view submissions), otherwise through the payload's ``response_url``, as an ephemeral message, or in
a modal (global shortcuts), from Bolt's thread pool so the ack is never delayed.  Requests nothing handles
(a button or shortcut whose feature has not shipped) get an honest "not available yet".

**After the ack** there is one reporter, ``report_failure(error, reply, where=...)``; ``reply`` is where the
requester is told (``ReplyTo.send``, or the message a dispatch was editing).  A listener never calls it
itself: ``bot.slack.lane.deferred`` (a listener whose work runs after the ack), ``acks_itself`` (a listener
that answers in its own ``ack``) and the `/room` router (``bot.slack.commands``) call it for whatever their
listener raises, so a listener just raises ``UserFacingError``.  Reporting instead of re-raising after
``ack()`` matters: re-raising makes Bolt's thread runner reset the acknowledgement and hold Slack's HTTP
answer until its 3-second timeout, which is when Slack gives up on the request.
"""

from __future__ import annotations

import functools
import inspect
import logging
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, overload

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.error import BoltUnhandledRequestError
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot.slack import blocks
from bot.slack.blocks import SlackMessage, code
from bot.slack.ids import CallbackId
from bot.slack.subcommands import KNOWN_NAMES

if TYPE_CHECKING:
    from bot.slack.subcommands import SubcommandRequest
    from bot.store.db import DatabaseUnavailable
    from bot.zoom.errors import ZoomError

logger = logging.getLogger(__name__)

SHORTCUT_NAMES: dict[str, str] = {
    CallbackId.SEND_ROOM_SHORTCUT: "Send a room to meeting",  # as named in manifest.yml
    CallbackId.BOOK_ROOM_SHORTCUT: "Book a room",
}
# Where a failure after the ack is told: ``ReplyTo.send``, or ``ProgressMessage.finish`` for a dispatch.
Reply = Callable[[SlackMessage], object]
L = TypeVar("L", bound=Callable[..., None])


class UserFacingError(Exception):
    """A problem the requester can understand and act on.

    ``user_message`` (mrkdwn, written by us — escape anything the user typed with ``blocks.escape_mrkdwn``)
    is shown ephemerally; ``hint`` says what to do next; ``blocks`` replaces the default layout when the
    reply needs buttons.  None of them is logged (they may quote what the user typed); ``code`` — a short
    fixed word like ``"unknown_room"``, never built from input — is, and says why in the log.
    """

    def __init__(self, user_message: str, *, hint: str | None = None, blocks: Sequence[Block] | None = None,
                 code: str | None = None):
        super().__init__(user_message)
        self.user_message = user_message
        self.hint = hint
        self.blocks: tuple[Block, ...] | None = tuple(blocks) if blocks else None
        self.code = code

    def to_message(self) -> SlackMessage:
        if self.blocks:
            return SlackMessage(text=self.user_message, blocks=self.blocks)
        return blocks.error_message(self.user_message, hint=self.hint)


_CODE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def reason_code(error: BaseException) -> str:
    """What the log says about ``error``: its fixed ``code`` when it has one, else its class, with the class
    of the error it replaced (``UserFacingError<-WhenError``).  Never its text: that may quote a passcode."""
    code = getattr(error, "code", None)
    name = type(error).__name__
    if isinstance(code, int) and not isinstance(code, bool):
        name = f"{name} code {code}"
    elif isinstance(code, str) and _CODE.fullmatch(code):
        return code
    cause = error.__cause__ or error.__context__
    if cause is not None and type(cause) is not type(error):
        name = f"{name}<-{type(cause).__name__}"
    return name


# ------------------------------------------------------------------------------------------ before the ack


def register(app: App) -> None:
    """Install the central error handler (and with it, honest replies to unhandled requests)."""
    executor: Executor = app.listener_runner.listener_executor

    def handle_roombot_error(
        error: Exception, body: dict, context: BoltContext, response: BoltResponse | None
    ) -> BoltResponse | None:
        # Bolt passes a response only while it has not answered Slack yet (failure before ack(), unhandled
        # request, middleware failure); then whatever we return becomes the HTTP answer.
        not_acknowledged = response is not None
        if not_acknowledged and context.authorize_result is None and not isinstance(error, BoltUnhandledRequestError):
            # Failed inside Bolt's signature check or authorization (slack_sdk's verifier raises on a
            # timestamp that is not a number): nothing says this request came from Slack, so nothing in its
            # body — a response_url, a channel — is used, nothing is said, and it is refused like any other
            # bad signature.  No traceback: the request decides what it contains.
            logger.warning("refused a Slack request that failed verification or authorization (%s)",
                           reason_code(error))
            return BoltResponse(status=401, body={"error": "invalid request"})
        message = _unhandled_message(body) if isinstance(error, BoltUnhandledRequestError) else \
            failure_message(error, where=f"Slack {_describe(body)}")
        if message is None:
            return BoltResponse(status=200, body="") if not_acknowledged else None
        if not_acknowledged and "command" in body:
            return BoltResponse(status=200, body=message.as_ephemeral_response())
        if not_acknowledged and body.get("type") == "view_submission":
            view = blocks.notice_view("roombot", message).to_dict()
            return BoltResponse(status=200, body={"response_action": "update", "view": view})
        if not_acknowledged and body.get("type") == "block_suggestion":
            return BoltResponse(status=200, body={"options": []})
        executor.submit(ReplyTo.request(body, context).send, message)
        return BoltResponse(status=200, body="") if not_acknowledged else None

    app.error(handle_roombot_error)


# ------------------------------------------------------------------------------------------ after the ack


@dataclass(frozen=True)
class ReplyTo:
    """The requester of one Slack request and the private ways to reach them, read from its payload once."""

    client: WebClient
    user_id: str | None
    channel_id: str | None = None
    respond: Callable[..., object] | None = None  # the payload's response_url (Bolt's ``Respond``)
    trigger_id: str | None = None  # a notice modal, when nothing else reaches them (global shortcuts)
    what: str = "request"  # for the log: the kind of request, never anything typed

    @classmethod
    def request(cls, body: Mapping[str, Any], context: BoltContext) -> ReplyTo:
        """The requester of a Bolt request.  After a view submission the ack has closed the modal, and its
        ``trigger_id`` may be too old to open another: a direct message reaches them instead."""
        respond = context.respond if context.response_url else None  # Bolt types respond Optional
        trigger_id = body.get("trigger_id") if body.get("type") != "view_submission" else None
        return cls(context.client, context.user_id, context.channel_id, respond, trigger_id, _describe(body))

    @classmethod
    def command(cls, request: SubcommandRequest) -> ReplyTo:
        """Whoever typed a `/room` subcommand: through the command's ``response_url``."""
        return cls(request.client, request.user_id, request.channel_id, request.respond, None, request.command_text)

    def send(self, message: SlackMessage) -> None:
        """Show ``message`` to the requester alone: ephemeral through ``response_url``, else ephemeral in the
        channel, else in a modal, else as a direct message from the app; never raises."""
        try:
            if self.respond is not None:
                self.respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())
            elif self.channel_id and self.user_id:
                self.client.chat_postEphemeral(channel=self.channel_id, user=self.user_id, **message.as_kwargs())
            elif self.trigger_id:
                self.client.views_open(trigger_id=self.trigger_id, view=blocks.notice_view("roombot", message))
            elif self.user_id:
                # A direct message from the app (its Messages tab): no im:write needed to post to a user id.
                self.client.chat_postMessage(channel=self.user_id, **message.as_kwargs())
            else:
                logger.warning("could not tell anyone about a failed Slack %s", self.what)
        except Exception:
            logger.warning("could not post an error reply for a Slack %s", self.what, exc_info=True)


def report_failure(error: Exception, reply: Reply | None, *, where: str, next_step: str | None = None) -> None:
    """The one reporter for failures after ``ack()``: say ``error`` through ``reply`` (None: only log it).

    ``where`` names what failed for the log (a listener, a subcommand: never user input); ``next_step``
    replaces the "what to do" of an outage (a dispatch that stopped half-way: check the room first).
    Never raises.
    """
    message = failure_message(error, where=where, next_step=next_step)
    if reply is None:
        return
    try:
        reply(message)
    except Exception:
        logger.warning("could not report a failure in %s to Slack", where, exc_info=True)


def report_after_ack(error: Exception, body: Mapping[str, Any], context: BoltContext, *,
                     where: str | None = None) -> None:
    """``report_failure`` for a Bolt request that was already acknowledged: tell its requester privately.

    Events have no one to tell (the Home tab is rebuilt on the next open): their failures are only logged.
    """
    reply = None if body.get("type") == "event_callback" else ReplyTo.request(body, context).send
    report_failure(error, reply, where=where or _describe(body))


def acks_itself(listener: L) -> L:
    """For a listener that answers in its own ``ack()`` (modal input errors, type-ahead options): a failure
    before its ack goes to the central handler, as any; a failure after it is reported with
    ``report_after_ack`` instead of re-raised (see the module docstring for why)."""
    wanted = list(inspect.signature(listener).parameters)
    needed = list(dict.fromkeys([*wanted, "ack", "body", "context"]))

    @functools.wraps(listener)
    def guarded(**kwargs: Any) -> None:
        acked = False
        ack = kwargs["ack"]

        def tracked_ack(*args: Any, **ack_kwargs: Any) -> object:
            nonlocal acked
            acked = True
            return ack(*args, **ack_kwargs)

        arguments = {name: kwargs.get(name) for name in wanted}
        if "ack" in arguments:
            arguments["ack"] = tracked_ack
        try:
            listener(**arguments)
        except Exception as error:
            if not acked:
                raise
            report_after_ack(error, kwargs["body"], kwargs["context"], where=listener.__name__)

    guarded.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in needed])
    del guarded.__wrapped__  # Bolt reads the parameters above, not those of ``listener``
    return guarded  # type: ignore[return-value]


# ------------------------------------------------------------------------------------------ wording


def failure_message(error: Exception, *, where: str, next_step: str | None = None) -> SlackMessage:
    """What the requester is told about ``error`` (and the one log line about it)."""
    if isinstance(error, UserFacingError):
        logger.info("%s: told the requester why it stopped: %s", where, reason_code(error))
        return error.to_message()
    outage = outage_error(error)
    if outage is not None:
        logger.info("%s: told the requester why it stopped: %s", where, reason_code(outage))
        if next_step is not None:
            outage = UserFacingError(outage.user_message, hint=next_step, code=outage.code)
        return outage.to_message()
    reference = uuid.uuid4().hex[:8]
    # No request body in the log: slash-command text and modal inputs may contain passcodes.
    logger.error("unexpected error in %s (reference %s)", where, reference, exc_info=error)
    return blocks.unexpected_error_message(reference)


@overload
def outage_error(error: DatabaseUnavailable | ZoomError) -> UserFacingError: ...
@overload
def outage_error(error: Exception) -> UserFacingError | None: ...
def outage_error(error: Exception) -> UserFacingError | None:
    """A failure of what roombot depends on (its database, Zoom), said plainly; None for anything else.

    The one wording for these, used by ``failure_message`` (and so by both error paths).
    """
    from bot.store.db import DatabaseUnavailable  # imported here: keep the Slack shell light to import
    from bot.zoom.errors import ZoomError

    hint = (f"Try again in a minute. If it keeps happening, tell your IT team ({code('roombot check')} shows "
            "what is wrong).")
    if isinstance(error, DatabaseUnavailable):
        logger.error("database unavailable: %s", error)  # its text never holds the URL's password
        return UserFacingError("roombot cannot reach its database right now, so nothing was done.", hint=hint,
                               code="database_unavailable")
    if isinstance(error, ZoomError):
        logger.warning("zoom error reached the Slack layer: %s", reason_code(error))
        return UserFacingError(f"Zoom did not do it: {blocks.escape_mrkdwn(error.explain())}", hint=hint,
                               code="zoom_" + type(error).__name__)
    return None


def _describe(body: Mapping[str, Any]) -> str:
    if "command" in body:
        # Only a known subcommand's name: the first word may be anything, a passcode pasted first included.
        words = str(body.get("text", "")).split(maxsplit=1)
        subcommand = words[0].lower() if words else ""
        subcommand = subcommand if subcommand in KNOWN_NAMES else ("(other)" if subcommand else "")
        return f"command {str(body['command'])[:20]} {subcommand}".rstrip()
    kind = str(body.get("type", "request"))
    detail = body.get("callback_id") or (body.get("view") or {}).get("callback_id")
    actions = body.get("actions") or []
    if actions:
        detail = actions[0].get("action_id")
    if kind == "event_callback":
        detail = (body.get("event") or {}).get("type")
    return f"{kind} {detail}" if detail else kind


def _unhandled_message(body: Mapping[str, Any]) -> SlackMessage | None:
    kind = body.get("type")
    if "command" in body:
        return blocks.error_message(f"roombot does not handle {code(str(body['command']))}.")
    if kind in ("shortcut", "message_action"):
        callback_id = str(body.get("callback_id", ""))
        name = SHORTCUT_NAMES.get(callback_id, callback_id)
        return blocks.error_message(
            f"*{blocks.escape_mrkdwn(name)}* is not available yet.",
            hint=f"Nothing was done. {code('/room help')} shows what works today.",
        )
    if kind == "block_actions":
        return blocks.error_message(
            "That button does not work (yet, or any more). Nothing was done.",
            hint=f"{code('/room help')} shows what works today.",
        )
    if kind == "view_submission":
        return blocks.error_message("This form cannot be submitted yet. Nothing was saved.")
    # Events, view_closed and the like: nothing to tell anyone, just acknowledge.
    return None
