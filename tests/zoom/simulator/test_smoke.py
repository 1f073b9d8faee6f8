"""The minimum other areas rely on: a token, the room list, a join that lands the room in the meeting."""

from __future__ import annotations

from tests.zoom.simulator.helpers import admin, client, join, room_id, sim_room


def test_token_rooms_and_join(zoom_sim) -> None:
    api = client(zoom_sim)
    rooms = api.get("/rooms").json()["rooms"]
    assert {r["name"] for r in rooms} >= {"Boardroom", "Huddle 3", "Ocean View (4th floor)"}
    assert all(r["id"] != r["room_id"] for r in rooms)
    created = api.post("/users/me/meetings", json={"topic": "Smoke", "password": "abc123"}).json()
    response = join(api, room_id(zoom_sim, "Boardroom"), created["id"], passcode="abc123")
    assert response.status_code == 202 and response.content == b""
    admin(zoom_sim, "POST", "clock/advance", {"seconds": 1})
    assert sim_room(zoom_sim, "Boardroom")["status"] == "InMeeting"
