"""`roombot rooms sync|list|add|remove`: manage the rooms roombot knows, from a shell (the admin `/room`
commands do the same from Slack).

* ``sync`` imports Zoom's ``GET /rooms`` into the store (adds and renames; never deletes).
* ``list`` prints the stored rooms; ``--live`` adds each room's status from Zoom.
* ``add NAME ZOOM_ROOM_ID`` adds one room by hand, after checking the id with Zoom (``--no-verify`` skips it).
* ``remove NAME`` forgets a room with its aliases, access rules and bookings.

Reads DATABASE_URL and, for sync/add/--live, the ZOOM_* variables.  Exit 2 on configuration problems
(one line), 1 when Zoom or the store refuse, 0 otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.config_errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from bot.zoom import ZoomClient


class CommandFailed(Exception):
    """A one-line failure for the user (exit 1)."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("rooms", help="sync, list, add or remove rooms", description=__doc__)
    actions = parser.add_subparsers(dest="rooms_command", metavar="ACTION", required=True)
    sync = actions.add_parser("sync", help="import the rooms from Zoom (GET /rooms)")
    sync.set_defaults(func=run, needs_zoom=True)
    listing = actions.add_parser("list", help="the rooms roombot knows")
    listing.add_argument("--live", action="store_true", help="also ask Zoom for each room's status")
    listing.set_defaults(func=run, needs_zoom=False)
    add = actions.add_parser("add", help="add one room by hand")
    add.add_argument("name", help="the name people will type, e.g. 'Boardroom'")
    add.add_argument("zoom_room_id", help="Zoom's room_id (Zoom admin portal, or GET /rooms)")
    add.add_argument("--no-verify", action="store_true", help="do not check the id with Zoom first")
    add.set_defaults(func=run, needs_zoom=True)
    remove = actions.add_parser("remove", help="forget a room (with its aliases, rules and bookings)")
    remove.add_argument("name", help="room name or alias")
    remove.set_defaults(func=run, needs_zoom=False)


def run(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    from bot.store.db import DatabaseUnavailable, create_engine_for_url, session_factory
    from bot.store.migrate import require_up_to_date
    from bot.store.rooms import RoomError
    from bot.zoom import ZoomClient, ZoomError

    environ = os.environ if environ is None else environ
    needs_zoom = bool(args.needs_zoom and not getattr(args, "no_verify", False)) or getattr(args, "live", False)
    prefix = f"roombot rooms {args.rooms_command}"
    try:
        settings = Settings.from_env(environ, require_slack=False, require_secret_key=False, require_zoom=needs_zoom)
        require_up_to_date(settings.database_url)
    except (ConfigError, DatabaseUnavailable) as error:
        print(f"{prefix}: {error}", file=sys.stderr)
        return 2
    engine = create_engine_for_url(settings.database_url)
    zoom = ZoomClient(settings.zoom) if needs_zoom else None
    try:
        handler = {"sync": sync, "list": list_rooms, "add": add, "remove": remove}[args.rooms_command]
        for line in handler(args, session_factory(engine), zoom):
            print(line)
        return 0
    except ZoomError as error:
        print(f"{prefix}: {error} — {error.explain()}", file=sys.stderr)
    except (RoomError, CommandFailed, DatabaseUnavailable) as error:
        print(f"{prefix}: {error}", file=sys.stderr)
    finally:
        if zoom is not None:
            zoom.close()
        engine.dispose()
    return 1


def sync(args: argparse.Namespace, sessions: sessionmaker[Session], zoom: ZoomClient | None) -> list[str]:
    from bot.dispatch.room_sync import sync_rooms_from_zoom

    assert zoom is not None
    listed, result = sync_rooms_from_zoom(zoom, sessions)
    lines = [f"Zoom lists {listed} room(s)."]
    for label, names in (("added", result.added), ("renamed or updated", result.updated),
                         ("unchanged", result.unchanged)):
        if names:
            lines.append(f"{label}: {', '.join(names)}")
    if result.not_in_zoom:
        lines.append(f"kept, but no longer listed by Zoom: {', '.join(result.not_in_zoom)} "
                     "(`roombot rooms remove <name>` forgets one)")
    if result.name_clashes:
        lines.append(f"skipped, name already used by another room: {', '.join(result.name_clashes)} "
                     "(rename one in Zoom, or add it by hand under another name)")
    return lines


def list_rooms(args: argparse.Namespace, sessions: sessionmaker[Session], zoom: ZoomClient | None) -> list[str]:
    from bot.store.db import session_scope
    from bot.store.rooms import list_rooms as stored_rooms

    with session_scope(sessions) as session:
        rooms = [(r.name, r.zoom_room_id, [a.alias for a in r.aliases], len(r.access_rules))
                 for r in stored_rooms(session)]
    if not rooms:
        return ["No rooms yet: run `roombot rooms sync` to import them from Zoom."]
    statuses: dict[str, str] = {}
    if zoom is not None:
        statuses = {room.room_id: room.status for room in zoom.list_rooms()}
    lines = []
    for name, zoom_room_id, aliases, rules in rooms:
        parts = [f"{name}", f"zoom room_id {zoom_room_id}"]
        if zoom is not None:
            parts.append(statuses.get(zoom_room_id, "not listed by Zoom"))
        if aliases:
            parts.append("aliases: " + ", ".join(aliases))
        parts.append(f"{rules} access rule(s)" if rules else "everyone may dispatch it")
        lines.append(" · ".join(parts))
    return lines


def add(args: argparse.Namespace, sessions: sessionmaker[Session], zoom: ZoomClient | None) -> list[str]:
    from bot.store.db import session_scope
    from bot.store.rooms import add_room

    zoom_id = location_id = None
    if zoom is not None:
        profile = zoom.get_room(args.zoom_room_id)  # raises ZoomNotFound (1012) for a wrong id
        zoom_name, location_id = profile.name, profile.location_id
        listed = next((r for r in zoom.list_rooms() if r.room_id == args.zoom_room_id), None)
        zoom_id = listed.id if listed is not None and listed.id else None
        note = f" (Zoom calls it {zoom_name!r})" if zoom_name and zoom_name != args.name else ""
    else:
        note = " (not checked with Zoom)"
    with session_scope(sessions, write_lock=True) as session:
        room = add_room(session, args.name, args.zoom_room_id, zoom_id=zoom_id, location_id=location_id)
        name = room.name
    return [f"added {name} → Zoom room {args.zoom_room_id}{note}"]


def remove(args: argparse.Namespace, sessions: sessionmaker[Session], zoom: ZoomClient | None) -> list[str]:
    from bot.store.db import session_scope
    from bot.store.rooms import remove_room, resolve_room

    with session_scope(sessions, write_lock=True) as session:
        room = resolve_room(session, args.name)  # RoomNotFound carries "did you mean"
        name = room.name
        remove_room(session, room)
    return [f"removed {name}"]
