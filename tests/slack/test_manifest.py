"""manifest.yml is a valid Slack app manifest, and its ids match the code's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.slack.ids import SLASH_COMMAND, CallbackId, FunctionId, StepInput, StepOutput

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


def test_home_tab_and_the_events(manifest: dict[str, Any]) -> None:
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    # app_home_opened for the Home tab; function_executed for runs of the Workflow Builder step.
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened", "function_executed"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_the_workflow_step_is_declared_as_the_listener_expects(manifest: dict[str, Any]) -> None:
    assert list(manifest["functions"]) == [FunctionId.SEND_ROOM_STEP]  # the key is the callback_id
    step = manifest["functions"][FunctionId.SEND_ROOM_STEP]
    assert step["title"] == "Send a Zoom Room to a meeting" and step["description"]
    inputs, outputs = step["input_parameters"], step["output_parameters"]
    assert list(inputs) == [StepInput.ROOM, StepInput.MEETING, StepInput.PASSCODE, StepInput.REQUESTED_BY]
    assert {name: spec["type"] for name, spec in inputs.items()} == {
        "room": "string", "meeting": "string", "passcode": "string", "requested_by": "slack#/types/user_id"}
    assert {name: spec["is_required"] for name, spec in inputs.items()} == {
        "room": True, "meeting": True, "passcode": False, "requested_by": True}
    assert list(outputs) == [StepOutput.OUTCOME, StepOutput.MEETING_NUMBER, StepOutput.ROOM_STATUS]
    assert all(spec["type"] == "string" and spec["is_required"] for spec in outputs.values())
    assert "passcode" not in " ".join(outputs).lower()  # no output could carry one
    assert all(spec["title"] and spec["description"] for spec in [*inputs.values(), *outputs.values()])


def test_custom_steps_settings(manifest: dict[str, Any]) -> None:
    """Slack shows an app's steps in Workflow Builder only for an org-ready app whose steps run remotely."""
    assert manifest["settings"]["org_deploy_enabled"] is True
    assert manifest["settings"]["function_runtime"] == "remote"
    assert manifest["_metadata"]["major_version"] == 1  # v1: parameters keyed by name, with is_required


def test_schema_check_would_catch_a_broken_step(manifest: dict[str, Any]) -> None:
    if not SCHEMA.exists():
        pytest.skip(f"Slack's manifest schema not found at {SCHEMA}")
    broken = json.loads(json.dumps(manifest))
    del broken["functions"][FunctionId.SEND_ROOM_STEP]["input_parameters"]["room"]["type"]
    assert not jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).is_valid(broken)


def test_least_privilege_scopes(manifest: dict[str, Any]) -> None:
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert scopes == {"commands", "chat:write", "chat:write.public", "users:read", "users:read.email",
                      "usergroups:read"}
    assert "user" not in manifest["oauth_config"]["scopes"]  # no user-token scopes at all
