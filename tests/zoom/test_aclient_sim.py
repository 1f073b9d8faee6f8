"""AsyncZoomClient against the simulator over real loopback HTTP (no pytest-asyncio: each test runs its own loop
with ``asyncio.run``): paging, status, both control protocols, re-auth, 429, 5xx, timeouts, JSON-RPC errors,
secrets, and pacing of many concurrent calls."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpcore
import httpx
import pytest

from bot.zoom import (
    AsyncEventsRoomControl,
    AsyncJsonRpcRoomControl,
    AsyncZoomClient,
    CategoryRateLimiter,
    ControlAck,
    Room,
    ZoomAuthError,
    ZoomClient,
    ZoomError,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomRoomOffline,
    ZoomUnavailable,
    ZoomValidationError,
)
from bot.zoom.ratelimit import DEFAULT_MARGIN
from bot.zoom.simulator import SimulatorServer
from tests.zoom.conftest import (
    SIM_ACCOUNT,
    SIM_API_KEY,
    SIM_API_SECRET,
    SIM_CLIENT_SECRET,
    admin,
    sim_settings,
    token_requests,
    zoom_requests,
)

T = TypeVar("T")
Scenario = Callable[[AsyncZoomClient], Awaitable[T]]
MakeSim = Callable[..., SimulatorServer]

BOARDROOM_ROOM_ID = "qMOLddnySIGGVycz8aX_JQ"
BOARDROOM_ID = "Zr1bOaRdRoOmIdAaAaAaAa"
OCEAN_VIEW_ROOM_ID = "Hq4dJ2vRTkWx0yZ1aB2cDe"  # offline in the default state
SEED_PASSCODE = "w46!(i{74n"
PASSCODES = (SEED_PASSCODE, "Ab3_x9zz", "Qq7-Pass12")

# The simulator's default API secret is shorter than pyjwt recommends; real Zoom secrets are not.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


def run(sim: SimulatorServer, scenario: Scenario[T], **overrides: Any) -> T:
    """Run ``scenario`` with a fresh AsyncZoomClient for ``sim`` on a fresh event loop."""

    async def main() -> T:
        async with AsyncZoomClient(sim_settings(sim, **overrides)) as client:
            return await scenario(client)

    return asyncio.run(main())


async def boardroom(client: AsyncZoomClient) -> Room:
    [room] = await client.list_rooms(query_name="Boardroom")
    return room


async def wait_for_status(client: AsyncZoomClient, room: Room, wanted: str, seconds: float = 5.0) -> str:
    deadline = time.monotonic() + seconds
    status = await client.room_status(room)
    while status != wanted and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        status = await client.room_status(room)
    return status


def start_of_a_second(sim: SimulatorServer) -> None:
    """Move the simulator's clock just past a whole second, so the next requests share its per-second window."""
    now = admin(sim, "GET", "/clock")["now"]
    admin(sim, "POST", "/clock/advance", {"seconds": math.ceil(now) - now + 0.005})


def statuses(sim: SimulatorServer, prefix: str = "/v2/") -> list[int]:
    return [r["status"] for r in zoom_requests(sim, prefix)]


# ---------------------------------------------------------------------------------------------- rooms


def test_list_rooms_follows_pages_past_300(make_zoom_sim: MakeSim) -> None:
    rooms = [{"id": f"id-{n:03}", "room_id": f"rid-{n:03}", "name": f"Room {n:03}"} for n in range(650)]
    sim = make_zoom_sim({"rooms": rooms})

    async def scenario(client: AsyncZoomClient) -> tuple[list[Room], list[Room]]:
        return await client.list_rooms(), await client.list_rooms(query_name="Room 00", page_size=4)

    everything, filtered = run(sim, scenario)
    assert [room.room_id for room in everything] == [f"rid-{n:03}" for n in range(650)]
    assert [room.room_id for room in filtered] == [f"rid-{n:03}" for n in range(10)]
    pages = zoom_requests(sim, "/v2/rooms")
    assert len(pages) == 3 + 3
    assert [page["query"]["page_size"] for page in pages[:3]] == ["300"] * 3
    assert "next_page_token" not in pages[0]["query"]
    assert all(page["query"].get("next_page_token") for page in pages[1:3])
    # Filters are re-sent alongside the token.
    assert all(page["query"]["query_name"] == "Room 00" for page in pages[3:])


