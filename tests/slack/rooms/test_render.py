"""Pure pieces: Block Kit builders (validated by slack_sdk on to_dict), button values and modal metadata."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.dispatch.outcomes import DispatchResult, Fix, ResultKind, ZoomErrorDetail
from bot.dispatch.reasons import Why, reason
from bot.services import Services
from bot.slack.rooms import render, room_list
from bot.slack.rooms.admin import MENTION, Principal
from bot.slack.rooms.feature import RoomsFeature
from bot.slack.rooms.values import DispatchKey, ModalContext, StaleValue
from bot.store.types import AccessPrincipal

SECRET = "Zq9_secret"


def result(kind: ResultKind, **overrides: Any) -> DispatchResult:
    plain_words = reason(Why.BAD_REFERENCE, detail="Plain words <!channel> & more.")
    values: dict[str, Any] = dict(room_name="Boardroom", reason=plain_words,
                                  meeting_id="81234567890", room_key=7, dispatch_id=42, fixes=tuple(Fix),
                                  zoom_error=ZoomErrorDetail(400, 300, "params.password", "Validation Failed."),
                                  notes=(reason(Why.ZOOM_ERROR, detail="A note."),), join_url="https://zoom.us/j/81234567890?pwd=tok",
                                  passcode_for_requester=SECRET)
    values.update(overrides)
    return DispatchResult(kind, **values)


@pytest.mark.parametrize("kind", list(ResultKind))
@pytest.mark.parametrize("op", ["join", "new", "leave", "status"])
def test_every_result_card_renders_without_the_passcode(kind: ResultKind, op: str) -> None:
    message = render.result_message(result(kind), requester_id="U1", op=op, topic="Plan")
    dumped = json.dumps(message.as_kwargs())  # to_dict() validates every block against Slack's limits
    assert SECRET not in dumped
    assert "<!channel>" not in dumped  # user/Zoom text is escaped, so it cannot ping anyone
    assert ("&lt;!channel&gt;" in dumped) is (kind is not ResultKind.STATUS)  # a status card shows the status
    assert "requested by <@U1>" in dumped
    if kind not in (ResultKind.IN_MEETING, ResultKind.LEFT, ResultKind.STATUS):
        assert "Zoom said (HTTP 400, code 300) `params.password`: Validation Failed." in dumped
    for block in message.block_dicts():
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            key = DispatchKey.decode(element["value"])
            assert key.room == 7 and key.dispatch == 42 and len(element["value"]) <= 2000
            assert key.pwd is None and "tok" not in element["value"]  # a pwd= token lets anyone in: not in Slack


def test_buttons_follow_the_fixes_and_the_operation() -> None:
    card = render.result_message(result(ResultKind.ROOM_BUSY, fixes=(Fix.JOIN_ANYWAY, Fix.LEAVE), meeting_id=None),
                                 requester_id="U1", op="new", topic="Plan")
    actions = [b for b in card.block_dicts() if b["type"] == "actions"][0]["elements"]
    anyway, leave = (DispatchKey.decode(e["value"]) for e in actions)
    assert (anyway.op, anyway.topic, leave.op) == ("new", "Plan", "leave")
    status = render.result_message(result(ResultKind.STATUS, fixes=(Fix.RETRY, Fix.LEAVE)), requester_id="U1",
                                   op="status")
    assert [e["action_id"] for b in status.block_dicts() if b["type"] == "actions" for e in b["elements"]] == ["leave"]


def test_passcode_message_is_the_only_builder_that_shows_it() -> None:
    shown = render.passcode_message(result(ResultKind.IN_MEETING), SECRET, repaired=True)
    assert f"`{SECRET}`" in shown.text and "Only you can see this message" in shown.text


def test_room_list_stays_under_slacks_block_limit() -> None:
    rooms = [room_list.RoomView(i, f"Room {i}", status="InMeeting" if i % 2 else "Available") for i in range(60)]
    message = room_list.rooms_list_message(rooms)
    assert len(message.blocks) <= 50 and "page 1 of 3" in json.dumps(message.as_kwargs())
    last = room_list.rooms_list_message(rooms, page=3)  # the rooms past the first page are one click away
    assert len(last.blocks) <= 50 and "*Room 59*" in json.dumps(last.as_kwargs())


@given(room=st.integers(min_value=0, max_value=2**31), meeting=st.none() | st.from_regex(r"\d{9,11}", fullmatch=True),
       pwd=st.none() | st.text(min_size=1, max_size=3000), dispatch=st.none() | st.integers(1, 2**40),
       bare=st.booleans(), topic=st.none() | st.text(min_size=1, max_size=150))
def test_dispatch_key_round_trips_within_slacks_limit(room: int, meeting: str | None, pwd: str | None,
                                                      dispatch: int | None, bare: bool, topic: str | None) -> None:
    key = DispatchKey(op="join", room=room, meeting=meeting, pwd=pwd, dispatch=dispatch, bare=bare, topic=topic,
                      nonce="n1")
    encoded = key.encode()
    decoded = DispatchKey.decode(encoded)
    assert decoded.room == room and decoded.meeting == meeting and decoded.dispatch == dispatch
    assert decoded.pwd in (pwd, None) and decoded.bare == bare and decoded.topic == topic
    assert len(encoded) <= 2000  # Slack's limit for a button value; the pwd token is dropped to fit


def test_modal_context_round_trip_and_stale_values() -> None:
    context = ModalContext(DispatchKey(op="join", room=0, meeting="81234567890"), "C1", "1.2", sealed_passcode="gA")
    assert ModalContext.decode(context.encode()) == context
    for stale in ("", "{}", "not json", json.dumps({"op": "fly", "room": 1})):
        with pytest.raises(StaleValue):
            DispatchKey.decode(stale)
        with pytest.raises(StaleValue):
            ModalContext.decode(stale)


@pytest.mark.parametrize("text, kind, principal", [
    ("<#C0123ABC|ops>", AccessPrincipal.CHANNEL, "C0123ABC"),
    ("<!subteam^S0123|@design>", AccessPrincipal.USERGROUP, "S0123"),
    ("<@U0123|ada>", AccessPrincipal.USER, "U0123"),
    ("<@W0123>", AccessPrincipal.USER, "W0123"),
    ("everyone", AccessPrincipal.EVERYONE, None),
])
def test_allow_understands_slacks_escaped_mentions(text: str, kind: AccessPrincipal, principal: str | None) -> None:
    match = list(MENTION.finditer(f"Board room {text}"))[-1]
    parsed = Principal.from_match(match)
    assert (parsed.kind, parsed.id) == (kind, principal)


class StubSlack:
    def __init__(self) -> None:
        self.calls = 0

    def usergroups_list(self, include_users: bool) -> dict[str, Any]:
        self.calls += 1
        return {"ok": True, "usergroups": [{"id": "S1", "users": ["U1", "U2"]}, {"id": "S2", "users": ["U2"]}]}

    def users_info(self, user: str) -> dict[str, Any]:
        self.calls += 1
        return {"ok": True, "user": {"id": user, "profile": {"email": f"{user.lower()}@example.com"}}}


def test_requester_carries_email_and_usergroups_looked_up_once() -> None:
    class Dispatcher:
        zoom = None

    services = Services(session_factory=object(), dispatcher=Dispatcher(), engine=object())
    feature = RoomsFeature(services, meetings=object())  # type: ignore[arg-type]
    slack = StubSlack()
    first = feature.requester(slack, "U2", is_admin=False)  # type: ignore[arg-type]
    again = feature.requester(slack, "U2", is_admin=True)  # type: ignore[arg-type]
    assert (first.email, first.usergroup_ids) == ("u2@example.com", ("S1", "S2"))
    assert again.is_admin and slack.calls == 2  # both answers cached
