"""`roombot serve` in Socket Mode against a local Socket Mode server (tests/support/socket_mode_fake.py).

slack_sdk's built-in client, which serve used before, answered the first envelope after Slack's routine
``disconnect`` (``refresh_requested``) only after about 3 s — Slack's limit for an ack — and noticed a
connection that died without a close frame only after about a minute.  The websocket-client one that serve
uses now (with a pong deadline, ``bot.cli.serve.socket_mode_handler``) must ack at once before and after a
refresh, replace a dead connection within a bound, and stop gracefully on SIGTERM like HTTP mode.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli.serve import SOCKET_PING_INTERVAL, SOCKET_PONG_TIMEOUT
from bot.dispatch.room_sync import sync_rooms_from_zoom
from bot.slack.lane import BUSY_TEXT
from bot.store.models import Dispatch
from bot.store.types import DispatchOutcome
from bot.zoom import ZoomClient
from bot.zoom.simulator import SimulatorServer
from tests.support.processes import full_env, wait_until
from tests.support.slack import FakeSlackApi
from tests.support.socket_mode_fake import SocketModeFake, slash_command
from tests.support.zoom_sim import sim_admin, sim_zoom_settings

REPO = Path(__file__).resolve().parents[2]
APP_TOKEN = "xapp-1-A0TEST-1-socket-mode-test-token"
MEETING_ID = "85512345678"
PASSCODE = "Xk7_9ab"
GRACE = 1.0
ACK_BOUND = 1.0  # seconds: well under Slack's 3
RECONNECT_BOUND = 3.0  # after a refresh or a connection closed under it
DEAD_CONNECTION_BOUND = SOCKET_PING_INTERVAL + 2 * SOCKET_PONG_TIMEOUT + 6.0  # a silent one: found by missing pongs
STOP_BOUND = GRACE + 15.0

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)




@pytest.fixture
def socket_mode(fake_slack: FakeSlackApi) -> Iterator[SocketModeFake]:
    with SocketModeFake(forward_to=fake_slack.api_url) as server:
        yield server


def test_socket_mode_acks_at_once_across_refreshes_and_dead_connections_and_stops_gracefully(
        migrated_db: Any, make_zoom_sim: Callable[..., SimulatorServer], fake_slack: FakeSlackApi,
        socket_mode: SocketModeFake, tmp_path: Path) -> None:
    sim = make_zoom_sim(join_delay_seconds=30.0)  # the dispatch at the end is still watching at SIGTERM
    sim_admin(sim, "POST", "/meetings", {"id": MEETING_ID, "password": PASSCODE})
    with ZoomClient(sim_zoom_settings(sim)) as zoom:
        sync_rooms_from_zoom(zoom, migrated_db.sessions)
    env = full_env(sim, fake_slack, migrated_db.url, SLACK_APP_TOKEN=APP_TOKEN, SLACK_API_URL=socket_mode.api_url,
                   ROOMBOT_SHUTDOWN_GRACE_SECONDS=str(GRACE))
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--no-worker"], cwd=REPO, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            measured = _exercise(socket_mode, fake_slack, sim, process, log_path)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(5)
    output = log_path.read_text()
    print("\nSocket Mode timings (s):", {name: round(value, 3) for name, value in measured.items()})
    assert process.returncode == 0, output
    assert measured["stop"] < STOP_BOUND, output
    assert "Traceback" not in output and APP_TOKEN not in output and fake_slack.bot_token not in output
    with migrated_db.sessions() as session:
        [row] = session.query(Dispatch).all()
        assert row.outcome is DispatchOutcome.FAILED and "restarted before it could confirm" in (row.reason or "")
    [card] = fake_slack.messages_in("C1")
    assert "restarted before it could confirm" in card.text and "Sending" not in card.text


def _ack(socket_mode: SocketModeFake, fake_slack: FakeSlackApi, text: str = "help", **where: Any) -> float:
    envelope = socket_mode.send_envelope("slash_commands", slash_command(fake_slack, "/room", text), **where)
    return socket_mode.wait_for_ack(envelope, timeout=10).seconds


def _exercise(socket_mode: SocketModeFake, fake_slack: FakeSlackApi, sim: SimulatorServer,
              process: subprocess.Popen[bytes], log_path: Path) -> dict[str, float]:
    measured: dict[str, float] = {}
    first = wait_until(lambda: process.poll() is None and socket_mode.connections and socket_mode.connections[0],
                       60, f"serve to connect ({log_path.read_text()[-2000:]})")
    payload = slash_command(fake_slack, "/room", "help")
    envelope = socket_mode.send_envelope("slash_commands", payload, connection=first)
    measured["ack, first"] = socket_mode.wait_for_ack(envelope, timeout=10).seconds
    fake_slack.wait_for(lambda: fake_slack.responses(payload["response_url"]), timeout=15, what="the help reply")
    measured["ack, again"] = _ack(socket_mode, fake_slack, connection=first)

    # Slack's routine refresh: a new connection at once, and an envelope on it acked at once.
    asked = time.monotonic()
    socket_mode.refresh(first)
    second = socket_mode.wait_for_connection(2, timeout=10)
    measured["reconnect after refresh"] = second.opened_at - asked
    measured["ack after refresh"] = _ack(socket_mode, fake_slack, connection=second)
    measured["refresh to ack"] = time.monotonic() - asked

    # A connection that went silent (no close frame, no FIN): found by the missing pongs, then replaced.
    went = time.monotonic()
    socket_mode.go_silent(second)
    third = socket_mode.wait_for_connection(3, timeout=DEAD_CONNECTION_BOUND + 10)
    measured["reconnect after silence"] = third.opened_at - went
    measured["ack after silence"] = _ack(socket_mode, fake_slack, connection=third)

    # A connection cut without a close frame.
    cut = time.monotonic()
    socket_mode.drop(third)
    fourth = socket_mode.wait_for_connection(4, timeout=10)
    measured["reconnect after cut"] = fourth.opened_at - cut
    measured["ack after cut"] = _ack(socket_mode, fake_slack, connection=fourth)

    for name, seconds in measured.items():
        bound = (DEAD_CONNECTION_BOUND if name == "reconnect after silence" else
                 RECONNECT_BOUND if name.startswith("reconnect") or name == "refresh to ack" else ACK_BOUND)
        assert seconds < bound, (name, seconds, measured)

    # A dispatch still watching its room at SIGTERM; a request arriving while it stops is answered "busy".
    measured["ack of the join"] = _ack(socket_mode, fake_slack, f"join Boardroom {MEETING_ID} {PASSCODE}")
    assert measured["ack of the join"] < ACK_BOUND
    wait_until(lambda: any(m.text.startswith("Zoom accepted") or "Zoom accepted" in m.text
                           for m in fake_slack.messages_in("C1")), 30, "the join's progress message")
    stopped = time.monotonic()
    process.send_signal(signal.SIGTERM)
    wait_until(lambda: "answered busy" in log_path.read_text(), 10, "serve to start stopping")
    busy = socket_mode.send_envelope("slash_commands", slash_command(fake_slack, "/room", "help"))
    answer = socket_mode.wait_for_ack(busy, timeout=5)
    assert answer.payload is not None and answer.payload.get("text") == BUSY_TEXT, answer
    process.wait(STOP_BOUND + 30)
    measured["stop"] = time.monotonic() - stopped
    assert socket_mode.connections[-1].closed_at is not None  # it left Slack's connections
    assert len([r for r in sim.requests if r["method"] == "PATCH"]) == 1  # one join; no leave, no second join
    return measured
