"""Admin subcommands (the shell already refused non-admins): `/room sync | add | alias | remove | allow | audit`,
one module-level handler each, ``register``-ed into ``services.subcommands`` by ``bot.slack.rooms.install``.

Replies go to the admin alone.  `/room audit` shows Zoom's codes, fields and messages for each dispatch and
whether a passcode was used — never the passcode (the store keeps it sealed, and it is not read here).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import Block

import bot.slack.rooms.flow as flow
import bot.slack.rooms.render as render
from bot.dispatch.outcomes import format_meeting_number
from bot.dispatch.room_sync import sync_rooms_from_zoom
from bot.slack.blocks import SlackMessage, code, escape_mrkdwn
from bot.slack.errors import UserFacingError
from bot.slack.rooms.commands import split_room
from bot.slack.rooms.feature import RoomsFeature, feature_of
from bot.slack.subcommands import SubcommandRegistry, SubcommandRequest
from bot.store import audit
from bot.store import rooms as room_store
from bot.store.db import session_scope
from bot.store.models import Dispatch
from bot.store.types import AccessPrincipal
from bot.zoom.errors import ZoomNotFound

AUDIT_ROWS = 15
# Slack escapes mentions in slash-command text ("Escape channels, users, and links" in the manifest).
MENTION = re.compile(r"<#(?P<channel>[CG][A-Z0-9_]+)(?:\|[^>]*)?>"
                     r"|<!subteam\^(?P<group>S[A-Z0-9_]+)(?:\|(?P<label>[^>]*))?>"
                     r"|<@(?P<user>[UW][A-Z0-9_]+)(?:\|[^>]*)?>|(?<!\S)(?P<everyone>everyone)(?!\S)", re.IGNORECASE)
REMOVE_WORDS = frozenset({"off", "remove", "revoke", "no"})


@dataclass(frozen=True)
class Principal:
    kind: AccessPrincipal
    id: str | None
    label: str

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Principal:
        if match.group("channel"):
            return cls(AccessPrincipal.CHANNEL, match.group("channel"), f"<#{match.group('channel')}>")
        if match.group("group"):
            label = match.group("label") or match.group("group")
            return cls(AccessPrincipal.USERGROUP, match.group("group"), f"group {code(label)}")
        if match.group("user"):
            return cls(AccessPrincipal.USER, match.group("user"), f"<@{match.group('user')}>")
        return cls(AccessPrincipal.EVERYONE, None, "everyone")


def _reply(request: SubcommandRequest, text: str, hint: str | None = None) -> None:
    flow.ephemeral(request.respond, render.info_message(text, hint))


def _store_error(error: room_store.RoomError) -> UserFacingError:
    return UserFacingError(escape_mrkdwn(str(error)), hint="Nothing was changed.")


SYNC_NAMES_SHOWN = 15  # per line of the /room sync reply: an account with 1,000 rooms gets a count, not a wall


def _name_summary(names: Sequence[str]) -> str:
    shown = ", ".join(escape_mrkdwn(name) for name in names[:SYNC_NAMES_SHOWN])
    more = len(names) - SYNC_NAMES_SHOWN
    return shown + (f" and {more} more (`/room list` pages through them)" if more > 0 else "")


def sync(request: SubcommandRequest) -> None:
    feature = feature_of(request.services)
    listed, result = sync_rooms_from_zoom(feature.zoom, feature.sessions)
    lines = [f":arrows_counterclockwise: *Synced {listed} rooms from Zoom.*"]
    for label, names in (("Added", result.added), ("Updated", result.updated),
                         ("Unchanged", result.unchanged), ("Known here but not in Zoom (kept)", result.not_in_zoom),
                         ("Skipped: the name clashes with another room or alias", result.name_clashes)):
        if names:
            lines.append(f"{label} ({len(names)}): " + _name_summary(names))
    hint = ("Rename clashing rooms in Zoom, or remove the alias that takes the name, then sync again."
            if result.name_clashes else "`/room list` shows them with their live status.")
    _reply(request, "\n".join(lines), hint)


def add(request: SubcommandRequest) -> None:
    feature = feature_of(request.services)
    words = request.args.split()
    if len(words) < 2:
        _reply(request, ":information_source: Usage: `/room add <name> <zoom room id>`",
               "Nothing was done. The Zoom room id is the `room_id` Zoom lists for the room; `/room sync` "
               "imports every room at once.")
        return
    name, given_id = " ".join(words[:-1]), words[-1]
    room_id, zoom_id, location_id = _zoom_room(feature, given_id)
    with session_scope(feature.sessions, write_lock=True) as session:
        try:
            room = room_store.add_room(session, name, room_id, zoom_id=zoom_id, location_id=location_id)
        except room_store.RoomError as error:
            raise _store_error(error) from None
        added = room.name
    _reply(request, f":white_check_mark: Added *{escape_mrkdwn(added)}* (Zoom room {code(room_id)}).",
           f"People can now use it: {code(f'/room join {added} <link>')}. Limit who may with `/room allow`.")


def alias(request: SubcommandRequest) -> None:
    feature = feature_of(request.services)
    room_text, alias_text = split_room(feature, request.args)
    if not room_text or not alias_text:
        _reply(request, ":information_source: Usage: `/room alias <room> <alias>`",
               "Nothing was done. e.g. `/room alias Boardroom br`")
        return
    with session_scope(feature.sessions, write_lock=True) as session:
        try:
            room = room_store.resolve_room(session, room_text)
            room_store.add_alias(session, room, alias_text, created_by=request.user_id)
        except room_store.RoomError as error:
            raise _store_error(error) from None
        name = room.name
    _reply(request, f":white_check_mark: *{escape_mrkdwn(name)}* can now also be called "
                    f"*{escape_mrkdwn(' '.join(alias_text.split()))}*.")


def remove(request: SubcommandRequest) -> None:
    feature = feature_of(request.services)
    if not request.args:
        _reply(request, ":information_source: Usage: `/room remove <room>`", "Nothing was done.")
        return
    with session_scope(feature.sessions, write_lock=True) as session:
        try:
            room = room_store.resolve_room(session, request.args)
        except room_store.RoomError as error:
            raise _store_error(error) from None
        name = room.name
        room_store.remove_room(session, room)
    _reply(request, f":wastebasket: Removed *{escape_mrkdwn(name)}* with its aliases, access rules and bookings.",
           "The audit trail keeps its past dispatches. `/room sync` brings it back if it is still in Zoom.")


def allow(request: SubcommandRequest) -> None:
    feature = feature_of(request.services)
    matches = list(MENTION.finditer(request.args))
    if not matches:
        _show_rules_or_usage(feature, request)
        return
    match = matches[-1]
    room_text = request.args[:match.start()].strip()
    removing = request.args[match.end():].strip().lower() in REMOVE_WORDS
    principal = Principal.from_match(match)
    with session_scope(feature.sessions, write_lock=True) as session:
        try:
            room = room_store.resolve_room(session, room_text)
            if removing:
                changed = room_store.disallow(session, room, principal.kind, principal.id)
            else:
                changed = room_store.allow(session, room, principal.kind, principal.id,
                                           created_by=request.user_id)[1]
        except room_store.RoomError as error:
            raise _store_error(error) from None
        name = room.name
    room_name = escape_mrkdwn(name)
    if removing:
        text = (f":white_check_mark: {principal.label} may no longer use *{room_name}*." if changed
                else f":information_source: {principal.label} had no rule on *{room_name}*; nothing changed.")
    else:
        text = (f":white_check_mark: {principal.label} may now use *{room_name}*." if changed
                else f":information_source: {principal.label} could already use *{room_name}*.")
    _reply(request, text, "A room with rules is open only to what they allow; a room without rules is open to "
                          "all. Undo with `/room allow <room> <target> off`.")


def audit_log(request: SubcommandRequest) -> None:
    feature = feature_of(request.services)
    with session_scope(feature.sessions) as session:
        room_id = None
        if request.args:
            try:
                room_id = room_store.resolve_room(session, request.args).id
            except room_store.RoomError as error:
                raise _store_error(error) from None
        rows = audit.recent_dispatches(session, room_id=room_id, limit=AUDIT_ROWS)
        message = audit_message(rows)
    flow.ephemeral(request.respond, message)


def _zoom_room(feature: RoomsFeature, given_id: str) -> tuple[str, str | None, str | None]:
    """Check the id with Zoom first; accept the room's ``id`` too, since Zoom shows both and they differ."""
    try:
        profile = feature.zoom.get_room(given_id)
        return given_id, None, profile.location_id
    except ZoomNotFound:
        match = next((r for r in feature.zoom.list_rooms() if given_id in (r.id, r.room_id)), None)
        if match is None:
            raise UserFacingError(f"Zoom has no room with the id {code(given_id)}, so nothing was added.",
                                  hint="Use the room's `room_id` from Zoom, or `/room sync` to import every "
                                       "room.") from None
        return match.room_id, match.id or None, match.location_id


