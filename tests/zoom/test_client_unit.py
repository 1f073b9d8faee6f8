"""Client behaviour the simulator cannot produce, driven through httpx.MockTransport.

Everything else (auth, pagination, control, retries on real 5xx/429/timeouts) is tested against the simulator
in test_client_sim.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import jwt
import pytest

from bot.zoom import (
    JwtAuth,
    Meeting,
    RoomProfile,
    ZoomClient,
    ZoomError,
    ZoomRateLimited,
    ZoomSettings,
    ZoomUnavailable,
)

SETTINGS = ZoomSettings(api_url="https://zoom.test/v2", oauth_url="https://zoom.test/oauth/token",
                        account_id="acct", client_id="cid", client_secret="client-secret-xyz",
                        max_retries=2, max_retry_wait=10)


def make_client(handler: Callable[[httpx.Request], httpx.Response], settings: ZoomSettings = SETTINGS
                ) -> tuple[ZoomClient, list[float]]:
    slept: list[float] = []
    now = [100.0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    def routed(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "tok-1", "expires_in": 3600, "token_type": "bearer"})
        return handler(request)

    client = ZoomClient(settings, httpx.MockTransport(routed), clock=lambda: now[0], sleep=sleep)
    return client, slept


def test_retry_after_longer_than_the_bound_is_raised_not_slept() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(429, headers={"Retry-After": "120", "X-RateLimit-Type": "QPS"},
                              json={"code": 429, "message": "per-second"})

    client, slept = make_client(handler)
    with pytest.raises(ZoomRateLimited) as caught:
        client.get_meeting(123)
    assert len(calls) == 1 and slept == []
    assert caught.value.retry_after_seconds == 120 and not caught.value.daily


def test_iso_retry_after_is_measured_on_zooms_clock() -> None:
    """A server clock far from ours must not turn a 2 s Retry-After date into hours (or zero)."""
    responses = [
        httpx.Response(429, headers={"Retry-After": "2031-01-01T00:00:02Z", "Date": "Wed, 01 Jan 2031 00:00:00 GMT",
                                     "X-RateLimit-Type": "QPS"}, json={"code": 429, "message": "slow down"}),
        httpx.Response(200, json={"id": 5, "topic": "t"}),
    ]
    client, slept = make_client(lambda request: responses.pop(0))
    assert client.get_meeting(5).id == 5
    assert 2.0 <= slept[0] <= 2.25


def test_429_without_retry_after_backs_off_exponentially() -> None:
    responses = [httpx.Response(429, json={"code": 429, "message": "per-second rate limit"}) for _ in range(2)]
    responses.append(httpx.Response(200, json={"id": 5}))
    client, slept = make_client(lambda request: responses.pop(0))
    client.get_meeting(5)
    assert len(slept) == 2 and 0.5 <= slept[0] <= 1.0 and 1.0 <= slept[1] <= 1.5


def test_read_error_mid_response_is_not_retried_for_a_join() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.RemoteProtocolError("server hung up", request=request)

    client, _ = make_client(handler)
    with pytest.raises(ZoomUnavailable) as caught:
        client.join_room("room-1", "81234567890", "abc123")
    assert calls == 1 and caught.value.maybe_processed


def test_connect_error_is_retried_even_for_a_join() -> None:
    """Zoom never saw the request, so re-sending cannot double-join."""
    outcomes: list[Exception | httpx.Response] = [httpx.ConnectError("refused"), httpx.Response(202)]

    def handler(request: httpx.Request) -> httpx.Response:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    client, slept = make_client(handler)
    assert client.join_room("room-1", "812 3456 7890").http_status == 202
    assert len(slept) == 1


def test_non_json_success_body_is_a_zoom_error() -> None:
    client, _ = make_client(lambda request: httpx.Response(200, text="<html>proxy</html>"))
    with pytest.raises(ZoomError):
        client.get_meeting(1)


def test_meeting_uuid_is_double_encoded() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return httpx.Response(200, json={"id": 1})

    client, _ = make_client(handler)
    client.get_meeting("/ajXp112QmuoKj4854875==")
    assert seen == ["/v2/meetings/%252FajXp112QmuoKj4854875%253D%253D"]


def test_jwt_token_claims() -> None:
    settings = ZoomSettings(api_key="the-key", api_secret="the-secret-of-at-least-32-bytes-long")
    now = [1_700_000_000.0]
    auth = JwtAuth(settings, clock=lambda: now[0])
    token = auth.token()
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, settings.api_secret, algorithms=["HS256"], options={"verify_exp": False})
    assert header["alg"] == "HS256" and header["typ"] == "JWT"
    assert claims == {"iss": "the-key", "exp": 1_700_000_090}
    assert auth.token() == token  # cached
    now[0] += 80  # close to expiry: a fresh one
    assert auth.token() != token
    auth.invalidate(auth.token())
    assert "the-secret" not in repr(auth)


def test_models_hide_secrets_in_repr() -> None:
    meeting = Meeting.from_zoom({"id": 81234567890, "topic": "Standup", "password": "w46!(i{74n",
                                 "h323_password": "4646464646", "start_url": "https://zoom.us/s/1?zak=SECRETZAK",
                                 "settings": {"waiting_room": True}})
    text = repr(meeting)
    for secret in ("w46!(i{74n", "4646464646", "SECRETZAK"):
        assert secret not in text
    assert meeting.password == "w46!(i{74n" and meeting.waiting_room is True
    profile = RoomProfile.from_zoom("r1", {"basic": {"name": "Boardroom", "room_passcode": "998877"}})
    assert "998877" not in repr(profile)


def test_requests_send_bearer_token_and_explicit_timeouts() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"rooms": [], "next_page_token": ""})

    client, _ = make_client(handler)
    client.list_rooms()
    request = seen[0]
    assert request.headers["Authorization"] == "Bearer tok-1"
    timeout = request.extensions["timeout"]
    assert timeout == {"connect": 5.0, "read": 20.0, "write": 20.0, "pool": 5.0}
    assert json.loads(request.content or b"null") is None
