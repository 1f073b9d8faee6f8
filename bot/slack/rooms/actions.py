"""Buttons on result cards and on `/room list`: retry, join anyway, join without passcode, repair passcode,
leave, new meeting — and the two that open a modal (enter passcode, join a meeting…).

Every listener is a module-level function registered through ``deferred`` (it runs after the ack, in the
listener lane; what it raises is told to the clicker by the one after-ack reporter) and finds the rooms
feature with ``rooms_of(context)``.  Modals are opened straight away with the click's ``trigger_id`` (valid
for 3 seconds, once).  A click is claimed once in the store (``message ts : action : dispatch : nonce``), so a
double click or a second person clicking the same button does not send the room twice.  The card whose
button was clicked becomes the progress message and then the new result.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

import bot.slack.rooms.commands as room_commands
import bot.slack.rooms.flow as flow
import bot.slack.rooms.modals as modals
import bot.slack.rooms.render as render
import bot.slack.rooms.room_list as room_list
from bot.dispatch.engine import to_messaging_thread
from bot.dispatch.outcomes import Requester
from bot.meetings import MeetingReference
from bot.slack.errors import ReplyTo, UserFacingError
from bot.slack.ids import ActionId
from bot.slack.lane import BUSY_TEXT, deferred
from bot.slack.middleware import settings_of
from bot.slack.rooms.feature import RoomsFeature, rooms_of
from bot.slack.rooms.progress import ProgressMessage
from bot.slack.rooms.values import DispatchKey, ModalContext, StaleValue
from bot.store.types import DispatchSource

log = logging.getLogger(__name__)

DISPATCH_BUTTONS = (ActionId.RETRY, ActionId.JOIN_ANYWAY, ActionId.JOIN_WITHOUT_PASSCODE, ActionId.REPAIR_PASSCODE,
                    ActionId.LEAVE, ActionId.NEW_MEETING)


class Click:
    """Where a button was clicked and what it carries."""

    def __init__(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        self.action_id = str(action.get("action_id", ""))
        try:
            self.key = DispatchKey.decode(str(action.get("value", "")))
        except StaleValue:
            raise UserFacingError("This button comes from an older roombot message and no longer works. Nothing was "
                                  "done.", hint="Run the command again, e.g. `/room list`.") from None
        container = body.get("container") or {}
        self.user_id = str((body.get("user") or {}).get("id", ""))
        self.channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
        self.message_ts = container.get("message_ts")
        # Ephemeral messages (e.g. /room list) cannot be edited with chat.update: post a new message instead.
        self.card_ts = None if container.get("is_ephemeral") else self.message_ts
        self.trigger_id = body.get("trigger_id")

    @property
    def once_key(self) -> str:
        return f"action:{self.message_ts}:{self.action_id}:{self.key.dispatch or ''}:{self.key.nonce}"


def dispatch_button(body: dict, action: dict, client: WebClient, context: BoltContext, respond: Respond) -> None:
    """Retry, Join anyway, Join without passcode, Repair passcode, Leave, New meeting."""
    feature = rooms_of(context)
    click = Click(body, action)
    if not feature.claim(click.once_key):
        flow.ephemeral(respond, render.info_message(
            ":hourglass_flowing_sand: That button was already clicked; the message above shows what happened.",
            "Nothing more was done."))
        return
    is_admin = settings_of(context).is_admin(click.user_id)
    requester = feature.requester(client, click.user_id, is_admin=is_admin)
    room_name = feature.room_name(click.key.room)
    text = _working_text(click, room_name)
    if click.card_ts and click.channel:  # editing the clicked card needs its channel too
        progress = ProgressMessage.adopt(client, click.channel, click.user_id, click.card_ts, text, respond=respond)
    else:
        progress = ProgressMessage.start(client, click.channel, click.user_id, text, respond=respond)
    _run(feature, click, progress, requester, room_name)


def enter_passcode(body: dict, action: dict, client: WebClient) -> None:
    click = Click(body, action)
    modal = ModalContext(click.key, click.channel, click.card_ts)
    client.views_open(trigger_id=click.trigger_id, view=modals.passcode_modal(modal))


def join_a_meeting(body: dict, action: dict, client: WebClient, context: BoltContext) -> None:
    click = Click(body, action)
    modal = ModalContext(click.key, click.channel)
    # Open first (the trigger expires in 3 s), then name the room once the store has answered.
    opened = client.views_open(trigger_id=click.trigger_id, view=modals.join_meeting_modal(modal))
    try:
        view = opened["view"]
        client.views_update(view_id=view["id"], hash=view["hash"],
                            view=modals.join_meeting_modal(modal, rooms_of(context).room_name(click.key.room)))
    except (SlackApiError, UserFacingError, KeyError) as error:
        log.info("join modal left without the room name: %s", type(error).__name__)


def list_page(body: dict, action: dict, respond: Respond, context: BoltContext) -> None:
    """Previous / Next on `/room list`: the same (ephemeral) message shows the other page."""
    feature = rooms_of(context)
    try:
        page = room_list.ListPage.decode(str(action.get("value", "")))
    except StaleValue:
        raise UserFacingError("This button comes from an older roombot message and no longer works. Nothing was "
                              "done.", hint="Run `/room list` again.") from None

    async def answer() -> None:
        message = await room_commands.list_message(feature, page.query, page.page)
        await to_messaging_thread(respond, response_type="ephemeral", replace_original=True, **message.as_kwargs())

    reply = ReplyTo.request(body, context).send

    async def job() -> None:
        await flow.reported(answer(), reply, where="list_page")

    if not feature.engine.submit(job, label="room list page"):
        flow.ephemeral(respond, render.info_message(BUSY_TEXT))


def register(app: App) -> None:
    for action_id in DISPATCH_BUTTONS:
        app.action(action_id)(deferred(dispatch_button))
    app.action(ActionId.ENTER_PASSCODE)(deferred(enter_passcode))
    app.action(ActionId.JOIN_MEETING)(deferred(join_a_meeting))
    app.action(ActionId.LIST_PREVIOUS)(deferred(list_page))
    app.action(ActionId.LIST_NEXT)(deferred(list_page))


def _working_text(click: Click, room_name: str) -> str:
    if click.action_id == ActionId.LEAVE or click.key.op == "leave":
        return flow.leaving_text(room_name)
    if click.action_id == ActionId.REPAIR_PASSCODE:
        return flow.repairing_text(click.key.meeting)
    if click.action_id == ActionId.NEW_MEETING or click.key.op == "new":
        return flow.creating_text(room_name)
    key = click.key
    shown = MeetingReference(kind="meeting", provider=key.service) if key.service else key.reference()
    return flow.joining_text(room_name, shown)


def _run(feature: RoomsFeature, click: Click, progress: ProgressMessage, requester: Requester,
         room_name: str) -> None:
    key = click.key
    force = click.action_id == ActionId.JOIN_ANYWAY
    if click.action_id == ActionId.LEAVE or key.op == "leave":
        flow.run_leave(feature, progress, requester, room=room_name, source=DispatchSource.BUTTON)
    elif click.action_id == ActionId.REPAIR_PASSCODE:
        if not key.meeting:
            raise UserFacingError("This button does not say which meeting to repair. Nothing was done.")
        flow.run_repair(feature, progress, requester, room=room_name, meeting_id=key.meeting)
    elif click.action_id == ActionId.NEW_MEETING or key.op == "new":
        flow.run_new(feature, progress, requester, room=room_name, topic=key.topic,
                     source=DispatchSource.BUTTON, force_accept=force)
    elif key.service:  # a Teams, Meet or SIP meeting: sent again as the audit row kept it
        meeting, passcode = feature.remembered_third_party(key.dispatch)
        flow.run_join(feature, progress, requester, room=room_name, meeting=meeting, source=DispatchSource.BUTTON,
                      passcode=passcode, force_accept=force)
    else:
        without = click.action_id == ActionId.JOIN_WITHOUT_PASSCODE or key.bare
        passcode = None if without else feature.remembered_passcode(key.dispatch)
        flow.run_join(feature, progress, requester, room=room_name, meeting=key.reference(),
                      source=DispatchSource.BUTTON, passcode=passcode, force_accept=force, without_passcode=without)
