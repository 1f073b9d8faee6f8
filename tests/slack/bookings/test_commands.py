"""`/room book|bookings|cancel`, the Cancel and reminder buttons, the modal and App Home — over real HTTP to the
Bolt app with signed requests, a fake Slack Web API, the simulator and the store (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.slack.bookings import install
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.store import rooms as room_store
from bot.store.db import session_scope
from bot.store.models import Booking
from bot.store.types import AccessPrincipal, BookingStatus, OccurrenceStatus
from tests.support.bookings import ALICE, BOB, CHANNEL, MEETING_ID, PASSCODE, Bookings, booking_form, utc_now
from tests.support.slack import TEST_ADMIN, SignedSlackClient, SlackAppServers

NY = ZoneInfo("America/New_York")


@pytest.fixture
def slack(bookings: Bookings, slack_app_server: SlackAppServers, slack_client: SignedSlackClient) -> SignedSlackClient:
    bookings.slack.add_user(TEST_ADMIN, name="admin", email="admin@example.com", tz="UTC")
    install(bookings.services)
    slack_app_server(bookings.services)
    return slack_client


def room(slack: SignedSlackClient, text: str, user: str = ALICE) -> str:
    """Run `/room <text>` and return what the requester was told."""
    delivery = slack.slash("/room", text, user_id=user, channel_id=CHANNEL)
    [reply] = slack.fake.wait_for(lambda: slack.fake.responses(delivery.response_url), what=f"reply to {text!r}")
    return reply.params["text"] + " " + str(reply.params.get("blocks", ""))


def all_bookings(bookings: Bookings) -> list[Booking]:
    with session_scope(bookings.sessions) as session:
        return list(session.scalars(select(Booking).order_by(Booking.id)))


def buttons(text_blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["action_id"], e["value"]) for b in text_blocks if b["type"] == "actions" for e in b["elements"]]


def test_book_a_recurring_stand_up_in_the_requesters_time_zone(bookings: Bookings, slack: SignedSlackClient) -> None:
    reply = room(slack, f"book boardroom tomorrow 9am https://zoom.us/j/{MEETING_ID} {PASSCODE} for 15m every weekday")
    assert "Booked" in reply and "booking #" in reply, reply
    [booking] = all_bookings(bookings)
    assert booking.tz_name == "America/New_York" and booking.rrule == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    local = booking.starts_at.astimezone(NY)
    assert (local.hour, local.minute) == (9, 0) and local.weekday() < 5 and booking.duration_minutes == 15
    assert bookings.services.secret_box.open(booking.passcode) == PASSCODE
    assert PASSCODE not in slack.fake.all_text()  # never echoed, not even to the requester


def test_a_booked_link_keeps_its_pwd_token_sealed(bookings: Bookings, slack: SignedSlackClient) -> None:
    token = "QWxhZGRpbjpvcGVuIHNlc2FtZQ.1"  # with it, the link admits anyone: it is stored like a passcode
    reply = room(slack, f"book Boardroom tomorrow 9am https://zoom.us/j/{MEETING_ID}?pwd={token} {PASSCODE}")
    assert "Booked" in reply, reply
    [booking] = all_bookings(bookings)
    assert bookings.services.secret_box.open(booking.pwd_token) == token
    with bookings.sessions() as session:
        stored = session.connection().exec_driver_sql("SELECT pwd_token FROM bookings").scalar_one()
    assert stored and token not in stored


@pytest.mark.parametrize("text", [
    "book Boardroom yesterday 9am 85512345678",
    "book Boardroom 25:00 85512345678",
    "book Boardroom tomorrow 9am",
    "book Boardroom tomorrow 9am 85512345678 every fortnight",
])
def test_malformed_or_past_bookings_are_refused_with_an_example(bookings: Bookings, slack: SignedSlackClient,
                                                                text: str) -> None:
    reply = room(slack, text)
    assert "`" in reply and "Booked" not in reply, reply
    assert all_bookings(bookings) == []


def test_unknown_room_gets_suggestions(bookings: Bookings, slack: SignedSlackClient) -> None:
    reply = room(slack, "book Bordroom tomorrow 9am 85512345678")
    assert "There is no room called" in reply and "Boardroom" in reply


def test_an_overlapping_booking_is_refused_naming_the_booking_in_the_way(bookings: Bookings,
                                                                        slack: SignedSlackClient) -> None:
    room(slack, "book Boardroom tomorrow 9am 85512345678 for 1h")
    [first] = all_bookings(bookings)
    # Bob's clock is Berlin's: half an hour into Alice's hour there.
    bobs_time = (first.starts_at + timedelta(minutes=30)).astimezone(ZoneInfo("Europe/Berlin"))
    reply = room(slack, f"book Boardroom {bobs_time:%Y-%m-%d %H:%M} new", user=BOB)
    assert f"booking #{first.id}" in reply and f"<@{ALICE}>" in reply, reply
    assert len(all_bookings(bookings)) == 1


def test_two_concurrent_bookings_of_one_slot_exactly_one_wins(bookings: Bookings, slack: SignedSlackClient) -> None:
    replies: dict[str, str] = {}
    barrier = threading.Barrier(2)
    carol = "U_CAROL"
    slack.fake.add_user(carol, name="carol", email="carol@example.com", tz="America/New_York")  # Alice's zone

    def book(user: str) -> None:
        barrier.wait()
        replies[user] = room(slack, "book Huddle 3 tomorrow 14:00 85512345678 for 30m every day", user=user)

    threads = [threading.Thread(target=book, args=(user,)) for user in (ALICE, carol)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    [winner] = all_bookings(bookings)
    loser = carol if winner.requester_user_id == ALICE else ALICE
    assert "Booked" in replies[winner.requester_user_id]
    assert f"booking #{winner.id}" in replies[loser] and "already booked" in replies[loser], replies[loser]


def test_bookings_list_and_who_may_cancel(bookings: Bookings, slack: SignedSlackClient) -> None:
    room(slack, "book Boardroom tomorrow 9am 85512345678")
    [booking] = all_bookings(bookings)
    delivery = slack.slash("/room", "bookings", user_id=ALICE, channel_id=CHANNEL)
    [mine] = slack.fake.wait_for(lambda: slack.fake.responses(delivery.response_url), what="list")
    assert (ActionId.CANCEL_OCCURRENCE, f"{booking.id}:{bookings.occurrences()[0].id}") in buttons(
        mine.params["blocks"])
    delivery = slack.slash("/room", "bookings boardroom", user_id=BOB, channel_id=CHANNEL)
    [theirs] = slack.fake.wait_for(lambda: slack.fake.responses(delivery.response_url), what="list")
    assert "Boardroom" in str(theirs.params["blocks"]) and buttons(theirs.params["blocks"]) == []  # not Bob's
    assert "only they or a roombot admin" in room(slack, f"cancel {booking.id}", user=BOB)
    assert all_bookings(bookings)[0].status is BookingStatus.ACTIVE
    assert "Cancelled booking" in room(slack, f"cancel #{booking.id}", user=TEST_ADMIN)
    assert all_bookings(bookings)[0].status is BookingStatus.CANCELLED
    assert all(o.status is OccurrenceStatus.CANCELLED for o in bookings.occurrences())
    assert "already cancelled" in room(slack, f"cancel {booking.id}")
    assert "no booking #999" in room(slack, "cancel 999")


def test_cancel_buttons_for_one_occurrence_and_for_the_series(bookings: Bookings, slack: SignedSlackClient) -> None:
    room(slack, "book Boardroom tomorrow 9am 85512345678 every day")
    [booking] = all_bookings(bookings)
    first, second = bookings.occurrences()[:2]
    delivery = slack.block_action(ActionId.CANCEL_OCCURRENCE, f"{booking.id}:{first.id}", user_id=BOB)
    [reply] = slack.fake.wait_for(lambda: slack.fake.responses(delivery.response_url), what="refusal")
    assert "only they or a roombot admin" in reply.params["text"]
    delivery = slack.block_action(ActionId.CANCEL_OCCURRENCE, f"{booking.id}:{first.id}", user_id=ALICE)
    [reply] = slack.fake.wait_for(lambda: slack.fake.responses(delivery.response_url), what="reply")
    assert "the rest of booking" in reply.params["text"]
    statuses = [o.status for o in bookings.occurrences()[:2]]
    assert statuses == [OccurrenceStatus.SKIPPED, OccurrenceStatus.SCHEDULED]
    delivery = slack.block_action(ActionId.CANCEL_BOOKING, str(booking.id), user_id=ALICE)
    slack.fake.wait_for(lambda: slack.fake.responses(delivery.response_url), what="reply")
    assert all_bookings(bookings)[0].status is BookingStatus.CANCELLED
    assert bookings.occurrences()[1].status is OccurrenceStatus.CANCELLED and second.id


def test_reminder_buttons_skip_and_dispatch_now(bookings: Bookings, slack: SignedSlackClient) -> None:
    now = utc_now()
    skipped_id = bookings.book("Boardroom", starts_at=now + timedelta(minutes=5))
    early_id = bookings.book("Huddle 3", starts_at=now + timedelta(minutes=6))
    assert bookings.worker().run_once(now).reminders == 2
    reminders = {m.text.split(" joins")[0]: m for m in slack.fake.messages_in(CHANNEL)}
    skip_value = dict(buttons(reminders["Reminder: Boardroom"].blocks))[ActionId.SKIP_OCCURRENCE]
    delivery = slack.block_action(ActionId.SKIP_OCCURRENCE, skip_value, user_id=BOB, channel_id=CHANNEL,
                                  message_ts=reminders["Reminder: Boardroom"].ts)
    slack.fake.wait_for(lambda: slack.fake.responses(delivery.response_url), what="refusal")
    assert bookings.occurrences(skipped_id)[0].status is OccurrenceStatus.SCHEDULED
    slack.block_action(ActionId.SKIP_OCCURRENCE, skip_value, user_id=ALICE, channel_id=CHANNEL,
                       message_ts=reminders["Reminder: Boardroom"].ts)
    slack.fake.wait_for(lambda: bookings.occurrences(skipped_id)[0].status is OccurrenceStatus.SKIPPED, what="skip")
    slack.fake.wait_for(lambda: "skipped by" in slack.fake.messages_in(CHANNEL)[0].text, what="reminder edited")

    now_value = dict(buttons(reminders["Reminder: Huddle 3"].blocks))[ActionId.DISPATCH_NOW]
    slack.block_action(ActionId.DISPATCH_NOW, now_value, user_id=ALICE, channel_id=CHANNEL,
                       message_ts=reminders["Reminder: Huddle 3"].ts)
    slack.fake.wait_for(lambda: bookings.occurrences(early_id)[0].status is OccurrenceStatus.DISPATCHED,
                        timeout=15, what="dispatched early")
    assert bookings.joins("Huddle 3") == 1 and bookings.joins("Boardroom") == 0
    # At the start, nothing more happens: the skipped one stays skipped, the early one is done.
    assert bookings.worker().run_once(now + timedelta(minutes=7)).claimed == 0


def test_book_a_room_shortcut_opens_the_modal_and_books(bookings: Bookings, slack: SignedSlackClient) -> None:
    slack.global_shortcut(CallbackId.BOOK_ROOM_SHORTCUT, user_id=ALICE)
    [opened] = slack.fake.wait_for(lambda: slack.fake.calls("views.open"), what="modal")
    assert opened.params["view"]["callback_id"] == CallbackId.BOOK_MODAL
    start = int((utc_now() + timedelta(days=1)).timestamp())
    values = booking_form(start=start, meeting="new", duration="45", repeat="week")
    delivery = slack.view_submission(CallbackId.BOOK_MODAL, values, user_id=ALICE)
    assert delivery.status_code == 200 and not delivery.response.content.strip()  # closes the modal
    # The booking is made once the form is closed; the booker is told privately.
    slack.fake.wait_for(lambda: [m for m in slack.fake.ephemerals(ALICE) if "Booked" in m.text], what="confirmation")
    [booking] = all_bookings(bookings)
    assert booking.rrule == "FREQ=WEEKLY" and booking.duration_minutes == 45 and booking.channel_id == CHANNEL
    # The same slot again is refused inside the modal, next to the start time.
    delivery = slack.view_submission(CallbackId.BOOK_MODAL, values, user_id=BOB)
    answer = delivery.response.json()
    assert answer["response_action"] == "errors" and f"booking #{booking.id}" in answer["errors"][BlockId.START]


def test_app_home_lists_your_bookings(bookings: Bookings, slack: SignedSlackClient) -> None:
    room(slack, "book Boardroom tomorrow 9am 85512345678")
    slack.app_home_opened(ALICE)
    slack.fake.wait_for(lambda: ALICE in slack.fake.home_views, what="home tab")
    home = str(slack.fake.home_views[ALICE])
    assert "Your bookings" in home and "Boardroom" in home and ActionId.CANCEL_OCCURRENCE in home


def test_a_room_allowed_to_a_user_group_can_be_booked_by_its_members_and_the_worker_sends_it(
        bookings: Bookings, slack: SignedSlackClient) -> None:
    """`/room allow Boardroom @facilities` means the same for bookings, and for the worker acting for the
    booker later, as for `/room join`."""
    slack.fake.add_usergroup("S_FACILITIES", "facilities", [ALICE])
    with session_scope(bookings.sessions) as session:
        room_store.allow(session, room_store.resolve_room(session, "Boardroom"), AccessPrincipal.USERGROUP,
                         "S_FACILITIES")
    refused = room(slack, f"book Boardroom in 15m {MEETING_ID} {PASSCODE}", user=BOB)
    assert "not available to you here" in refused and all_bookings(bookings) == []
    booked = room(slack, f"book Boardroom in 15m {MEETING_ID} {PASSCODE}")
    assert "Booked" in booked, booked
    [booking] = all_bookings(bookings)
    report = bookings.worker().run_once(booking.starts_at + timedelta(seconds=1))
    assert report.claimed == 1
    assert bookings.occurrences(booking.id)[0].status is OccurrenceStatus.DISPATCHED
    assert bookings.joins("Boardroom") == 1


def test_a_modal_booking_for_a_channel_the_bot_is_not_in_is_confirmed_to_the_booker_directly(
        bookings: Bookings, slack: SignedSlackClient) -> None:
    slack.fake.close_channel("G_SECRET")
    slack.global_shortcut(CallbackId.BOOK_ROOM_SHORTCUT, user_id=ALICE)
    [opened] = slack.fake.wait_for(lambda: slack.fake.calls("views.open"), what="modal")
    start = int((utc_now() + timedelta(days=1)).timestamp())
    values = {
        BlockId.ROOM: {ActionId.ROOM_SELECT: {"type": "static_select", "selected_option": {"value": "Boardroom"}}},
        BlockId.START: {ActionId.START_PICKER: {"type": "datetimepicker", "selected_date_time": start}},
        BlockId.MEETING: {ActionId.MEETING_INPUT: {"type": "plain_text_input", "value": MEETING_ID}},
        "booking_passcode": {"booking_passcode_input": {"type": "plain_text_input", "value": PASSCODE}},
        BlockId.DURATION: {ActionId.DURATION_SELECT: {"type": "static_select", "selected_option": {"value": "30"}}},
        BlockId.REPEAT: {ActionId.REPEAT_SELECT: {"type": "static_select", "selected_option": {"value": "once"}}},
        "booking_channel": {"booking_channel_input": {"type": "conversations_select",
                                                      "selected_conversation": "G_SECRET"}},
    }
    metadata = opened.params["view"].get("private_metadata") or ""
    assert "America/New_York" in metadata  # the booker's zone travels in the form: no lookup before the ack
    delivery = slack.view_submission(CallbackId.BOOK_MODAL, values, user_id=ALICE, private_metadata=metadata)
    assert delivery.status_code == 200 and not delivery.response.content.strip()  # closes the modal at once
    [confirmation] = slack.fake.wait_for(lambda: slack.fake.messages_in(ALICE), what="a direct message")
    assert "Booked" in confirmation.text and "/invite @roombot" in str(confirmation.blocks)
    [booking] = all_bookings(bookings)
    assert booking.channel_id == "G_SECRET" and booking.tz_name == "America/New_York"
    assert PASSCODE not in slack.fake.all_text()
