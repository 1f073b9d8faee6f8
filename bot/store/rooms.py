"""Rooms, their aliases and who may dispatch them.

Rooms are matched by a *key*: the name case-folded, accents dropped, and everything but letters and
digits removed — so "Board Room", "board-room" and "BOARDROOM!" are one room.  A miss comes with the
closest names (difflib) so the reply can say "did you mean …".
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, selectinload

from bot.meetings.quoting import quote_typed
from bot.store.models import NAMES_CHANGED, Room, RoomAccessRule, RoomAlias, RoomNamesVersion
from bot.store.prepared import table_of
from bot.store.types import AccessPrincipal


class RoomError(ValueError):
    """A room operation that cannot be done; ``str()`` says why in words fit for Slack."""


class RoomNotFound(RoomError):
    def __init__(self, query: str, suggestions: Sequence[str]) -> None:
        self.query = query
        self.suggestions = list(suggestions)
        hint = f" Did you mean {' or '.join(repr(name) for name in self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"No room called {quote_typed(query)!r}.{hint}")


class RoomNameTaken(RoomError):
    def __init__(self, name: str, existing_room: str) -> None:
        self.name = name
        self.existing_room = existing_room
        super().__init__(f"{name!r} is already used by room {existing_room!r} (names and aliases must be unique).")


def normalise_name(text: str) -> str:
    """The matching key for a room name or alias: case-folded, no accents, letters and digits only."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


def _require_key(text: str) -> str:
    key = normalise_name(text)
    if not key:
        raise RoomError(f"{text!r} has no letters or digits; a room name needs some.")
    return key


def find_room(session: Session, text: str) -> Room | None:
    """The room whose name or alias matches ``text`` (or whose Zoom ``room_id``/``id`` is ``text``)."""
    key = normalise_name(text)
    if key:
        room = session.scalar(select(Room).where(Room.name_key == key))
        if room is not None:
            return room
        room = session.scalar(select(Room).join(RoomAlias).where(RoomAlias.alias_key == key))
        if room is not None:
            return room
    stripped = text.strip()
    return session.scalar(select(Room).where(or_(Room.zoom_room_id == stripped, Room.zoom_id == stripped)))


def find_room_or_unique_prefix(session: Session, text: str) -> Room | None:
    """:func:`find_room`, else the one room whose name or alias starts with what was typed ("ocean view" →
    "Ocean View (4th floor)").  Two candidates are ambiguous and match nothing; admin commands that change
    rooms use the exact :func:`find_room` instead."""
    room = find_room(session, text)
    key = normalise_name(text)
    if room is not None or len(key) < 3:
        return room
    candidates = [r for r in list_rooms(session) if r.name_key.startswith(key)
                  or any(alias.alias_key.startswith(key) for alias in r.aliases)]
    return candidates[0] if len(candidates) == 1 else None


def suggest_rooms(session: Session, text: str, limit: int = 3) -> list[str]:
    """Room names close to ``text``: names/aliases containing it first, then difflib's closest matches."""
    key = normalise_name(text)
    if not key:
        return []
    names_by_key: dict[str, str] = {}
    for room_key, room_name in session.execute(select(Room.name_key, Room.name)):
        names_by_key[room_key] = room_name
    for alias_key, room_name in session.execute(select(RoomAlias.alias_key, Room.name).join(Room)):
        names_by_key.setdefault(alias_key, room_name)
    suggestions: list[str] = []
    containing = sorted(k for k in names_by_key if key in k or k in key)
    close = difflib.get_close_matches(key, list(names_by_key), n=limit * 2, cutoff=0.6)
    for candidate_key in [*containing, *close]:
        name = names_by_key[candidate_key]
        if name not in suggestions:
            suggestions.append(name)
    return suggestions[:limit]


def resolve_room(session: Session, text: str) -> Room:
    """Like :func:`find_room`, but a miss raises :class:`RoomNotFound` carrying suggestions."""
    room = find_room(session, text)
    if room is None:
        raise RoomNotFound(text.strip(), suggest_rooms(session, text))
    return room


