"""What every rooms listener shares: the dispatch services, requester lookup, rooms with live status,
once-only claims, and the translation of "database down" / "Zoom unreachable" into plain replies."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from slack_sdk import WebClient

from bot.dispatch.engine import DispatchEngine, to_thread
from bot.dispatch.meetings import MeetingService
from bot.dispatch.outcomes import Requester
from bot.services import Services
from bot.slack.blocks import SlackMessage
from bot.slack.directory import directory_of
from bot.slack.errors import UserFacingError, outage_error, reason_code
from bot.slack.rooms.render import RoomView
from bot.slack.subcommands import SubcommandRequest
from bot.store import audit
from bot.store import rooms as room_store
from bot.store.db import DatabaseUnavailable, session_scope
from bot.store.models import Room
from bot.zoom.errors import ZoomError

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


def friendly_failures(handler: F) -> F:
    """Answer the requester directly when a handler gives up with a ``UserFacingError``, or the database or
    Zoom is unreachable (the central handler would only say "unexpected error" for the last two).

    Replying here instead of re-raising also sidesteps a race in Bolt's thread runner: a listener that
    raises right after ``ack()`` can make Bolt forget the ack and hold Slack's HTTP response for the whole
    3-second ack timeout.
    """

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except UserFacingError as error:
            problem = error
        except (DatabaseUnavailable, ZoomError) as error:
            problem = outage_error(error)
        log.info("%s: told the requester why it stopped: %s", handler.__name__, reason_code(problem))
        tell_requester(problem.to_message(), args, kwargs)
        return None

    return wrapper  # type: ignore[return-value]


def tell_requester(message: SlackMessage, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Show ``message`` to whoever sent the command, click or form — privately; never raises."""
    try:
        if args and isinstance(args[0], SubcommandRequest):
            args[0].respond(response_type="ephemeral", **message.as_kwargs())
            return
        body = kwargs.get("body") or {}
        respond, client = kwargs.get("respond"), kwargs.get("client")
        if respond is not None and body.get("response_url"):
            respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())
            return
        user = (body.get("user") or {}).get("id")
        channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get("id")
        if client is None or not user:
            log.warning("could not tell anyone: no requester in the request")
        elif channel:
            client.chat_postEphemeral(channel=channel, user=user, **message.as_kwargs())
        else:  # a modal submission: a direct message from the app is private too
            client.chat_postMessage(channel=user, **message.as_kwargs())
    except Exception:  # noqa: BLE001 - reporting a failure must not raise another one
        log.warning("could not tell the requester about a problem", exc_info=True)


class RoomsFeature:
    def __init__(self, services: Services, meetings: MeetingService | None = None) -> None:
        if services.dispatcher is None or services.session_factory is None or services.engine is None:
            raise ValueError("the rooms feature needs services.dispatcher, .engine and .session_factory")
        self.services = services
        self.dispatcher = services.dispatcher
        self.engine: DispatchEngine = services.engine
        self.meetings = meetings or services.meetings
        self.sessions = services.session_factory
        self.directory = directory_of(services)

    @property
    def zoom(self) -> Any:
        return self.services.zoom or self.dispatcher.zoom

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
        lookup = getattr(self.dispatcher, "remembered_passcode", None)
        if dispatch_id is None or lookup is None:
            return None
        try:
            return lookup(dispatch_id)
        except Exception as error:  # noqa: BLE001 - e.g. a rotated key: ask again rather than fail the retry
            log.info("could not reopen the passcode of dispatch %s: %s", dispatch_id, type(error).__name__)
            return None

    @property
    def secret_box(self) -> Any:
        """Seals a passcode stated in a shared message for the shortcut's modal (None: not carried)."""
        return self.services.secret_box or getattr(getattr(self.dispatcher, "trail", None), "secret_box", None)
