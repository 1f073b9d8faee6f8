"""No client secret, API secret, access token or passcode in any log line or exception text, on any path."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from bot.zoom import ZoomClient, ZoomError
from bot.zoom.simulator import SimulatorServer
from tests.zoom.conftest import SIM_ACCOUNT, SIM_API_KEY, SIM_API_SECRET, SIM_CLIENT_SECRET, FakeTime, admin

MakeClient = Callable[..., ZoomClient]
# The simulator's default API secret is shorter than pyjwt recommends; real Zoom secrets are not.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
BOARDROOM = "qMOLddnySIGGVycz8aX_JQ"
PASSCODES = ("w46!(i{74n", "Ab3_x9zz", "Qq7-Pass12")


def test_no_secret_in_logs_or_errors(make_zoom_sim: Callable[..., SimulatorServer], make_client: MakeClient,
                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx, httpcore, tenacity
    sim = make_zoom_sim(daily_meeting_write_limit=2)
    errors: list[ZoomError] = []

    def expect_error(action: Callable[[], object]) -> None:
        try:
            action()
        except ZoomError as error:
            errors.append(error)
        else:
            raise AssertionError("expected a ZoomError")

    fake = FakeTime(sim)
    client = make_client(sim, fake=fake, max_retries=1, read_timeout=0.3)
    rpc = make_client(sim, fake=fake, rooms_api="jsonrpc", max_retries=1)
    jwt_client = make_client(sim, account_id=None, client_id=None, client_secret=None,
                             api_key=SIM_API_KEY, api_secret=SIM_API_SECRET)
    bad = make_client(sim, client_secret="not-" + SIM_CLIENT_SECRET)

    # Happy paths that move passcodes around.
    meeting = client.create_meeting(None, {"topic": "t", "password": PASSCODES[1]})
    client.get_meeting(meeting.id)
    client.join_room(BOARDROOM, str(meeting.id), PASSCODES[1])
    jwt_client.list_rooms()
    # Re-auth after revocation, and a JWT account that stops accepting tokens.
    admin(sim, "POST", "/tokens/revoke", {})
    client.list_rooms()
    admin(sim, "PATCH", f"/accounts/{SIM_ACCOUNT}", {"jwt_enabled": False})
    expect_error(jwt_client.list_rooms)
    # Error paths.
    expect_error(bad.list_rooms)
    expect_error(lambda: rpc.join_room(BOARDROOM, "81234567890", PASSCODES[0]))
    expect_error(lambda: client.update_meeting(meeting.id, {"password": "x"}))  # fails the requirement
    expect_error(lambda: client.update_meeting(meeting.id, {"password": PASSCODES[2]}))  # daily limit
    admin(sim, "POST", "/faults", {"path_prefix": "/v2/rooms", "status": 503, "count": 3})  # join once, leave twice
    expect_error(lambda: client.join_room(BOARDROOM, "81234567890", PASSCODES[2]))
    expect_error(lambda: client.leave_room(BOARDROOM))
    admin(sim, "POST", "/faults", {"path_prefix": "/v2/meetings", "timeout": True, "timeout_seconds": 2})
    expect_error(lambda: client.get_meeting(meeting.id))

    tokens = list(sim.state.tokens) + list(sim.state.seen_jwts)
    assert tokens, "the simulator should have issued tokens"
    secrets = [SIM_CLIENT_SECRET, SIM_API_SECRET, meeting.password or "", *PASSCODES, *tokens]
    texts = [record.getMessage() for record in caplog.records]
    texts += [f"{record.exc_text or ''}" for record in caplog.records]
    for error in errors:
        texts += [str(error), repr(error), error.explain(), *(str(f) for f in error.fields)]
    texts += [repr(client), repr(client.auth), repr(client.settings), repr(meeting), repr(jwt_client.auth)]
    assert len(errors) == 8
    assert any(record.name == "bot.zoom" and record.levelno == logging.WARNING for record in caplog.records)
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"secret leaked into: {text[:120]}"