def test_room_status_by_room_or_id(zoom_sim: SimulatorServer) -> None:
    async def scenario(client: AsyncZoomClient) -> list[str]:
        room = await boardroom(client)
        found = await client.find_room(BOARDROOM_ROOM_ID)
        assert found == room
        return [await client.room_status(room), await client.room_status(BOARDROOM_ROOM_ID),
                await client.room_status(OCEAN_VIEW_ROOM_ID), await client.room_status("Tr7nG8rOoMiD9xYzAbCdEf")]

    assert run(zoom_sim, scenario) == ["Available", "Available", "Offline", "InMeeting"]
    assert zoom_requests(zoom_sim, "/v2/rooms", "GET")[-1]["query"]["query_name"] == "Training Room"


def test_room_status_of_missing_room(zoom_sim: SimulatorServer) -> None:
    async def scenario(client: AsyncZoomClient) -> None:
        with pytest.raises(ZoomNotFound) as caught:
            await client.room_status(Room(id="x", room_id="y", name="Ghost", status="Available"))
        assert caught.value.code == 1012
        with pytest.raises(ZoomNotFound):
            await client.room_status("no-such-room")  # GET /rooms/{id}: 404 1012

    run(zoom_sim, scenario)


# ---------------------------------------------------------------------------------------------- control


def test_events_join_then_leave(zoom_sim: SimulatorServer) -> None:
    async def scenario(client: AsyncZoomClient) -> None:
        assert isinstance(client.control, AsyncEventsRoomControl) and client.control.protocol == "events"
        room = await boardroom(client)
        ack = await client.join_room(room, "812 3456 7890", "abc123", force_accept=True)
        assert ack == ControlAck(protocol="events", method="zoomroom.meeting_join", room_id=BOARDROOM_ROOM_ID,
                                 accepted=True, http_status=202)
        assert await wait_for_status(client, room, "InMeeting") == "InMeeting"
        assert (await client.leave_room(room)).method == "zoomroom.meeting_leave"
        assert await client.room_status(room) == "Available"
        assert (await client.end_room_meeting(room)).method == "zoomroom.meeting_end"

    run(zoom_sim, scenario)
    sent = zoom_requests(zoom_sim, f"/v2/rooms/{BOARDROOM_ROOM_ID}/events")
    assert [r["method"] for r in sent] == ["PATCH"] * 3
    assert [r["json"] for r in sent] == [
        {"method": "zoomroom.meeting_join",
         "params": {"meeting_number": "81234567890", "force_accept": True, "passcode": "abc123"}},
        {"method": "zoomroom.meeting_leave"},
        {"method": "zoomroom.meeting_end"},
    ]


def test_jsonrpc_join_then_leave(zoom_sim: SimulatorServer) -> None:
    async def scenario(client: AsyncZoomClient) -> None:
        assert isinstance(client.control, AsyncJsonRpcRoomControl) and client.control.protocol == "jsonrpc"
        room = await boardroom(client)
        ack = await client.join_room(room, "81234567890", "test123")
        assert (ack.protocol, ack.method, ack.accepted, ack.http_status) == ("jsonrpc", "join", True, 200)
        assert ack.request_id and ack.sent_at and ack.raw["result"]["room_id"] == BOARDROOM_ROOM_ID
        assert await wait_for_status(client, room, "InMeeting") == "InMeeting"
        assert (await client.leave_room(room)).method == "leave"
        assert await client.room_status(room) == "Available"

    run(zoom_sim, scenario, rooms_api="jsonrpc")
    sent = zoom_requests(zoom_sim, f"/v2/rooms/{BOARDROOM_ROOM_ID}/meetings")
    assert [r["method"] for r in sent] == ["POST", "POST"]
    assert [r["json"] for r in sent] == [
        {"jsonrpc": "2.0", "method": "join",
         "params": {"meeting_number": "81234567890", "force_accept": False, "password": "test123"}},
        {"jsonrpc": "2.0", "method": "leave"},
    ]


