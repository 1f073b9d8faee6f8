"""Authentication against the simulator over real HTTP: S2S OAuth, caching, refresh, re-auth, JWT, threads."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from bot.zoom import ZoomAuthError, ZoomClient, ZoomUnavailable
from bot.zoom.simulator import SimulatorServer
from tests.zoom.conftest import SIM_ACCOUNT, SIM_API_KEY, SIM_API_SECRET, FakeTime, admin, token_requests, zoom_requests

MakeClient = Callable[..., ZoomClient]
# The simulator's default API secret is shorter than pyjwt recommends; real Zoom secrets are not.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


def test_s2s_token_request_shape_and_caching(zoom_sim: SimulatorServer, client: ZoomClient) -> None:
    client.list_rooms()
    client.get_user_settings()
    client.list_rooms()
    [token_request] = token_requests(zoom_sim)
    assert token_request["method"] == "POST"
    # Form body, nothing in the query string (Zoom has started rejecting query-string params).
    assert token_request["form"] == {"grant_type": "account_credentials", "account_id": SIM_ACCOUNT}
    assert token_request["query"] == {}
    assert token_request["status"] == 200


def test_token_refreshed_shortly_before_expiry(zoom_sim: SimulatorServer, make_client: MakeClient) -> None:
    fake = FakeTime()
    client = make_client(zoom_sim, fake=fake)
    client.list_rooms()
    fake.now += 3600 - 300  # still comfortably valid
    client.list_rooms()
    assert len(token_requests(zoom_sim)) == 1
    fake.now += 250  # within the refresh margin before `expires_in`
    admin(zoom_sim, "POST", "/clock/advance", {"seconds": 3550})
    client.list_rooms()
    assert len(token_requests(zoom_sim)) == 2
    # The refresh happened before Zoom could reject anything.
    assert all(r["status"] == 200 for r in zoom_requests(zoom_sim, "/v2/"))


def test_revoked_token_reauthenticates_once_and_retries(zoom_sim: SimulatorServer, client: ZoomClient) -> None:
    client.list_rooms()
    assert admin(zoom_sim, "POST", "/tokens/revoke", {})["revoked"] == 1
    rooms = client.list_rooms()
    assert rooms
    statuses = [r["status"] for r in zoom_requests(zoom_sim, "/v2/rooms")]
    assert statuses == [200, 401, 200]
    assert len(token_requests(zoom_sim)) == 2


def test_token_expired_on_zooms_clock_reauthenticates(zoom_sim: SimulatorServer, client: ZoomClient) -> None:
    client.list_rooms()
    admin(zoom_sim, "POST", "/clock/advance", {"seconds": 3700})  # our clock still thinks the token is fresh
    client.join_room(client.list_rooms(query_name="Boardroom")[0], "81234567890")
    assert len(token_requests(zoom_sim)) == 2


def test_second_401_is_an_auth_error_not_a_loop(zoom_sim: SimulatorServer, make_client: MakeClient) -> None:
    client = make_client(zoom_sim, account_id=None, client_id=None, client_secret=None,
                         api_key=SIM_API_KEY, api_secret=SIM_API_SECRET)
    admin(zoom_sim, "PATCH", f"/accounts/{SIM_ACCOUNT}", {"jwt_enabled": False})
    with pytest.raises(ZoomAuthError) as caught:
        client.list_rooms()
    assert (caught.value.status, caught.value.code) == (401, 124)
    assert len(zoom_requests(zoom_sim, "/v2/rooms")) == 2
    assert "activated" in caught.value.explain()


def test_bad_client_secret(zoom_sim: SimulatorServer, make_client: MakeClient) -> None:
    client = make_client(zoom_sim, client_secret="wrong-secret-123")
    with pytest.raises(ZoomAuthError) as caught:
        client.list_rooms()
    error = caught.value
    assert (error.status, error.code, error.request) == (401, 4702, "POST /oauth/token")
    assert "wrong-secret-123" not in str(error) + repr(error)
    assert zoom_requests(zoom_sim, "/v2/") == []


def test_bad_account_id(zoom_sim: SimulatorServer, make_client: MakeClient) -> None:
    client = make_client(zoom_sim, account_id="someone-else")
    with pytest.raises(ZoomAuthError) as caught:
        client.check_auth()
    assert caught.value.status == 400 and "account_id" in caught.value.message


def test_token_endpoint_5xx_is_retried_even_before_a_join(zoom_sim: SimulatorServer, make_client: MakeClient) -> None:
    fake = FakeTime()
    client = make_client(zoom_sim, fake=fake)
    admin(zoom_sim, "POST", "/faults", {"path_prefix": "/oauth/token", "status": 503, "count": 1})
    ack = client.join_room("qMOLddnySIGGVycz8aX_JQ", "81234567890")
    assert ack.http_status == 202
    assert [r["status"] for r in token_requests(zoom_sim)] == [503, 200]
    assert len(fake.slept) == 1


def test_token_endpoint_down(zoom_sim: SimulatorServer, make_client: MakeClient) -> None:
    fake = FakeTime()
    client = make_client(zoom_sim, fake=fake, max_retries=2)
    admin(zoom_sim, "POST", "/faults", {"path_prefix": "/oauth/token", "status": 502})
    with pytest.raises(ZoomUnavailable) as caught:
        client.list_rooms()
    assert caught.value.request == "POST /oauth/token" and caught.value.status == 502
    assert len(token_requests(zoom_sim)) == 3


def test_jwt_auth(zoom_sim: SimulatorServer, make_client: MakeClient) -> None:
    client = make_client(zoom_sim, account_id=None, client_id=None, client_secret=None,
                         api_key=SIM_API_KEY, api_secret=SIM_API_SECRET)
    assert client.settings.auth_mode == "jwt"
    assert [room.name for room in client.list_rooms()][:1] == ["Boardroom"]
    assert token_requests(zoom_sim) == []


def test_jwt_with_wrong_secret(zoom_sim: SimulatorServer, make_client: MakeClient) -> None:
    client = make_client(zoom_sim, account_id=None, client_id=None, client_secret=None,
                         api_key=SIM_API_KEY, api_secret="not-the-secret-of-this-account")
    with pytest.raises(ZoomAuthError):
        client.list_rooms()


def test_eight_threads_share_one_token_request(zoom_sim: SimulatorServer, client: ZoomClient) -> None:
    # Slow token endpoint: every thread arrives while the first fetch is still in flight.
    admin(zoom_sim, "POST", "/faults", {"path_prefix": "/oauth/token", "latency_ms": 300})
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            client.list_rooms()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(token_requests(zoom_sim)) == 1
    assert len(zoom_requests(zoom_sim, "/v2/rooms")) == 8


def test_eight_threads_after_revocation_reauth_once(zoom_sim: SimulatorServer, client: ZoomClient) -> None:
    client.list_rooms()
    admin(zoom_sim, "POST", "/tokens/revoke", {})
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        client.list_rooms()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(token_requests(zoom_sim)) == 2