def _show_rules_or_usage(feature: RoomsFeature, request: SubcommandRequest) -> None:
    usage = ("Usage: `/room allow <room> <#channel | @group | @user | everyone>` (add `off` to remove a rule). "
             "Pick the channel, group or person from Slack's suggestions so it arrives as a mention.")
    if not request.args:
        _reply(request, ":information_source: " + usage, "Nothing was done.")
        return
    with session_scope(feature.sessions) as session:
        room = room_store.find_room_or_unique_prefix(session, request.args)
        if room is None:
            _reply(request, ":information_source: " + usage, "Nothing was done: that is not a room, nor a mention "
                                                            "Slack escaped.")
            return
        rules = sorted((rule.principal_kind.value, rule.principal_id) for rule in room.access_rules)
        name = room.name
    if not rules:
        _reply(request, f"*{escape_mrkdwn(name)}* has no access rules: anyone may use it from any channel.", usage)
        return
    labels = {"channel": "<#{}>", "usergroup": "group {}", "user": "<@{}>", "everyone": "everyone"}
    shown = ", ".join(labels[kind].format(pid) for kind, pid in rules)
    _reply(request, f"*{escape_mrkdwn(name)}* may be used by: {shown}.", usage)


def audit_message(rows: Sequence[Dispatch]) -> SlackMessage:
    if not rows:
        return render.info_message(":information_source: No dispatches recorded yet.")
    blocks: list[Block] = [render.note_block(f"Last {len(rows)} dispatches, newest first. Times are UTC. Passcodes "
                                             "are never shown, only whether one was sent.")]
    for row in rows:
        blocks.append(render.section_block(_audit_entry(row)))
    return SlackMessage(text=f"roombot audit: {len(rows)} dispatches", blocks=tuple(blocks))