def test_jsonrpc_32602_on_params_password(zoom_sim: SimulatorServer) -> None:
    async def scenario(client: AsyncZoomClient) -> ZoomValidationError:
        with pytest.raises(ZoomValidationError) as caught:
            await client.join_room(BOARDROOM_ROOM_ID, "81234567890", SEED_PASSCODE)
        return caught.value

    error = run(zoom_sim, scenario, rooms_api="jsonrpc")
    assert (error.status, error.code, error.message) == (200, 32602, "Validation Failed.")
    assert [(f.field, f.message) for f in error.fields] == [("params.password", "Invalid field.")]
    assert "10 characters" in error.explain()
    for text in (str(error), repr(error), error.explain()):
        assert SEED_PASSCODE not in text
    assert len(zoom_requests(zoom_sim, "/v2/rooms")) == 1  # a validation error is not retried


@pytest.mark.parametrize("rooms_api", ["events", "jsonrpc"])
def test_offline_and_unknown_rooms(zoom_sim: SimulatorServer, rooms_api: str) -> None:
    async def scenario(client: AsyncZoomClient) -> None:
        with pytest.raises(ZoomRoomOffline):
            await client.join_room(OCEAN_VIEW_ROOM_ID, "81234567890", "abc123")
        with pytest.raises(ZoomNotFound) as caught:
            await client.join_room(BOARDROOM_ID, "81234567890")  # the other id: 1012 on both protocols
        assert caught.value.code == 1012

    run(zoom_sim, scenario, rooms_api=rooms_api)


# ---------------------------------------------------------------------------------------------- auth


def test_token_fetched_once_and_reused_without_a_thread(zoom_sim: SimulatorServer) -> None:
    async def scenario(client: AsyncZoomClient) -> None:
        await asyncio.gather(*(client.list_rooms() for _ in range(8)))  # cold: one fetch, the others wait for it

        def no_blocking_fetch() -> str:
            raise AssertionError("a warm token must come from cached(), not token()")

        client.auth.token = no_blocking_fetch  # type: ignore[method-assign]
        await asyncio.gather(*(client.get_user_settings() for _ in range(5)))

    run(zoom_sim, scenario)
    [token_request] = token_requests(zoom_sim)
    assert token_request["form"] == {"grant_type": "account_credentials", "account_id": SIM_ACCOUNT}
    assert statuses(zoom_sim) == [200] * 13


def test_401_124_reauthenticates_once_and_retries(zoom_sim: SimulatorServer) -> None:
    async def scenario(client: AsyncZoomClient) -> list[Room]:
        await client.list_rooms()
        assert admin(zoom_sim, "POST", "/tokens/revoke", {})["revoked"] == 1
        return await client.list_rooms()

    assert run(zoom_sim, scenario)
    assert statuses(zoom_sim, "/v2/rooms") == [200, 401, 200]
    assert len(token_requests(zoom_sim)) == 2


def test_second_401_is_an_auth_error_not_a_loop(zoom_sim: SimulatorServer) -> None:
    admin(zoom_sim, "PATCH", f"/accounts/{SIM_ACCOUNT}", {"jwt_enabled": False})

    async def scenario(client: AsyncZoomClient) -> None:
        assert client.settings.auth_mode == "jwt"
        with pytest.raises(ZoomAuthError) as caught:
            await client.list_rooms()
        assert (caught.value.status, caught.value.code) == (401, 124)

    run(zoom_sim, scenario, account_id=None, client_id=None, client_secret=None,
        api_key=SIM_API_KEY, api_secret=SIM_API_SECRET)
    assert statuses(zoom_sim, "/v2/rooms") == [401, 401]


def test_token_endpoint_5xx_is_retried_even_before_a_join(zoom_sim: SimulatorServer) -> None:
    admin(zoom_sim, "POST", "/faults", {"path_prefix": "/oauth/token", "status": 503, "count": 1})

    async def scenario(client: AsyncZoomClient) -> ControlAck:
        return await client.join_room(BOARDROOM_ROOM_ID, "81234567890")

    assert run(zoom_sim, scenario).http_status == 202
    assert [r["status"] for r in token_requests(zoom_sim)] == [503, 200]
    assert statuses(zoom_sim) == [202]


# ---------------------------------------------------------------------------------------------- 429 / 5xx / timeouts


def test_qps_429_waits_retry_after_then_succeeds(make_zoom_sim: MakeSim) -> None:
    sim = make_zoom_sim(rate_limits={"medium": 1})

    async def scenario(client: AsyncZoomClient) -> float:
        await client.check_auth()
        start_of_a_second(sim)
        await client.get_room(BOARDROOM_ROOM_ID)
        started = time.monotonic()
        await client.get_room(BOARDROOM_ROOM_ID)  # same simulated second: 429, Retry-After: 1
        return time.monotonic() - started

    elapsed = run(sim, scenario)
    assert statuses(sim) == [200, 429, 200]
    assert 1.0 <= elapsed < 1.25 + 0.5  # Retry-After plus at most 0.25 s of jitter (and some slack)


