"""The dispatch flow (SPEC §7) end to end: store + dispatch service + Zoom client + simulator over HTTP."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text

from bot.dispatch.engine import to_thread
from bot.dispatch.outcomes import Fix, JoinRequest, Requester, ResultKind, Stage
from bot.dispatch.passcode_source import PasscodeSource
from bot.dispatch.service import DispatchPolicy
from bot.meetings import parse_meeting_reference
from bot.slack.wording import describe
from bot.store import rooms as room_store
from bot.store.db import session_scope
from bot.store.models import Dispatch
from bot.store.types import AccessPrincipal, DispatchAction, DispatchOutcome, DispatchSource
from tests.support.stack import SHORT_WATCH

ALICE = Requester("U_ALICE", email="alice@example.com")
ADMIN = Requester("U_ADMIN", is_admin=True)
EXTERNAL_ID = "85512345678"
SEED_PASSCODE = "w46!(i{74n"
_JOIN_SOURCE = (DispatchSource.COMMAND, DispatchAction.JOIN)


def join(stack, room: str, text: str, requester: Requester = ALICE, **kwargs):
    return stack.dispatcher.join(JoinRequest(room, parse_meeting_reference(text), requester, "C_OPS", **kwargs))


def external_meeting(stack, password: str = "Xk7_9ab", meeting_id: str = EXTERNAL_ID) -> None:
    stack.admin("POST", "/meetings", {"id": meeting_id, "password": password})


def account_meeting(stack, password: str | None = None, **settings) -> dict:
    body = {"topic": "Stand-up", "type": 2}
    if password is not None:
        body["password"] = password
    if settings:
        body["settings"] = settings
    created = stack.zoom.create_meeting(None, body)
    return {"id": str(created.id), "join_url": created.join_url, "password": created.password}


def joins_sent(stack) -> list[dict]:
    return [r for r in stack.zoom_requests("/events", "PATCH") if r["json"]["method"] == "zoomroom.meeting_join"] + \
        [r for r in stack.zoom_requests("/meetings", "POST") if r["path"].startswith("/v2/rooms/")]


def audit_rows(stack) -> list[Dispatch]:
    with session_scope(stack.db.sessions) as session:
        rows = list(session.scalars(select(Dispatch).order_by(Dispatch.id)))
        for row in rows:
            row.zoom_responses  # noqa: B018 - load before the session closes
        return rows


def test_join_by_id_with_stated_passcode_reaches_the_meeting(stack):
    external_meeting(stack)
    stages = []
    result = stack.dispatcher.join(
        JoinRequest("boardroom", parse_meeting_reference(f"{EXTERNAL_ID} Xk7_9ab"), ALICE, "C_OPS"),
        progress=lambda stage, text: stages.append((stage, text)))
    assert result.kind is ResultKind.IN_MEETING, describe(result.reason)
    assert describe(result.reason) == "Boardroom is in meeting 855 1234 5678."
    assert [s for s, _ in stages] == [Stage.DISPATCHING, Stage.ACCEPTED]
    assert stack.sim_room("Boardroom")["meeting_number"] == EXTERNAL_ID
    (sent,) = joins_sent(stack)
    assert sent["json"]["params"] == {"meeting_number": EXTERNAL_ID, "passcode": "Xk7_9ab", "force_accept": False}
    (row,) = audit_rows(stack)
    assert row.outcome is DispatchOutcome.JOINED and row.passcode_used and row.channel_id == "C_OPS"
    assert [r.step for r in row.zoom_responses] == ["join", "status"]
    assert row.zoom_responses[0].http_status == 202


def test_pwd_link_on_an_account_meeting_uses_the_passcode_zoom_returns(stack):
    meeting = account_meeting(stack, password="Hm4_7kQ2")
    result = join(stack, "Huddle 3", f"<{meeting['join_url']}|join>")
    assert result.kind is ResultKind.IN_MEETING, describe(result.reason)
    (sent,) = joins_sent(stack)
    assert sent["json"]["params"]["passcode"] == "Hm4_7kQ2"  # the real passcode, never the pwd= token


def test_external_pwd_link_without_passcode_asks_the_requester_and_sends_nothing(stack):
    external_meeting(stack)
    result = join(stack, "Boardroom", f"https://us02web.zoom.us/j/{EXTERNAL_ID}?pwd=QWxhZGRpbjpvcGVuIHNlc2FtZQ.1")
    assert result.kind is ResultKind.NEEDS_PASSCODE
    assert result.fixes == (Fix.ENTER_PASSCODE, Fix.JOIN_WITHOUT_PASSCODE)
    assert joins_sent(stack) == []
    assert audit_rows(stack)[0].outcome is DispatchOutcome.REFUSED


def test_join_without_passcode_on_request_sends_none(stack):
    result = join(stack, "Boardroom", EXTERNAL_ID, without_passcode=True)  # unknown meeting: open in the sim
    assert result.kind is ResultKind.IN_MEETING
    assert "passcode" not in joins_sent(stack)[0]["json"]["params"]


@pytest.mark.parametrize("requester, repair_offered", [(ADMIN, True), (ALICE, False),
                                                        (Requester("U_HOST", email="HOST@example.com"), True)])
def test_legacy_api_refuses_the_seed_passcode_before_calling_zoom(make_stack, requester, repair_offered):
    stack = make_stack(rooms_api="jsonrpc")
    meeting = account_meeting(stack, password=SEED_PASSCODE)
    result = join(stack, "Boardroom", meeting["id"], requester)
    assert result.kind is ResultKind.PASSCODE_INCOMPATIBLE
    assert (Fix.REPAIR_PASSCODE in result.fixes) is repair_offered
    words = describe(result.reason)
    assert "32602 “Validation Failed” on `params.password`" in words and SEED_PASSCODE not in words
    assert joins_sent(stack) == []


def test_legacy_api_error_is_reported_with_code_field_and_message(make_stack):
    """When Zoom itself says no, its code, field and message reach the caller (here: a stated bad passcode is
    only sent via the current API, so drive the legacy client directly to get Zoom's answer)."""
    stack = make_stack(rooms_api="jsonrpc")
    from bot.dispatch.zoom_answers import zoom_error_detail
    from bot.zoom.errors import ZoomValidationError
    with pytest.raises(ZoomValidationError) as caught:
        stack.zoom.join_room(stack.zoom.list_rooms(query_name="Boardroom")[0], EXTERNAL_ID, SEED_PASSCODE)
    detail = zoom_error_detail(caught.value)
    assert (detail.code, detail.field) == (32602, "params.password")
    assert "Validation Failed." in detail.message and "Invalid field." in detail.message
    assert SEED_PASSCODE not in str(caught.value)


def test_current_api_warns_about_an_incompatible_passcode_and_still_sends(stack):
    meeting = account_meeting(stack, password=SEED_PASSCODE)
    result = join(stack, "Boardroom", meeting["id"])
    assert result.kind is ResultKind.IN_MEETING
    assert any("cannot use this passcode" in note for note in map(describe, result.notes))


def test_offline_room_is_refused_without_calling_zoom_control(stack):
    result = join(stack, "Ocean View", f"{EXTERNAL_ID} abc123")
    assert result.kind is ResultKind.ROOM_OFFLINE and result.fixes == (Fix.RETRY,)
    assert "offline" in describe(result.reason) and joins_sent(stack) == []


def test_busy_room_needs_join_anyway_which_sends_force_accept(stack):
    result = join(stack, "training room", EXTERNAL_ID, without_passcode=True)
    assert result.kind is ResultKind.ROOM_BUSY and Fix.JOIN_ANYWAY in result.fixes
    assert joins_sent(stack) == []
    result = join(stack, "training room", EXTERNAL_ID, without_passcode=True, force_accept=True)
    assert result.kind is ResultKind.IN_MEETING, describe(result.reason)
    assert joins_sent(stack)[0]["json"]["params"]["force_accept"] is True
    assert stack.sim_room("Training Room")["meeting_number"] == EXTERNAL_ID


def test_wrong_passcode_leaves_the_prompt_and_stops_before_zoom_locks_the_room(make_stack):
    stack = make_stack(policy=SHORT_WATCH)
    external_meeting(stack, password="Right_1")
    for attempt in range(3):
        result = join(stack, "Boardroom", f"{EXTERNAL_ID} Wrong{attempt}")
        assert result.kind is ResultKind.STUCK_ON_PROMPT
        assert "the meeting ID or the passcode is probably wrong" in describe(result.reason)
        room = stack.sim_room("Boardroom")
        assert room["prompt"] is None and room["status"] == "Available"  # the leave cleared the prompt
    leaves = [r for r in stack.zoom_requests("/events") if r["json"]["method"] == "zoomroom.meeting_leave"]
    assert len(leaves) == 3
    result = join(stack, "Boardroom", f"{EXTERNAL_ID} Wrong9")
    assert result.kind is ResultKind.TOO_MANY_ATTEMPTS
    assert len(joins_sent(stack)) == 3  # the fourth never reached Zoom
    assert stack.sim_room("Boardroom")["failed_passcodes"] == 3


def test_missing_passcode_on_protected_meeting_is_reported_as_such(make_stack):
    stack = make_stack(policy=SHORT_WATCH)
    external_meeting(stack, password="Right_1")
    result = join(stack, "Boardroom", EXTERNAL_ID, without_passcode=True)
    assert result.kind is ResultKind.STUCK_ON_PROMPT
    assert "meeting ID is probably wrong, or the meeting needs a passcode" in describe(result.reason)
    assert Fix.ENTER_PASSCODE in result.fixes


def test_unknown_room_suggests_close_names(stack):
    result = join(stack, "bordroom", f"{EXTERNAL_ID} abc123")
    assert result.kind is ResultKind.UNKNOWN_ROOM
    assert result.suggestions == ("Boardroom",)
    assert "Did you mean “Boardroom”?" in describe(result.reason)


def test_access_rules_are_enforced(stack):
    with session_scope(stack.db.sessions) as session:
        room = room_store.resolve_room(session, "Boardroom")
        room_store.allow(session, room, AccessPrincipal.CHANNEL, "C_EXEC")
    result = join(stack, "Boardroom", EXTERNAL_ID, without_passcode=True)
    assert result.kind is ResultKind.NOT_ALLOWED and joins_sent(stack) == []


def test_room_removed_from_zoom_reports_zoom_404_1012(stack):
    with session_scope(stack.db.sessions) as session:
        room_store.add_room(session, "Ghost Room", "GhostRoomIdThatZoomLost")
    result = join(stack, "Ghost Room", EXTERNAL_ID, without_passcode=True)
    assert result.kind is ResultKind.ZOOM_ERROR
    assert (result.zoom_error.status, result.zoom_error.code) == (404, 1012)
    assert "/room sync" in describe(result.reason)


def test_zoom_server_error_on_join_is_reported_with_retry_and_not_repeated(stack):
    stack.admin("POST", "/faults", {"path_prefix": "/v2/rooms/", "method": "PATCH", "status": 503, "count": 1})
    result = join(stack, "Boardroom", EXTERNAL_ID, without_passcode=True)
    assert result.kind is ResultKind.ZOOM_ERROR and result.fixes == (Fix.RETRY,)
    assert result.zoom_error.status == 503
    assert len(stack.zoom_requests("/events", "PATCH")) == 1  # a join is not safe to repeat blindly
    (row,) = audit_rows(stack)
    assert row.outcome is DispatchOutcome.FAILED and row.zoom_responses[0].http_status == 503


def test_leave_and_status(stack):
    result = stack.dispatcher.status("Training Room", ALICE, "C_OPS")
    assert result.kind is ResultKind.STATUS and result.room_status == "InMeeting" and result.fixes == (Fix.LEAVE,)
    result = stack.dispatcher.leave("Training Room", ALICE, "C_OPS")
    assert result.kind is ResultKind.LEFT
    assert stack.sim_room("Training Room")["status"] == "Available"
    assert audit_rows(stack)[-1].outcome is DispatchOutcome.LEFT


def test_a_refused_request_remembers_its_passcode_sealed_for_join_anyway(stack):
    external_meeting(stack, password="Xk7_9ab")
    refused = join(stack, "Training Room", f"{EXTERNAL_ID} Xk7_9ab")
    assert refused.kind is ResultKind.ROOM_BUSY
    assert stack.dispatcher.remembered_passcode(refused.dispatch_id) == "Xk7_9ab"
    with stack.db.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT passcode FROM dispatches").scalar_one()
    assert stored and "Xk7_9ab" not in stored  # a Fernet token, never the passcode
    result = join(stack, "Training Room", EXTERNAL_ID, force_accept=True,
                  passcode=stack.dispatcher.remembered_passcode(refused.dispatch_id))
    assert result.kind is ResultKind.IN_MEETING, describe(result.reason)


def test_status_unreadable_after_the_join_is_reported_and_no_leave_is_sent_blind(make_stack):
    stack = make_stack(policy=SHORT_WATCH)
    stack.zoom.list_rooms()  # token and pre-flight path warm; now every later status read fails
    original_status = stack.async_dispatcher.live_status
    calls = []

    async def status_then_outage(target, *, watching=False):
        calls.append(target.name)
        if len(calls) == 1:  # the pre-flight check before the join
            return await original_status(target, watching=watching)
        await to_thread(stack.admin, "POST", "/faults",
                        {"path_prefix": "/v2/rooms", "method": "GET", "status": 401, "count": 1})
        return await original_status(target, watching=watching)

    stack.async_dispatcher.live_status = status_then_outage
    result = join(stack, "Boardroom", EXTERNAL_ID, without_passcode=True)
    assert result.kind is ResultKind.UNCONFIRMED, describe(result.reason)
    assert "could not read Boardroom's status" in describe(result.reason) and result.fixes == (Fix.LEAVE, Fix.RETRY)
    leaves = [r for r in stack.zoom_requests("/events") if r["json"]["method"] == "zoomroom.meeting_leave"]
    assert leaves == []  # the room may well have joined: never pulled out blind
    assert audit_rows(stack)[-1].outcome is DispatchOutcome.FAILED


def test_status_respects_access_rules(stack):
    with session_scope(stack.db.sessions) as session:
        room_store.allow(session, room_store.resolve_room(session, "Boardroom"), AccessPrincipal.CHANNEL, "C_EXEC")
    assert stack.dispatcher.status("Boardroom", ALICE, "C_OPS").kind is ResultKind.NOT_ALLOWED
    assert stack.dispatcher.status("Boardroom", ALICE, "C_EXEC").kind is ResultKind.STATUS


def test_an_absurdly_long_passcode_is_refused_before_anything_is_stored_or_sent(stack):
    result = join(stack, "Boardroom", EXTERNAL_ID, passcode="x" * 400)
    words = describe(result.reason)
    assert result.kind is ResultKind.INVALID_REFERENCE and "far longer than any Zoom passcode" in words
    assert joins_sent(stack) == [] and "x" * 11 not in words


def test_concurrent_dispatches_all_finish_with_their_own_outcome(stack):
    """Slack's listener pool and the booking worker dispatch in parallel; on SQLite every audit write must
    wait for the write lock rather than fail with "database is locked"."""
    from concurrent.futures import ThreadPoolExecutor

    expected = {"Boardroom": ResultKind.IN_MEETING, "Huddle 3": ResultKind.IN_MEETING,
                "Training Room": ResultKind.ROOM_BUSY, "Ocean View (4th floor)": ResultKind.ROOM_OFFLINE,
                "Bored Room": ResultKind.UNKNOWN_ROOM}
    with ThreadPoolExecutor(max_workers=len(expected)) as pool:
        futures = {room: pool.submit(join, stack, room, EXTERNAL_ID, without_passcode=True) for room in expected}
        results = {room: future.result() for room, future in futures.items()}
    assert {room: result.kind for room, result in results.items()} == expected
    assert len(audit_rows(stack)) == len(expected)


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
def test_a_warm_join_with_a_stated_passcode_costs_at_most_three_zoom_requests(make_stack):
    # The room needs 0.2 s to get into a meeting; the first status read waits that long instead of polling early.
    policy = DispatchPolicy(watch_timeout=20.0, poll_interval=0.05, first_poll_delay=0.3)
    stack = make_stack(policy=policy, join_delay_seconds=0.2)
    external_meeting(stack)
    stack.run(stack.async_dispatcher.zoom.list_rooms())  # warm token, as after any earlier request
    before = len(stack.sim.requests)
    result = join(stack, "Boardroom", EXTERNAL_ID, passcode="Xk7_9ab")
    assert result.kind is ResultKind.IN_MEETING, describe(result.reason)
    sent = [f"{r['method']} {r['path']}" for r in stack.sim.requests[before:] if not r["path"].startswith("/oauth")]
    assert len(sent) <= 3, sent
    assert not any(request.startswith("GET /v2/meetings/") for request in sent)  # the passcode was known
    assert sent.count("GET /v2/rooms") <= 2


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
def test_concurrent_status_reads_share_one_listing(make_stack):
    stack = make_stack()
    board = stack.async_dispatcher.board
    rooms = [r.as_zoom() for r in (stack.dispatcher.resolve_now(name, ALICE, "C_OPS", *_JOIN_SOURCE)
                                   for name in ("Boardroom", "Huddle 3", "Training Room"))]
    before = len(stack.zoom_requests("/v2/rooms", "GET"))

    async def many() -> list[str]:
        return list(await asyncio.gather(*(board.status(room) for room in rooms * 20)))

    statuses = stack.run(many())
    assert statuses[:3] == ["Available", "Available", "InMeeting"]
    assert len(stack.zoom_requests("/v2/rooms", "GET")) - before == 1  # 60 reads, one GET /rooms


def test_a_join_zoom_did_not_answer_says_the_room_may_have_got_it(make_stack):
    stack = make_stack()
    external_meeting(stack)
    stack.zoom.list_rooms()
    stack.admin("POST", "/faults", {"path_prefix": "/v2/rooms/", "method": "PATCH", "status": 503, "count": 1})
    result = join(stack, "Boardroom", EXTERNAL_ID, passcode="Xk7_9ab")
    assert result.kind is ResultKind.ZOOM_ERROR
    assert "Zoom refused" not in describe(result.reason)  # Zoom did not say no: it did not answer properly
    words = describe(result.reason)
    assert "may or may not have got the request" in words and "/room status Boardroom" in words
    assert len(joins_sent(stack)) == 1  # and the join was not sent again


def test_a_lookup_zoom_did_not_answer_says_nothing_reached_the_room(make_stack):
    stack = make_stack()
    stack.admin("POST", "/faults", {"path_prefix": "/v2/rooms", "method": "GET", "status": 503})
    result = join(stack, "Boardroom", EXTERNAL_ID, passcode="Xk7_9ab")
    assert result.kind is ResultKind.ZOOM_ERROR and "Zoom refused" not in describe(result.reason)
    assert "nothing reached Boardroom" in describe(result.reason) and joins_sent(stack) == []


def test_zoom_refusing_a_join_is_reported_with_its_answer(make_stack):
    stack = make_stack()
    stack.admin("POST", "/faults", {"path_prefix": "/v2/rooms/", "method": "PATCH", "status": 400, "count": 1})
    result = join(stack, "Boardroom", EXTERNAL_ID, passcode="Xk7_9ab")
    assert describe(result.reason).startswith("Zoom refused sending Boardroom to meeting 855 1234 5678.")


def test_a_mistyped_meeting_id_is_not_reported_as_joined(make_stack):
    stack = make_stack(policy=SHORT_WATCH, unknown_meetings="not_found")  # the simulator's own default
    external_meeting(stack)
    result = join(stack, "Boardroom", "85512345687", passcode="Xk7_9ab")  # two digits swapped
    assert result.kind is ResultKind.STUCK_ON_PROMPT, describe(result.reason)
    assert "the meeting ID or the passcode is probably wrong" in describe(result.reason)
    assert stack.sim_room("Boardroom")["status"] != "InMeeting"


def test_the_simulator_refuses_unknown_meetings_by_default():
    from bot.zoom.simulator import SimulatorServer, default_state_dict

    assert SimulatorServer(default_state_dict()).state.unknown_meetings == "not_found"
    assert SimulatorServer({}).state.unknown_meetings == "not_found"


@pytest.mark.parametrize("rooms_api", ["events", "jsonrpc"])
def test_a_room_zoom_knows_by_its_other_id_is_tried_once_and_remembered(make_stack, rooms_api):
    # This account's Rooms API takes the room's `id` in the path, not its `room_id`.
    stack = make_stack(rooms_api=rooms_api, room_path_id="id")
    external_meeting(stack)
    first = join(stack, "Boardroom", EXTERNAL_ID, passcode="Xk7_9ab")
    assert first.kind is ResultKind.IN_MEETING, describe(first.reason)
    by_room_id = [r for r in stack.sim.requests if "qMOLddnySIGGVycz8aX_JQ" in r["path"]]
    assert [r["status"] for r in by_room_id] == [404]  # the room_id path: 404 1012, tried once
    assert len([r for r in joins_sent(stack) if "Zr1bOaRdRoOmIdAaAaAaAa" in r["path"]]) == 1
    second = join(stack, "Huddle 3", EXTERNAL_ID, passcode="Xk7_9ab")
    assert second.kind is ResultKind.IN_MEETING
    huddle = [r for r in stack.sim.requests if "63UtYMhSQZaBRPCNRXrD8A" in r["path"]]
    assert huddle == []  # remembered: the second room went straight to its `id`
    [row] = [d for d in audit_rows(stack) if d.id == first.dispatch_id]
    not_found = [z for z in row.zoom_responses if z.zoom_code == 1012]
    assert len(not_found) == 1 and "qMOLddnySIGGVycz8aX_JQ" in not_found[0].http_path
    assert any(z.http_status in (200, 202) and "Zr1bOaRdRoOmIdAaAaAaAa" in (z.http_path or "")
               for z in row.zoom_responses)


def test_passcode_joins_still_on_their_way_in_are_not_called_failures(make_stack):
    stack = make_stack(join_delay_seconds=3.0)  # each room takes 3 s to get in
    external_meeting(stack)

    async def four_at_once():
        return await asyncio.gather(*(stack.async_dispatcher.join(JoinRequest(
            "Boardroom", parse_meeting_reference(f"{EXTERNAL_ID} Xk7_9ab"), ALICE, f"C{n}", force_accept=True))
            for n in range(4)))

    results = stack.run(four_at_once())
    refused = [r for r in results if r.kind is ResultKind.TOO_MANY_ATTEMPTS]
    assert refused, [r.kind for r in results]
    assert all("still on their way in" in describe(r.reason) for r in refused)
    assert all("did not work" not in describe(r.reason) for r in refused)


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
def test_dispatch_references_do_not_repeat_where_row_numbers_do(make_stack):
    stack = make_stack()
    external_meeting(stack)
    first = join(stack, "Boardroom", EXTERNAL_ID, passcode="Xk7_9ab", force_accept=True)
    assert first.dispatch_ref and first.dispatch_ref != str(first.dispatch_id)
    # The database loses its last write (a restore from a backup, a server that lost its last transactions):
    # SQLite, like a PostgreSQL sequence that was not yet flushed, hands the same row number out again.
    with session_scope(stack.db.sessions, write_lock=True) as session:
        session.execute(text("DELETE FROM dispatch_zoom_responses WHERE dispatch_id = :id"), {"id": first.dispatch_id})
        session.execute(text("DELETE FROM dispatches WHERE id = :id"), {"id": first.dispatch_id})
    second = join(stack, "Huddle 3", EXTERNAL_ID, passcode="Xk7_9ab")
    assert second.dispatch_id == first.dispatch_id  # the row number repeated ...
    assert second.dispatch_ref != first.dispatch_ref  # ... the reference people were shown did not


def test_a_room_removed_after_it_was_resolved_is_refused_and_audited_not_sent(stack):
    external_meeting(stack)
    target = stack.dispatcher.resolve_now("Boardroom", ALICE, "C_OPS", *_JOIN_SOURCE)
    with session_scope(stack.db.sessions, write_lock=True) as session:
        room_store.remove_room(session, room_store.find_room(session, "Boardroom"))
    request = JoinRequest("Boardroom", parse_meeting_reference(EXTERNAL_ID), ALICE, "C_OPS", passcode="Xk7_9ab")
    result = stack.run(stack.async_dispatcher.dispatch(target, request, PasscodeSource("Xk7_9ab", None)))
    assert result.kind is ResultKind.UNKNOWN_ROOM and result.dispatch_ref
    assert joins_sent(stack) == []
    [row] = [r for r in audit_rows(stack) if r.id == result.dispatch_id]
    assert row.outcome is DispatchOutcome.REFUSED and row.room_id is None and row.room_name == "Boardroom"
