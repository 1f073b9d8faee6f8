"""`GET /rooms` (pagination, filters), `GET /rooms/{roomId}`, and which room id each endpoint takes."""

from __future__ import annotations

from bot.zoom.simulator import default_state_dict
from tests.zoom.simulator.helpers import admin, client


def _many_rooms(count: int) -> dict:
    rooms = [{"id": f"zr-id-{i:02d}", "room_id": f"zr-room-id-{i:02d}", "name": f"Room {i:02d}",
              "status": "Available" if i % 2 else "Offline", "tag_ids": ["t-even"] if i % 2 == 0 else []}
             for i in range(count)]
    return {"rooms": rooms}


def test_default_rooms_have_distinct_ids(zoom_sim) -> None:
    rooms = client(zoom_sim).get("/rooms").json()
    assert rooms["page_size"] == 30 and rooms["next_page_token"] == ""
    by_name = {r["name"]: r for r in rooms["rooms"]}
    assert {"Boardroom", "Huddle 3", "Ocean View (4th floor)"} <= set(by_name)
    assert {r["status"] for r in rooms["rooms"]} >= {"Available", "Offline", "InMeeting"}
    for room in rooms["rooms"]:
        assert room["id"] != room["room_id"]
        assert set(room) == {"id", "room_id", "name", "status", "location_id", "activation_code", "tag_ids"}


def test_pagination_walks_all_rooms_and_ends_with_empty_token(make_zoom_sim) -> None:
    sim = make_zoom_sim(_many_rooms(7))
    api = client(sim)
    seen, token, pages = [], None, 0
    while True:
        params = {"page_size": 3, **({"next_page_token": token} if token else {})}
        page = api.get("/rooms", params=params).json()
        pages += 1
        seen += [r["name"] for r in page["rooms"]]
        token = page["next_page_token"]
        assert page["page_size"] == 3
        if token == "":
            break
    assert pages == 3 and seen == [f"Room {i:02d}" for i in range(7)]


def test_page_token_expires_after_15_minutes(make_zoom_sim) -> None:
    sim = make_zoom_sim(_many_rooms(5))
    api = client(sim)
    token = api.get("/rooms", params={"page_size": 2}).json()["next_page_token"]
    admin(sim, "POST", "clock/advance", {"seconds": 15 * 60 + 1})
    api = client(sim)  # the old access token is still valid, but take a fresh one anyway
    response = api.get("/rooms", params={"page_size": 2, "next_page_token": token})
    assert response.status_code == 400 and response.json()["code"] == 300
    bogus = api.get("/rooms", params={"next_page_token": "not-a-token"})
    assert bogus.status_code == 400 and bogus.json()["code"] == 300


def test_page_size_over_300_is_a_validation_error(zoom_sim) -> None:
    api = client(zoom_sim)
    assert api.get("/rooms", params={"page_size": 300}).status_code == 200
    response = api.get("/rooms", params={"page_size": 301})
    assert response.status_code == 400
    assert response.json() == {"code": 300, "message": "Validation Failed.",
                               "errors": [{"field": "page_size", "message": "Invalid field."}]}


def test_status_and_name_filters(make_zoom_sim) -> None:
    sim = make_zoom_sim(_many_rooms(6))
    api = client(sim)
    offline = api.get("/rooms", params={"status": "Offline"}).json()["rooms"]
    assert [r["name"] for r in offline] == ["Room 00", "Room 02", "Room 04"]
    assert [r["name"] for r in api.get("/rooms", params={"query_name": "room 03"}).json()["rooms"]] == ["Room 03"]
    assert api.get("/rooms", params={"query_name": "nothing"}).json()["rooms"] == []
    tagged = api.get("/rooms", params={"tag_ids": "t-even,t-other"}).json()["rooms"]
    assert len(tagged) == 3
    bad = api.get("/rooms", params={"status": "Busy"})
    assert bad.status_code == 400 and bad.json()["errors"] == [{"field": "status", "message": "Invalid field."}]


def test_status_filter_follows_live_status(zoom_sim) -> None:
    api = client(zoom_sim)
    admin(zoom_sim, "PATCH", "rooms/Huddle 3", {"status": "Offline"})
    names = [r["name"] for r in api.get("/rooms", params={"status": "Offline"}).json()["rooms"]]
    assert "Huddle 3" in names


def test_room_profile_takes_room_id_not_id(zoom_sim) -> None:
    api = client(zoom_sim)
    room = next(r for r in api.get("/rooms").json()["rooms"] if r["name"] == "Boardroom")
    profile = api.get(f"/rooms/{room['room_id']}")
    assert profile.status_code == 200
    assert profile.json()["basic"]["name"] == "Boardroom"
    assert "status" not in profile.json()["basic"]  # status only comes from GET /rooms
    by_id = api.get(f"/rooms/{room['id']}")
    assert by_id.status_code == 404
    assert by_id.json() == {"code": 1012, "message": f"Room does not exist: {room['id']}."}


def test_unknown_room_is_1012(zoom_sim) -> None:
    response = client(zoom_sim).get("/rooms/nope")
    assert response.status_code == 404 and response.json()["code"] == 1012


def test_rooms_of_other_accounts_are_invisible(make_zoom_sim) -> None:
    state = default_state_dict()
    state["accounts"].append({"id": "other", "client_id": "other-id", "client_secret": "other-secret",
                              "api_key": "", "api_secret": ""})
    state["rooms"].append({"id": "x1", "room_id": "x1-room", "name": "Elsewhere", "account_id": "other"})
    sim = make_zoom_sim(state)
    names = [r["name"] for r in client(sim).get("/rooms").json()["rooms"]]
    assert "Elsewhere" not in names
    assert client(sim).get("/rooms/x1-room").status_code == 404
