"""`zoomroom.thirdparty_meeting_join` on `PATCH /rooms/{id}/events`: schema and prose checks, the room joining
later, interop off, refused links, the lobby, and which leaves a third-party call honours."""

from __future__ import annotations

import httpx
import pytest

from bot.zoom.simulator import SimState
from tests.zoom.simulator.helpers import admin, client, join, room_id, sim_room

TEAMS_LINK = "https://teams.microsoft.com/meet/219137232612292?p=lu3d1SdNShj6ak9H0S"
TEAMS = {"join_type": "url", "meeting_source_type": "MS_TEAMS", "join_url": TEAMS_LINK}
TEAMS_ID = {"join_type": "meeting_id", "meeting_source_type": "MS_TEAMS", "third_party_meeting_id": "219137232612292",
            "passcode": "hb9VA7oG"}
MEET = {"join_type": "url", "meeting_source_type": "GOOGLE_MEET", "join_url": "https://meet.google.com/abc-defg-hij"}
MEET_ID = {"join_type": "meeting_id", "meeting_source_type": "GOOGLE_MEET", "third_party_meeting_id": "abc-defg-hij"}
SIP = {"join_type": "sip", "sip_address": "24357724034@ietf.webex.com"}


def third_party(api: httpx.Client, rid: str, params: dict | None) -> httpx.Response:
    body: dict = {"method": "zoomroom.thirdparty_meeting_join"}
    if params is not None:
        body["params"] = params
    return api.patch(f"/rooms/{rid}/events", json=body)


def control(api: httpx.Client, rid: str, method: str) -> httpx.Response:
    return api.patch(f"/rooms/{rid}/events", json={"method": method})


def advance(sim, seconds: float) -> None:
    admin(sim, "POST", "clock/advance", {"seconds": seconds})


def status(sim, name: str = "Boardroom") -> str:
    return client(sim).get("/rooms", params={"query_name": name}).json()["rooms"][0]["status"]


@pytest.fixture
def slow_sim(make_zoom_sim):
    # 5 s simulated join delay: tests move the clock instead of sleeping.
    return make_zoom_sim(join_delay_seconds=5)


@pytest.mark.parametrize(("params", "provider"), [(TEAMS, "MS_TEAMS"), (TEAMS_ID, "MS_TEAMS"), (MEET, "GOOGLE_MEET"),
                                                  (MEET_ID, "GOOGLE_MEET"), (SIP, "SIP")],
                         ids=["teams-url", "teams-id", "meet-url", "meet-id", "sip"])
def test_join_is_accepted_then_happens_after_the_join_delay(slow_sim, params, provider) -> None:
    api = client(slow_sim)
    response = third_party(api, room_id(slow_sim, "Boardroom"), params)
    assert response.status_code == 202 and response.content == b""
    assert status(slow_sim) == "Available"  # accepted is not joined
    advance(slow_sim, 5)
    assert status(slow_sim) == "InMeeting"
    room = sim_room(slow_sim, "Boardroom")
    expected = {key: value for key, value in params.items() if key not in ("passcode", "meeting_source_type")}
    assert room["third_party"] == {"provider": provider, **expected}  # never the passcode
    assert (room["third_party_result"], room["joins"], room["meeting_number"], room["prompt"]) == (
        "joining", 1, None, None)


def test_third_party_call_is_invisible_through_the_zoom_api(zoom_sim) -> None:
    api = client(zoom_sim)
    rid = room_id(zoom_sim, "Boardroom")
    third_party(api, rid, TEAMS)
    advance(zoom_sim, 1)
    listed = api.get("/rooms", params={"query_name": "Boardroom"})
    profile = api.get(f"/rooms/{rid}")
    assert listed.json()["rooms"][0]["status"] == "InMeeting"
    for response in (listed, profile):
        assert "teams" not in response.text.lower() and "third_party" not in response.text
    assert admin(zoom_sim, "GET", "state")["rooms"][0]["third_party"]["join_url"] == TEAMS_LINK


# ---------------------------------------------------------------------------------------------- request checks


