"""`/room list | status | leave`, the list's buttons, the Home section, and what happens when the database or
Zoom is down."""

from __future__ import annotations

from contextlib import closing

import pytest

from bot.runtime import build_dispatch
from bot.services import Services
from bot.slack.ids import ActionId, CallbackId
from bot.slack.rooms import install
from bot.store.db import DatabaseUnavailable
from bot.zoom import ZoomClient
from tests.slack.rooms.conftest import EXTERNAL_ID, PROGRESS_PREFIX, RoomBot, block_text, button_ids
from tests.support.slack import FakeSlackApi, SignedSlackClient, SlackAppServers
from tests.support.stack import TEST_POLICY
from tests.support.zoom_sim import sim_zoom_settings

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])


def list_reply(bot: RoomBot):
    reply = bot.reply(bot.room("list"))
    assert reply.params["response_type"] == "ephemeral"
    return reply


def test_list_shows_live_status_from_one_zoom_call_with_buttons(room_bot: RoomBot) -> None:
    before = len(room_bot.stack.zoom_requests("/v2/rooms", "GET"))
    reply = list_reply(room_bot)
    assert len(room_bot.stack.zoom_requests("/v2/rooms", "GET")) == before + 1
    text = str(reply.params["blocks"])
    for line in ("*Boardroom* — :large_green_circle: Available", "*Training Room* — :red_circle: In a meeting",
                 "*Ocean View (4th floor)* — :black_circle: Offline"):
        assert line in text
    actions = [b for b in reply.params["blocks"] if b["type"] == "actions"]
    assert len(actions) == 4
    assert [e["action_id"] for e in actions[-1]["elements"]] == [ActionId.JOIN_MEETING, ActionId.NEW_MEETING,
                                                               ActionId.LEAVE]  # Training Room, sorted last


def test_list_leave_button_posts_the_result_in_the_channel(room_bot: RoomBot) -> None:
    actions = [b for b in list_reply(room_bot).params["blocks"] if b["type"] == "actions"]
    leave = next(e for e in actions[-1]["elements"] if e["action_id"] == ActionId.LEAVE)
    room_bot.click_ephemeral(leave["value"], ActionId.LEAVE)
    assert room_bot.card().text.startswith("Training Room is leaving its meeting.")
    assert room_bot.stack.sim_room("Training Room")["status"] == "Available"


def test_list_join_a_meeting_opens_a_modal_and_joins(room_bot: RoomBot) -> None:
    room_bot.stack.admin("POST", "/meetings", {"id": EXTERNAL_ID, "password": "Xk7_9ab"})
    actions = [b for b in list_reply(room_bot).params["blocks"] if b["type"] == "actions"]
    boardroom_join = actions[0]["elements"][0]
    room_bot.click_ephemeral(boardroom_join["value"], ActionId.JOIN_MEETING)
    [opened] = room_bot.slack.wait_for(lambda: room_bot.slack.calls("views.open"), what="modal")
    assert opened.params["view"]["callback_id"] == CallbackId.JOIN_MEETING_MODAL
    [named] = room_bot.slack.wait_for(lambda: room_bot.slack.calls("views.update"), what="modal with the room name")
    assert "*Boardroom*" in str(named.params["view"]["blocks"])
    metadata = opened.params["view"]["private_metadata"]

    bad = room_bot.client.view_submission(
        CallbackId.JOIN_MEETING_MODAL, {"meeting": {"meeting_input": {"type": "plain_text_input", "value": "hello"}}},
        private_metadata=metadata)
    assert bad.response.json()["response_action"] == "errors" and "meeting" in bad.response.json()["errors"]

    values = {"meeting": {"meeting_input": {"type": "plain_text_input", "value": f"https://zoom.us/j/{EXTERNAL_ID}"}},
              "passcode": {"passcode_input": {"type": "plain_text_input", "value": "Xk7_9ab"}}}
    room_bot.client.view_submission(CallbackId.JOIN_MEETING_MODAL, values, private_metadata=metadata)
    assert room_bot.card().text.startswith("Boardroom is in meeting 855 1234 5678.")


