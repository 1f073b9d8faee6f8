"""AsyncZoomClient and the token cache, driven through httpx.MockTransport (what the simulator cannot produce)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable

import httpx
import pytest

from bot.zoom import (
    AsyncZoomClient,
    JwtAuth,
    ServerToServerOAuth,
    ZoomError,
    ZoomRateLimited,
    ZoomSettings,
    ZoomUnavailable,
)

SETTINGS = ZoomSettings(api_url="https://zoom.test/v2", oauth_url="https://zoom.test/oauth/token",
                        account_id="acct", client_id="cid", client_secret="client-secret-xyz",
                        max_retries=2, max_retry_wait=10)
Handler = Callable[[httpx.Request], httpx.Response]


def routed(handler: Handler, token_fetches: list[int] | None = None) -> httpx.MockTransport:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            if token_fetches is not None:
                token_fetches.append(threading.get_ident())
            return httpx.Response(200, json={"access_token": "tok-1", "expires_in": 3600, "token_type": "bearer"})
        return handler(request)

    return httpx.MockTransport(route)


def test_s2s_token_over_the_same_mock_transport_and_bearer_header() -> None:
    seen: list[httpx.Request] = []
    fetches: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"rooms": [], "next_page_token": ""})

    async def scenario() -> None:
        async with AsyncZoomClient(SETTINGS, routed(handler, fetches)) as client:
            assert isinstance(client.auth, ServerToServerOAuth)
            await client.list_rooms()
            await client.list_rooms()

    asyncio.run(scenario())
    assert len(fetches) == 1 and fetches[0] != threading.get_ident()  # fetched once, in a worker thread
    request = seen[0]
    assert request.headers["Authorization"] == "Bearer tok-1"
    assert request.headers["User-Agent"] == "roombot"
    assert request.extensions["timeout"] == {"connect": 5.0, "read": 20.0, "write": 20.0, "pool": 5.0}
    assert json.loads(request.content or b"null") is None
    assert dict(request.url.params) == {"page_size": "300"}


def test_retry_after_longer_than_the_bound_is_raised_not_slept() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(429, headers={"Retry-After": "120", "X-RateLimit-Type": "QPS"},
                              json={"code": 429, "message": "per-second"})

    async def scenario() -> ZoomRateLimited:
        async with AsyncZoomClient(SETTINGS, routed(handler)) as client:
            with pytest.raises(ZoomRateLimited) as caught:
                await client.get_meeting(123)
            return caught.value

    error = asyncio.run(scenario())
    assert len(calls) == 1 and error.retry_after_seconds == 120 and not error.daily


def test_read_error_mid_response_is_not_retried_for_a_join() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.RemoteProtocolError("server hung up", request=request)

    async def scenario() -> ZoomUnavailable:
        async with AsyncZoomClient(SETTINGS, routed(handler)) as client:
            with pytest.raises(ZoomUnavailable) as caught:
                await client.join_room("room-1", "81234567890", "abc123")
            return caught.value

    error = asyncio.run(scenario())
    assert calls == 1 and error.maybe_processed
    assert "abc123" not in str(error) + repr(error)


def test_connect_error_is_retried_even_for_a_join() -> None:
    outcomes: list[Exception | httpx.Response] = [httpx.ConnectError("refused"), httpx.Response(202)]

    def handler(request: httpx.Request) -> httpx.Response:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def scenario() -> int:
        async with AsyncZoomClient(SETTINGS, routed(handler)) as client:
            return (await client.join_room("room-1", "812 3456 7890")).http_status

    assert asyncio.run(scenario()) == 202 and outcomes == []


def test_non_json_success_body_is_a_zoom_error() -> None:
    async def scenario() -> None:
        async with AsyncZoomClient(SETTINGS, routed(lambda r: httpx.Response(200, text="<html>proxy</html>"))) as c:
            with pytest.raises(ZoomError):
                await c.get_meeting(1)

    asyncio.run(scenario())


def test_meeting_uuid_is_double_encoded() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return httpx.Response(200, json={"id": 1})

    async def scenario() -> None:
        async with AsyncZoomClient(SETTINGS, routed(handler)) as client:
            await client.get_meeting("/ajXp112QmuoKj4854875==")

    asyncio.run(scenario())
    assert seen == ["/v2/meetings/%252FajXp112QmuoKj4854875%253D%253D"]


class CountingProvider:
    """A provider written before ``cached()`` existed: every call goes through ``token()`` (in a thread)."""

    def __init__(self) -> None:
        self.threads: list[int] = []

    def token(self) -> str:
        self.threads.append(threading.get_ident())
        return "plain-token"

    def invalidate(self, token: str) -> None:
        pass

    def secrets(self) -> tuple[str, ...]:
        return ("plain-token",)


def test_a_provider_without_cached_still_works_off_the_loop() -> None:
    provider = CountingProvider()
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(204)

    async def scenario() -> None:
        async with AsyncZoomClient(SETTINGS, httpx.MockTransport(handler), auth=provider) as client:
            assert client.auth is provider
            await asyncio.gather(*(client.delete_meeting(n) for n in range(3)))

    asyncio.run(scenario())
    assert seen == ["Bearer plain-token"] * 3
    assert len(provider.threads) == 3 and threading.get_ident() not in provider.threads


# ---------------------------------------------------------------------------------------------- cached()


def test_s2s_cached_is_the_valid_token_or_none() -> None:
    now = [100.0]
    fetches: list[int] = []
    with httpx.Client(transport=routed(lambda r: httpx.Response(404), fetches)) as http:
        auth = ServerToServerOAuth(SETTINGS, http, clock=lambda: now[0])
        assert auth.cached() is None  # nothing fetched yet
        token = auth.token()
        assert auth.cached() == token
        now[0] += 3600 - 120  # inside the refresh margin
        assert auth.cached() is None
        assert auth.token() == token and len(fetches) == 2
        auth.invalidate(token)
        assert auth.cached() is None


def test_s2s_cached_does_not_wait_for_a_fetch_in_progress() -> None:
    release = threading.Event()
    entered = threading.Event()

    def slow_token(request: httpx.Request) -> httpx.Response:
        entered.set()
        release.wait(5)
        return httpx.Response(200, json={"access_token": "tok-2", "expires_in": 3600})

    with httpx.Client(transport=httpx.MockTransport(slow_token)) as http:
        auth = ServerToServerOAuth(SETTINGS, http)
        fetcher = threading.Thread(target=auth.token)
        fetcher.start()
        assert entered.wait(5)
        assert auth.cached() is None  # returns at once instead of blocking on the fetch
        release.set()
        fetcher.join(5)
        assert auth.cached() == "tok-2"


def test_jwt_cached_follows_token_lifetime() -> None:
    settings = ZoomSettings(api_key="the-key", api_secret="the-secret-of-at-least-32-bytes-long")
    now = [1_700_000_000.0]
    auth = JwtAuth(settings, clock=lambda: now[0])
    assert auth.cached() is None
    token = auth.token()
    assert auth.cached() == token
    now[0] += 80
    assert auth.cached() is None


def test_a_status_read_asked_during_a_burst_of_joins_takes_the_next_free_slot() -> None:
    from bot.zoom.aclient import STATUS_READ_PRIORITY, AsyncPacer
    from bot.zoom.ratelimit import CategoryRateLimiter

    async def scenario() -> list[str]:
        pacer = AsyncPacer(CategoryRateLimiter({"medium": 2}, margin=0.0))
        order: list[str] = []

        async def request(name: str, priority: int = 0) -> None:
            await pacer.acquire("medium", priority)
            order.append(name)

        joins = [asyncio.ensure_future(request(f"join {n}")) for n in range(6)]
        await asyncio.sleep(0)  # the joins are queued (two go at once, the rest wait their turn) ...
        status = asyncio.ensure_future(request("status", STATUS_READ_PRIORITY))  # ... then a status read
        await asyncio.gather(*joins, status)
        return order

    order = asyncio.run(scenario())
    assert order.index("status") <= 2  # the next slot after the first second's two, not the last one
    assert [name for name in order if name != "status"] == [f"join {n}" for n in range(6)]