@pytest.mark.parametrize(("params", "field"), [
    ({"join_type": "phone", "sip_address": "a@b"}, "params.join_type"),
    ({**TEAMS, "meeting_source_type": "WEBEX"}, "params.meeting_source_type"),
    ({**TEAMS, "join_url": 123}, "params.join_url"),
    ({**TEAMS_ID, "third_party_meeting_id": 219137232612292}, "params.third_party_meeting_id"),
    ({**SIP, "sip_address": ["a@b"]}, "params.sip_address"),
    ({**TEAMS_ID, "passcode": None}, "params.passcode"),
])
def test_schema_violations_are_400_validation_failed(zoom_sim, params, field) -> None:
    response = third_party(client(zoom_sim), room_id(zoom_sim, "Boardroom"), params)
    assert response.status_code == 400
    assert response.json() == {"code": 300, "message": "Validation Failed.",
                               "errors": [{"field": field, "message": "Invalid field."}]}
    assert sim_room(zoom_sim, "Boardroom")["third_party_result"] is None  # the room never heard of it


def test_params_that_are_not_an_object_break_the_schema(zoom_sim) -> None:
    response = third_party(client(zoom_sim), room_id(zoom_sim, "Boardroom"), ["url"])
    assert response.status_code == 400 and response.json()["errors"] == [{"field": "params",
                                                                          "message": "Invalid field."}]


@pytest.mark.parametrize("params", [
    None, {}, {"meeting_source_type": "MS_TEAMS", "join_url": TEAMS_LINK},
    {"join_type": "url", "join_url": TEAMS_LINK}, {"join_type": "url", "meeting_source_type": "MS_TEAMS"},
    {**TEAMS, "join_url": ""},
    {"join_type": "meeting_id", "meeting_source_type": "MS_TEAMS", "third_party_meeting_id": "219137232612292"},
    {"join_type": "meeting_id", "meeting_source_type": "GOOGLE_MEET"},
    {"join_type": "sip"}, {"join_type": "sip", "meeting_source_type": "MS_TEAMS"},
], ids=["no-params", "empty", "no-join-type", "url-no-source", "url-no-link", "url-empty-link",
        "teams-id-no-passcode", "meet-no-id", "sip-no-address", "sip-source-only"])
def test_params_the_prose_requires_are_400_invalid_parameters(zoom_sim, params) -> None:
    response = third_party(client(zoom_sim), room_id(zoom_sim, "Boardroom"), params)
    assert response.status_code == 400 and response.json() == {"code": 300, "message": "Invalid parameters."}


def test_meet_meeting_id_needs_no_passcode_and_extra_keys_are_ignored(zoom_sim) -> None:
    api = client(zoom_sim)
    assert third_party(api, room_id(zoom_sim, "Boardroom"), MEET_ID).status_code == 202
    assert third_party(api, room_id(zoom_sim, "Huddle 3"), {**SIP, "join_url": TEAMS_LINK}).status_code == 202
    advance(zoom_sim, 1)
    assert status(zoom_sim) == "InMeeting" and status(zoom_sim, "Huddle 3") == "InMeeting"
    assert sim_room(zoom_sim, "Huddle 3")["third_party"] == {"provider": "SIP", **SIP, "join_url": TEAMS_LINK}


def test_calendar_event_join_is_accepted_without_effect(zoom_sim) -> None:
    response = third_party(client(zoom_sim), room_id(zoom_sim, "Boardroom"), {"event_id": "ebrg2b87a6uu9c678qhvsiahsc"})
    assert response.status_code == 202
    advance(zoom_sim, 1)
    room = sim_room(zoom_sim, "Boardroom")
    assert (room["status"], room["third_party"], room["third_party_result"]) == ("Available", None, "calendar_event")


@pytest.mark.parametrize("name", ["Ocean View (4th floor)", "Lobby"])
def test_offline_or_under_construction_room_is_400_300(make_zoom_sim, name) -> None:
    sim = make_zoom_sim()
    admin(sim, "POST", "rooms", {"id": "lobby-id", "room_id": "lobby-room-id", "name": "Lobby",
                                 "status": "UnderConstruction"})
    response = third_party(client(sim), room_id(sim, name), TEAMS)
    assert response.status_code == 400 and response.json()["code"] == 300
    assert "offline" in response.json()["message"]


def test_unknown_room_and_wrong_id_are_404_1012(zoom_sim) -> None:
    api = client(zoom_sim)
    assert third_party(api, "no-such-room", TEAMS).json() == {"code": 1012,
                                                              "message": "Room does not exist: no-such-room."}
    wrong_id = sim_room(zoom_sim, "Boardroom")["id"]
    response = third_party(api, wrong_id, SIP)
    assert response.status_code == 404 and response.json()["code"] == 1012


