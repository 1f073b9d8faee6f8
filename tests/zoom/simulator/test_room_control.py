"""`PATCH /rooms/{id}/events`: 202 then a real join later, passcode prompts, lockout, force_accept, errors."""

from __future__ import annotations

import pytest

from tests.zoom.simulator.helpers import admin, client, join, room_id, sim_room

PASSCODE = "Ab12_x@*-9"


@pytest.fixture
def slow_sim(make_zoom_sim):
    # 5 s simulated join delay: tests move the clock instead of sleeping.
    return make_zoom_sim(join_delay_seconds=5)


def _meeting(api, password: str = PASSCODE) -> int:
    response = api.post("/users/me/meetings", json={"topic": "Control", "password": password})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _status(sim, name: str = "Boardroom") -> str:
    rooms = client(sim).get("/rooms", params={"query_name": name}).json()["rooms"]
    return rooms[0]["status"]


def test_join_is_accepted_then_happens_later(slow_sim) -> None:
    api = client(slow_sim)
    meeting = _meeting(api)
    response = join(api, room_id(slow_sim, "Boardroom"), meeting, PASSCODE)
    assert response.status_code == 202 and response.content == b""
    assert _status(slow_sim) == "Available"  # accepted is not joined
    admin(slow_sim, "POST", "clock/advance", {"seconds": 5})
    assert _status(slow_sim) == "InMeeting"
    room = sim_room(slow_sim, "Boardroom")
    assert room["meeting_number"] == str(meeting) and room["prompt"] is None and room["joins"] == 1


def test_join_with_real_time_delay(zoom_sim) -> None:
    import time
    api = client(zoom_sim)
    join(api, room_id(zoom_sim, "Boardroom"), _meeting(api), PASSCODE)
    deadline = time.monotonic() + 5
    while _status(zoom_sim) != "InMeeting":
        assert time.monotonic() < deadline
        time.sleep(0.02)


@pytest.mark.parametrize("passcode", [None, "", "wrong"])
def test_missing_or_wrong_passcode_leaves_room_on_prompt(slow_sim, passcode) -> None:
    api = client(slow_sim)
    rid = room_id(slow_sim, "Boardroom")
    response = join(api, rid, _meeting(api), passcode)
    assert response.status_code == 202  # Zoom says nothing about the passcode
    admin(slow_sim, "POST", "clock/advance", {"seconds": 60})
    assert _status(slow_sim) == "Available"
    assert sim_room(slow_sim, "Boardroom")["prompt"] == "passcode"
    # The prompt swallows further joins until meeting_leave clears it.
    join(api, rid, _meeting(api, "Other1"), "Other1")
    admin(slow_sim, "POST", "clock/advance", {"seconds": 60})
    assert _status(slow_sim) == "Available"
    assert api.patch(f"/rooms/{rid}/events", json={"method": "zoomroom.meeting_leave"}).status_code == 202
    assert sim_room(slow_sim, "Boardroom")["prompt"] is None


def test_ten_wrong_passcodes_lock_passcode_joins_for_30_minutes(zoom_sim) -> None:
    api = client(zoom_sim)
    rid = room_id(zoom_sim, "Boardroom")
    meeting = _meeting(api)
    leave = {"method": "zoomroom.meeting_leave"}
    for attempt in range(10):
        assert join(api, rid, meeting, f"bad{attempt}").status_code == 202
        api.patch(f"/rooms/{rid}/events", json=leave)
    room = sim_room(zoom_sim, "Boardroom")
    assert room["passcode_locked_until"] is not None
    # Even the right passcode does not get in while locked.
    join(api, rid, meeting, PASSCODE)
    admin(zoom_sim, "POST", "clock/advance", {"seconds": 1})
    assert sim_room(zoom_sim, "Boardroom")["prompt"] == "passcode_locked"
    assert _status(zoom_sim) == "Available"
    api.patch(f"/rooms/{rid}/events", json=leave)
    admin(zoom_sim, "POST", "clock/advance", {"seconds": 29 * 60})
    join(api, rid, meeting, PASSCODE)
    assert sim_room(zoom_sim, "Boardroom")["prompt"] == "passcode_locked"
    api.patch(f"/rooms/{rid}/events", json=leave)
    admin(zoom_sim, "POST", "clock/advance", {"seconds": 60})
    join(api, rid, meeting, PASSCODE)
    admin(zoom_sim, "POST", "clock/advance", {"seconds": 1})
    assert _status(zoom_sim) == "InMeeting"


def test_nine_wrong_passcodes_do_not_lock(zoom_sim) -> None:
    api = client(zoom_sim)
    rid = room_id(zoom_sim, "Boardroom")
    meeting = _meeting(api)
    for attempt in range(9):
        join(api, rid, meeting, f"bad{attempt}")
        api.patch(f"/rooms/{rid}/events", json={"method": "zoomroom.meeting_leave"})
    join(api, rid, meeting, PASSCODE)
    admin(zoom_sim, "POST", "clock/advance", {"seconds": 1})
    assert _status(zoom_sim) == "InMeeting"


