"""`roombot serve` over HTTP in two processes: the one answering Slack hands each request to the work process
(``bot.slack.handoff``).  Admission, exactly-once, a stop right after the acks, and a work process that dies."""

from __future__ import annotations

import os
import re
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import create_app
from bot.config import Settings
from bot.devtools.loopback import LoopbackServer
from bot.dispatch.room_sync import sync_rooms_from_zoom
from bot.services import Services
from bot.slack.handoff import AdmittedLane, ForwardingLane, Handoff
from bot.slack.lane import BUSY_TEXT, ListenerLane
from bot.web import create_wsgi_app
from bot.zoom import ZoomClient
from bot.zoom.simulator import SimulatorServer
from tests.runtime.test_shutdown import MEETING_ID, PASSCODE, Process, join_requests, processes, serve_ready
from tests.support.processes import SIGNING_SECRET, closed_port, full_env, wait_until
from tests.support.slack import FakeSlackApi, SignedSlackClient
from tests.support.zoom_sim import sim_admin, sim_zoom_settings

__all__ = ["processes"]  # the fixture, used by name


def help_answers(fake_slack: FakeSlackApi, response_url: str | None) -> list[Any]:
    return [call for call in fake_slack.responses(response_url) if "roombot help:" in str(call.params)]


def test_a_full_handoff_answers_busy_and_hands_over_only_what_it_admitted(
        fake_slack: FakeSlackApi, slack_settings: Settings) -> None:
    handoff = Handoff(slots=1)
    front = LoopbackServer(create_wsgi_app(slack_settings, Services(), lane=ForwardingLane(handoff)), name="front")
    front.start()
    client = SignedSlackClient(fake_slack, slack_settings.slack_signing_secret or "",
                               lambda: f"{front.url}/slack/events")
    work_app = create_app(slack_settings, services=Services(), lane=AdmittedLane(ListenerLane(threads=1)),
                          verify_requests=False)
    runner = threading.Thread(target=handoff.serve, args=(work_app,), kwargs={"parent": os.getppid()}, daemon=True)
    try:
        first = client.slash("/room", "help", channel_id="C1")
        second = client.slash("/room", "help", channel_id="C2")  # the one slot is taken: nothing reads yet
        assert first.status_code == second.status_code == 200
        assert BUSY_TEXT not in first.response.text and BUSY_TEXT in second.response.text
        assert handoff.pending == 1 and help_answers(fake_slack, first.response_url) == []

        runner.start()  # the work process's side: the admitted request is run, and its slot freed
        wait_until(lambda: help_answers(fake_slack, first.response_url), 10, "the handed-over help")
        wait_until(lambda: handoff.pending == 0, 10, "the slot to be freed")
        third = client.slash("/room", "help", channel_id="C3")
        assert BUSY_TEXT not in third.response.text
        wait_until(lambda: help_answers(fake_slack, third.response_url), 10, "the third help")
    finally:
        handoff.stop()
        if runner.ident is not None:
            runner.join(10)
        client.close()
        front.stop()
    assert not runner.is_alive()
    assert len(help_answers(fake_slack, first.response_url)) == 1  # once, not once per process
    assert help_answers(fake_slack, second.response_url) == []  # answered busy: never done


def serve_env(sim: SimulatorServer, fake_slack: FakeSlackApi, url: str, port: int) -> dict[str, str]:
    return full_env(sim, fake_slack, url, PORT=str(port), HOST="127.0.0.1", ROOMBOT_SHUTDOWN_GRACE_SECONDS="5")


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
def test_requests_acknowledged_just_before_a_stop_are_all_done_once(
        migrated_db: Any, make_zoom_sim: Callable[..., SimulatorServer], fake_slack: FakeSlackApi,
        processes: list[Process], tmp_path: Path) -> None:
    sim = make_zoom_sim()
    sim_admin(sim, "POST", "/meetings", {"id": MEETING_ID, "password": PASSCODE})
    with ZoomClient(sim_zoom_settings(sim)) as zoom:
        sync_rooms_from_zoom(zoom, migrated_db.sessions)
    port = closed_port()
    serve = Process(["serve", "--no-worker", "--threads", "2"], serve_env(sim, fake_slack, migrated_db.url, port),
                    tmp_path / "serve.log")
    processes.append(serve)
    serve_ready(port, serve)
    client = SignedSlackClient(fake_slack, SIGNING_SECRET, lambda: f"http://127.0.0.1:{port}/slack/events")
    try:
        join = client.slash("/room", f"join Boardroom {MEETING_ID} {PASSCODE}", channel_id="C_JOIN")
        helps = [client.slash("/room", "help", channel_id=f"C{n}") for n in range(5)]
    finally:
        client.close()
    assert all(d.status_code == 200 and BUSY_TEXT not in d.response.text for d in [join, *helps])
    serve.terminate()  # at once: the work process may not have taken any of them yet
    output = serve.output()
    assert serve.process.returncode == 0, output
    assert "Traceback" not in output
    assert [len(help_answers(fake_slack, d.response_url)) for d in helps] == [1] * 5, output
    assert len(join_requests(sim)) == 1, output  # the join reached Zoom exactly once


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
def test_serve_stops_with_an_error_when_its_work_process_dies(
        migrated_db: Any, make_zoom_sim: Callable[..., SimulatorServer], fake_slack: FakeSlackApi,
        processes: list[Process], tmp_path: Path) -> None:
    sim = make_zoom_sim()
    port = closed_port()
    serve = Process(["serve", "--no-worker", "--threads", "2"], serve_env(sim, fake_slack, migrated_db.url, port),
                    tmp_path / "serve.log")
    processes.append(serve)
    serve_ready(port, serve)
    found = re.search(r"work process started \(pid (\d+)\)", serve.output())
    assert found is not None, serve.output()
    assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()["checks"]["work_process"]["ok"]

    os.kill(int(found.group(1)), signal.SIGKILL)  # out of memory, say
    serve.process.wait(60)  # a supervisor would now restart the service
    output = serve.output()
    assert serve.process.returncode == 1, output
    assert "the work process ended unexpectedly" in output
