"""Pure Block Kit builders (no I/O): each returns a ``SlackMessage`` or a ``View`` built with slack_sdk.models.

slack_sdk validates lengths and shapes on ``to_dict()``; the one Slack limit it does not check, 50 blocks per
message, is checked here.  Anything a user typed is escaped with ``escape_mrkdwn`` before it goes into
mrkdwn, so a pasted ``<!channel>`` cannot ping a channel.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.meetings.quoting import quote_typed
from bot.slack.ids import SLASH_COMMAND, BlockId
from bot.slack.subcommands import CATALOG, Subcommand

MAX_MESSAGE_BLOCKS = 50  # Slack's cap for messages (modals and Home tabs allow 100)
MAX_VIEW_BLOCKS = 100
MAX_QUOTED_WORD = 40  # how much of an unknown word we echo back


@dataclass(frozen=True)
class SlackMessage:
    """``text`` is the notification/fallback text; ``blocks`` the rich layout."""

    text: str
    blocks: tuple[Block, ...] = ()

    def __post_init__(self) -> None:
        if len(self.blocks) > MAX_MESSAGE_BLOCKS:
            raise ValueError(f"a Slack message holds at most {MAX_MESSAGE_BLOCKS} blocks, got {len(self.blocks)}")

    def block_dicts(self) -> list[dict[str, Any]]:
        return [block.to_dict() for block in self.blocks]

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``respond()``, ``chat_postMessage``, ``chat_postEphemeral``, ``chat_update``."""
        return {"text": self.text, "blocks": self.block_dicts()}

    def as_ephemeral_response(self) -> dict[str, Any]:
        """Body of a slash-command HTTP response (or response_url POST) seen only by the requester."""
        return {"response_type": "ephemeral", **self.as_kwargs()}


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack treats as control sequences in mrkdwn (per Slack's formatting docs)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape_slack(text: str) -> str:
    """Undo Slack's own escaping of ``&``, ``<`` and ``>`` in text it sends (slash-command text, messages).

    Only the three entities are decoded, ``&amp;`` last so that a typed ``&lt;`` stays ``&lt;``.  The markup
    Slack adds itself (``<https://…|label>``, ``<#C123|name>``, ``<@U123>``, ``<!subteam^S123|@group>``) is
    already made of real angle brackets and is left exactly as it is, for the parsers that read it.  Decode
    once on the way in (the `/room` router does), escape once on the way out (``escape_mrkdwn``).
    """
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def code(text: str) -> str:
    """Inline code, with backticks in user text neutralised so they cannot close the span."""
    return "`" + escape_mrkdwn(text).replace("`", "ʼ") + "`"


def _usage_line(subcommand: Subcommand, available: AbstractSet[str]) -> str:
    usage = f"{SLASH_COMMAND} {subcommand.name}" + (f" {subcommand.usage}" if subcommand.usage else "")
    line = f"{code(usage)} — {subcommand.summary}"
    if subcommand.name not in available:
        line += " _(not available yet)_"
    return line


def help_message(*, available: AbstractSet[str], is_admin: bool, intro: str | None = None) -> SlackMessage:
    """The `/room help` reply.  Subcommands without a handler are marked, so help never promises too much."""
    everyone = [s for s in CATALOG if not s.admin_only]
    admin = [s for s in CATALOG if s.admin_only]
    blocks: list[Block] = []
    if intro:
        blocks.append(SectionBlock(block_id=BlockId.ERROR, text=MarkdownTextObject(text=intro)))
    blocks.append(
        SectionBlock(
            block_id=BlockId.HELP,
            text=MarkdownTextObject(
                text="*roombot sends Zoom Rooms into meetings.* Rooms are matched by name or alias; "
                "capitals and punctuation do not matter.\n"
                + "\n".join(_usage_line(s, available) for s in everyone)
            ),
        )
    )
    if is_admin:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text="*Admin commands*\n" + "\n".join(_usage_line(s, available) for s in admin)
                )
            )
        )
    else:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text="Adding rooms and choosing who may use them is done by the roombot admins "
                        "listed in ROOMBOT_ADMINS."
                    )
                ]
            )
        )
    names = " | ".join(s.name for s in everyone)
    text = (intro + "\n" if intro else "") + f"roombot help: {SLASH_COMMAND} {names}"
    return SlackMessage(text=text, blocks=tuple(blocks))