def test_qps_429_raised_when_retries_run_out(make_zoom_sim: MakeSim) -> None:
    sim = make_zoom_sim(rate_limits={"medium": 1})

    async def scenario(client: AsyncZoomClient) -> ZoomRateLimited:
        await client.check_auth()
        start_of_a_second(sim)
        await client.get_room(BOARDROOM_ROOM_ID)
        with pytest.raises(ZoomRateLimited) as caught:
            await client.get_room(BOARDROOM_ROOM_ID)
        # The category is held back for Retry-After, so the next caller does not collect another 429.
        assert client.limiter.reserve("medium") > 0.5
        return caught.value

    error = run(sim, scenario, max_retries=0)
    assert (error.status, error.category, error.daily, error.retry_after_seconds) == (429, "Medium", False, 1.0)


def test_daily_limit_is_not_retried(make_zoom_sim: MakeSim) -> None:
    sim = make_zoom_sim(daily_meeting_write_limit=1)

    async def scenario(client: AsyncZoomClient) -> ZoomRateLimited:
        await client.create_meeting(None, {"topic": "one"})
        with pytest.raises(ZoomRateLimited) as caught:
            await client.create_meeting(None, {"topic": "two"})
        return caught.value

    error = run(sim, scenario)
    assert error.daily and error.retry_after is not None
    assert statuses(sim, "/v2/users") == [201, 429]


@pytest.mark.parametrize("rooms_api", ["events", "jsonrpc"])
def test_5xx_on_join_is_not_repeated(zoom_sim: SimulatorServer, rooms_api: str) -> None:
    admin(zoom_sim, "POST", "/faults", {"path_prefix": f"/v2/rooms/{BOARDROOM_ROOM_ID}", "status": 502, "count": 1})

    async def scenario(client: AsyncZoomClient) -> None:
        with pytest.raises(ZoomUnavailable) as caught:
            await client.join_room(BOARDROOM_ROOM_ID, "81234567890", "abc123")
        assert caught.value.maybe_processed and caught.value.status == 502
        assert len(zoom_requests(zoom_sim, f"/v2/rooms/{BOARDROOM_ROOM_ID}")) == 1
        # Leaving is safe to repeat, so the same fault is retried away.
        admin(zoom_sim, "POST", "/faults", {"path_prefix": f"/v2/rooms/{BOARDROOM_ROOM_ID}", "status": 502,
                                            "count": 1})
        assert (await client.leave_room(BOARDROOM_ROOM_ID)).accepted

    run(zoom_sim, scenario, rooms_api=rooms_api)
    assert statuses(zoom_sim, f"/v2/rooms/{BOARDROOM_ROOM_ID}") == [502, 502, 200 if rooms_api == "jsonrpc" else 202]


def test_create_meeting_is_not_repeated_after_5xx(zoom_sim: SimulatorServer) -> None:
    admin(zoom_sim, "POST", "/faults", {"path_prefix": "/v2/users", "method": "POST", "status": 500, "count": 1})

    async def scenario(client: AsyncZoomClient) -> None:
        with pytest.raises(ZoomUnavailable):
            await client.create_meeting(None, {"topic": "once"})

    run(zoom_sim, scenario)
    assert len(zoom_requests(zoom_sim, "/v2/users")) == 1


def test_read_timeout(zoom_sim: SimulatorServer) -> None:
    timeout = {"path_prefix": "/v2/rooms", "timeout": True, "timeout_seconds": 3}

    async def scenario(client: AsyncZoomClient) -> None:
        admin(zoom_sim, "POST", "/faults", {**timeout, "count": 1})
        with pytest.raises(ZoomUnavailable) as caught:
            # Were it re-sent, the second attempt would find no fault and succeed.
            await client.join_room(BOARDROOM_ROOM_ID, "81234567890", "abc123")
        assert caught.value.maybe_processed  # Zoom may have acted
        assert "did not answer in time" in caught.value.message
        assert caught.value.request == f"PATCH /rooms/{BOARDROOM_ROOM_ID}/events"
        admin(zoom_sim, "POST", "/faults", {**timeout, "count": 2})
        with pytest.raises(ZoomUnavailable) as caught:
            await client.list_rooms()  # idempotent: retried once (using up the second timeout), then given up
        assert caught.value.request == "GET /rooms" and "timeout" in caught.value.explain()
        assert admin(zoom_sim, "GET", "/faults")["faults"] == []

    started = time.monotonic()
    run(zoom_sim, scenario, read_timeout=0.3, max_retries=1)
    assert time.monotonic() - started < 3.0  # the client gave up; it did not wait for the server


