"""One registration style: every rooms listener and `/room` handler is a plain module-level function, each
module has one ``register``, and listeners find the shared ``RoomsFeature`` through the request."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from slack_bolt import App

import bot.slack.rooms
from bot.app import create_app
from bot.services import Services
from bot.slack.rooms import RoomsFeature, install
from bot.slack.rooms.feature import feature_of
from tests.support.slack import FakeSlackApi, make_test_settings

ROOMS_PACKAGE = Path(bot.slack.rooms.__file__).parent
ROOMS_SUBCOMMANDS = {"list", "join", "new", "leave", "status", "sync", "add", "alias", "remove", "allow", "audit"}


class StubEngine:
    def submit(self, *_args: object, **_kwargs: object) -> None:
        raise AssertionError("nothing is dispatched here")


def rooms_services() -> Services:
    return Services(session_factory=object(), dispatcher=object(), engine=StubEngine())


def module_level(function: object) -> bool:
    qualname = getattr(function, "__qualname__", "")
    return bool(qualname) and "<locals>" not in qualname and "." not in qualname


def test_install_puts_the_feature_on_services_and_registers_module_level_handlers() -> None:
    services = rooms_services()
    feature = install(services)
    assert isinstance(feature, RoomsFeature) and services.rooms is feature and feature_of(services) is feature
    assert set(services.subcommands) == ROOMS_SUBCOMMANDS
    for name in ROOMS_SUBCOMMANDS:
        handler = services.subcommands.get(name)
        assert module_level(handler), (name, handler)
        assert handler.__module__ in ("bot.slack.rooms.commands", "bot.slack.rooms.admin")
    assert [(r.__module__, r.__name__) for r in services.slack_extensions] == [
        ("bot.slack.rooms.actions", "register"), ("bot.slack.rooms.views", "register"),
        ("bot.slack.rooms.shortcuts", "register")]
    [section] = services.home_sections
    assert section.func.__qualname__ == "rooms_section"  # type: ignore[attr-defined]


def test_feature_of_says_when_the_rooms_surface_is_not_installed() -> None:
    with pytest.raises(RuntimeError, match="not installed"):
        feature_of(Services())


def test_every_listener_on_the_app_is_a_module_level_function(fake_slack: FakeSlackApi) -> None:
    services = rooms_services()
    install(services)
    app: App = create_app(make_test_settings(fake_slack), services=services)
    rooms = [listener.ack_function for listener in app._listeners
             if listener.ack_function.__module__.startswith("bot.slack.rooms")]
    assert {f.__name__ for f in rooms} == {"dispatch_button", "enter_passcode", "join_a_meeting", "list_page",
                                           "room_form_submitted", "send_room", "room_options"}
    assert all(module_level(f) for f in rooms)


def test_rooms_submodules_never_import_the_package_init() -> None:
    """``bot/slack/rooms/__init__.py`` imports its submodules; they import each other, never the package."""
    offenders = []
    for path in sorted(ROOMS_PACKAGE.glob("*.py")):
        if path.name == "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "bot.slack.rooms":
                offenders.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.Import) and any(alias.name == "bot.slack.rooms" for alias in node.names):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_the_subcommand_registry_does_not_import_services_at_run_time() -> None:
    """bot.services imports bot.slack.subcommands; the other way round is for type checkers only."""
    code = "import sys, bot.slack.subcommands; print('bot.services' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
