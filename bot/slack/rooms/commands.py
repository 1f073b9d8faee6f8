"""`/room list | join | new | leave | status` (SPEC §5): one module-level handler each, ``register``-ed into
``services.subcommands`` by ``bot.slack.rooms.install``.  Each finds the rooms feature on the request
(``feature_of(request.services)``); what a handler raises is told to the requester by the `/room` router.

Refusals that are only about what the requester typed (missing arguments, an unknown room, a link that is
not a Zoom meeting, a room they may not use) are answered to them alone.  Everything that touches a room
is reported in the channel: one message, edited as the dispatch advances.  The arguments may hold a
passcode, so they are never echoed or logged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import bot.slack.rooms.flow as flow
import bot.slack.rooms.render as render
import bot.slack.rooms.room_list as room_list
from bot.dispatch.engine import to_messaging_thread
from bot.dispatch.outcomes import DispatchResult, Requester, ResultKind
from bot.dispatch.reasons import Reason, Why, reason
from bot.dispatch.service import RoomTarget
from bot.dispatch.third_party import third_party_join
from bot.meetings import parse_meeting_reference
from bot.slack.errors import ReplyTo
from bot.slack.lane import BUSY_TEXT
from bot.slack.rooms.feature import RoomsFeature, feature_of
from bot.slack.rooms.progress import ProgressMessage
from bot.slack.subcommands import SubcommandRegistry, SubcommandRequest
from bot.store.db import session_scope
from bot.store.types import DispatchAction, DispatchSource

USAGE = {
    "join": ("`/room join <room> <meeting link | meeting id> [passcode]`",
             "e.g. `/room join Boardroom https://zoom.us/j/81234567890` or "
             "`/room join Huddle 3 812 3456 7890 Xk7_9ab`"),
    "new": ("`/room new <room> [topic…]`", "e.g. `/room new Boardroom Design review`"),
    "leave": ("`/room leave <room>`", "e.g. `/room leave Boardroom`"),
    "status": ("`/room status <room>`", "e.g. `/room status Boardroom`"),
}
QUOTES = {'"': '"', "“": "”", "'": "'"}


def usage_message(name: str) -> render.SlackMessage:
    usage, example = USAGE[name]
    return render.info_message(f":information_source: Usage: {usage}", f"Nothing was done. {example}.")


def split_room(feature: RoomsFeature, args: str) -> tuple[str, str]:
    """Split ``<room> <rest>``: room names have spaces ("Huddle 3"), so the longest leading run of words
    that names a stored room wins; a quoted name is taken as is.  Without a match, the words before the
    first one that looks like a meeting (a link or digits) are the room, so the miss can suggest names."""
    text = args.strip()
    if text[:1] in QUOTES:
        closing = text.find(QUOTES[text[0]], 1)
        if closing > 0:
            return text[1:closing].strip(), text[closing + 1:].strip()
    words = text.split()
    if len(words) < 2:
        return text, ""
    with session_scope(feature.sessions) as session:
        known = feature.room_names.current(session)
    for cut in range(len(words) - 1, 0, -1):
        if known.names_a_room(" ".join(words[:cut])):
            return " ".join(words[:cut]), " ".join(words[cut:])
    for cut, word in enumerate(words[1:], start=1):
        if word[:1] in "<0123456789" or word.lower().startswith(("http", "zoom")):
            return " ".join(words[:cut]), " ".join(words[cut:])
    return words[0], " ".join(words[1:])


def _refused_privately(request: SubcommandRequest, result: DispatchResult) -> bool:
    if result.kind in (ResultKind.UNKNOWN_ROOM, ResultKind.NOT_ALLOWED, ResultKind.INVALID_REFERENCE):
        flow.ephemeral(request.respond, render.refusal_message(result))
        return True
    return False


def _submit_lookup(feature: RoomsFeature, request: SubcommandRequest,
                   answer: Callable[[], Awaitable[None]]) -> None:
    """Run a status lookup on the dispatch engine (it waits on Zoom); say so at once when it cannot, and in
    plain words (the one reporter) when the store or Zoom fails on the way."""
    async def lookup() -> None:
        await flow.reported(answer(), ReplyTo.command(request).send, where=request.name)

    if not feature.engine.submit(lookup, label="room status lookup"):
        flow.ephemeral(request.respond, render.info_message(BUSY_TEXT))


async def list_message(feature: RoomsFeature, query: str = "", page: int = 1) -> render.SlackMessage:
    """One page of `/room list [text]` (on the dispatch engine: the status comes from the status board).

    Every room can be reached: a page holds ``room_list.ROOMS_PER_PAGE`` rooms and its Previous/Next buttons
    (``bot.slack.rooms.actions.list_page``) show the others; ``text`` narrows the list to the rooms whose name
    or alias contains it."""
    rooms, zoom_problem = await feature.rooms_with_status()
    found = room_list.find_rooms(rooms, query) if query else rooms
    return room_list.rooms_list_message(found, zoom_problem=zoom_problem, page=page, query=query, total=len(rooms))


def list_query(args: str) -> str:
    """The filter of `/room list <text>`, as it is carried in the page buttons."""
    return " ".join(args.split())[:room_list.MAX_LIST_QUERY]


def resolved(feature: RoomsFeature, request: SubcommandRequest, room_text: str, requester: Requester,
             action: DispatchAction) -> RoomTarget | None:
    """The room, resolved (and its refusal audited) once, before anything is posted; None when refused, and
    the requester was told privately."""
    target = feature.dispatcher.resolve_now(room_text, requester, request.channel_id, DispatchSource.COMMAND,
                                            action)
    if isinstance(target, DispatchResult):
        _refused_privately(request, target)
        return None
    return target


def _progress(request: SubcommandRequest, text: str) -> ProgressMessage:
    return ProgressMessage.start(request.client, request.channel_id, request.user_id, text, respond=request.respond)


# ------------------------------------------------------------------------------------------ the handlers


def list_rooms(request: SubcommandRequest) -> None:
    feature = feature_of(request.services)
    query = list_query(request.args)

    async def answer() -> None:
        message = await list_message(feature, query)
        await to_messaging_thread(flow.ephemeral, request.respond, message)

    _submit_lookup(feature, request, answer)


def join(request: SubcommandRequest) -> None:
    feature = feature_of(request.services)
    room_text, meeting_text = split_room(feature, request.args)
    if not room_text or not meeting_text:
        flow.ephemeral(request.respond, usage_message("join"))
        return
    reference = parse_meeting_reference(meeting_text)
    if not reference.is_valid or not (reference.meeting_id or reference.is_third_party):
        why = reason(Why.BAD_REFERENCE, detail=reference.reason) if reference.reason else reason(Why.PERSONAL_LINK)
        flow.ephemeral(request.respond, render.refusal_message(
            DispatchResult(ResultKind.INVALID_REFERENCE, room_text, why)))
        return
    if reference.is_third_party:  # a Teams cloud Zoom Rooms cannot join, say, is the requester's to fix
        refusal = third_party_join(reference, reference.passcode)
        if isinstance(refusal, Reason):
            flow.ephemeral(request.respond, render.refusal_message(
                DispatchResult(ResultKind.INVALID_REFERENCE, room_text, refusal, service=reference.provider)))
            return
    requester = feature.requester(request.client, request.user_id, is_admin=request.is_admin)
    target = resolved(feature, request, room_text, requester, DispatchAction.JOIN)
    if target is not None:
        progress = _progress(request, flow.joining_text(target.name, reference))
        flow.run_join(feature, progress, requester, room=target, meeting=reference, source=DispatchSource.COMMAND)


def new(request: SubcommandRequest) -> None:
    feature = feature_of(request.services)
    if not request.args:
        flow.ephemeral(request.respond, usage_message("new"))
        return
    room_text, topic = split_room(feature, request.args)
    requester = feature.requester(request.client, request.user_id, is_admin=request.is_admin)
    target = resolved(feature, request, room_text, requester, DispatchAction.NEW)
    if target is not None:
        progress = _progress(request, flow.creating_text(target.name))
        flow.run_new(feature, progress, requester, room=target, topic=topic[:200] or None,
                     source=DispatchSource.COMMAND)


def leave(request: SubcommandRequest) -> None:
    feature = feature_of(request.services)
    if not request.args:
        flow.ephemeral(request.respond, usage_message("leave"))
        return
    requester = feature.requester(request.client, request.user_id, is_admin=request.is_admin)
    target = resolved(feature, request, request.args, requester, DispatchAction.LEAVE)
    if target is not None:
        progress = _progress(request, flow.leaving_text(target.name))
        flow.run_leave(feature, progress, requester, room=target, source=DispatchSource.COMMAND)


def status(request: SubcommandRequest) -> None:
    feature = feature_of(request.services)
    if not request.args:
        flow.ephemeral(request.respond, usage_message("status"))
        return
    requester = feature.requester(request.client, request.user_id, is_admin=request.is_admin)

    async def answer() -> None:
        result = await feature.dispatcher.status(request.args, requester, request.channel_id)
        if not _refused_privately(request, result):
            await to_messaging_thread(flow.ephemeral, request.respond,
                                      render.result_message(result, requester_id=request.user_id, op="status"))

    _submit_lookup(feature, request, answer)


def register(subcommands: SubcommandRegistry) -> None:
    subcommands.register("list", list_rooms)
    subcommands.register("join", join)
    subcommands.register("new", new)
    subcommands.register("leave", leave)
    subcommands.register("status", status)