def did_you_mean_message(
    typed: str, suggestion: str | None, *, available: AbstractSet[str], is_admin: bool
) -> SlackMessage:
    """Reply to an unknown subcommand: name it, suggest the closest known one, then show help."""
    word = quote_typed(typed, MAX_QUOTED_WORD)  # a pasted link or passcode is not handed back
    intro = f":thinking_face: {code(f'{SLASH_COMMAND} {word}')} is not a roombot command."
    if suggestion:
        intro += f" Did you mean {code(f'{SLASH_COMMAND} {suggestion}')}?"
    return help_message(available=available, is_admin=is_admin, intro=intro)


SECTION_LIMIT = 2900  # Slack's 3000 characters per section, with room for an ellipsis


def clip(text: str, limit: int = SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_message(message: str, *, hint: str | None = None) -> SlackMessage:
    """A problem, said plainly (``message`` is mrkdwn written by us), with what to do next in ``hint``."""
    message = clip(message)  # Slack refuses longer section text, and then nobody would be told anything
    blocks: list[Block] = [SectionBlock(block_id=BlockId.ERROR, text=MarkdownTextObject(text=f":warning: {message}"))]
    if hint:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=hint)]))
    return SlackMessage(text=message + (f" {hint}" if hint else ""), blocks=tuple(blocks))


def not_available_message(subcommand: str) -> SlackMessage:
    return error_message(
        f"{code(f'{SLASH_COMMAND} {subcommand}')} is not available yet.",
        hint=f"Nothing was done. {code(f'{SLASH_COMMAND} help')} shows what works today.",
    )


def admin_only_message(subcommand: str) -> SlackMessage:
    return error_message(
        f"{code(f'{SLASH_COMMAND} {subcommand}')} is for roombot admins.",
        hint="Nothing was done. Ask an admin to run it, or to add your Slack member id to ROOMBOT_ADMINS.",
    )


def unexpected_error_message(reference: str) -> SlackMessage:
    return error_message(
        "roombot hit an unexpected error and stopped before finishing.",
        hint=f"Check the room's status before trying again. If it keeps happening, give your roombot admin "
        f"this reference: {code(reference)}.",
    )


def notice_view(title: str, message: SlackMessage) -> View:
    """A modal that only shows a message (e.g. when a shortcut cannot do its job)."""
    return View(type="modal", title=title[:24], close="Close", blocks=list(message.blocks))


def home_view(sections: Iterable[Sequence[Block]], *, available: AbstractSet[str]) -> View:
    """The App Home tab: a header, the registered sections, then a short command reference."""
    blocks: list[Block] = [
        HeaderBlock(text="roombot"),
        SectionBlock(
            text=MarkdownTextObject(
                text="roombot sends Zoom Rooms into meetings and books them for later, from any channel "
                f"with {code(SLASH_COMMAND)}."
            )
        ),
    ]
    for section in sections:
        blocks.append(DividerBlock())
        blocks.extend(section)
    working = [
        code(f"{SLASH_COMMAND} {s.name}")
        for s in CATALOG
        if s.name in available and not s.admin_only and s.name != "help"
    ]
    reference = (f"Commands: {', '.join(working)}. " if working else "") + (
        f"{code(f'{SLASH_COMMAND} help')} explains them all."
    )
    blocks.append(DividerBlock())
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=reference)]))
    if len(blocks) > MAX_VIEW_BLOCKS:
        raise ValueError(f"a Home tab holds at most {MAX_VIEW_BLOCKS} blocks, got {len(blocks)}")
    return View(type="home", blocks=blocks)
