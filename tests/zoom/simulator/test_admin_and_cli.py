"""Admin API round trips, the example state file, the `roombot zoom-sim` command, the committed schemas."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import httpx
import pytest

from bot.zoom.simulator import SimState, SimulatorServer
from tests.zoom.simulator.helpers import admin, client, join, room_id, sim_room

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = resources.files("bot.zoom.simulator").joinpath("example_state.json")


def test_state_round_trips_through_the_admin_api(zoom_sim) -> None:
    state = admin(zoom_sim, "GET", "state")
    assert state["accounts"][0]["client_id"] == "sim-client-id"
    state["rooms"] = state["rooms"][:1]
    state["rooms"][0]["name"] = "Renamed"
    admin(zoom_sim, "PUT", "state", state)
    assert [r["name"] for r in client(zoom_sim).get("/rooms").json()["rooms"]] == ["Renamed"]


def test_put_state_keeps_tokens_valid(zoom_sim) -> None:
    api = client(zoom_sim)
    admin(zoom_sim, "PUT", "state", {})
    assert api.get("/rooms").status_code == 200


@pytest.mark.parametrize("bad", [
    {"rooms": [{"id": "a", "room_id": "b", "name": "X", "status": "Busy"}]},
    {"rooms": [{"id": "a", "room_id": "b", "name": "X", "colour": "red"}]},
    {"accounts": [{"id": "x", "passcode_style": "emoji"}]},
    {"users": [{"id": "u", "email": "u@example.com", "account_id": "missing"}]},
])
def test_invalid_state_is_refused_with_a_reason(zoom_sim, bad) -> None:
    response = httpx.put(zoom_sim.url + "/_sim/state", json=bad)
    assert response.status_code == 400 and response.json()["error"]


def test_patch_room_and_add_room(zoom_sim) -> None:
    admin(zoom_sim, "PATCH", "rooms/Boardroom", {"status": "Offline"})
    assert sim_room(zoom_sim, "Boardroom")["status"] == "Offline"
    admin(zoom_sim, "POST", "rooms", {"id": "new-id", "room_id": "new-room-id", "name": "Annex"})
    assert "Annex" in [r["name"] for r in client(zoom_sim).get("/rooms").json()["rooms"]]
    assert httpx.patch(zoom_sim.url + "/_sim/rooms/Boardroom", json={"status": "Busy"}).status_code == 400


def test_admin_can_clear_a_passcode_lockout(zoom_sim) -> None:
    api = client(zoom_sim)
    rid = room_id(zoom_sim, "Boardroom")
    meeting = api.post("/users/me/meetings", json={"password": "right1"}).json()["id"]
    admin(zoom_sim, "PATCH", "config", {"passcode_lockout_failures": 1})
    join(api, rid, meeting, "wrong1")
    assert sim_room(zoom_sim, "Boardroom")["prompt"] == "passcode_locked"
    admin(zoom_sim, "PATCH", "rooms/Boardroom", {"passcode_locked_until": None, "failed_passcodes": 0,
                                                 "prompt": None})
    join(api, rid, meeting, "right1")
    admin(zoom_sim, "POST", "clock/advance", {"seconds": 1})
    assert sim_room(zoom_sim, "Boardroom")["status"] == "InMeeting"


def test_admin_calls_are_not_recorded(zoom_sim) -> None:
    admin(zoom_sim, "GET", "state")
    assert zoom_sim.requests == []
    assert httpx.get(zoom_sim.url + "/_sim/nothing").status_code == 404


def test_example_state_loads_and_serves() -> None:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    state = SimState.from_dict(data)
    assert {r.name for r in state.rooms} >= {"Boardroom", "Huddle 3"}
    with SimulatorServer(data) as sim:
        api = client(sim)
        assert api.get("/rooms").json()["rooms"]
        own = api.get("/meetings/85746065123").json()
        assert own["password"] == "w46!(i{74n"
        assert api.get("/meetings/93456789012").status_code == 404
        assert "password" not in api.get("/meetings/94567890123").json()


def test_zoom_sim_command_runs_with_a_state_file(tmp_path) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "bot", "zoom-sim", "--port", "0", "--state", str(state_file)],
                               cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("zoom-sim listening on http://127.0.0.1:"), line + process.stderr.read()
        url = line.split()[-1]
        token = httpx.post(url + "/oauth/token", auth=("sim-client-id", "sim-client-secret"),
                           data={"grant_type": "account_credentials", "account_id": "sim-account"}).json()
        rooms = httpx.get(url + "/v2/rooms", headers={"Authorization": f"Bearer {token['access_token']}"})
        assert "Lobby Kiosk" in [r["name"] for r in rooms.json()["rooms"]]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_zoom_sim_command_reports_a_bad_state_file(tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"rooms": [{"name": "no ids"}]}', encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "bot", "zoom-sim", "--port", "0", "--state", str(bad)],
                            cwd=REPO, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "zoom-sim:" in result.stderr and "Traceback" not in result.stderr


def _extractor():
    spec = importlib.util.spec_from_file_location("extract_zoom_schemas", REPO / "scripts" / "extract_zoom_schemas.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_request_schemas_match_zoom_specs() -> None:
    extractor = _extractor()
    shared = extractor.find_shared()
    if shared is None:
        pytest.skip("../shared/specs/zoom not present beside the checkout")
    committed = (REPO / "bot" / "zoom" / "simulator" / "zoom_request_schemas.json").read_text(encoding="utf-8")
    assert extractor.render(extractor.extract(shared)) == committed, "re-run scripts/extract_zoom_schemas.py"


def test_every_served_zoom_route_has_a_schema() -> None:
    from bot.zoom.simulator.app import ROUTES
    from bot.zoom.simulator.schemas import operations
    keys = {op for _rule, _method, op, _cat, _handler in ROUTES if op}
    assert keys == set(operations())
