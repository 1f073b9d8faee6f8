"""A booking for a Teams meeting: booked with `/room book … <Teams link>`, dispatched by the worker through
`zoomroom.thirdparty_meeting_join`, exactly once, with the link kept encrypted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.slack.bookings import install
from bot.store.db import session_scope
from bot.store.models import Booking
from bot.store.types import OccurrenceStatus
from tests.support.bookings import ALICE, CHANNEL, Bookings, booking_form, utc_now
from tests.support.slack import SignedSlackClient, SlackAppServers

HASHED = "lu3d1SdNShj6ak9H0S"
TEAMS = f"https://teams.microsoft.com/meet/219137232612292?p={HASHED}"


@pytest.fixture
def slack(bookings: Bookings, slack_app_server: SlackAppServers, slack_client: SignedSlackClient) -> SignedSlackClient:
    install(bookings.services)
    slack_app_server(bookings.services)
    return slack_client


def test_a_teams_booking_is_kept_sealed_and_dispatched_by_url_once(bookings: Bookings,
                                                                  slack: SignedSlackClient) -> None:
    delivery = slack.slash("/room", f"book Boardroom tomorrow 9am <{TEAMS}> for 30m", user_id=ALICE,
                           channel_id=CHANNEL)
    [reply] = slack.fake.wait_for(lambda: slack.fake.responses(delivery.response_url), what="booked")
    assert "Booked" in reply.params["text"] and "Microsoft Teams meeting" in str(reply.params), reply.params
    assert "passcode" not in reply.params["text"].lower()  # a link's ?p= is no passcode to warn about
    with session_scope(bookings.sessions) as session:
        [booking] = session.scalars(select(Booking)).all()
        assert booking.provider == "teams" and booking.meeting_id == "219137232612292"
        raw = session.connection().exec_driver_sql("SELECT third_party FROM bookings").scalar_one()
        booking_id, starts_at = booking.id, booking.starts_at
    assert HASHED not in raw and HASHED not in slack.fake.all_text()

    report = bookings.worker().run_once(starts_at + timedelta(seconds=5))
    assert report.claimed == 1
    [occurrence] = bookings.occurrences(booking_id)[:1]
    assert occurrence.status is OccurrenceStatus.DISPATCHED, occurrence.outcome_reason
    assert occurrence.outcome_reason == "Boardroom is in the Microsoft Teams meeting."
    sent = [r for r in bookings.stack.zoom_requests("/events", "PATCH")
            if r["json"]["method"] == "zoomroom.thirdparty_meeting_join"]
    assert [r["json"]["params"] for r in sent] == [
        {"join_type": "url", "meeting_source_type": "MS_TEAMS", "join_url": TEAMS}]
    assert bookings.join_requests() == []
    assert "Boardroom is in the Microsoft Teams meeting" in bookings.channel_text()
    assert bookings.worker().run_once(utc_now() + timedelta(days=2)).claimed == 0
    assert HASHED not in slack.fake.all_text()


def test_the_booking_form_takes_a_sip_address(bookings: Bookings, slack: SignedSlackClient) -> None:
    from bot.slack.ids import CallbackId

    start = int((utc_now() + timedelta(days=1)).timestamp())
    values = booking_form(start=start, meeting="sip:24357724034@ietf.webex.com")
    delivery = slack.view_submission(CallbackId.BOOK_MODAL, values, user_id=ALICE)
    assert delivery.status_code == 200 and not delivery.response.content.strip(), delivery.response.text
    slack.fake.wait_for(lambda: [m for m in slack.fake.ephemerals(ALICE) if "Booked" in m.text], what="confirmation")
    with session_scope(bookings.sessions) as session:
        [booking] = session.scalars(select(Booking)).all()
        assert booking.provider == "sip" and booking.third_party is not None


def test_a_booking_form_with_options_it_never_offered_is_refused_beside_the_fields(
        bookings: Bookings, slack: SignedSlackClient) -> None:
    from bot.slack.ids import BlockId, CallbackId

    start = int((utc_now() + timedelta(days=1)).timestamp())
    values = booking_form(start=start, meeting=TEAMS, duration="x", repeat="fortnight", channel=None)
    answer = slack.view_submission(CallbackId.BOOK_MODAL, values, user_id=ALICE).response.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) >= {BlockId.DURATION, BlockId.REPEAT}
