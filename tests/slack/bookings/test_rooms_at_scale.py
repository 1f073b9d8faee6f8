"""The booking surface with many rooms and awkward names, over real HTTP: the "Book a room" modal searches
1,000 rooms by type-ahead (a static_select holds only 100), `/room book` takes a room called `R&D`, booking
messages escape room names (confirm dialogs are plain_text), and App Home says when it shows only some bookings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.scheduling.occurrence import OccurrenceView
from bot.services import Services
from bot.slack.bookings import install, messages
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.store.crypto import SecretBox
from bot.store.db import session_scope
from bot.store.models import Booking
from tests.slack.rooms.suggest import (
    VIEW_BLOCKS,
    answered_options,
    check_limits,
    check_options,
    mrkdwn_texts,
    sim_rooms,
    suggest,
    text_objects,
)
from tests.support.bookings import ALICE, CHANNEL, Bookings, booking_form, utc_now
from tests.support.slack import FakeSlackApi, SignedSlackClient, SlackAppServers
from tests.support.stack import TEST_SECRET_KEY, Stack

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])


def booking_services(stack: Stack) -> Services:
    services = Services(zoom=stack.zoom, session_factory=stack.db.sessions, secret_box=SecretBox(TEST_SECRET_KEY),
                        engine=stack.engine, dispatcher=stack.async_dispatcher, meetings=stack.async_meetings)
    install(services)
    return services


@pytest.fixture
def serve(make_stack: Any, fake_slack: FakeSlackApi, slack_app_server: SlackAppServers,
          slack_client: SignedSlackClient) -> Any:
    fake_slack.add_user(ALICE, name="alice", email="alice@example.com", tz="America/New_York")

    def start(rooms: list[dict[str, Any]]) -> Stack:
        stack = make_stack(rooms=rooms)
        slack_app_server(booking_services(stack))
        return stack

    return start


def bookings_in(stack: Stack) -> list[Booking]:
    with session_scope(stack.db.sessions) as session:
        return list(session.scalars(select(Booking).order_by(Booking.id)))


def test_booking_modal_searches_a_thousand_rooms(serve: Any, slack_client: SignedSlackClient) -> None:
    stack = serve(sim_rooms(1000))
    slack_client.global_shortcut(CallbackId.BOOK_ROOM_SHORTCUT, user_id=ALICE)
    [opened] = slack_client.fake.wait_for(lambda: slack_client.fake.calls("views.open"), 10, what="modal")
    view = opened.params["view"]
    check_limits(view["blocks"], max_blocks=VIEW_BLOCKS)
    room = next(b for b in view["blocks"] if b["block_id"] == BlockId.ROOM)
    assert room["element"]["type"] == "external_select" and room["element"]["action_id"] == ActionId.ROOM_SELECT
    assert "1000 rooms" in room["hint"]["text"]

    [option] = answered_options(suggest(slack_client, CallbackId.BOOK_MODAL, "0999", user_id=ALICE))
    assert option == {"text": {"type": "plain_text", "text": "Room 0999", "emoji": False}, "value": "Room 0999"}
    many = suggest(slack_client, CallbackId.BOOK_MODAL, "room", user_id=ALICE)
    assert many["option_groups"][0]["label"]["text"].startswith("First 100 of 1000")
    check_options(answered_options(many))

    start = int((utc_now() + timedelta(days=1)).timestamp())
    values = booking_form(start=start, meeting="new", repeat="once", room_select="external_select", room_option=option)
    delivery = slack_client.view_submission(CallbackId.BOOK_MODAL, values, user_id=ALICE)
    assert delivery.status_code == 200 and not delivery.response.content.strip(), delivery.response.text
    # The booking is confirmed to the booker once it is made (possibly after the modal has closed).
    slack_client.fake.wait_for(lambda: slack_client.fake.ephemerals(ALICE), 10, what="the booking's confirmation")
    [booking] = bookings_in(stack)
    with session_scope(stack.db.sessions) as session:
        assert session.get(Booking, booking.id).room.name == "Room 0999"


def test_book_takes_a_room_called_r_and_d(serve: Any, slack_client: SignedSlackClient) -> None:
    stack = serve([{"id": "ZidRnD0000aaaaaaaaaaaa", "room_id": "RidRnD0000bbbbbbbbbbbb", "name": "R&D",
                    "status": "Available"}])
    delivery = slack_client.slash("/room", "book R&amp;D tomorrow 9am new for 15m", user_id=ALICE, channel_id=CHANNEL)
    [reply] = slack_client.fake.wait_for(lambda: slack_client.fake.responses(delivery.response_url), what="reply")
    assert "Booked" in reply.params["text"] and "R&amp;D" in reply.params["text"], reply.params["text"]
    assert "&amp;amp;" not in str(reply.params)
    [booking] = bookings_in(stack)
    assert booking.duration_minutes == 15


def view(**overrides: Any) -> OccurrenceView:
    start = utc_now() + timedelta(days=1)
    values: dict[str, Any] = dict(occurrence_id=5, booking_id=3, room_name="Lab <!channel> & co", starts_at=start,
                                  ends_at=start + timedelta(minutes=30), tz_name="UTC", requester_user_id=ALICE,
                                  channel_id=CHANNEL, is_new_meeting=False, meeting_id="85512345678",
                                  join_url="https://zoom.us/j/85512345678", rrule="FREQ=DAILY")
    values.update(overrides)
    return OccurrenceView(**values)


@pytest.mark.parametrize("build", [
    lambda v: messages.booked_message(v, [v.starts_at, v.starts_at + timedelta(days=1)], ["A note."]),
    lambda v: messages.bookings_message([v, v], viewer=ALICE, is_admin=True, heading="*Upcoming*"),
    lambda v: messages.reminder_message(v),
    lambda v: messages.reminder_done_message(v, "— sent."),
    lambda v: messages.meeting_ready_message(v, ["Admit <!channel> from the waiting room."]),
    lambda v: messages.skipped_message(v, "late <!here>"),
])
def test_booking_messages_escape_room_names(build: Any, db_backend: str) -> None:
    message = build(view()).as_kwargs()
    for text in mrkdwn_texts(message):
        assert "<!channel>" not in text and "<!here>" not in text and " & " not in text, text
    assert "Lab &lt;!channel&gt; &amp; co" in " ".join(mrkdwn_texts(message))
    confirms = [t for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                for t in text_objects(e.get("confirm", {}).get("text"))]
    assert all(t["type"] == "plain_text" for t in confirms)


def test_app_home_says_when_it_shows_only_the_next_bookings(bookings: Bookings, slack_app_server: SlackAppServers,
                                                           slack_client: SignedSlackClient) -> None:
    install(bookings.services)
    slack_app_server(bookings.services)
    first = utc_now() + timedelta(days=1)
    for day in range(12):
        bookings.book(starts_at=first + timedelta(days=day), now=utc_now())
    slack_client.app_home_opened(ALICE)
    home = slack_client.fake.wait_for(lambda: slack_client.fake.home_views.get(ALICE), 20, what="home tab")
    check_limits(home["blocks"], max_blocks=VIEW_BLOCKS)
    text = str(home["blocks"])
    assert text.count(ActionId.CANCEL_OCCURRENCE) == 10
    assert "Only your next 10 are shown here: `/room bookings mine` lists more." in text