def test_legacy_jsonrpc_has_no_third_party_method(zoom_sim) -> None:
    body = {"jsonrpc": "2.0", "method": "thirdparty_meeting_join", "params": TEAMS}
    response = client(zoom_sim).post(f"/rooms/{room_id(zoom_sim, 'Boardroom')}/meetings", json=body)
    assert response.status_code == 200 and response.json()["error"]["code"] == 32601
    assert sim_room(zoom_sim, "Boardroom")["third_party"] is None


# ---------------------------------------------------------------------------------------------- what rooms do


def test_interop_off_accepts_and_never_joins(make_zoom_sim) -> None:
    rooms = SimState.from_dict(None).to_dict()["rooms"]
    rooms[0]["interop"] = False  # Boardroom, from the state file
    sim = make_zoom_sim({"rooms": rooms})
    api = client(sim)
    admin(sim, "PATCH", "rooms/Training Room", {"interop": False})  # InMeeting in a Zoom meeting
    for name in ("Boardroom", "Training Room"):
        for params in (TEAMS, MEET_ID, SIP):
            assert third_party(api, room_id(sim, name), params).status_code == 202  # Zoom documents no error
    advance(sim, 60)
    boardroom, training = sim_room(sim, "Boardroom"), sim_room(sim, "Training Room")
    assert (boardroom["status"], boardroom["third_party"], boardroom["third_party_result"]) == (
        "Available", None, "interop_off")
    assert (training["status"], training["meeting_number"], training["third_party"]) == (
        "InMeeting", "81234567890", None)
    admin(sim, "PATCH", "rooms/Boardroom", {"interop": True})
    third_party(api, room_id(sim, "Boardroom"), TEAMS)
    advance(sim, 1)
    assert status(sim) == "InMeeting"


@pytest.mark.parametrize(("source", "link"), [
    ("MS_TEAMS", "https://teams.live.com/meet/9356969621606?p=08ogAWeCL73fVssuEK"),  # free Teams
    ("MS_TEAMS", "https://dod.teams.microsoft.us/l/meetup-join/19%3ameeting_x%40thread.v2/0"),  # DoD
    ("MS_TEAMS", "https://teams.microsoft.com.evil.example/meet/219137232612292?p=x"),
    ("MS_TEAMS", "https://evil.example\\@teams.microsoft.com/meet/219137232612292"),
    ("MS_TEAMS", "https://teams.microsoft.com@evil.example/meet/219137232612292"),
    ("MS_TEAMS", "https://meet.google.com/abc-defg-hij"),  # a Meet link sent as Teams
    ("MS_TEAMS", "teams.microsoft.com/meet/219137232612292"),  # no scheme
    ("GOOGLE_MEET", "https://meet.google.com.evil.example/abc-defg-hij"),
    ("GOOGLE_MEET", TEAMS_LINK),
])
def test_links_a_room_cannot_join_are_accepted_and_go_nowhere(zoom_sim, source, link) -> None:
    params = {"join_type": "url", "meeting_source_type": source, "join_url": link}
    assert third_party(client(zoom_sim), room_id(zoom_sim, "Boardroom"), params).status_code == 202
    advance(zoom_sim, 1)
    room = sim_room(zoom_sim, "Boardroom")
    assert (room["status"], room["third_party"], room["third_party_result"]) == ("Available", None, "refused_link")


@pytest.mark.parametrize("link", [
    "https://teams.microsoft.com/l/meetup-join/19%3ameeting_N2E3@thread.v2/0?context=%7b%22Tid%22%3a%22t%22%7d",
    "https://gov.teams.microsoft.us/meet/219137232612292?p=x", "https://teams.cloud.microsoft/meet/1234567890123?p=x",
    "HTTPS://Teams.Microsoft.com/meet/219137232612292?p=x",
])
def test_teams_links_rooms_join(zoom_sim, link) -> None:
    params = {"join_type": "url", "meeting_source_type": "MS_TEAMS", "join_url": link}
    third_party(client(zoom_sim), room_id(zoom_sim, "Boardroom"), params)
    advance(zoom_sim, 1)
    assert status(zoom_sim) == "InMeeting"
    assert sim_room(zoom_sim, "Boardroom")["third_party"]["join_url"] == link  # byte for byte