def test_latency_under_the_timeout_is_fine(zoom_sim: SimulatorServer) -> None:
    admin(zoom_sim, "POST", "/faults", {"path_prefix": "/v2/rooms", "latency_ms": 200, "count": 1})

    async def scenario(client: AsyncZoomClient) -> list[Room]:
        return await client.list_rooms()

    assert run(zoom_sim, scenario, read_timeout=2.0)


def test_connection_refused_join_is_retried_then_reported(make_zoom_sim: MakeSim) -> None:
    sim = make_zoom_sim()

    async def scenario(client: AsyncZoomClient) -> None:
        await client.check_auth()
        sim.stop()
        with pytest.raises(ZoomUnavailable) as caught:
            await client.join_room(BOARDROOM_ROOM_ID, "81234567890")
        assert caught.value.maybe_processed is False
        assert "could not connect" in caught.value.message

    run(sim, scenario, max_retries=1)


# ---------------------------------------------------------------------------------------------- meetings


def test_meetings_and_settings(zoom_sim: SimulatorServer) -> None:
    async def scenario(client: AsyncZoomClient) -> None:
        created = await client.create_meeting(None, {"topic": "Standup", "type": 2, "password": "Ab3_x9"})
        assert created.id > 0 and created.password == "Ab3_x9" and "Ab3_x9" not in repr(created)
        fetched = await client.get_meeting(created.id)
        assert (fetched.id, fetched.password) == (created.id, "Ab3_x9")
        assert await client.update_meeting(created.id, {"topic": "Moved", "password": "Zz9-q1"}) is None
        assert (await client.get_meeting(str(created.id))).topic == "Moved"
        await client.delete_meeting(created.id)
        with pytest.raises(ZoomNotFound) as caught:
            await client.get_meeting(created.id)
        assert caught.value.code == 3001
        settings = await client.get_user_settings()
        assert settings.meeting_password_requirement["length"] == 6 and settings.passcode_required is True
        assert (await client.get_meeting_security()).auto_security is True
        assert (await client.get_lock_settings()).waiting_room_locked is False
        assert (await client.get_account_settings()).meeting_password_requirement["length"] == 6

    run(zoom_sim, scenario)
    assert [r for r in zoom_requests(zoom_sim, "/v2/") if r["status"] >= 400 and r["status"] != 404] == []


def test_sync_and_async_clients_send_the_same_requests(make_zoom_sim: MakeSim) -> None:
    """The shared policy, end to end: one tour of operations through each client, identical on the wire."""

    def sync_tour(client: ZoomClient) -> None:
        meeting = client.create_meeting(None, {"topic": "Tour", "type": 2, "password": "Ab3_x9"})
        client.get_meeting(meeting.id)
        client.update_meeting(meeting.id, {"duration": 45})
        client.get_user_settings(option="meeting_security")
        client.get_lock_settings(option="meeting_security")
        room = client.find_room(BOARDROOM_ROOM_ID)
        client.room_status(room)
        client.join_room(room, "812-3456-7890", "Ab3_x9", force_accept=True)
        client.leave_room(room)
        client.end_room_meeting(room)
        client.delete_meeting(meeting.id)

    async def async_tour(client: AsyncZoomClient) -> None:
        meeting = await client.create_meeting(None, {"topic": "Tour", "type": 2, "password": "Ab3_x9"})
        await client.get_meeting(meeting.id)
        await client.update_meeting(meeting.id, {"duration": 45})
        await client.get_user_settings(option="meeting_security")
        await client.get_lock_settings(option="meeting_security")
        room = await client.find_room(BOARDROOM_ROOM_ID)
        await client.room_status(room)
        await client.join_room(room, "812-3456-7890", "Ab3_x9", force_accept=True)
        await client.leave_room(room)
        await client.end_room_meeting(room)
        await client.delete_meeting(meeting.id)

    def shapes(sim: SimulatorServer) -> list[tuple[Any, ...]]:
        meeting_id = zoom_requests(sim, "/v2/meetings")[0]["path"].rsplit("/", 1)[-1]
        return [(r["method"], r["path"].replace(meeting_id, "{id}"), r["query"], r["json"], r["status"])
                for r in zoom_requests(sim, "/v2/")]

    for rooms_api in ("events", "jsonrpc"):
        sync_sim, async_sim = make_zoom_sim(), make_zoom_sim()
        with ZoomClient(sim_settings(sync_sim, rooms_api=rooms_api)) as client:
            sync_tour(client)
        run(async_sim, async_tour, rooms_api=rooms_api)
        assert shapes(sync_sim) == shapes(async_sim)
        assert len(shapes(async_sim)) == 12


