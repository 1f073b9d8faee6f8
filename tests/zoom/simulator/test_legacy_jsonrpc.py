"""Legacy JSON-RPC `POST /rooms/{roomId}/meetings`: the seed thread's exact error and success bodies."""

from __future__ import annotations

import re

import pytest

from tests.zoom.simulator.helpers import admin, client, room_id, sim_room

SEED_ERROR = {"jsonrpc": "2.0", "error": {"code": 32602, "message": "Validation Failed.",
                                          "data": [{"field": "params.password", "message": "Invalid field."}]}}


def _rpc(api, rid, method="join", **params):
    return api.post(f"/rooms/{rid}/meetings", json={"jsonrpc": "2.0", "method": method, "params": params})


@pytest.mark.parametrize("password", ["w46!(i{74n", "uHkjZfqkFasd", "has space", "12345678901", "pässwort",
                                      "a#b", "x" * 11])
def test_incompatible_passwords_get_the_seed_error(zoom_sim, password) -> None:
    api = client(zoom_sim)
    response = _rpc(api, room_id(zoom_sim, "Boardroom"), meeting_number="81234567890", password=password,
                    force_accept=False)
    assert response.status_code == 200
    assert response.json() == SEED_ERROR
    # Byte-level: the seed thread's body, as Zoom prints it (compact separators aside, same keys and order).
    assert list(response.json()) == ["jsonrpc", "error"]


@pytest.mark.parametrize("password", ["test123", "A-b_c*d@9", "0123456789", "zz@_*-"])
def test_compatible_password_succeeds_and_room_joins(zoom_sim, password) -> None:
    api = client(zoom_sim)
    meeting = api.post("/users/me/meetings", json={"password": password}).json()["id"]
    rid = room_id(zoom_sim, "Boardroom")
    response = _rpc(api, rid, meeting_number=str(meeting), password=password)
    assert response.status_code == 200
    body = response.json()
    assert body["jsonrpc"] == "2.0" and set(body) == {"jsonrpc", "result", "id"}
    assert body["result"]["room_id"] == rid
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["result"]["send_at"])
    assert re.fullmatch(r"[0-9a-f-]{36}", body["id"])
    admin(zoom_sim, "POST", "clock/advance", {"seconds": 1})
    assert sim_room(zoom_sim, "Boardroom")["status"] == "InMeeting"


def test_leave_clears_the_room(zoom_sim) -> None:
    api = client(zoom_sim)
    rid = room_id(zoom_sim, "Training Room")
    assert "result" in _rpc(api, rid, method="leave").json()
    assert sim_room(zoom_sim, "Training Room")["status"] == "Available"


def test_unknown_room_and_method(zoom_sim) -> None:
    api = client(zoom_sim)
    assert _rpc(api, "nope", meeting_number="1").status_code == 404
    response = _rpc(api, room_id(zoom_sim, "Boardroom"), method="teleport")
    assert response.status_code == 200 and response.json()["error"]["code"] == 32601