def test_force_accept_false_on_busy_room_is_ignored_true_switches(zoom_sim) -> None:
    api = client(zoom_sim)
    rid = room_id(zoom_sim, "Training Room")  # InMeeting in the default state
    before = sim_room(zoom_sim, "Training Room")["meeting_number"]
    meeting = _meeting(api)
    assert join(api, rid, meeting, PASSCODE, force_accept=False).status_code == 202
    admin(zoom_sim, "POST", "clock/advance", {"seconds": 1})
    assert sim_room(zoom_sim, "Training Room")["meeting_number"] == before
    assert join(api, rid, meeting, PASSCODE, force_accept=True).status_code == 202
    admin(zoom_sim, "POST", "clock/advance", {"seconds": 1})
    room = sim_room(zoom_sim, "Training Room")
    assert room["meeting_number"] == str(meeting) and room["status"] == "InMeeting"


def test_offline_room_is_400_300(zoom_sim) -> None:
    api = client(zoom_sim)
    response = join(api, room_id(zoom_sim, "Ocean View (4th floor)"), _meeting(api), PASSCODE)
    assert response.status_code == 400 and response.json()["code"] == 300


def test_unknown_room_and_id_instead_of_room_id_are_404_1012(zoom_sim) -> None:
    api = client(zoom_sim)
    meeting = _meeting(api)
    assert join(api, "no-such-room", meeting).json()["code"] == 1012
    wrong_id = sim_room(zoom_sim, "Boardroom")["id"]
    response = join(api, wrong_id, meeting, PASSCODE)
    assert response.status_code == 404 and response.json() == {
        "code": 1012, "message": f"Room does not exist: {wrong_id}."}


@pytest.mark.parametrize("body", [
    {"method": "zoomroom.meeting_join", "params": {"meeting_number": 123}},  # schema: string
    {"method": "zoomroom.meeting_join", "params": {"meeting_number": "1", "force_accept": "yes"}},
    {"method": "zoomroom.teleport"},
    {"params": {"meeting_number": "1"}},
])
def test_schema_violations_are_400_300(zoom_sim, body) -> None:
    response = client(zoom_sim).patch(f"/rooms/{room_id(zoom_sim, 'Boardroom')}/events", json=body)
    assert response.status_code == 400
    assert response.json()["code"] == 300 and response.json()["message"] == "Validation Failed."
    assert all(e["message"] == "Invalid field." for e in response.json()["errors"])


@pytest.mark.parametrize("params", [{}, {"meeting_number": "12ab"}])
def test_invalid_join_params_are_400_300(zoom_sim, params) -> None:
    body = {"method": "zoomroom.meeting_join", "params": params}
    response = client(zoom_sim).patch(f"/rooms/{room_id(zoom_sim, 'Boardroom')}/events", json=body)
    assert response.status_code == 400 and response.json() == {"code": 300, "message": "Invalid parameters."}


def test_empty_meeting_number_starts_an_instant_meeting(zoom_sim) -> None:
    api = client(zoom_sim)
    assert join(api, room_id(zoom_sim, "Huddle 3"), "").status_code == 202
    admin(zoom_sim, "POST", "clock/advance", {"seconds": 1})
    assert _status(zoom_sim, "Huddle 3") == "InMeeting"


def test_external_meeting_joins_with_correct_passcode(zoom_sim) -> None:
    admin(zoom_sim, "POST", "meetings", {"id": 98765432101, "password": "ext-123"})
    api = client(zoom_sim)
    assert api.get("/meetings/98765432101").status_code == 404  # not on our account
    rid = room_id(zoom_sim, "Boardroom")
    join(api, rid, "987 6543 2101", "ext-123")
    admin(zoom_sim, "POST", "clock/advance", {"seconds": 1})
    assert _status(zoom_sim) == "InMeeting"


def test_waiting_room_meeting_puts_room_in_waiting_room(zoom_sim) -> None:
    api = client(zoom_sim)
    meeting = api.post("/users/me/meetings", json={"settings": {"waiting_room": True}}).json()
    join(api, room_id(zoom_sim, "Boardroom"), meeting["id"])
    admin(zoom_sim, "POST", "clock/advance", {"seconds": 1})
    assert sim_room(zoom_sim, "Boardroom")["prompt"] == "waiting_room"


def test_unknown_meetings_policy(make_zoom_sim) -> None:
    open_sim = make_zoom_sim(join_delay_seconds=0)
    join(client(open_sim), room_id(open_sim, "Boardroom"), 12345678901)
    assert _status(open_sim) == "InMeeting"
    strict = make_zoom_sim(join_delay_seconds=0, unknown_meetings="not_found")
    join(client(strict), room_id(strict, "Boardroom"), 12345678901)
    assert _status(strict) == "Available"
    assert sim_room(strict, "Boardroom")["prompt"] == "meeting_not_found"


def test_requests_are_recorded_for_exactly_once_assertions(zoom_sim) -> None:
    api = client(zoom_sim)
    rid = room_id(zoom_sim, "Boardroom")
    meeting = _meeting(api)
    admin(zoom_sim, "DELETE", "requests")
    join(api, rid, meeting, PASSCODE)
    joins = [r for r in zoom_sim.requests if r["path"].endswith("/events")]
    assert len(joins) == 1
    assert joins[0]["method"] == "PATCH" and joins[0]["status"] == 202
    assert joins[0]["json"]["params"]["meeting_number"] == str(meeting)
    assert admin(zoom_sim, "GET", "requests")["requests"] == zoom_sim.requests
