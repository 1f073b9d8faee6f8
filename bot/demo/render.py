"""Slack messages as terminal text: Block Kit sections, context, buttons and inputs become plain lines.

Only what a person in Slack would see is rendered (a button's label, not its value).  Slack's mrkdwn link
and mention syntax is turned into readable text; a few emoji codes become the emoji Slack would show.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

EMOJI = {
    ":white_check_mark:": "✅", ":x:": "❌", ":warning:": "⚠️", ":key:": "🔑", ":information_source:": "ℹ️",
    ":hourglass_flowing_sand:": "⏳", ":busts_in_silhouette:": "👥", ":wave:": "👋", ":speech_balloon:": "💬",
    ":large_green_circle:": "🟢", ":red_circle:": "🔴", ":black_circle:": "⚫", ":construction:": "🚧",
    ":grey_question:": "❔", ":door:": "🚪", ":lock:": "🔒", ":link:": "🔗", ":calendar:": "📅",
}
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_BARE_LINK = re.compile(r"<(https?://[^|>]+)>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]+))?>")
_CHANNEL = re.compile(r"<#(C[A-Z0-9]+)(?:\|([^>]+))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)>")
WIDTH = 100


def mrkdwn_to_text(text: str, users: Mapping[str, str] | None = None, channels: Mapping[str, str] | None = None) -> str:
    users = users or {}
    channels = channels or {}

    def link(match: re.Match[str]) -> str:
        url, label = match.group(1), match.group(2)
        return url if label == url else f"{label} ({url})"

    text = _LINK.sub(link, text)
    text = _BARE_LINK.sub(lambda m: m.group(1), text)
    text = _USER.sub(lambda m: "@" + (m.group(2) or users.get(m.group(1), m.group(1))), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or channels.get(m.group(1), m.group(1))), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    for code, emoji in EMOJI.items():
        text = text.replace(code, emoji)
    # Bold markers and escaped entities read better without Slack's markup.
    text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text_of(obj: Any) -> str:
    if isinstance(obj, Mapping):
        return str(obj.get("text", ""))
    return str(obj or "")


def _element(element: Mapping[str, Any]) -> str:
    kind = element.get("type")
    if kind == "button":
        return f"[button: {_text_of(element.get('text'))}]"
    if kind in ("static_select", "external_select", "users_select", "conversations_select", "channels_select"):
        placeholder = _text_of(element.get("placeholder")) or "choose"
        return f"[menu: {placeholder}]"
    if kind == "overflow":
        return "[… more]"
    if kind in ("datepicker", "timepicker", "datetimepicker"):
        return f"[{kind}]"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind in ("mrkdwn", "plain_text"):
        return _text_of(element)
    return f"[{kind}]"


def block_lines(block: Mapping[str, Any]) -> list[str]:
    """One Block Kit block as text lines (mrkdwn still in place)."""
    kind = block.get("type")
    if kind in ("section", "header"):
        lines = _text_of(block.get("text")).splitlines() if block.get("text") else []
        fields = block.get("fields") or []
        lines += [" · ".join(_text_of(field) for field in fields)] if fields else []
        accessory = block.get("accessory")
        if isinstance(accessory, Mapping):
            lines.append(_element(accessory))
        return lines
    if kind == "context":
        return [" · ".join(_element(e) for e in block.get("elements") or [] if isinstance(e, Mapping))]
    if kind == "actions":
        return ["  ".join(_element(e) for e in block.get("elements") or [] if isinstance(e, Mapping))]
    if kind == "divider":
        return ["──────"]
    if kind == "input":
        return [f"[input: {_text_of(block.get('label'))}]"]
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    if kind == "rich_text":
        return ["[rich text]"]
    return [f"[{kind} block]"]


def message_lines(text: str, blocks: Sequence[Any], users: Mapping[str, str] | None = None,
                  channels: Mapping[str, str] | None = None) -> list[str]:
    """What a person sees of a message: its blocks when it has some (Slack then hides ``text``), else ``text``."""
    raw: list[str] = []
    if blocks:
        for block in blocks:
            if isinstance(block, Mapping):
                raw.extend(block_lines(block))
    else:
        raw = text.splitlines()
    lines: list[str] = []
    for line in raw:
        rendered = mrkdwn_to_text(line, users, channels).rstrip()
        if rendered:
            lines.extend(textwrap.wrap(rendered, WIDTH, break_long_words=False, break_on_hyphens=False) or [""])
    return lines


def strings_in(value: Any) -> Iterable[str]:
    """Every string inside a message's text and blocks (button values included), for leak checks."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from strings_in(item)