def test_busy_room_ignores_a_third_party_join(zoom_sim) -> None:
    api = client(zoom_sim)
    rid = room_id(zoom_sim, "Training Room")  # InMeeting in a Zoom meeting
    assert third_party(api, rid, TEAMS).status_code == 202
    advance(zoom_sim, 1)
    room = sim_room(zoom_sim, "Training Room")
    assert (room["meeting_number"], room["third_party"], room["third_party_result"]) == (
        "81234567890", None, "ignored_busy")


def test_lobby_keeps_the_room_available_until_admitted(make_zoom_sim) -> None:
    sim = make_zoom_sim(join_delay_seconds=5)
    admin(sim, "PATCH", "rooms/Boardroom", {"lobby": 30})
    api = client(sim)
    rid = room_id(sim, "Boardroom")
    third_party(api, rid, TEAMS)
    advance(sim, 5)
    room = sim_room(sim, "Boardroom")
    assert (room["status"], room["prompt"], room["joins"]) == ("Available", "lobby", 0)
    assert room["third_party"]["provider"] == "MS_TEAMS"
    # A room in the lobby is busy: Zoom joins without force_accept and further third-party joins are ignored.
    join(api, rid, "81234567890")
    third_party(api, rid, MEET)
    advance(sim, 29)
    assert status(sim) == "Available" and sim_room(sim, "Boardroom")["third_party_result"] == "ignored_busy"
    advance(sim, 1.5)  # 30 s after the join completed
    room = sim_room(sim, "Boardroom")
    assert (room["status"], room["prompt"], room["joins"]) == ("InMeeting", None, 1)
    assert room["third_party"]["join_url"] == TEAMS_LINK


def test_lobby_never_waits_until_the_admin_admits(make_zoom_sim) -> None:
    rooms = SimState.from_dict(None).to_dict()["rooms"]
    rooms[0]["lobby"] = "never"
    sim = make_zoom_sim({"rooms": rooms})
    api = client(sim)
    httpx_response = httpx.post(f"{sim.url}/_sim/rooms/Boardroom/admit", timeout=5)
    assert httpx_response.status_code == 400  # not in a lobby yet
    third_party(api, room_id(sim, "Boardroom"), MEET)
    advance(sim, 24 * 3600)
    assert status(sim) == "Available" and sim_room(sim, "Boardroom")["prompt"] == "lobby"
    admitted = admin(sim, "POST", "rooms/Boardroom/admit")
    assert (admitted["status"], admitted["prompt"]) == ("InMeeting", None)
    assert status(sim) == "InMeeting"


def test_leave_from_the_lobby_follows_the_leave_rule(make_zoom_sim) -> None:
    sim = make_zoom_sim(join_delay_seconds=0)
    admin(sim, "PATCH", "rooms/Boardroom", {"lobby": "never"})
    admin(sim, "PATCH", "rooms/Huddle 3", {"lobby": "never"})
    api = client(sim)
    third_party(api, room_id(sim, "Boardroom"), TEAMS)
    third_party(api, room_id(sim, "Huddle 3"), MEET)
    for name in ("Boardroom", "Huddle 3"):
        assert control(api, room_id(sim, name), "zoomroom.meeting_leave").status_code == 202
    assert sim_room(sim, "Boardroom")["prompt"] == "lobby"  # Teams: still waiting
    assert sim_room(sim, "Huddle 3")["prompt"] is None and sim_room(sim, "Huddle 3")["third_party"] is None


@pytest.mark.parametrize("method", ["zoomroom.meeting_leave", "zoomroom.meeting_end"])
@pytest.mark.parametrize(("params", "setting", "left"), [
    (TEAMS, "default", False), (TEAMS_ID, "default", False), (MEET, "default", True), (SIP, "default", True),
    (TEAMS, "honoured", True), (MEET, "ignored", False), (SIP, "ignored", False),
])
def test_leave_of_a_third_party_call(zoom_sim, method, params, setting, left) -> None:
    admin(zoom_sim, "PATCH", "rooms/Boardroom", {"third_party_leave": setting})
    api = client(zoom_sim)
    rid = room_id(zoom_sim, "Boardroom")
    third_party(api, rid, params)
    advance(zoom_sim, 1)
    assert control(api, rid, method).status_code == 202  # Zoom says nothing either way
    assert status(zoom_sim) == ("Available" if left else "InMeeting")
    assert (sim_room(zoom_sim, "Boardroom")["third_party"] is None) is left


