"""The message shortcut "Send a room to this meeting": read the meeting from the message, ask which room.

The modal opens at once (Slack's ``trigger_id`` lasts 3 seconds) and is filled in with the stored rooms
afterwards.  A passcode stated in the message is not shown again: it travels in the modal sealed with
ROOMBOT_SECRET_KEY, so Slack only carries ciphertext, and is opened when the form is submitted.

With more than 100 rooms (Slack's cap for a static_select) the room select is an external_select: its options
come from ``room_options`` as the user types, answered in the ack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View

import bot.slack.rooms.modals as modals
import bot.slack.rooms.render as render
import bot.slack.rooms.room_list as room_list
from bot.dispatch.third_party import seal_target
from bot.meetings import parse_message
from bot.slack.errors import acks_itself
from bot.slack.ids import ActionId, CallbackId
from bot.slack.lane import deferred
from bot.slack.rooms.feature import rooms_of
from bot.slack.rooms.values import DispatchKey, ModalContext
from bot.slack.wording import PERSONAL_LINK
from bot.store.db import DatabaseUnavailable

log = logging.getLogger(__name__)

NO_MEETING_HINT = ("Use the shortcut on a message with a Zoom meeting link, meeting ID or invitation, or type "
                   "`/room join <room> <link>`.")


def send_room(body: dict, client: WebClient, context: BoltContext) -> None:
    """The message shortcut (deferred: runs after the ack)."""
    trigger_id = body.get("trigger_id")
    reference = parse_message(str((body.get("message") or {}).get("text") or ""))
    if not reference.is_valid or not (reference.meeting_id or reference.is_third_party):
        reason = reference.reason or PERSONAL_LINK
        client.views_open(trigger_id=trigger_id, view=modals.notice_view(
            f":warning: I could not find a meeting to send a room to: {render.escape_mrkdwn(reason)}",
            NO_MEETING_HINT))
        return
    opened = client.views_open(trigger_id=trigger_id, view=modals.notice_view(
        ":hourglass_flowing_sand: Loading the rooms…"))
    feature = rooms_of(context)
    sealed = target = None
    box = feature.secret_box
    if reference.is_third_party:  # the whole meeting travels sealed: a Teams link's ?p= is a hashed passcode
        sealed_target = seal_target(box, reference, reference.passcode)
        target = sealed_target.token if sealed_target is not None else None
    elif reference.passcode and box is not None:
        sealed = box.seal(reference.passcode).token
    channel = (body.get("channel") or {}).get("id")
    key = DispatchKey(op="join", room=0, meeting=None if reference.is_third_party else reference.meeting_id,
                      pwd=reference.pwd_token, service=reference.provider if reference.is_third_party else None)
    modal = ModalContext(key, channel=channel, sealed_passcode=sealed, sealed_target=target)
    rooms = feature.stored_rooms()
    view: View
    if rooms:
        view = modals.send_room_modal(modal, rooms, passcode_stated=sealed is not None)
    else:
        view = modals.notice_view(":information_source: roombot knows no rooms yet.",
                                  "A roombot admin can import them from Zoom with `/room sync`.")
    try:
        client.views_update(view_id=opened["view"]["id"], view=view)
    except (SlackApiError, KeyError) as error:
        log.info("could not fill in the send-room modal: %s", type(error).__name__)


def room_options(ack: Ack, payload: dict, context: BoltContext) -> None:
    """Type-ahead of the form's room select when there are more rooms than a static_select holds.

    Slack waits for the options in the ack itself (3 seconds), so this is not deferred: it reads the stored
    rooms (one short query, no Zoom) and answers at once."""
    try:
        rooms = rooms_of(context).stored_rooms()
    except DatabaseUnavailable as error:
        log.warning("no room options: %s", error)
        ack(options=[])
        return
    ack(**room_list.room_options(rooms, str(payload.get("value") or "")))


def register(app: App) -> None:
    app.shortcut(CallbackId.SEND_ROOM_SHORTCUT)(deferred(send_room))
    app.options(ActionId.ROOM_SELECT, matchers=[in_view(CallbackId.SEND_ROOM_MODAL)])(acks_itself(room_options))


def in_view(callback_id: str) -> Callable[..., bool]:
    """An ``app.options`` matcher: the menu is in the modal ``callback_id`` (both room forms use ROOM_SELECT)."""
    def matches(body: dict) -> bool:
        return str((body.get("view") or {}).get("callback_id") or "") == callback_id

    return matches
