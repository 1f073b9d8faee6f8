"""Rate limits and faults against the simulator: 429 QPS retried, daily limit not, 5xx, timeouts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.zoom import ZoomClient, ZoomRateLimited, ZoomUnavailable
from bot.zoom.simulator import SimulatorServer
from tests.zoom.conftest import FakeTime, admin, zoom_requests

MakeClient = Callable[..., ZoomClient]
BOARDROOM = "qMOLddnySIGGVycz8aX_JQ"


def test_qps_429_waits_retry_after_then_succeeds(make_zoom_sim: Callable[..., SimulatorServer],
                                                 make_client: MakeClient) -> None:
    sim = make_zoom_sim(rate_limits={"medium": 2})
    fake = FakeTime(sim)  # sleeping moves the simulator's clock into the next second
    client = make_client(sim, fake=fake)
    for _ in range(6):  # 6 calls at 2/s cannot all fit unless they span 3 real seconds
        client.get_room(BOARDROOM)
    statuses = [r["status"] for r in zoom_requests(sim, "/v2/rooms")]
    assert statuses.count(429) >= 1 and statuses[-1] == 200
    assert statuses.count(200) == 6
    # Retry-After: 1 (seconds) was honoured, with a little jitter on top.
    assert fake.slept and all(1.0 <= wait <= 1.25 for wait in fake.slept)


def test_qps_429_keeps_headers_when_retries_run_out(make_zoom_sim: Callable[..., SimulatorServer],
                                                    make_client: MakeClient) -> None:
    sim = make_zoom_sim(rate_limits={"medium": 1})
    client = make_client(sim, max_retries=0)
    client.get_room(BOARDROOM)
    with pytest.raises(ZoomRateLimited) as caught:
        client.get_room(BOARDROOM)
    error = caught.value
    assert (error.status, error.category, error.daily, error.retry_after_seconds) == (429, "Medium", False, 1.0)
    assert "try again" in error.explain()


def test_daily_limit_is_not_retried(make_zoom_sim: Callable[..., SimulatorServer], make_client: MakeClient) -> None:
    sim = make_zoom_sim(daily_meeting_write_limit=2)
    fake = FakeTime(sim)
    client = make_client(sim, fake=fake)
    meeting = client.create_meeting(None, {"topic": "one"})
    client.update_meeting(meeting.id, {"topic": "two"})
    with pytest.raises(ZoomRateLimited) as caught:
        client.update_meeting(meeting.id, {"topic": "three"})
    error = caught.value
    assert error.daily and error.category == "Light"
    assert error.retry_after is not None and error.retry_after.tzinfo is not None
    assert (error.retry_after.hour, error.retry_after.minute) == (0, 0)
    assert error.retry_after > datetime.now(UTC)
    assert "daily limit" in error.explain()
    assert len(zoom_requests(sim, f"/v2/meetings/{meeting.id}", "PATCH")) == 2
    assert fake.slept == []
    with pytest.raises(ZoomRateLimited):
        client.create_meeting(None, {"topic": "four"})
    assert [r["status"] for r in zoom_requests(sim, "/v2/users")] == [201, 429]


def test_5xx_retried_then_success(zoom_sim: SimulatorServer, make_client: MakeClient) -> None:
    fake = FakeTime()
    client = make_client(zoom_sim, fake=fake)
    admin(zoom_sim, "POST", "/faults", {"path_prefix": "/v2/rooms", "method": "GET", "status": 503, "count": 2})
    assert client.list_rooms()
    assert [r["status"] for r in zoom_requests(zoom_sim, "/v2/rooms")] == [503, 503, 200]
    # Exponential backoff with jitter: ~0.5 s then ~1 s.
    assert len(fake.slept) == 2 and 0.5 <= fake.slept[0] <= 1.0 and 1.0 <= fake.slept[1] <= 1.5


def test_5xx_gives_up_after_max_retries(zoom_sim: SimulatorServer, make_client: MakeClient) -> None:
    fake = FakeTime()
    client = make_client(zoom_sim, fake=fake, max_retries=2)
    admin(zoom_sim, "POST", "/faults", {"path_prefix": "/v2/meetings", "status": 500})
    with pytest.raises(ZoomUnavailable) as caught:
        client.delete_meeting(81234567890)
    assert caught.value.status == 500 and caught.value.request == "DELETE /meetings/81234567890"
    assert len(zoom_requests(zoom_sim, "/v2/meetings")) == 3


@pytest.mark.parametrize("rooms_api", ["events", "jsonrpc"])
def test_5xx_on_join_is_not_repeated(zoom_sim: SimulatorServer, make_client: MakeClient, rooms_api: str) -> None:
    fake = FakeTime()
    client = make_client(zoom_sim, fake=fake, rooms_api=rooms_api)
    admin(zoom_sim, "POST", "/faults", {"path_prefix": f"/v2/rooms/{BOARDROOM}", "status": 502, "count": 1})
    with pytest.raises(ZoomUnavailable) as caught:
        client.join_room(BOARDROOM, "81234567890", "abc123")
    assert caught.value.maybe_processed
    assert len(zoom_requests(zoom_sim, f"/v2/rooms/{BOARDROOM}")) == 1
    assert fake.slept == []
    # Leaving is safe to repeat, so the same fault is retried away.
    admin(zoom_sim, "POST", "/faults", {"path_prefix": f"/v2/rooms/{BOARDROOM}", "status": 502, "count": 1})
    assert client.leave_room(BOARDROOM).accepted


def test_create_meeting_is_not_repeated_after_5xx(zoom_sim: SimulatorServer, make_client: MakeClient) -> None:
    client = make_client(zoom_sim, fake=FakeTime())
    admin(zoom_sim, "POST", "/faults", {"path_prefix": "/v2/users", "method": "POST", "status": 500, "count": 1})
    with pytest.raises(ZoomUnavailable):
        client.create_meeting(None, {"topic": "once"})
    assert len(zoom_requests(zoom_sim, "/v2/users")) == 1


def test_read_timeout_becomes_zoom_unavailable(zoom_sim: SimulatorServer, make_client: MakeClient) -> None:
    fake = FakeTime()
    client = make_client(zoom_sim, fake=fake, read_timeout=0.3, max_retries=1)
    admin(zoom_sim, "POST", "/faults", {"path_prefix": "/v2/rooms", "timeout": True, "timeout_seconds": 3})
    with pytest.raises(ZoomUnavailable) as caught:
        client.list_rooms()
    assert "did not answer in time" in caught.value.message
    assert caught.value.request == "GET /rooms"
    assert "timeout" in caught.value.explain()
    assert len(fake.slept) == 1  # one retry, then give up


def test_latency_under_the_timeout_is_fine(zoom_sim: SimulatorServer, make_client: MakeClient) -> None:
    client = make_client(zoom_sim, read_timeout=2.0)
    admin(zoom_sim, "POST", "/faults", {"path_prefix": "/v2/rooms", "latency_ms": 200, "count": 1})
    assert client.list_rooms()


def test_connection_refused(make_client: MakeClient, make_zoom_sim: Callable[..., SimulatorServer]) -> None:
    sim = make_zoom_sim()
    client = make_client(sim, fake=FakeTime(), max_retries=1)
    client.check_auth()
    sim.stop()
    with pytest.raises(ZoomUnavailable) as caught:
        client.join_room(BOARDROOM, "81234567890")
    assert caught.value.maybe_processed is False
    assert "could not connect" in caught.value.message
