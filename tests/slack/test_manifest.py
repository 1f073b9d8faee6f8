"""manifest.yml is a valid Slack app manifest, and its ids match the code's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.slack.ids import SLASH_COMMAND, CallbackId

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "manifest.yml"
# Slack's published schema (slackapi/manifest-schema), kept beside the checkout in ../shared.
SCHEMA = REPO.parent / "shared" / "specs" / "slack-manifest-schema" / "manifest.schema.1.0.0.json"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text())


def test_manifest_matches_slacks_schema(manifest: dict[str, Any]) -> None:
    if not SCHEMA.exists():
        pytest.skip(f"Slack's manifest schema not found at {SCHEMA}")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(manifest), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_schema_check_would_catch_a_broken_manifest(manifest: dict[str, Any]) -> None:
    if not SCHEMA.exists():
        pytest.skip(f"Slack's manifest schema not found at {SCHEMA}")
    broken = json.loads(json.dumps(manifest))
    broken["features"]["slash_commands"][0]["command"] = "room"  # no leading slash
    assert not jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).is_valid(broken)


def test_shortcut_callback_ids_are_the_code_constants(manifest: dict[str, Any]) -> None:
    shortcuts = {s["type"]: s for s in manifest["features"]["shortcuts"]}
    assert shortcuts["message"]["callback_id"] == CallbackId.SEND_ROOM_SHORTCUT
    assert shortcuts["global"]["callback_id"] == CallbackId.BOOK_ROOM_SHORTCUT
    assert shortcuts["global"]["name"] == "Book a room"


def test_one_slash_command_and_one_request_url(manifest: dict[str, Any]) -> None:
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [SLASH_COMMAND]
    urls = {
        commands[0]["url"],
        manifest["settings"]["interactivity"]["request_url"],
        manifest["settings"]["event_subscriptions"]["request_url"],
    }
    assert urls == {"https://example.com/slack/events"}  # the documented placeholder, same path as bot.web


def test_home_tab_and_its_event(manifest: dict[str, Any]) -> None:
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_least_privilege_scopes(manifest: dict[str, Any]) -> None:
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert scopes == {"commands", "chat:write", "chat:write.public", "users:read", "users:read.email",
                      "usergroups:read"}
    assert "user" not in manifest["oauth_config"]["scopes"]  # no user-token scopes at all