def _audit_entry(row: Dispatch) -> str:
    when = f"{row.created_at:%Y-%m-%d %H:%M}" if row.created_at else "?"
    where = f" in <#{row.channel_id}>" if row.channel_id and row.channel_id[:1] in "CG" else ""
    meeting = f" → meeting {format_meeting_number(row.meeting_id)}" if row.meeting_id else ""
    flags = [f for f, on in (("passcode sent", row.passcode_used), ("force_accept", row.force_accept)) if on]
    head = (f"`{when}` *{escape_mrkdwn(row.room_name)}* {row.action.value}{meeting} by <@{row.requested_by}>{where} "
            f"via {row.source.value} — *{row.outcome.value}*" + (f" ({', '.join(flags)})" if flags else "")
            + (f" · dispatch {row.reference}" if row.reference else ""))
    lines = [head]
    if row.reason:
        lines.append(f">{escape_mrkdwn(render.clip(row.reason, 400))}")
    for response in row.zoom_responses[:6]:
        parts = [response.step]
        if response.http_status is not None:
            parts.append(f"HTTP {response.http_status}")
        if response.zoom_code is not None:
            parts.append(f"code {response.zoom_code}")
        if response.zoom_field:
            parts.append(code(response.zoom_field))
        if response.zoom_message:
            parts.append(escape_mrkdwn(render.clip(response.zoom_message, 200)))
        if response.room_status:
            parts.append(f"room {response.room_status}")
        lines.append("• " + " ".join(parts))
    return render.clip("\n".join(lines), 2900)


def register(subcommands: SubcommandRegistry) -> None:
    subcommands.register("sync", sync)
    subcommands.register("add", add)
    subcommands.register("alias", alias)
    subcommands.register("remove", remove)
    subcommands.register("allow", allow)
    subcommands.register("audit", audit_log)
