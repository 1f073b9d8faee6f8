"""Block Kit builders, the `/room` parser and the subcommand registry, tested on their output."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import DividerBlock, SectionBlock

from bot.slack import blocks
from bot.slack.commands import parse_command_text, suggest_subcommand
from bot.slack.subcommands import ADMIN_NAMES, CATALOG, KNOWN_NAMES, SubcommandRegistry

EVERYTHING = frozenset(KNOWN_NAMES)


def text_of(message: blocks.SlackMessage) -> str:
    return json.dumps(message.block_dicts(), ensure_ascii=False)


def test_error_message_layout() -> None:
    message = blocks.error_message("Boardroom is offline.", hint="Try again when it is back.")
    assert message.as_ephemeral_response() == {
        "response_type": "ephemeral",
        "text": "Boardroom is offline. Try again when it is back.",
        "blocks": [
            {
                "type": "section",
                "block_id": "error",
                "text": {"type": "mrkdwn", "text": ":warning: Boardroom is offline."},
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Try again when it is back."}]},
        ],
    }


def test_help_lists_every_everyday_subcommand_and_hides_admin_ones_from_others() -> None:
    message = blocks.help_message(available=EVERYTHING, is_admin=False)
    rendered = text_of(message)
    for subcommand in CATALOG:
        assert (f"`/room {subcommand.name}" in rendered) is (not subcommand.admin_only)
    assert "ROOMBOT_ADMINS" in rendered
    assert "not available yet" not in rendered
    assert message.text.startswith("roombot help: /room list | join")


def test_help_for_admins_has_the_admin_section() -> None:
    rendered = text_of(blocks.help_message(available=EVERYTHING, is_admin=True))
    for name in ADMIN_NAMES:
        assert f"`/room {name}" in rendered
    assert "*Admin commands*" in rendered


def test_help_marks_what_is_not_available_yet() -> None:
    message = blocks.help_message(available=frozenset({"help", "join"}), is_admin=False)
    section = message.block_dicts()[0]["text"]["text"]
    lines = {line.split("`")[1].split()[1]: line for line in section.splitlines() if line.startswith("`")}
    assert "not available yet" not in lines["join"] and "not available yet" not in lines["help"]
    assert lines["list"].endswith("_(not available yet)_")
    # Angle brackets in usage are escaped so Slack does not read them as links or mentions.
    assert "`/room join &lt;room&gt; &lt;meeting link | meeting id&gt; [passcode]`" in lines["join"]


def test_did_you_mean_names_the_typo_and_the_suggestion() -> None:
    message = blocks.did_you_mean_message("joni", "join", available=EVERYTHING, is_admin=False)
    first = message.block_dicts()[0]["text"]["text"]
    assert first == ":thinking_face: `/room joni` is not a roombot command. Did you mean `/room join`?"
    assert message.text.startswith(first)
    assert message.block_dicts()[1]["block_id"] == "help"


def test_did_you_mean_without_a_suggestion_and_with_hostile_input() -> None:
    message = blocks.did_you_mean_message("<!channel>`x", None, available=EVERYTHING, is_admin=False)
    first = message.block_dicts()[0]["text"]["text"]
    assert first == ":thinking_face: `/room &lt;!channel&gt;ʼx` is not a roombot command."
    assert "<!channel>" not in text_of(message)


def test_long_unknown_words_are_cut() -> None:
    message = blocks.did_you_mean_message("x" * 500, None, available=EVERYTHING, is_admin=False)
    assert "x" * (blocks.MAX_QUOTED_WORD + 1) not in text_of(message)


def test_not_available_and_admin_only_messages() -> None:
    assert blocks.not_available_message("book").block_dicts()[0]["text"]["text"] == (
        ":warning: `/room book` is not available yet."
    )
    assert "Nothing was done" in blocks.not_available_message("book").text
    assert "for roombot admins" in blocks.admin_only_message("sync").text


def test_unexpected_error_message_gives_the_reference_only() -> None:
    message = blocks.unexpected_error_message("ab12cd34")
    assert "`ab12cd34`" in text_of(message)
    assert "Traceback" not in text_of(message)


def test_a_message_cannot_exceed_fifty_blocks() -> None:
    blocks.SlackMessage(text="ok", blocks=tuple(DividerBlock() for _ in range(50)))
    with pytest.raises(ValueError, match="at most 50 blocks"):
        blocks.SlackMessage(text="too many", blocks=tuple(DividerBlock() for _ in range(51)))


def test_escape_and_code() -> None:
    assert blocks.escape_mrkdwn("a & <b> <@U1>") == "a &amp; &lt;b&gt; &lt;@U1&gt;"
    assert blocks.code("x`y") == "`xʼy`"


@pytest.mark.parametrize("sent, typed", [
    ("R&amp;D", "R&D"),
    ("Lab &lt;!channel&gt;", "Lab <!channel>"),
    ("&amp;lt;", "&lt;"),  # someone typed the entity itself: decoded once, not twice
    ("&amp;amp;", "&amp;"),
    ("<https://zoom.us/j/1?a=1&amp;b=2|zoom.us/j/1>", "<https://zoom.us/j/1?a=1&b=2|zoom.us/j/1>"),
    ("<#C1|ops> <@U2> <!subteam^S1|@design>", "<#C1|ops> <@U2> <!subteam^S1|@design>"),  # Slack's markup stays
    ("&quot;&#39; plain", "&quot;&#39; plain"),  # Slack escapes only & < >: nothing else is touched
])
def test_unescape_slack_decodes_slacks_three_entities_once(sent: str, typed: str) -> None:
    assert blocks.unescape_slack(sent) == typed


@given(st.text())
def test_unescape_slack_undoes_what_slack_does(typed: str) -> None:
    assert blocks.unescape_slack(blocks.escape_mrkdwn(typed)) == typed  # Slack's escaping is escape_mrkdwn's


def test_home_view_has_header_sections_and_working_commands() -> None:
    section = [SectionBlock(text="*Your bookings*")]
    view = blocks.home_view([section], available=frozenset({"help", "join", "sync"})).to_dict()
    assert view["type"] == "home"
    assert view["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "roombot", "emoji": True}}
    assert {"type": "section", "text": {"type": "mrkdwn", "text": "*Your bookings*"}} in view["blocks"]
    footer = view["blocks"][-1]["elements"][0]["text"]
    assert footer == "Commands: `/room join`. `/room help` explains them all."  # admin `sync` not advertised


def test_home_view_without_commands_yet() -> None:
    footer = blocks.home_view([], available=frozenset({"help"})).to_dict()["blocks"][-1]["elements"][0]["text"]
    assert footer == "`/room help` explains them all."


def test_notice_view_is_a_modal_with_a_short_title() -> None:
    view = blocks.notice_view("A title longer than Slack allows", blocks.error_message("x")).to_dict()
    assert view["type"] == "modal" and len(view["title"]["text"]) <= 24


@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        (None, "", ""),
        ("", "", ""),
        ("   ", "", ""),
        ("help", "help", ""),
        ("JOIN  Boardroom  https://zoom.us/j/123 ", "join", "Boardroom  https://zoom.us/j/123"),
        ("join\u00a0Boardroom", "join", "Boardroom"),  # Slack clients send non-breaking spaces
        ("book Boardroom tomorrow 9:00 new", "book", "Boardroom tomorrow 9:00 new"),
    ],
)
def test_parse_command_text(text: str | None, name: str, args: str) -> None:
    parsed = parse_command_text(text)
    assert (parsed.name, parsed.args) == (name, args)


@given(st.text())
def test_parse_never_fails_and_round_trips_words(text: str) -> None:
    parsed = parse_command_text(text)
    assert parsed.name == parsed.name.lower()
    assert not any(character.isspace() for character in parsed.name)
    assert parsed.args == parsed.args.strip()
    words = text.split()
    if words:
        assert [parsed.name, *parsed.args.split()] == [words[0].lower(), *words[1:]]
    else:
        assert (parsed.name, parsed.args) == ("", "")


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [("joni", "join"), ("lsit", "list"), ("bokings", "bookings"), ("canel", "cancel"), ("stauts", "status"),
     ("xyzzy", None), ("boardroom", None)],
)
def test_suggest_subcommand(typed: str, suggestion: str | None) -> None:
    assert suggest_subcommand(typed) == suggestion


def test_registry_accepts_catalogued_names_only() -> None:
    registry = SubcommandRegistry()

    def handler(request: object) -> None:
        return None

    registry.register("join", handler)
    registry.register("join", handler)  # idempotent for the same handler
    assert registry.get("join") is handler and "join" in registry
    assert registry.available() == {"join", "help"}
    with pytest.raises(ValueError, match="unknown"):
        registry.register("teleport", handler)
    with pytest.raises(ValueError, match="built into"):
        registry.register("help", handler)
    with pytest.raises(ValueError, match="already has a handler"):
        registry.register("join", lambda request: None)
    decorated = registry.handler("list")(handler)
    assert decorated is handler and registry.get("list") is handler
