"""Small HTTP helpers for simulator tests: a token, an authenticated httpx client, admin calls."""

from __future__ import annotations

from typing import Any

import httpx

from bot.zoom.simulator import SimulatorServer


def token(sim: SimulatorServer, client_id: str = "sim-client-id", secret: str = "sim-client-secret",
          account_id: str = "sim-account") -> str:
    response = httpx.post(sim.oauth_url, auth=(client_id, secret),
                          data={"grant_type": "account_credentials", "account_id": account_id})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def client(sim: SimulatorServer, access_token: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=sim.api_url, timeout=10,
                        headers={"Authorization": f"Bearer {access_token or token(sim)}"})


def admin(sim: SimulatorServer, method: str, path: str, json: Any = None) -> Any:
    response = httpx.request(method, sim.url + "/_sim/" + path.lstrip("/"), json=json, timeout=10)
    assert response.status_code < 300, response.text
    return response.json()


def sim_room(sim: SimulatorServer, name: str) -> dict[str, Any]:
    """The room's full simulated state (status, prompt, failed_passcodes, …) from the admin API."""
    rooms = admin(sim, "GET", "rooms")["rooms"]
    return next(r for r in rooms if r["name"] == name)


def room_id(sim: SimulatorServer, name: str) -> str:
    return sim_room(sim, name)["room_id"]


def join(api: httpx.Client, rid: str, meeting_number: Any, passcode: str | None = None,
         force_accept: bool | None = None) -> httpx.Response:
    params: dict[str, Any] = {"meeting_number": str(meeting_number)}
    if passcode is not None:
        params["passcode"] = passcode
    if force_accept is not None:
        params["force_accept"] = force_accept
    return api.patch(f"/rooms/{rid}/events", json={"method": "zoomroom.meeting_join", "params": params})
