"""Rooms against the simulator: listing with pagination, profile, status, and both control protocols."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from bot.zoom import (
    ControlAck,
    EventsRoomControl,
    JsonRpcRoomControl,
    Room,
    ZoomClient,
    ZoomNotFound,
    ZoomRoomOffline,
    ZoomValidationError,
)
from bot.zoom.simulator import SimulatorServer
from tests.zoom.conftest import admin, zoom_requests

MakeClient = Callable[..., ZoomClient]
SEED_PASSCODE = "w46!(i{74n"
BOARDROOM_ROOM_ID = "qMOLddnySIGGVycz8aX_JQ"
BOARDROOM_ID = "Zr1bOaRdRoOmIdAaAaAaAa"


def wait_for_status(client: ZoomClient, room: Room, wanted: str, seconds: float = 5.0) -> str:
    deadline = time.monotonic() + seconds
    status = client.room_status(room)
    while status != wanted and time.monotonic() < deadline:
        time.sleep(0.05)
        status = client.room_status(room)
    return status


def boardroom(client: ZoomClient) -> Room:
    [room] = client.list_rooms(query_name="Boardroom")
    return room


def test_list_rooms_default_state(client: ZoomClient) -> None:
    rooms = client.list_rooms()
    by_name = {room.name: room for room in rooms}
    assert by_name["Boardroom"].room_id == BOARDROOM_ROOM_ID and by_name["Boardroom"].id == BOARDROOM_ID
    assert by_name["Ocean View (4th floor)"].status == "Offline"
    assert by_name["Training Room"].status == "InMeeting"
    assert [r.name for r in client.list_rooms(status="Offline")] == ["Ocean View (4th floor)"]


def test_pagination_follows_tokens_until_empty(make_zoom_sim: Callable[..., SimulatorServer],
                                               make_client: MakeClient) -> None:
    rooms = [{"id": f"id-{n:03}", "room_id": f"rid-{n:03}", "name": f"Room {n:03}"} for n in range(75)]
    sim = make_zoom_sim({"rooms": rooms})
    client = make_client(sim)
    listed = client.list_rooms(page_size=30)
    assert [room.room_id for room in listed] == [f"rid-{n:03}" for n in range(75)]
    pages = zoom_requests(sim, "/v2/rooms")
    assert len(pages) == 3
    assert "next_page_token" not in pages[0]["query"]
    assert all(page["query"]["page_size"] == "30" for page in pages)  # filters re-sent with the token
    assert all(page["query"].get("next_page_token") for page in pages[1:])


def test_single_page_with_default_page_size(make_zoom_sim: Callable[..., SimulatorServer],
                                            make_client: MakeClient) -> None:
    rooms = [{"id": f"id-{n}", "room_id": f"rid-{n}", "name": f"Room {n}"} for n in range(40)]
    sim = make_zoom_sim({"rooms": rooms})
    assert len(make_client(sim).list_rooms()) == 40
    assert len(zoom_requests(sim, "/v2/rooms")) == 1


def test_get_room_profile_uses_room_id(client: ZoomClient) -> None:
    profile = client.get_room(BOARDROOM_ROOM_ID)
    assert (profile.room_id, profile.name, profile.capacity) == (BOARDROOM_ROOM_ID, "Boardroom", 12)


@pytest.mark.parametrize("room_id", ["no-such-room", BOARDROOM_ID])
def test_unknown_room_is_1012(client: ZoomClient, room_id: str) -> None:
    with pytest.raises(ZoomNotFound) as caught:
        client.get_room(room_id)
    assert (caught.value.status, caught.value.code) == (404, 1012)
    assert caught.value.request == f"GET /rooms/{room_id}"
    assert "sync" in caught.value.explain()


def test_room_status_by_room_or_id(zoom_sim: SimulatorServer, client: ZoomClient) -> None:
    room = boardroom(client)
    assert client.room_status(room) == "Available"
    assert client.room_status(BOARDROOM_ROOM_ID) == "Available"
    assert client.room_status("Hq4dJ2vRTkWx0yZ1aB2cDe") == "Offline"
    assert zoom_requests(zoom_sim, "/v2/rooms", "GET")[-1]["query"]["query_name"] == "Ocean View (4th floor)"


def test_room_status_after_rename_falls_back_to_full_list(zoom_sim: SimulatorServer, client: ZoomClient) -> None:
    room = boardroom(client)
    admin(zoom_sim, "PATCH", f"/rooms/{BOARDROOM_ROOM_ID}", {"name": "Board Room (renamed)", "status": "Offline"})
    assert client.room_status(room) == "Offline"


def test_room_status_of_missing_room(client: ZoomClient) -> None:
    with pytest.raises(ZoomNotFound):
        client.room_status(Room(id="x", room_id="y", name="Ghost", status="Available"))


# ---------------------------------------------------------------------------------------------- events


def test_events_join_then_leave(zoom_sim: SimulatorServer, client: ZoomClient) -> None:
    assert isinstance(client.control, EventsRoomControl)
    room = boardroom(client)
    ack = client.join_room(room, "812 3456 7890", None)
    assert ack == ControlAck(protocol="events", method="zoomroom.meeting_join", room_id=BOARDROOM_ROOM_ID,
                             accepted=True, http_status=202)
    [sent] = zoom_requests(zoom_sim, f"/v2/rooms/{BOARDROOM_ROOM_ID}/events")
    assert sent["method"] == "PATCH"
    assert sent["json"] == {"method": "zoomroom.meeting_join",
                            "params": {"meeting_number": "81234567890", "force_accept": False}}
    assert wait_for_status(client, room, "InMeeting") == "InMeeting"
    assert client.leave_room(room).method == "zoomroom.meeting_leave"
    assert client.room_status(room) == "Available"


def test_events_accepts_any_passcode_with_202(zoom_sim: SimulatorServer, client: ZoomClient) -> None:
    """The current API does not validate passcodes: 202 even for the seed's passcode (the room then prompts)."""
    ack = client.control.join(BOARDROOM_ROOM_ID, "81234567890", SEED_PASSCODE, force_accept=True)
    assert ack.http_status == 202
    assert zoom_requests(zoom_sim, "/v2/rooms")[-1]["json"]["params"]["passcode"] == SEED_PASSCODE


