"""What every rooms listener shares: the dispatch services, requester lookup, rooms with live status and
once-only claims.  ``install`` puts one ``RoomsFeature`` on ``services.rooms``; listeners reach it with
``rooms_of(context)``, subcommand handlers with ``feature_of(request.services)``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt import BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.dispatch.engine import DispatchEngine, to_thread
from bot.dispatch.meetings import MeetingService
from bot.dispatch.outcomes import Requester
from bot.dispatch.service import DispatchService
from bot.dispatch.third_party import open_target
from bot.meetings import MeetingReference
from bot.services import NotWired, Services
from bot.slack.directory import SlackDirectory, directory_of
from bot.slack.errors import UserFacingError
from bot.slack.middleware import services_of
from bot.slack.rooms.names import RoomNamesCache
from bot.slack.rooms.room_list import RoomView
from bot.store import audit
from bot.store import rooms as room_store
from bot.store.crypto import Sealed
from bot.store.db import session_scope
from bot.store.models import Room
from bot.zoom.errors import ZoomError

if TYPE_CHECKING:
    from bot.store.crypto import SecretBox
    from bot.zoom.client import ZoomClient

log = logging.getLogger(__name__)


def feature_of(services: Services) -> RoomsFeature:
    """The rooms feature ``bot.slack.rooms.install`` put on ``services``."""
    feature = services.rooms
    if not isinstance(feature, RoomsFeature):
        raise RuntimeError("the rooms surface is not installed: call bot.slack.rooms.install(services) first")
    return feature


def rooms_of(context: BoltContext) -> RoomsFeature:
    """The rooms feature, for a Bolt listener (``services`` come with every request: bot.slack.middleware)."""
    return feature_of(services_of(context))


class RoomsFeature:
    def __init__(self, services: Services, meetings: MeetingService | None = None) -> None:
        if services.dispatcher is None or services.session_factory is None or services.engine is None:
            raise ValueError("the rooms feature needs services.dispatcher, .engine and .session_factory")
        self.services = services
        self.dispatcher: DispatchService = services.dispatcher
        self.engine: DispatchEngine = services.engine
        self._meetings = meetings
        self.sessions: sessionmaker[Session] = services.session_factory
        self.directory: SlackDirectory = directory_of(services)
        self.room_names = RoomNamesCache()

    @property
    def zoom(self) -> ZoomClient:
        """The sync Zoom client of the admin commands (`/room sync`, `/room add`)."""
        zoom: ZoomClient | None = self.services.zoom
        if zoom is None:
            raise RuntimeError("services.zoom is not set: the admin commands need the sync Zoom client")
        return zoom

    # -- who is asking ------------------------------------------------------------------------------------

    def requester(self, client: WebClient, user_id: str, *, is_admin: bool) -> Requester:
        return self.directory.requester(client, user_id, is_admin=is_admin)

    # -- rooms ----------------------------------------------------------------------------------------------

    def room_name(self, key: int) -> str:
        with session_scope(self.sessions) as session:
            room = session.get(Room, key)
            if room is None:
                raise UserFacingError("That room is no longer known to roombot (an admin removed it), so nothing "
                                      "was done.", hint="`/room list` shows the rooms there are now.")
            return room.name

    def stored_rooms(self) -> list[RoomView]:
        with session_scope(self.sessions) as session:
            return [RoomView(room.id, room.name, tuple(a.alias for a in room.aliases))
                    for room in room_store.list_rooms(session)]

    async def rooms_with_status(self) -> tuple[list[RoomView], str | None]:
        """Stored rooms with their live status from the shared status board's listing (matched by room_id).

        Returns the rooms and, when Zoom could not be asked, why (the rooms are then shown without status).
        """
        stored = await to_thread(self._stored_room_rows)
        if not stored:
            return [], None
        try:
            live = await self.dispatcher.board.rooms()
        except ZoomError as error:
            return [RoomView(key, name, aliases) for key, name, aliases, _, _ in stored], error.explain()
        by_room_id = {r.room_id: r.status for r in live}
        by_id = {r.id: r.status for r in live}
        views = [RoomView(key, name, aliases, by_room_id.get(room_id) or (by_id.get(zoom_id) if zoom_id else None))
                 for key, name, aliases, room_id, zoom_id in stored]
        return views, None

    def _stored_room_rows(self) -> list[tuple[int, str, tuple[str, ...], str, str | None]]:
        with session_scope(self.sessions) as session:
            return [(room.id, room.name, tuple(a.alias for a in room.aliases), room.zoom_room_id, room.zoom_id)
                    for room in room_store.list_rooms(session)]

    # -- once only ------------------------------------------------------------------------------------------

    def claim(self, key: str) -> bool:
        """True the first time ``key`` is seen (a double click or a Slack retry gets False)."""
        with session_scope(self.sessions, write_lock=True) as session:
            return audit.claim_once(session, key[:250])

    def release(self, key: str) -> None:
        with session_scope(self.sessions, write_lock=True) as session:
            audit.release_key(session, key[:250])

    # -- passcodes of earlier dispatches ---------------------------------------------------------------------

    def remembered_passcode(self, dispatch_id: int | None) -> str | None:
        """The passcode an earlier dispatch used, so Retry / Join anyway do not ask for it again."""
        if dispatch_id is None:
            return None
        try:
            return self.dispatcher.remembered_passcode(dispatch_id)
        except Exception as error:  # noqa: BLE001 - e.g. a rotated key: ask again rather than fail the retry
            log.info("could not reopen the passcode of dispatch %s: %s", dispatch_id, type(error).__name__)
            return None

    def remembered_third_party(self, dispatch_id: int | None) -> tuple[MeetingReference, str | None]:
        """The Teams, Meet or SIP meeting of an earlier dispatch, for its Retry / Join anyway buttons."""
        try:
            found = self.dispatcher.trail.remembered_third_party(dispatch_id) if dispatch_id is not None else None
        except Exception as error:  # noqa: BLE001 - e.g. a rotated key: say so rather than fail unexplained
            log.info("could not read back a third-party meeting: %s", type(error).__name__)
            found = None
        if found is None:
            raise UserFacingError("roombot no longer knows which meeting this button was for, so nothing was done.",
                                  hint="Run `/room join` with the meeting link again.")
        return found

    def open_target(self, token: str) -> tuple[MeetingReference, str | None]:
        """The meeting the shortcut's modal carries sealed."""
        box = self.secret_box
        try:
            if box is None:
                raise ValueError("no secret key")
            return open_target(box, Sealed(token))
        except Exception as error:  # noqa: BLE001 - a rotated key or a tampered form: nothing is sent
            log.info("could not open the meeting sealed in a modal: %s", type(error).__name__)
            raise UserFacingError("The meeting from the message could not be read back, so nothing was done.",
                                  hint="Use the shortcut on the message again.") from None

    @property
    def meetings(self) -> MeetingService:
        """`/room new`, passcode repairs (``meetings=`` given to install, else the services')."""
        meetings = self._meetings or self.services.meetings
        if meetings is None:
            raise NotWired("services were built without meetings (services.meetings)")
        return meetings

    @property
    def secret_box(self) -> SecretBox | None:
        """Seals a passcode stated in a shared message for the shortcut's modal (None: not carried)."""
        box: SecretBox | None = self.services.secret_box or self.dispatcher.trail.secret_box
        return box
