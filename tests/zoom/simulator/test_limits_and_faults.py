"""Rate limits (per-second per category, 100 create/update per host per day) and injected faults."""

from __future__ import annotations

import datetime as dt
import time

import httpx
import pytest

from tests.zoom.simulator.helpers import admin, client, join, room_id, sim_room


def test_per_second_limit_per_category(make_zoom_sim) -> None:
    sim = make_zoom_sim(rate_limits={"medium": 1})
    api = client(sim)
    statuses = []
    for _ in range(20):
        response = api.get("/rooms")
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert 429 in statuses
    assert response.json() == {"code": 429, "message": "You have reached the maximum per-second rate limit "
                                                       "for this API. Try again later."}
    assert response.headers["X-RateLimit-Category"] == "Medium"
    assert response.headers["X-RateLimit-Type"] == "QPS"
    assert response.headers["X-RateLimit-Limit"] == "1"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert response.headers["Retry-After"] == "1"
    # Meeting endpoints are Light: a separate budget.
    assert api.post("/users/me/meetings", json={"password": "abc123"}).status_code == 201


def test_daily_create_update_limit_per_host(zoom_sim) -> None:
    api = client(zoom_sim)
    first = api.post("/users/me/meetings", json={"password": "abc123"}).json()["id"]
    for _ in range(98):
        assert api.post("/users/me/meetings", json={"password": "abc123"}).status_code == 201
    assert api.patch(f"/meetings/{first}", json={"topic": "100th"}).status_code == 204
    for call in (lambda: api.post("/users/me/meetings", json={}),
                 lambda: api.patch(f"/meetings/{first}", json={"topic": "101st"})):
        response = call()
        assert response.status_code == 429
        assert response.json() == {
            "code": 429,
            "message": "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests "
                       "permitted for this particular user. You may resume these requests at GMT 00:00:00."}
        assert response.headers["X-RateLimit-Type"] == "Daily-limit"
        assert response.headers["X-RateLimit-Category"] == "Light"
    # Reads are not limited by it.
    assert api.get(f"/meetings/{first}").status_code == 200
    reset = dt.datetime.strptime(response.headers["Retry-After"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=dt.UTC)
    assert reset.time() == dt.time(0, 0)
    now = admin(zoom_sim, "GET", "clock")["now"]
    assert 0 < reset.timestamp() - now <= 86400
    admin(zoom_sim, "POST", "clock/advance", {"seconds": reset.timestamp() - now + 1})
    assert client(zoom_sim).post("/users/me/meetings", json={"password": "abc123"}).status_code == 201


def test_injected_5xx_for_a_count(zoom_sim) -> None:
    admin(zoom_sim, "POST", "faults", {"path_prefix": "/v2/rooms", "method": "GET", "status": 503, "count": 2})
    api = client(zoom_sim)
    assert [api.get("/rooms").status_code for _ in range(3)] == [503, 503, 200]
    assert admin(zoom_sim, "GET", "faults")["faults"] == []


def test_injected_fault_on_token_endpoint(zoom_sim) -> None:
    admin(zoom_sim, "POST", "faults", {"path_prefix": "/oauth/token", "status": 500, "count": 1})
    form = {"grant_type": "account_credentials", "account_id": "sim-account"}
    assert httpx.post(zoom_sim.oauth_url, auth=("sim-client-id", "sim-client-secret"), data=form).status_code == 500
    assert httpx.post(zoom_sim.oauth_url, auth=("sim-client-id", "sim-client-secret"), data=form).status_code == 200


def test_injected_latency(zoom_sim) -> None:
    api = client(zoom_sim)
    admin(zoom_sim, "POST", "faults", {"path_prefix": "/v2/rooms", "latency_ms": 300, "count": 1})
    started = time.monotonic()
    assert api.get("/rooms").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_injected_timeout_and_the_request_still_not_applied(zoom_sim) -> None:
    api = client(zoom_sim)
    rid = room_id(zoom_sim, "Boardroom")
    admin(zoom_sim, "POST", "faults", {"path_prefix": "/v2/rooms/", "method": "PATCH", "timeout": True,
                                       "timeout_seconds": 5, "count": 1})
    with pytest.raises(httpx.ReadTimeout):
        join(httpx.Client(base_url=zoom_sim.api_url, headers=api.headers, timeout=0.3), rid, "")
    assert sim_room(zoom_sim, "Boardroom")["status"] == "Available"
    admin(zoom_sim, "DELETE", "faults")


def test_faults_can_be_cleared(zoom_sim) -> None:
    api = client(zoom_sim)
    admin(zoom_sim, "POST", "faults", {"status": 502})  # every Zoom path, until cleared
    assert api.get("/rooms").status_code == 502
    assert httpx.post(zoom_sim.oauth_url).status_code == 502
    admin(zoom_sim, "DELETE", "faults")
    assert api.get("/rooms").status_code == 200