def test_events_offline_room(client: ZoomClient) -> None:
    with pytest.raises(ZoomRoomOffline) as caught:
        client.join_room("Hq4dJ2vRTkWx0yZ1aB2cDe", "81234567890", "abc123")
    error = caught.value
    assert isinstance(error, ZoomValidationError)
    assert (error.status, error.code) == (400, 300)
    assert "offline" in error.explain()


def test_events_unknown_room(client: ZoomClient) -> None:
    with pytest.raises(ZoomNotFound) as caught:
        client.join_room("missing-room", "81234567890")
    assert caught.value.code == 1012


def test_events_leave_and_end(client: ZoomClient) -> None:
    assert client.end_room_meeting("Tr7nG8rOoMiD9xYzAbCdEf").method == "zoomroom.meeting_end"
    assert client.room_status("Tr7nG8rOoMiD9xYzAbCdEf") == "Available"


# ---------------------------------------------------------------------------------------------- JSON-RPC


@pytest.fixture
def rpc_client(zoom_sim: SimulatorServer, make_client: MakeClient) -> ZoomClient:
    return make_client(zoom_sim, rooms_api="jsonrpc")


def test_jsonrpc_join_success(zoom_sim: SimulatorServer, rpc_client: ZoomClient) -> None:
    assert isinstance(rpc_client.control, JsonRpcRoomControl)
    room = boardroom(rpc_client)
    ack = rpc_client.join_room(room, "81234567890", "test123")
    assert (ack.protocol, ack.method, ack.accepted, ack.http_status) == ("jsonrpc", "join", True, 200)
    assert ack.request_id and ack.sent_at and ack.raw["result"]["room_id"] == BOARDROOM_ROOM_ID
    [sent] = zoom_requests(zoom_sim, f"/v2/rooms/{BOARDROOM_ROOM_ID}/meetings")
    assert sent["method"] == "POST"
    assert sent["json"] == {"jsonrpc": "2.0", "method": "join",
                            "params": {"meeting_number": "81234567890", "password": "test123",
                                       "force_accept": False}}
    assert wait_for_status(rpc_client, room, "InMeeting") == "InMeeting"
    assert rpc_client.leave_room(room).method == "leave"
    assert rpc_client.room_status(room) == "Available"


def test_jsonrpc_seed_passcode_is_32602_on_params_password(rpc_client: ZoomClient) -> None:
    with pytest.raises(ZoomValidationError) as caught:
        rpc_client.join_room(BOARDROOM_ROOM_ID, "81234567890", SEED_PASSCODE)
    error = caught.value
    assert (error.status, error.code, error.message) == (200, 32602, "Validation Failed.")
    assert [(f.field, f.message) for f in error.fields] == [("params.password", "Invalid field.")]
    assert "10 characters" in error.explain()
    for text in (str(error), repr(error), error.explain()):
        assert SEED_PASSCODE not in text


def test_jsonrpc_offline_and_unknown_room(rpc_client: ZoomClient) -> None:
    with pytest.raises(ZoomRoomOffline):
        rpc_client.join_room("Hq4dJ2vRTkWx0yZ1aB2cDe", "81234567890", "abc123")
    with pytest.raises(ZoomNotFound) as caught:
        rpc_client.join_room(BOARDROOM_ID, "81234567890")  # the other id: 1012, as documented in control.py
    assert caught.value.code == 1012