def test_list_new_meeting_button(room_bot: RoomBot) -> None:
    actions = [b for b in list_reply(room_bot).params["blocks"] if b["type"] == "actions"]
    room_bot.click_ephemeral(actions[1]["elements"][1]["value"], ActionId.NEW_MEETING)  # Huddle 3
    card = room_bot.card()
    assert card.text.startswith("Huddle 3 is in meeting") and "*Join link:*" in block_text(card)
    room_bot.ephemeral_to("U1", contains="The passcode of meeting")


def test_status_is_private_and_offers_leave(room_bot: RoomBot) -> None:
    reply = room_bot.reply(room_bot.room("status training room"))
    assert reply.params["response_type"] == "ephemeral"
    assert reply.params["text"].startswith("Training Room: In a meeting")
    assert [e["action_id"] for b in reply.params["blocks"] if b["type"] == "actions" for e in b["elements"]] == [
        ActionId.LEAVE]
    unknown = room_bot.reply(room_bot.room("status huddle 4"))
    assert "There is no room called “huddle 4”. Did you mean “Huddle 3”?" in unknown.params["text"]


def test_leave_is_reported_in_the_channel(room_bot: RoomBot) -> None:
    room_bot.room("leave Training Room")
    card = room_bot.card()
    assert card.text.startswith("Training Room is leaving its meeting.")
    assert button_ids(card) == []


def test_home_section_lists_rooms_with_status(room_bot: RoomBot) -> None:
    room_bot.client.app_home_opened("U1")
    view = room_bot.slack.wait_for(lambda: room_bot.slack.home_views.get("U1"), what="home tab")
    assert "*Boardroom* — :large_green_circle: Available" in str(view["blocks"])


def test_database_down_gives_a_clear_reply(make_stack, slack_app_server: SlackAppServers, fake_slack: FakeSlackApi,
                                           slack_client: SignedSlackClient) -> None:
    stack = make_stack()

    def broken_sessions() -> None:
        raise DatabaseUnavailable("sqlite:///roombot.sqlite3", "unable to open database file")

    services = Services(zoom=stack.zoom, session_factory=broken_sessions, engine=stack.engine,
                        dispatcher=stack.async_dispatcher, meetings=stack.async_meetings)
    install(services)
    slack_app_server(services=services)
    delivery = slack_client.slash("/room", "list")
    [reply] = fake_slack.wait_for(lambda: fake_slack.responses(delivery.response_url), what="reply")
    assert "roombot cannot reach its database right now, so nothing was done." in reply.params["text"]
    slack_client.app_home_opened("U1")
    view = fake_slack.wait_for(lambda: fake_slack.home_views.get("U1"), what="home tab")
    assert "cannot reach its database" in str(view["blocks"])


def test_zoom_unreachable_is_reported(make_stack, slack_app_server: SlackAppServers, fake_slack: FakeSlackApi,
                                     slack_client: SignedSlackClient) -> None:
    stack = make_stack()
    # No retries: the client's backoff would only make this test slow.
    settings = sim_zoom_settings(stack.sim, max_retries=0)
    parts = build_dispatch(settings, stack.db.sessions, None, policy=TEST_POLICY)
    with ZoomClient(settings) as zoom, closing(parts):
        services = Services(zoom=zoom, session_factory=stack.db.sessions, engine=parts.engine,
                            dispatcher=parts.dispatcher, meetings=parts.meetings)
        install(services)
        slack_app_server(services=services)
        stack.sim.stop()
        delivery = slack_client.slash("/room", "list")
        [reply] = fake_slack.wait_for(lambda: fake_slack.responses(delivery.response_url), what="list reply")
        blocks = str(reply.params["blocks"])
        assert "Live status unavailable" in blocks and "Status unknown" in blocks
        slack_client.slash("/room", f"join Boardroom {EXTERNAL_ID} Xk7_9ab")
        [card] = fake_slack.wait_for(lambda: [m for m in fake_slack.messages_in("C1")
                                              if not m.text.startswith(PROGRESS_PREFIX)], 15, what="card")
        assert "could not reach Zoom" in block_text(card) and "nothing reached Boardroom" in block_text(card)
        assert ActionId.RETRY in button_ids(card)
