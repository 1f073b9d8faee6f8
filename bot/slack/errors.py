"""The one place where failures become replies: ``@app.error`` for every listener and middleware.

Whatever goes wrong, the requester gets a short ephemeral message that says what happened and what to do —
never a traceback, an exception text or a secret.  The log gets a reason code (``reason_code``: an error's
``code`` or its class), never the message: refusals quote what was typed, and that can be a passcode.
Three kinds of failure:

* ``UserFacingError`` — raised on purpose ("no room called Boardrom"); its ``user_message`` is shown as is.
* Requests nothing handles (a button or shortcut whose feature has not shipped) — an honest
  "not available yet", because Slack would otherwise show the user a vague failure.
* Anything else — logged with a short reference, and the user gets that reference.

If the listener failed before ``ack()``, the reply goes in the HTTP response when Slack shows that body
(slash commands, view submissions); otherwise it is posted through the payload's ``response_url``, as an
ephemeral message, or in a modal (global shortcuts), from Bolt's thread pool so the ack is never delayed.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, overload

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.error import BoltUnhandledRequestError
from slack_sdk.models.blocks import Block

from bot.slack import blocks
from bot.slack.blocks import SlackMessage, code
from bot.slack.ids import CallbackId
from bot.slack.subcommands import KNOWN_NAMES

if TYPE_CHECKING:
    from bot.store.db import DatabaseUnavailable
    from bot.zoom.errors import ZoomError

logger = logging.getLogger(__name__)

SHORTCUT_NAMES: dict[str, str] = {
    CallbackId.SEND_ROOM_SHORTCUT: "Send a room to meeting",  # as named in manifest.yml
    CallbackId.BOOK_ROOM_SHORTCUT: "Book a room",
}


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
        message = _message_for(error, body)
        if message is None:
            return BoltResponse(status=200, body="") if not_acknowledged else None
        if not_acknowledged and "command" in body:
            return BoltResponse(status=200, body=message.as_ephemeral_response())
        if not_acknowledged and body.get("type") == "view_submission":
            view = blocks.notice_view("roombot", message).to_dict()
            return BoltResponse(status=200, body={"response_action": "update", "view": view})
        if not_acknowledged and body.get("type") == "block_suggestion":
            return BoltResponse(status=200, body={"options": []})
        executor.submit(_deliver, message, body, context)
        return BoltResponse(status=200, body="") if not_acknowledged else None

    app.error(handle_roombot_error)


def report_after_ack(error: Exception, body: Mapping[str, Any], context: BoltContext) -> None:
    """For listeners that already called ``ack()``: tell the requester here instead of re-raising.

    Re-raising after ``ack()`` makes Bolt reset the acknowledgement and hold Slack's HTTP answer until its
    3-second timeout, which is when Slack gives up on the request; reporting from the listener's own worker
    thread avoids that and says the same thing the central handler would.
    """
    message = _message_for(error, body)
    if message is not None:
        _deliver(message, body, context)


def _message_for(error: Exception, body: Mapping[str, Any]) -> SlackMessage | None:
    if isinstance(error, BoltUnhandledRequestError):
        return _unhandled_message(body)
    if isinstance(error, UserFacingError):
        logger.info("told the user why a Slack %s failed: %s", _describe(body), reason_code(error))
        return error.to_message()
    outage = outage_error(error)
    if outage is not None:
        return outage.to_message()
    reference = uuid.uuid4().hex[:8]
    # No request body in the log: slash-command text and modal inputs may contain passcodes.
    logger.error(
        "unexpected error handling a Slack %s (reference %s)", _describe(body), reference, exc_info=error
    )
    return blocks.unexpected_error_message(reference)


@overload
def outage_error(error: DatabaseUnavailable | ZoomError) -> UserFacingError: ...
@overload
def outage_error(error: Exception) -> UserFacingError | None: ...
def outage_error(error: Exception) -> UserFacingError | None:
    """A failure of what roombot depends on (its database, Zoom), said plainly; None for anything else.

    The one wording for these, used by the central handler and by listeners that report for themselves.
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


def _deliver(message: SlackMessage, body: Mapping[str, Any], context: BoltContext) -> None:
    """Post ``message`` where the requester will see it; never raise (this runs detached)."""
    try:
        respond = context.respond  # Bolt sets it with response_url, but types it Optional: check both
        if context.response_url and respond is not None:
            respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())
        elif context.channel_id and context.user_id:
            context.client.chat_postEphemeral(
                channel=context.channel_id, user=context.user_id, **message.as_kwargs()
            )
        elif body.get("trigger_id"):
            context.client.views_open(trigger_id=body["trigger_id"], view=blocks.notice_view("roombot", message))
        elif context.user_id:
            # A direct message from the app (its Messages tab): no im:write needed to post to a user id.
            context.client.chat_postMessage(channel=context.user_id, **message.as_kwargs())
        else:
            logger.warning("could not tell anyone about a failed Slack %s", _describe(body))
    except Exception:  # noqa: BLE001 — reporting a failure must not raise another one
        logger.warning("could not post an error reply for a Slack %s", _describe(body), exc_info=True)
