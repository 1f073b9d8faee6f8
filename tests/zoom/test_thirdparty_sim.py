"""``join_third_party`` (``zoomroom.thirdparty_meeting_join``) from ``ZoomClient`` and ``AsyncZoomClient`` against
the simulator over loopback HTTP: every test runs once per client, with the same calls and the same answers."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, Protocol, TypeVar

import pytest

from bot.zoom import (
    AsyncZoomClient,
    ControlAck,
    Room,
    ThirdPartyJoin,
    ZoomClient,
    ZoomError,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomRoomOffline,
    ZoomUnavailable,
    ZoomUnsupported,
    ZoomValidationError,
)
from bot.zoom.control import RoomRef
from bot.zoom.simulator import SimulatorServer
from tests.zoom.conftest import admin, sim_settings, zoom_requests

T = TypeVar("T")
MakeSim = Callable[..., SimulatorServer]

BOARDROOM_ROOM_ID = "qMOLddnySIGGVycz8aX_JQ"
BOARDROOM_ID = "Zr1bOaRdRoOmIdAaAaAaAa"
OCEAN_VIEW_ROOM_ID = "Hq4dJ2vRTkWx0yZ1aB2cDe"  # offline in the default state
HASHED_PASSCODE = "lu3d1SdNShj6ak9H0S"  # a Teams short link's ?p= (reference third-party-meetings.md §0.1)
TEAMS_LINK = f"https://teams.microsoft.com/meet/219137232612292?p={HASHED_PASSCODE}"
TEAMS_PASSCODE = "hb9VA7oG"
SIP_PASSCODE = "774411"
SIP_ADDRESS = f"813878896.{SIP_PASSCODE}@t.plcm.vc"

TEAMS_URL = ThirdPartyJoin("url", "MS_TEAMS", join_url=TEAMS_LINK)
MEET_URL = ThirdPartyJoin("url", "GOOGLE_MEET", join_url="https://meet.google.com/abc-defg-hij?authuser=0&hs=179")
TEAMS_ID = ThirdPartyJoin("meeting_id", "MS_TEAMS", meeting_id="219137232612292", passcode=TEAMS_PASSCODE)
MEET_ID = ThirdPartyJoin("meeting_id", "GOOGLE_MEET", meeting_id="abc-defg-hij")
SIP = ThirdPartyJoin("sip", sip_address=SIP_ADDRESS)


class Zoom(Protocol):
    """The calls these tests make, the same for both clients (the async one driven on its own loop)."""

    control: Any

    def join_third_party(self, room: RoomRef, join: ThirdPartyJoin) -> ControlAck: ...
    def leave_room(self, room: RoomRef) -> ControlAck: ...
    def end_room_meeting(self, room: RoomRef) -> ControlAck: ...
    def room_status(self, room: RoomRef) -> str: ...
    def list_rooms(self, status: str | None = None, query_name: str | None = None) -> list[Room]: ...


class AsyncDriven:
    """An ``AsyncZoomClient`` whose calls run to completion on one private event loop."""

    def __init__(self, client: AsyncZoomClient) -> None:
        self.client = client
        self.control = client.control
        self._loop = asyncio.new_event_loop()

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(coroutine)

    def join_third_party(self, room: RoomRef, join: ThirdPartyJoin) -> ControlAck:
        return self._run(self.client.join_third_party(room, join))

    def leave_room(self, room: RoomRef) -> ControlAck:
        return self._run(self.client.leave_room(room))

    def end_room_meeting(self, room: RoomRef) -> ControlAck:
        return self._run(self.client.end_room_meeting(room))

    def room_status(self, room: RoomRef) -> str:
        return self._run(self.client.room_status(room))

    def list_rooms(self, status: str | None = None, query_name: str | None = None) -> list[Room]:
        return self._run(self.client.list_rooms(status, query_name))

    def close(self) -> None:
        self._run(self.client.aclose())
        self._loop.close()


MakeZoom = Callable[..., Zoom]


@pytest.fixture(params=["sync", "async"])
def make_zoom(request: pytest.FixtureRequest) -> Iterator[MakeZoom]:
    closers: list[Callable[[], None]] = []

    def factory(sim: SimulatorServer, **overrides: Any) -> Zoom:
        settings = sim_settings(sim, **overrides)
        if request.param == "sync":
            sync = ZoomClient(settings)
            closers.append(sync.close)
            return sync
        driven = AsyncDriven(AsyncZoomClient(settings))
        closers.append(driven.close)
        return driven

    yield factory
    for close in closers:
        close()


def sim_room(sim: SimulatorServer, room_id: str = BOARDROOM_ROOM_ID) -> dict[str, Any]:
    return next(r for r in admin(sim, "GET", "/rooms")["rooms"] if r["room_id"] == room_id)


def wait_for_status(zoom: Zoom, room: RoomRef, wanted: str, seconds: float = 5.0) -> str:
    deadline = time.monotonic() + seconds
    status = zoom.room_status(room)
    while status != wanted and time.monotonic() < deadline:
        time.sleep(0.05)
        status = zoom.room_status(room)
    return status


def events_sent(sim: SimulatorServer, room_id: str = BOARDROOM_ROOM_ID) -> list[dict[str, Any]]:
    return zoom_requests(sim, f"/v2/rooms/{room_id}/events", "PATCH")


# ---------------------------------------------------------------------------------------------- requests


@pytest.mark.parametrize(("join", "params", "provider"), [
    (TEAMS_URL, {"join_type": "url", "meeting_source_type": "MS_TEAMS", "join_url": TEAMS_LINK}, "MS_TEAMS"),
    (MEET_URL, {"join_type": "url", "meeting_source_type": "GOOGLE_MEET",
                "join_url": "https://meet.google.com/abc-defg-hij?authuser=0&hs=179"}, "GOOGLE_MEET"),
    (TEAMS_ID, {"join_type": "meeting_id", "meeting_source_type": "MS_TEAMS",
                "third_party_meeting_id": "219137232612292", "passcode": TEAMS_PASSCODE}, "MS_TEAMS"),
    (MEET_ID, {"join_type": "meeting_id", "meeting_source_type": "GOOGLE_MEET",
               "third_party_meeting_id": "abc-defg-hij"}, "GOOGLE_MEET"),
    (SIP, {"join_type": "sip", "sip_address": SIP_ADDRESS}, "SIP"),
], ids=["teams-url", "meet-url", "teams-meeting-id", "meet-meeting-id", "sip"])
def test_each_join_type_sends_exactly_its_documented_keys(
    zoom_sim: SimulatorServer, make_zoom: MakeZoom, join: ThirdPartyJoin, params: dict[str, str], provider: str
) -> None:
    zoom = make_zoom(zoom_sim)
    assert zoom.control.supports_third_party
    [room] = zoom.list_rooms(query_name="Boardroom")
    ack = zoom.join_third_party(room, join)
    assert ack == ControlAck(protocol="events", method="zoomroom.thirdparty_meeting_join",
                             room_id=BOARDROOM_ROOM_ID, accepted=True, http_status=202)
    assert (ack.http_method, ack.path) == ("PATCH", f"/rooms/{BOARDROOM_ROOM_ID}/events")
    [sent] = events_sent(zoom_sim)
    assert sent["json"] == {"method": "zoomroom.thirdparty_meeting_join", "params": params}
    assert list(sent["json"]["params"]) == list(params)  # and nothing else: no None values, no other join type's
    assert sent["status"] == 202
    assert wait_for_status(zoom, room, "InMeeting") == "InMeeting"
    recorded = sim_room(zoom_sim)["third_party"]
    assert recorded["provider"] == provider and recorded["join_type"] == join.join_type
    assert "passcode" not in recorded


def test_plain_room_id_string_is_used_as_given(zoom_sim: SimulatorServer, make_zoom: MakeZoom) -> None:
    zoom = make_zoom(zoom_sim)
    assert zoom.join_third_party(BOARDROOM_ROOM_ID, SIP).room_id == BOARDROOM_ROOM_ID
    assert len(events_sent(zoom_sim)) == 1


def test_other_room_id_is_tried_once_on_1012(make_zoom_sim: MakeSim, make_zoom: MakeZoom) -> None:
    sim = make_zoom_sim(room_path_id="id")
    zoom = make_zoom(sim)
    [room] = zoom.list_rooms(query_name="Boardroom")
    ack = zoom.join_third_party(room, TEAMS_URL)
    assert ack.room_id == BOARDROOM_ID
    assert ack.not_found_paths == (f"/rooms/{BOARDROOM_ROOM_ID}/events",)
    sent = zoom_requests(sim, "/v2/rooms/", "PATCH")
    assert [(r["path"], r["status"]) for r in sent] == [
        (f"/v2/rooms/{BOARDROOM_ROOM_ID}/events", 404), (f"/v2/rooms/{BOARDROOM_ID}/events", 202)]
    assert sent[0]["json"] == sent[1]["json"]
    # Remembered for the account: the next call goes to the id that worked.
    zoom.join_third_party(room, SIP)
    assert zoom_requests(sim, "/v2/rooms/", "PATCH")[-1]["path"] == f"/v2/rooms/{BOARDROOM_ID}/events"


# ---------------------------------------------------------------------------------------------- errors


def test_offline_room_is_room_offline(zoom_sim: SimulatorServer, make_zoom: MakeZoom) -> None:
    zoom = make_zoom(zoom_sim)
    with pytest.raises(ZoomRoomOffline) as caught:
        zoom.join_third_party(OCEAN_VIEW_ROOM_ID, TEAMS_ID)
    assert isinstance(caught.value, ZoomValidationError)
    assert (caught.value.status, caught.value.code) == (400, 300)
    assert caught.value.request == f"PATCH /rooms/{OCEAN_VIEW_ROOM_ID}/events"
    assert "offline" in caught.value.explain()


def test_unknown_room_is_not_found_1012(zoom_sim: SimulatorServer, make_zoom: MakeZoom) -> None:
    zoom = make_zoom(zoom_sim)
    with pytest.raises(ZoomNotFound) as caught:
        zoom.join_third_party("no-such-room", MEET_URL)
    assert (caught.value.status, caught.value.code) == (404, 1012)
    assert len(events_sent(zoom_sim, "no-such-room")) == 1  # a plain string has no other id to try


def test_jsonrpc_refuses_before_sending_anything(zoom_sim: SimulatorServer, make_zoom: MakeZoom) -> None:
    zoom = make_zoom(zoom_sim, rooms_api="jsonrpc")
    assert not zoom.control.supports_third_party
    [room] = zoom.list_rooms(query_name="Boardroom")
    sent_before = len(zoom_sim.requests)
    with pytest.raises(ZoomUnsupported) as caught:
        zoom.join_third_party(room, TEAMS_ID)
    error = caught.value
    assert isinstance(error, ZoomError)
    assert (error.protocol, error.method, error.status, error.code) == (
        "jsonrpc", "zoomroom.thirdparty_meeting_join", None, None)
    assert "ZOOM_ROOMS_API=events" in error.explain()
    assert len(zoom_sim.requests) == sent_before  # not even a token request
    assert TEAMS_PASSCODE not in str(error) + repr(error) + error.explain()


def test_never_resent_after_zoom_may_have_acted(zoom_sim: SimulatorServer, make_zoom: MakeZoom) -> None:
    zoom = make_zoom(zoom_sim, max_retries=3)
    admin(zoom_sim, "POST", "/faults", {"path_prefix": "/v2/rooms", "method": "PATCH", "status": 503, "count": 3})
    with pytest.raises(ZoomUnavailable) as caught:
        zoom.join_third_party(BOARDROOM_ROOM_ID, TEAMS_URL)
    assert caught.value.maybe_processed
    assert [r["status"] for r in events_sent(zoom_sim)] == [503]


def test_rate_limited_join_is_retried(zoom_sim: SimulatorServer, make_zoom: MakeZoom) -> None:
    """A 429 means Zoom did not act, so even a join is sent again (as for meeting_join)."""
    zoom = make_zoom(zoom_sim, max_retries=2)
    admin(zoom_sim, "POST", "/faults", {"path_prefix": "/v2/rooms", "method": "PATCH", "status": 429, "count": 1,
                                        "body": {"code": 429, "message": "Too many requests"}})
    assert zoom.join_third_party(BOARDROOM_ROOM_ID, SIP).http_status == 202
    assert [r["status"] for r in events_sent(zoom_sim)] == [429, 202]


# ---------------------------------------------------------------------------------------------- leave


@pytest.mark.parametrize(("join", "left"), [(TEAMS_URL, False), (TEAMS_ID, False), (MEET_URL, True), (SIP, True)],
                         ids=["teams-url", "teams-meeting-id", "meet", "sip"])
def test_leave_is_accepted_but_teams_calls_stay(
    zoom_sim: SimulatorServer, make_zoom: MakeZoom, join: ThirdPartyJoin, left: bool
) -> None:
    """The simulator's default (reference §0.3): a Teams call ignores meeting_leave and meeting_end, though
    Zoom answers 202; Meet and SIP calls are left."""
    zoom = make_zoom(zoom_sim)
    zoom.join_third_party(BOARDROOM_ROOM_ID, join)
    assert wait_for_status(zoom, BOARDROOM_ROOM_ID, "InMeeting") == "InMeeting"
    assert zoom.leave_room(BOARDROOM_ROOM_ID).http_status == 202
    assert zoom.end_room_meeting(BOARDROOM_ROOM_ID).http_status == 202
    assert zoom.room_status(BOARDROOM_ROOM_ID) == ("Available" if left else "InMeeting")
    assert (sim_room(zoom_sim)["third_party"] is None) is left


# ---------------------------------------------------------------------------------------------- secrets


def test_no_passcode_or_hashed_passcode_in_logs_or_errors(
    zoom_sim: SimulatorServer, make_zoom: MakeZoom, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx, httpcore, tenacity
    zoom = make_zoom(zoom_sim, max_retries=1)
    rpc = make_zoom(zoom_sim, rooms_api="jsonrpc")
    secrets = [HASHED_PASSCODE, TEAMS_PASSCODE, SIP_PASSCODE, TEAMS_LINK]
    # What Zoom might echo of each request: the values as sent, and the parts of them that are secret.
    echoes = {
        TEAMS_URL: f"join_url {TEAMS_LINK} query p={HASHED_PASSCODE} value {HASHED_PASSCODE}",
        TEAMS_ID: f"passcode {TEAMS_PASSCODE}",
        SIP: f"sip_address {SIP_ADDRESS} user sip:813878896.{SIP_PASSCODE}",
    }
    errors: list[ZoomError] = []

    def expect(error_type: type[ZoomError], action: Callable[[], object]) -> None:
        with pytest.raises(error_type) as caught:
            action()
        errors.append(caught.value)

    for join, echo in echoes.items():
        zoom.join_third_party(BOARDROOM_ROOM_ID, join)  # happy path: DEBUG logs of every layer
        zoom.leave_room(BOARDROOM_ROOM_ID)
        # Zoom echoing the request back in its error (message and errors[]): a validation error, and a 429 that
        # is retried (its text goes into the retry warning) and then raised.
        admin(zoom_sim, "POST", "/faults", {"path_prefix": "/v2/rooms", "method": "PATCH", "status": 400, "count": 1,
                                            "body": {"code": 300, "message": echo,
                                                     "errors": [{"field": f"params.{echo}", "message": echo}]}})
        expect(ZoomValidationError, lambda join=join: zoom.join_third_party(BOARDROOM_ROOM_ID, join))
        admin(zoom_sim, "POST", "/faults", {"path_prefix": "/v2/rooms", "method": "PATCH", "status": 429, "count": 2,
                                            "body": {"code": 429, "message": echo}})
        expect(ZoomRateLimited, lambda join=join: zoom.join_third_party(BOARDROOM_ROOM_ID, join))
        expect(ZoomUnsupported, lambda join=join: rpc.join_third_party(BOARDROOM_ROOM_ID, join))
    with pytest.raises(ValueError) as shape:  # a malformed join names the field, never its value
        ThirdPartyJoin("url", "MS_TEAMS", join_url=TEAMS_LINK, passcode=TEAMS_PASSCODE)

    texts = [record.getMessage() for record in caplog.records] + [record.exc_text or "" for record in caplog.records]
    for error in errors:
        texts += [str(error), repr(error), error.explain(), *(str(f) for f in error.fields)]
    texts += [str(shape.value), repr(TEAMS_URL), repr(TEAMS_ID), repr(SIP)]
    assert len(errors) == 9
    assert any("[redacted]" in str(e) for e in errors)  # the echo was there, and scrubbed
    assert any(r.name == "bot.zoom" and r.levelno == logging.WARNING for r in caplog.records)  # the 429 retries
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"secret leaked into: {text[:160]}"