# Room rows by id without loading them, built once: every join reads one (bot.store.prepared).
_ROOM_ID = select(table_of(Room).c.id).where(table_of(Room).c.id == bindparam("room_id"))
_LOCKED_ROOM_ID = _ROOM_ID.with_for_update()


def room_exists(session: Session, room_id: int) -> bool:
    return session.scalar(_ROOM_ID, {"room_id": room_id}) is not None


def lock_room_row(session: Session, room_id: int) -> bool:
    """Take the room's row lock for the rest of the transaction (PostgreSQL; SQLite serialises writers with
    ``write_lock`` instead); False when the room is gone.  Transactions that must not interleave for one room
    take it before anything else."""
    statement = _LOCKED_ROOM_ID if session.get_bind().dialect.name == "postgresql" else _ROOM_ID
    return session.scalar(statement, {"room_id": room_id}) is not None


_NAMES_VERSION = select(RoomNamesVersion.version).where(RoomNamesVersion.id == 1)


def names_version(session: Session) -> int | None:
    """A number that goes up whenever the rooms' names, aliases or Zoom ids change (``RoomNamesVersion``):
    one cheap read, so that what is derived from all the names can be kept until it does.  None when this
    session changed them itself (its own uncommitted number must not stand for them) or the counter is
    missing: keep nothing then."""
    version = session.scalar(_NAMES_VERSION)  # autoflush first: pending changes of this session count
    return None if session.info.get(NAMES_CHANGED) else version


def list_rooms(session: Session) -> list[Room]:
    statement = select(Room).options(selectinload(Room.aliases), selectinload(Room.access_rules)).order_by(Room.name)
    return list(session.scalars(statement))


def _owner_of_key(session: Session, key: str) -> Room | None:
    room = session.scalar(select(Room).where(Room.name_key == key))
    return room or session.scalar(select(Room).join(RoomAlias).where(RoomAlias.alias_key == key))


def add_room(
    session: Session,
    name: str,
    zoom_room_id: str,
    *,
    zoom_id: str | None = None,
    location: str | None = None,
    location_id: str | None = None,
) -> Room:
    name = " ".join(name.split())
    key = _require_key(name)
    owner = _owner_of_key(session, key)
    if owner is not None:
        raise RoomNameTaken(name, owner.name)
    existing = session.scalar(select(Room).where(Room.zoom_room_id == zoom_room_id))
    if existing is not None:
        raise RoomError(f"Zoom room {zoom_room_id} is already known as {existing.name!r}.")
    room = Room(
        name=name, name_key=key, zoom_room_id=zoom_room_id, zoom_id=zoom_id, location=location, location_id=location_id
    )
    session.add(room)
    session.flush()
    return room


@dataclass(frozen=True)
class ZoomRoomRecord:
    """One room as listed by Zoom's ``GET /rooms``."""

    room_id: str
    id: str | None
    name: str
    location_id: str | None = None
    location: str | None = None


@dataclass
class SyncResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_in_zoom: list[str] = field(default_factory=list)  # known here, absent from Zoom's list: kept, reported
    name_clashes: list[str] = field(default_factory=list)  # Zoom names that collide with another room's key


def sync_rooms(session: Session, zoom_rooms: Iterable[ZoomRoomRecord]) -> SyncResult:
    """Add or update rooms from Zoom's list, matching on Zoom's ``room_id``.  Nothing is deleted."""
    result = SyncResult()
    seen: set[str] = set()
    for record in zoom_rooms:
        seen.add(record.room_id)
        room = session.scalar(select(Room).where(Room.zoom_room_id == record.room_id))
        key = normalise_name(record.name)
        owner = _owner_of_key(session, key) if key else None
        if not key or (owner is not None and (room is None or owner.id != room.id)):
            result.name_clashes.append(record.name)
            continue
        if room is None:
            session.add(
                Room(
                    name=record.name,
                    name_key=key,
                    zoom_room_id=record.room_id,
                    zoom_id=record.id,
                    location=record.location,
                    location_id=record.location_id,
                )
            )
            result.added.append(record.name)
            continue
        changes = {
            "name": record.name,
            "name_key": key,
            "zoom_id": record.id or room.zoom_id,
            "location": record.location or room.location,
            "location_id": record.location_id or room.location_id,
        }
        if any(getattr(room, column) != value for column, value in changes.items()):
            for column, value in changes.items():
                setattr(room, column, value)
            result.updated.append(record.name)
        else:
            result.unchanged.append(record.name)
        session.flush()
    session.flush()
    result.not_in_zoom = sorted(
        session.scalars(select(Room.name).where(Room.zoom_room_id.not_in(seen))) if seen else []
    )
    return result


