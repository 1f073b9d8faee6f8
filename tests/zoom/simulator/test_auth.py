"""S2S OAuth token endpoint, JWT, expiry on the simulated clock, revocation: what the client's auth relies on."""

from __future__ import annotations

import base64
import time

import httpx
import jwt
import pytest

from tests.zoom.simulator.helpers import admin, client, token

pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")

FORM = {"grant_type": "account_credentials", "account_id": "sim-account"}


def test_token_response_shape(zoom_sim) -> None:
    response = httpx.post(zoom_sim.oauth_url, auth=("sim-client-id", "sim-client-secret"), data=FORM)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["access_token"] and "refresh_token" not in body
    assert "room:write:admin" in body["scope"].split()
    assert body["api_url"] == zoom_sim.url
    # The request was a form body with Basic auth, recorded without the secret.
    assert zoom_sim.requests[-1]["form"] == FORM


def test_query_string_params_still_work(zoom_sim) -> None:
    response = httpx.post(zoom_sim.oauth_url, auth=("sim-client-id", "sim-client-secret"), params=FORM)
    assert response.status_code == 200


@pytest.mark.parametrize(("auth", "data", "status", "code", "error"), [
    (("sim-client-id", "wrong"), FORM, 401, 4702, "invalid_client"),
    (("nobody", "sim-client-secret"), FORM, 401, 4702, "invalid_client"),
    (None, FORM, 400, 4706, "invalid_request"),
    (("sim-client-id", "sim-client-secret"), {"account_id": "sim-account"}, 400, 4706, "invalid_request"),
    (("sim-client-id", "sim-client-secret"), {**FORM, "grant_type": "password"}, 400, 4705,
     "unsupported_grant_type"),
    (("sim-client-id", "sim-client-secret"), {**FORM, "account_id": "other"}, 400, 4706, "invalid_request"),
])
def test_token_errors(zoom_sim, auth, data, status, code, error) -> None:
    response = httpx.post(zoom_sim.oauth_url, auth=auth, data=data)
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code and body["error"] == error and body["reason"]
    assert "access_token" not in body


def test_missing_and_bogus_tokens_get_124(zoom_sim) -> None:
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"}):
        response = httpx.get(zoom_sim.api_url + "/rooms", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"code": 124, "message": "Invalid access token."}


def test_token_expires_after_one_hour_of_simulated_time(zoom_sim) -> None:
    api = client(zoom_sim)
    assert api.get("/rooms").status_code == 200
    admin(zoom_sim, "POST", "clock/advance", {"seconds": 3599})
    assert api.get("/rooms").status_code == 200
    admin(zoom_sim, "POST", "clock/advance", {"seconds": 2})
    response = api.get("/rooms")
    assert response.status_code == 401 and response.json()["code"] == 124
    # A new token works again: there is no refresh token, the client just asks again.
    assert client(zoom_sim).get("/rooms").status_code == 200


def test_revoked_tokens_get_124(zoom_sim) -> None:
    first, second = token(zoom_sim), token(zoom_sim)
    assert admin(zoom_sim, "POST", "tokens/revoke", {"token": first})["revoked"] == 1
    assert client(zoom_sim, first).get("/rooms").status_code == 401
    assert client(zoom_sim, second).get("/rooms").status_code == 200
    admin(zoom_sim, "POST", "tokens/revoke", {})
    assert client(zoom_sim, second).get("/rooms").status_code == 401


def _jwt(key: str = "sim-api-key", secret: str = "sim-api-secret", exp: float | None = None) -> str:
    return jwt.encode({"iss": key, "exp": int(exp if exp is not None else time.time() + 60)}, secret,
                      algorithm="HS256")


def test_jwt_auth(zoom_sim) -> None:
    assert client(zoom_sim, _jwt()).get("/rooms").status_code == 200
    # Zoom's own sample put milliseconds in exp; that works too.
    assert client(zoom_sim, _jwt(exp=(time.time() + 60) * 1000)).get("/rooms").status_code == 200
    for bad in (_jwt(secret="wrong"), _jwt(key="other-key"), _jwt(exp=time.time() - 1)):
        response = client(zoom_sim, bad).get("/rooms")
        assert response.status_code == 401 and response.json()["code"] == 124


def test_jwt_expiry_follows_the_simulated_clock(zoom_sim) -> None:
    token_ = _jwt(exp=time.time() + 120)
    assert client(zoom_sim, token_).get("/rooms").status_code == 200
    admin(zoom_sim, "POST", "clock/advance", {"seconds": 121})
    assert client(zoom_sim, token_).get("/rooms").status_code == 401


def test_jwt_can_be_disabled_and_revoked(make_zoom_sim) -> None:
    sim = make_zoom_sim()
    token_ = _jwt()
    assert client(sim, token_).get("/rooms").status_code == 200
    admin(sim, "POST", "tokens/revoke", {})
    assert client(sim, token_).get("/rooms").status_code == 401
    admin(sim, "PATCH", "accounts/sim-account", {"jwt_enabled": False})
    assert client(sim, _jwt()).get("/rooms").status_code == 401


def test_basic_header_garbage_is_a_missing_client(zoom_sim) -> None:
    response = httpx.post(zoom_sim.oauth_url, data=FORM,
                          headers={"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()})
    assert response.status_code == 400 and response.json()["code"] == 4706
