"""The `/room` subcommands: what exists (the catalog shown by help) and who handles it (the registry).

The Slack shell owns parsing, help, "did you mean" and the admin check; everything a subcommand really
does lives in a handler that other areas register::

    def join(request: SubcommandRequest) -> None:
        request.respond(text="Dispatching…")

    services.subcommands.register("join", join)

Handlers run after the command was acknowledged (Slack's 3 seconds are already taken care of), in Bolt's
listener thread pool.  They reply with ``request.respond(...)`` (ephemeral by default) or post in the
channel with ``request.client``.  To show the requester a problem, raise ``UserFacingError`` from
``bot.slack.errors``; any other exception becomes a generic "unexpected error" reply.  The router
(``bot.slack.commands``) reports either with the one after-ack reporter, ``bot.slack.errors.report_failure``.
A surface's shared state rides on ``request.services`` (e.g. ``bot.slack.rooms.feature.feature_of``).

This module imports nothing of roombot at run time: ``bot.services`` imports it (``Services.subcommands``),
so the reverse import of ``Services`` is for type checkers only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # no run-time imports: bot.services imports this module (no cycle, and no Slack imports)
    from slack_bolt.context.respond import Respond
    from slack_sdk import WebClient

    from bot.config import Settings
    from bot.services import Services


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str  # arguments after the name, as shown in help
    summary: str
    admin_only: bool = False


# Order is the order of the help message.  Usage strings follow SPEC §5.
CATALOG: tuple[Subcommand, ...] = (
    Subcommand("list", "", "Rooms with their live Zoom status, and buttons to send them into meetings"),
    Subcommand("join", "<room> <meeting link | meeting id> [passcode]", "Send a room into a meeting now"),
    Subcommand("new", "<room> [topic…]", "Create a meeting the room can join, send the room, post the link"),
    Subcommand("leave", "<room>", "Make a room leave its meeting"),
    Subcommand("status", "<room>", "What a room is doing right now"),
    Subcommand(
        "book",
        "<room> <when> <link | id | new> [passcode] [for <duration>] [every <day|weekday|week|mon…sun>]",
        "Book a room to join a meeting later, once or repeatedly",
    ),
    Subcommand("bookings", "[room | mine]", "Upcoming bookings, with Cancel buttons"),
    Subcommand("cancel", "<booking>", "Cancel a booking"),
    Subcommand("help", "", "This message"),
    Subcommand("sync", "", "Import the rooms from Zoom", admin_only=True),
    Subcommand("add", "<name> <zoom room id>", "Add one room by hand", admin_only=True),
    Subcommand("alias", "<room> <alias>", "Give a room another name people can type", admin_only=True),
    Subcommand("remove", "<room>", "Forget a room", admin_only=True),
    Subcommand(
        "allow",
        "<room> <#channel | @group | @user | everyone>",
        "Choose who may use a room",
        admin_only=True,
    ),
    Subcommand("audit", "[room]", "Who sent which room where, and what Zoom said", admin_only=True),
)

BY_NAME: Mapping[str, Subcommand] = {subcommand.name: subcommand for subcommand in CATALOG}
KNOWN_NAMES: tuple[str, ...] = tuple(BY_NAME)
ADMIN_NAMES: frozenset[str] = frozenset(s.name for s in CATALOG if s.admin_only)


@dataclass(frozen=True)
class SubcommandRequest:
    """One `/room <name> <args>` invocation, handed to the registered handler after ``ack()``."""

    name: str  # the subcommand, lower-case ("join")
    args: str  # the rest of the text, stripped (may contain a passcode: never log or echo it publicly)
    user_id: str
    channel_id: str
    team_id: str | None
    trigger_id: str | None  # valid ~3 s, single use: open a modal first, then do slow work
    is_admin: bool
    respond: Respond  # posts to the command's response_url (ephemeral unless response_type="in_channel")
    client: WebClient
    settings: Settings
    services: Services
    payload: Mapping[str, Any]  # the raw slash-command payload

    @property
    def command_text(self) -> str:
        """`/room name` without the arguments: safe to quote back, since args may hold a passcode."""
        return f"/room {self.name}"


SubcommandHandler = Callable[[SubcommandRequest], None]


class SubcommandRegistry:
    """Maps subcommand names to handlers; one registry per ``Services`` (so tests do not share state)."""

    def __init__(self) -> None:
        self._handlers: dict[str, SubcommandHandler] = {}
        self._lock = threading.Lock()

    def register(self, name: str, handler: SubcommandHandler) -> SubcommandHandler:
        """Register ``handler`` for ``/room <name>``; returns it so this also works as a decorator helper.

        Only names in ``CATALOG`` are accepted: help, "did you mean" and the admin check are driven by the
        catalog, so an uncatalogued name would be unreachable.  ``help`` belongs to the shell.
        """
        if name not in BY_NAME:
            raise ValueError(f"unknown /room subcommand {name!r}; known: {', '.join(KNOWN_NAMES)}")
        if name == "help":
            raise ValueError("/room help is built into the Slack shell")
        with self._lock:
            if name in self._handlers and self._handlers[name] is not handler:
                raise ValueError(f"/room {name} already has a handler")
            self._handlers[name] = handler
        return handler

    def handler(self, name: str) -> Callable[[SubcommandHandler], SubcommandHandler]:
        """Decorator form: ``@services.subcommands.handler("join")``."""
        return lambda function: self.register(name, function)

    def get(self, name: str) -> SubcommandHandler | None:
        return self._handlers.get(name)

    def available(self) -> frozenset[str]:
        """Names that do something today (``help`` always does)."""
        return frozenset(self._handlers) | {"help"}

    def __contains__(self, name: object) -> bool:
        return name in self._handlers

    def __iter__(self) -> Iterator[str]:
        return iter(dict(self._handlers))