def add_alias(session: Session, room: Room, alias: str, *, created_by: str | None = None) -> RoomAlias:
    alias = " ".join(alias.split())
    key = _require_key(alias)
    owner = _owner_of_key(session, key)
    if owner is not None:
        raise RoomNameTaken(alias, owner.name)
    room_alias = RoomAlias(room_id=room.id, alias=alias, alias_key=key, created_by=created_by)
    session.add(room_alias)
    session.flush()
    return room_alias


def remove_alias(session: Session, alias: str) -> bool:
    room_alias = session.scalar(select(RoomAlias).where(RoomAlias.alias_key == normalise_name(alias)))
    if room_alias is None:
        return False
    session.delete(room_alias)
    session.flush()
    return True


def remove_room(session: Session, room: Room) -> None:
    """Delete a room with its aliases, rules and bookings; audit rows keep the room's name."""
    session.delete(room)
    session.flush()


# --- access rules -------------------------------------------------------------------------------------


def allow(
    session: Session,
    room: Room,
    kind: AccessPrincipal,
    principal_id: str | None = None,
    *,
    created_by: str | None = None,
) -> tuple[RoomAccessRule, bool]:
    """Add a rule (idempotent).  Returns the rule and whether it was new."""
    principal = RoomAccessRule.EVERYONE_ID if kind is AccessPrincipal.EVERYONE else (principal_id or "").strip()
    if not principal:
        raise RoomError(f"a {kind.value} rule needs a Slack {kind.value} id")
    existing = session.scalar(
        select(RoomAccessRule).where(
            RoomAccessRule.room_id == room.id,
            RoomAccessRule.principal_kind == kind,
            RoomAccessRule.principal_id == principal,
        )
    )
    if existing is not None:
        return existing, False
    rule = RoomAccessRule(room_id=room.id, principal_kind=kind, principal_id=principal, created_by=created_by)
    session.add(rule)
    session.flush()
    return rule, True


def disallow(session: Session, room: Room, kind: AccessPrincipal, principal_id: str | None = None) -> bool:
    principal = RoomAccessRule.EVERYONE_ID if kind is AccessPrincipal.EVERYONE else (principal_id or "")
    rule = session.scalar(
        select(RoomAccessRule).where(
            RoomAccessRule.room_id == room.id,
            RoomAccessRule.principal_kind == kind,
            RoomAccessRule.principal_id == principal,
        )
    )
    if rule is None:
        return False
    session.delete(rule)
    session.flush()
    return True


# Built once: every dispatch asks (bot.store.prepared says why that matters).
_RULES_OF_ROOM = select(RoomAccessRule).where(RoomAccessRule.room_id == bindparam("room_id"))


def is_dispatch_allowed(
    session: Session,
    room: Room,
    *,
    user_id: str,
    channel_id: str | None,
    usergroup_ids: Iterable[str] = (),
) -> bool:
    """A room without rules is open to all; otherwise any matching rule allows.

    ``usergroup_ids`` are the user's Slack user groups (the caller looks them up; the store does not
    call Slack).
    """
    rules = list(session.scalars(_RULES_OF_ROOM, {"room_id": room.id}))
    if not rules:
        return True
    groups = set(usergroup_ids)
    for rule in rules:
        if rule.principal_kind is AccessPrincipal.EVERYONE:
            return True
        if rule.principal_kind is AccessPrincipal.USER and rule.principal_id == user_id:
            return True
        if rule.principal_kind is AccessPrincipal.CHANNEL and channel_id and rule.principal_id == channel_id:
            return True
        if rule.principal_kind is AccessPrincipal.USERGROUP and rule.principal_id in groups:
            return True
    return False