# ---------------------------------------------------------------------------------------------- secrets


def test_no_passcode_or_secret_in_errors_or_logs(make_zoom_sim: MakeSim, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sim = make_zoom_sim(daily_meeting_write_limit=2)
    errors: list[ZoomError] = []

    async def expect_error(action: Awaitable[object]) -> None:
        try:
            await action
        except ZoomError as error:
            errors.append(error)
        else:
            raise AssertionError("expected a ZoomError")

    async def scenario(client: AsyncZoomClient) -> str:
        rpc = AsyncZoomClient(sim_settings(sim, rooms_api="jsonrpc", max_retries=0))
        bad = AsyncZoomClient(sim_settings(sim, client_secret="not-" + SIM_CLIENT_SECRET))
        try:
            meeting = await client.create_meeting(None, {"topic": "t", "password": PASSCODES[1]})
            await client.join_room(BOARDROOM_ROOM_ID, str(meeting.id), PASSCODES[1])
            admin(sim, "POST", "/tokens/revoke", {})
            await client.list_rooms()  # re-auth
            await expect_error(bad.list_rooms())
            await expect_error(rpc.join_room(BOARDROOM_ROOM_ID, "81234567890", PASSCODES[0]))  # 32602
            await expect_error(client.update_meeting(meeting.id, {"password": "x"}))  # breaks the requirement
            await expect_error(client.update_meeting(meeting.id, {"password": PASSCODES[2]}))  # daily limit
            admin(sim, "POST", "/faults", {"path_prefix": "/v2/rooms", "status": 503, "count": 1})
            await expect_error(client.join_room(BOARDROOM_ROOM_ID, "81234567890", PASSCODES[2]))  # 5xx, not retried
            admin(sim, "POST", "/faults", {"path_prefix": "/v2/rooms", "timeout": True, "timeout_seconds": 2})
            await expect_error(client.join_room(BOARDROOM_ROOM_ID, "81234567890", PASSCODES[1]))  # timeout
            return meeting.password or ""
        finally:
            await rpc.aclose()
            await bad.aclose()

    password = run(sim, scenario, max_retries=1, read_timeout=0.3)
    tokens = list(sim.state.tokens)
    assert tokens and password
    secrets = [SIM_CLIENT_SECRET, SIM_API_SECRET, password, *PASSCODES, *tokens]
    texts = [record.getMessage() for record in caplog.records] + [record.exc_text or "" for record in caplog.records]
    for error in errors:
        texts += [str(error), repr(error), error.explain(), *(str(f) for f in error.fields)]
    assert len(errors) == 6
    assert any(isinstance(e, ZoomValidationError) and e.code == 32602 for e in errors)
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"secret leaked into: {text[:120]}"


# ---------------------------------------------------------------------------------------------- pacing


def test_many_concurrent_calls_are_paced_and_draw_no_429(make_zoom_sim: MakeSim) -> None:
    """50 room_status calls gathered at once: sent at the limiter's rate, so the simulator, limited to that
    same rate per second, never answers 429; the event loop stays responsive while they wait."""
    qps = 20
    calls = 50
    sim = make_zoom_sim(rate_limits={"medium": qps})
    ticks: list[float] = []

    async def ticker(stop: asyncio.Event) -> None:
        while not stop.is_set():
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    async def scenario(client: AsyncZoomClient) -> tuple[list[str], float]:
        await client.check_auth()
        room = Room(id=BOARDROOM_ID, room_id=BOARDROOM_ROOM_ID, name="Boardroom", status="")
        stop = asyncio.Event()
        ticking = asyncio.create_task(ticker(stop))
        started = time.monotonic()
        results = await asyncio.gather(*(client.room_status(room) for _ in range(calls)))
        elapsed = time.monotonic() - started
        stop.set()
        await ticking
        return results, elapsed

    results, elapsed = run(sim, scenario, qps_medium=qps)
    assert results == ["Available"] * calls
    requests = zoom_requests(sim, "/v2/rooms")
    assert [r["status"] for r in requests] == [200] * calls  # no 429, so no retries either
    # One second's worth went at once, the rest one every (1 + margin) / qps seconds.
    window = 1 + DEFAULT_MARGIN
    assert elapsed >= window + (calls - qps - 1) * window / qps - 0.02
    counts: dict[int, int] = {}
    for request in requests:
        counts[math.floor(request["at"])] = counts.get(math.floor(request["at"]), 0) + 1
    assert max(counts.values()) <= qps
    # Waiting for the limiter is `await asyncio.sleep`, never a blocking sleep: the loop kept ticking through
    # the pacing (blocking sleeps would have let the 10 ms ticker run a handful of times, not hundreds).  One
    # stall of the loop by the in-process simulator's threads (seen once under a full suite) is no failure.
    assert len(ticks) >= elapsed / 0.01 / 4


def test_a_sync_and_an_async_client_can_share_one_budget(make_zoom_sim: MakeSim) -> None:
    qps = 5
    sim = make_zoom_sim(rate_limits={"medium": qps})
    settings = sim_settings(sim, qps_medium=qps)
    limiter = CategoryRateLimiter.for_settings(settings)

    async def scenario() -> None:
        async with AsyncZoomClient(settings, limiter=limiter) as client:
            assert client.limiter is limiter
            with ZoomClient(settings, limiter=limiter) as sync_client:
                sync_calls = asyncio.gather(*(asyncio.to_thread(sync_client.get_room, BOARDROOM_ROOM_ID)
                                              for _ in range(4)))
                async_calls = asyncio.gather(*(client.get_room(BOARDROOM_ROOM_ID) for _ in range(4)))
                await asyncio.gather(sync_calls, async_calls)

    asyncio.run(scenario())
    assert statuses(sim, "/v2/rooms") == [200] * 8


class _SlowFirstConnection(httpcore.AsyncNetworkBackend):
    """httpcore's own network backend, except that the first connection takes ``delay`` seconds to open (a
    busy loop, a slow network path)."""

    def __init__(self, delay: float) -> None:
        self._backend = httpcore.AnyIOBackend()
        self._delay = delay
        self.opened = 0

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        self.opened += 1
        if self.opened == 1:
            await asyncio.sleep(self._delay)
        return await self._backend.connect_tcp(host, port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def test_a_request_slow_to_connect_does_not_reach_zoom_bunched_with_the_next_ones(make_zoom_sim: MakeSim) -> None:
    """The pacer's hold for a late slot is taken as the request is written, after its connection opened: a
    request that took 0.9 s to connect arrives late, and the requests after it still keep to the limit."""
    qps, calls = 2, 6
    sim = make_zoom_sim(rate_limits={"medium": qps})
    transport = httpx.AsyncHTTPTransport()
    backend = _SlowFirstConnection(delay=0.9)
    transport._pool._network_backend = backend  # the pool httpx builds, with a network that is slow at first

    async def scenario() -> None:
        async with AsyncZoomClient(sim_settings(sim, qps_medium=qps), transport=transport) as client:
            await client.check_auth()
            room = Room(id=BOARDROOM_ID, room_id=BOARDROOM_ROOM_ID, name="Boardroom", status="")
            await asyncio.gather(*(client.room_status(room) for _ in range(calls)))

    asyncio.run(scenario())
    assert backend.opened >= 2
    arrivals = sorted(r["at"] for r in zoom_requests(sim, "/v2/rooms"))
    assert len(arrivals) == calls and statuses(sim, "/v2/rooms") == [200] * calls
    # No second of arrivals holds more than the limit, wherever Zoom's seconds begin.
    assert all(later - earlier >= 1.0 for earlier, later in zip(arrivals, arrivals[qps:], strict=False))