def test_legacy_leave_follows_the_same_rule(zoom_sim) -> None:
    api = client(zoom_sim)
    for name, params in (("Boardroom", TEAMS), ("Huddle 3", SIP)):
        third_party(api, room_id(zoom_sim, name), params)
    advance(zoom_sim, 1)
    for name in ("Boardroom", "Huddle 3"):
        body = {"jsonrpc": "2.0", "method": "leave", "params": {}}
        assert "result" in api.post(f"/rooms/{room_id(zoom_sim, name)}/meetings", json=body).json()
    assert (status(zoom_sim), status(zoom_sim, "Huddle 3")) == ("InMeeting", "Available")


def test_force_accept_zoom_join_cannot_pull_a_room_out_of_a_teams_call(zoom_sim) -> None:
    api = client(zoom_sim)
    teams_room, meet_room = room_id(zoom_sim, "Boardroom"), room_id(zoom_sim, "Huddle 3")
    third_party(api, teams_room, TEAMS)
    third_party(api, meet_room, MEET)
    advance(zoom_sim, 1)
    for rid in (teams_room, meet_room):
        assert join(api, rid, "81234567890", force_accept=True).status_code == 202
    advance(zoom_sim, 1)
    teams, meet = sim_room(zoom_sim, "Boardroom"), sim_room(zoom_sim, "Huddle 3")
    assert (teams["meeting_number"], teams["third_party"]["provider"]) == (None, "MS_TEAMS")
    assert (meet["meeting_number"], meet["third_party"], meet["status"]) == ("81234567890", None, "InMeeting")


def test_restart_and_admin_status_clear_a_teams_call(zoom_sim) -> None:
    api = client(zoom_sim)
    for name in ("Boardroom", "Huddle 3"):
        third_party(api, room_id(zoom_sim, name), TEAMS)
    advance(zoom_sim, 1)
    assert control(api, room_id(zoom_sim, "Boardroom"), "zoomroom.restart").status_code == 202
    admin(zoom_sim, "PATCH", "rooms/Huddle 3", {"status": "Available"})  # someone pressed Leave on the controller
    for name in ("Boardroom", "Huddle 3"):
        room = sim_room(zoom_sim, name)
        assert (room["status"], room["third_party"]) == ("Available", None)


# ---------------------------------------------------------------------------------------------- switches


def test_switches_default_and_show_in_the_state(zoom_sim) -> None:
    room = admin(zoom_sim, "GET", "state")["rooms"][0]
    assert {key: room[key] for key in ("interop", "lobby", "third_party_leave", "third_party", "third_party_result",
                                       "admit_at")} == {"interop": True, "lobby": 0.0, "third_party_leave": "default",
                                                        "third_party": None, "third_party_result": None,
                                                        "admit_at": None}
    changed = admin(zoom_sim, "PATCH", "rooms/Boardroom", {"interop": False, "lobby": 12.5,
                                                           "third_party_leave": "honoured"})
    assert (changed["interop"], changed["lobby"], changed["third_party_leave"]) == (False, 12.5, "honoured")


@pytest.mark.parametrize("change", [{"interop": "no"}, {"lobby": -1}, {"lobby": "later"}, {"lobby": True},
                                    {"third_party_leave": "sometimes"}, {"third_party": {"provider": "WEBEX"}}])
def test_bad_switch_values_are_refused(zoom_sim, change) -> None:
    before = sim_room(zoom_sim, "Boardroom")
    response = httpx.patch(f"{zoom_sim.url}/_sim/rooms/Boardroom", json=change, timeout=5)
    assert response.status_code == 400 and "error" in response.json()
    assert sim_room(zoom_sim, "Boardroom") == before  # nothing half-applied
    rooms = SimState.from_dict(None).to_dict()["rooms"]
    rooms[0].update(change)
    with pytest.raises(ValueError):
        SimState.from_dict({"rooms": rooms})


def test_admin_can_put_a_room_into_a_teams_call(zoom_sim) -> None:
    """For tests of what the bot does with a room already in a Teams call it cannot leave."""
    admin(zoom_sim, "PATCH", "rooms/Boardroom", {"status": "InMeeting", "third_party": {"provider": "MS_TEAMS"}})
    api = client(zoom_sim)
    control(api, room_id(zoom_sim, "Boardroom"), "zoomroom.meeting_leave")
    assert status(zoom_sim) == "InMeeting"
