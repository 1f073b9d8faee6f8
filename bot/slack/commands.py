"""The `/room` router: split the text into a subcommand and its arguments, then help or hand over.

Routing rules (SPEC §5):
* bare `/room`, `/room help` (and `?`, `-h`, `--help`) → help;
* an unknown word → "did you mean" (closest known subcommand, via difflib) plus help;
* an admin subcommand from someone not in ROOMBOT_ADMINS → refused, nothing done;
* a known subcommand with no registered handler → "`/room book` is not available yet." (never a fake success);
* otherwise → the handler registered in ``services.subcommands``; what it raises is reported to the
  requester by ``bot.slack.errors.report_failure`` (the one after-ack reporter), logged under its name.

The text is decoded once from Slack's escaping (``&amp; &lt; &gt;``) before any of this, so subcommand
arguments hold what the user typed; every reply escapes user text again with ``blocks.escape_mrkdwn``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.config import Settings
from bot.services import Services
from bot.slack import blocks
from bot.slack.errors import ReplyTo, report_failure
from bot.slack.subcommands import ADMIN_NAMES, KNOWN_NAMES, SubcommandRequest

HELP_ALIASES = frozenset({"", "help", "?", "-h", "--help"})
# difflib ratio needed for a suggestion: "joni" → "join" scores 0.75, "boardroom" → nothing.
SUGGESTION_CUTOFF = 0.6


@dataclass(frozen=True)
class ParsedCommand:
    name: str  # lower-cased first word ("" for bare /room)
    args: str  # everything after it, stripped, original case


def parse_command_text(text: str | None) -> ParsedCommand:
    """``"JOIN  Boardroom 123"`` → ``ParsedCommand("join", "Boardroom 123")``.

    ``str.split()`` with no separator also splits on non-breaking spaces, which Slack clients insert.
    """
    parts = (text or "").strip().split(maxsplit=1)
    if not parts:
        return ParsedCommand(name="", args="")
    return ParsedCommand(name=parts[0].lower(), args=parts[1].strip() if len(parts) > 1 else "")


def suggest_subcommand(word: str) -> str | None:
    """The known subcommand closest to ``word``, if any is close enough to be a typo of it."""
    matches = difflib.get_close_matches(word.lower(), KNOWN_NAMES, n=1, cutoff=SUGGESTION_CUTOFF)
    return matches[0] if matches else None


def route_room_command(
    payload: Mapping[str, Any],
    *,
    respond: Respond,
    client: WebClient,
    settings: Settings,
    services: Services,
) -> None:
    """Answer one `/room` invocation.  Called after ``ack()``: a handler's failure is told to the requester
    here (``report_failure``), never re-raised.

    Slack sends ``&``, ``<`` and ``>`` typed in the command as ``&amp;``, ``&lt;``, ``&gt;``: they are decoded
    here, once, so handlers see what was typed (a room called ``R&D``) next to Slack's own ``<…>`` markup
    (links, channel, user and group mentions), which is passed on untouched.  Replies escape it again.
    """
    parsed = parse_command_text(blocks.unescape_slack(str(payload.get("text") or "")))
    user_id = str(payload.get("user_id", ""))
    is_admin = settings.is_admin(user_id)
    available = services.subcommands.available()

    if parsed.name in HELP_ALIASES:
        _reply(respond, blocks.help_message(available=available, is_admin=is_admin))
        return
    if parsed.name not in KNOWN_NAMES:
        suggestion = suggest_subcommand(parsed.name)
        _reply(
            respond,
            blocks.did_you_mean_message(parsed.name, suggestion, available=available, is_admin=is_admin),
        )
        return
    if parsed.name in ADMIN_NAMES and not is_admin:
        _reply(respond, blocks.admin_only_message(parsed.name))
        return
    handler = services.subcommands.get(parsed.name)
    if handler is None:
        _reply(respond, blocks.not_available_message(parsed.name))
        return
    request = SubcommandRequest(
        name=parsed.name,
        args=parsed.args,
        user_id=user_id,
        channel_id=str(payload.get("channel_id", "")),
        team_id=payload.get("team_id"),
        trigger_id=payload.get("trigger_id"),
        is_admin=is_admin,
        respond=respond,
        client=client,
        settings=settings,
        services=services,
        payload=payload,
    )
    try:
        handler(request)
    except Exception as error:  # noqa: BLE001 - already acknowledged: report, do not re-raise into Bolt
        report_failure(error, ReplyTo.command(request).send, where=parsed.name)


def _reply(respond: Respond, message: blocks.SlackMessage) -> None:
    respond(response_type="ephemeral", **message.as_kwargs())
