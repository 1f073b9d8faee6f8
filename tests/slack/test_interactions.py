"""Buttons, modals, shortcuts and the App Home tab: unhandled ones answer honestly, extensions plug in."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from slack_sdk.models.blocks import SectionBlock

from bot.services import Services
from bot.slack.errors import UserFacingError
from bot.slack.ids import ActionId, CallbackId
from tests.support.slack import FakeSlackApi, SignedSlackClient, SlackAppServers


def test_unhandled_button_says_it_does_nothing(slack_client: SignedSlackClient, fake_slack: FakeSlackApi) -> None:
    delivery = slack_client.block_action(ActionId.RETRY, "dispatch-42")
    assert delivery.status_code == 200
    [reply] = fake_slack.wait_for(lambda: fake_slack.responses(delivery.response_url), what="reply")
    assert reply.params["response_type"] == "ephemeral"
    assert reply.params["replace_original"] is False  # the card with the button stays
    assert reply.params["text"].startswith("That button does not work (yet, or any more). Nothing was done.")


def test_unhandled_message_shortcut(slack_client: SignedSlackClient, fake_slack: FakeSlackApi) -> None:
    delivery = slack_client.message_shortcut(CallbackId.SEND_ROOM_SHORTCUT, "Join https://zoom.us/j/123456789")
    assert delivery.status_code == 200
    [reply] = fake_slack.wait_for(lambda: fake_slack.responses(delivery.response_url), what="reply")
    assert reply.params["text"].startswith("*Send a room to meeting* is not available yet.")


def test_unhandled_global_shortcut_opens_a_notice(slack_client: SignedSlackClient, fake_slack: FakeSlackApi) -> None:
    delivery = slack_client.global_shortcut(CallbackId.BOOK_ROOM_SHORTCUT)
    assert delivery.status_code == 200
    [call] = fake_slack.wait_for(lambda: fake_slack.calls("views.open"), what="views.open")
    assert call.params["trigger_id"] == delivery.payload["trigger_id"]
    assert call.params["view"]["type"] == "modal"
    assert "*Book a room* is not available yet." in fake_slack.all_text()


def test_unhandled_view_submission_updates_the_modal(slack_client: SignedSlackClient) -> None:
    delivery = slack_client.view_submission(CallbackId.BOOK_MODAL, {})
    assert delivery.status_code == 200
    answer = delivery.response.json()
    assert answer["response_action"] == "update"
    assert "This form cannot be submitted yet. Nothing was saved." in str(answer["view"])


def test_unhandled_event_is_acknowledged_quietly(slack_client: SignedSlackClient, fake_slack: FakeSlackApi) -> None:
    delivery = slack_client.event({"type": "app_mention", "user": "U1", "text": "hi", "channel": "C1", "ts": "1.2"})
    assert delivery.status_code == 200
    assert [c.method for c in fake_slack.calls() if c.method not in ("auth.test", "ack")] == []


def test_extensions_add_listeners(
    slack_app_server: SlackAppServers, slack_client: SignedSlackClient, fake_slack: FakeSlackApi
) -> None:
    def leave_button(ack: Ack, body: dict, respond: Respond) -> None:
        ack()
        respond(text=f"Leaving {body['actions'][0]['value']}…", replace_original=True)

    def register(app: App) -> None:
        app.action(ActionId.LEAVE)(leave_button)

    slack_app_server(Services(slack_extensions=[register]))
    delivery = slack_client.block_action(ActionId.LEAVE, "Boardroom")
    [reply] = fake_slack.wait_for(lambda: fake_slack.responses(delivery.response_url), what="reply")
    assert reply.params == {"text": "Leaving Boardroom…", "replace_original": True}


def test_failure_before_ack_still_answers_slack(
    slack_app_server: SlackAppServers, slack_client: SignedSlackClient, fake_slack: FakeSlackApi
) -> None:
    def broken_button(ack: Ack) -> None:
        raise UserFacingError("Boardroom is offline in Zoom.", hint="Check its power and network.")

    def broken_command(ack: Ack) -> None:
        raise KeyError("secret-detail")

    def register(app: App) -> None:
        app.action(ActionId.JOIN_ANYWAY)(broken_button)
        app.command("/room-test")(broken_command)

    slack_app_server(Services(slack_extensions=[register]))

    button = slack_client.block_action(ActionId.JOIN_ANYWAY, "x")
    assert button.status_code == 200  # not Bolt's default 500
    [reply] = fake_slack.wait_for(lambda: fake_slack.responses(button.response_url), what="reply")
    assert reply.params["text"] == "Boardroom is offline in Zoom. Check its power and network."

    command = slack_client.slash("/room-test", "")
    assert command.status_code == 200
    body = command.response.json()  # a command that fails before ack() answers in the HTTP body
    assert body["response_type"] == "ephemeral"
    assert body["text"].startswith("roombot hit an unexpected error")
    assert "secret-detail" not in fake_slack.all_text() and "KeyError" not in fake_slack.all_text()


def test_app_home_is_published_with_registered_sections(
    slack_app_server: SlackAppServers, slack_client: SignedSlackClient, fake_slack: FakeSlackApi
) -> None:
    def bookings(user_id: str) -> list[SectionBlock]:
        return [SectionBlock(text=f"*Your bookings* ({user_id})")]

    services = Services(home_sections=[bookings])
    services.subcommands.register("list", lambda request: None)
    slack_app_server(services)

    assert slack_client.app_home_opened("U2").status_code == 200
    home = fake_slack.wait_for(lambda: fake_slack.home_views.get("U2"), what="Home tab")
    assert home["type"] == "home"
    rendered = str(home["blocks"])
    assert "*Your bookings* (U2)" in rendered and "`/room list`" in rendered


def test_messages_tab_opening_publishes_nothing(slack_client: SignedSlackClient, fake_slack: FakeSlackApi) -> None:
    slack_client.event({"type": "app_home_opened", "user": "U1", "channel": "DU1", "tab": "messages"})
    # A marker: the first listener does no I/O, so it is done by the time this one has published.
    slack_client.app_home_opened("U2")
    fake_slack.wait_for(lambda: fake_slack.home_views.get("U2"), what="marker")
    assert "U1" not in fake_slack.home_views
