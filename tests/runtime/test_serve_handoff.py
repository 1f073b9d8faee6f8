"""`roombot serve` over HTTP in two processes: the one answering Slack hands each request to the work process
(``bot.slack.handoff``).  Admission, exactly-once, a stop right after the acks, and a work process that dies."""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import struct
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import create_app
from bot.config import Settings
from bot.devtools.loopback import LoopbackServer
from bot.dispatch.room_sync import sync_rooms_from_zoom
from bot.services import Services
from bot.slack.handoff import MAX_SOCKET_PATH, AdmittedLane, ForwardingLane, Handoff, Receiver
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


class HandedOver:
    """Both sides in this process: the answering app (a ``ForwardingLane``) served over loopback HTTP, and the
    work side (``Receiver`` and the same Bolt app), whose thread starts when the test says."""

    def __init__(self, fake_slack: FakeSlackApi, settings: Settings, limit: int) -> None:
        self.handoff = Handoff(limit=limit)
        self.lane = ForwardingLane(self.handoff)
        self.front = LoopbackServer(create_wsgi_app(settings, Services(), lane=self.lane), name="front")
        self.front.start()
        self.client = SignedSlackClient(fake_slack, settings.slack_signing_secret or "",
                                        lambda: f"{self.front.url}/slack/events")
        work_app = create_app(settings, services=Services(), lane=AdmittedLane(ListenerLane(threads=1)),
                              verify_requests=False)
        self.runner = threading.Thread(target=Receiver(self.handoff, work_app).serve,
                                       kwargs={"parent": os.getppid()}, daemon=True)
        self.stopped = False

    def stop(self) -> None:
        """As serve stops: the answering side writes out and closes, then STOP, then the work side ends."""
        if self.stopped:
            return
        self.stopped = True
        self.client.close()
        self.front.stop()
        self.lane.close(5)
        self.handoff.stop(5)
        if self.runner.ident is not None:
            self.runner.join(10)
        self.handoff.remove()


@pytest.fixture
def handed_over(fake_slack: FakeSlackApi, slack_settings: Settings) -> Iterator[Callable[[int], HandedOver]]:
    made: list[HandedOver] = []

    def make(limit: int) -> HandedOver:
        made.append(HandedOver(fake_slack, slack_settings, limit))
        return made[-1]

    yield make
    for sides in made:
        sides.stop()


def test_a_full_handoff_answers_busy_and_hands_over_only_what_it_admitted(
        fake_slack: FakeSlackApi, handed_over: Callable[[int], HandedOver]) -> None:
    sides = handed_over(1)
    first = sides.client.slash("/room", "help", channel_id="C1")
    second = sides.client.slash("/room", "help", channel_id="C2")  # the one slot is taken: nothing reads yet
    assert first.status_code == second.status_code == 200
    assert BUSY_TEXT not in first.response.text and BUSY_TEXT in second.response.text
    assert sides.lane.pending == 1 and help_answers(fake_slack, first.response_url) == []

    sides.runner.start()  # the work process's side: the admitted request is run, and its slot freed
    wait_until(lambda: help_answers(fake_slack, first.response_url), 10, "the handed-over help")
    wait_until(lambda: sides.lane.pending == 0, 10, "the slot to be freed")
    third = sides.client.slash("/room", "help", channel_id="C3")
    assert BUSY_TEXT not in third.response.text
    wait_until(lambda: help_answers(fake_slack, third.response_url), 10, "the third help")
    sides.stop()
    assert not sides.runner.is_alive()
    assert len(help_answers(fake_slack, first.response_url)) == 1  # once, not once per process
    assert help_answers(fake_slack, second.response_url) == []  # answered busy: never done


def test_a_handed_over_request_that_leaves_no_work_is_told_to_its_requester(
        fake_slack: FakeSlackApi, handed_over: Callable[[int], HandedOver]) -> None:
    """The ack said "taken"; if the work process's run of the listener decides otherwise (here: Slack's
    auth.test fails there), the requester is told nothing was done instead of hearing nothing."""
    sides = handed_over(4)
    delivery = sides.client.slash("/room", "help", channel_id="C1")  # the answering side's auth.test passes
    assert delivery.status_code == 200 and BUSY_TEXT not in delivery.response.text
    fake_slack.inject_error("auth.test", "invalid_auth")  # ...the work side's own does not
    sides.runner.start()
    wait_until(lambda: fake_slack.responses(delivery.response_url), 10, "a word to the requester")
    [said] = fake_slack.responses(delivery.response_url)
    assert "nothing was done" in str(said.params) and "roombot help:" not in str(said.params)
    wait_until(lambda: sides.lane.pending == 0, 10, "the slot to be freed")


def test_an_answering_process_cut_off_mid_request_does_not_stop_the_next_one(
        fake_slack: FakeSlackApi, handed_over: Callable[[int], HandedOver]) -> None:
    """gunicorn kills a worker in the middle of writing a request (a timeout, the OOM killer): the work process
    drops that connection's half message, and the next worker's requests still get through."""
    sides = handed_over(4)
    sides.runner.start()
    killed = sides.handoff.connect()
    os.write(killed.fileno(), struct.pack("!i", 4096) + b"\x80\x05 half a request")  # then it died
    killed.close()
    delivery = sides.client.slash("/room", "help", channel_id="C1")
    wait_until(lambda: help_answers(fake_slack, delivery.response_url), 10, "the next worker's request")
    sides.stop()
    assert not sides.runner.is_alive()


def test_a_client_that_connects_and_stalls_does_not_hold_up_the_others(
        fake_slack: FakeSlackApi, handed_over: Callable[[int], HandedOver]) -> None:
    sides = handed_over(4)
    sides.runner.start()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stalled:
        stalled.connect(sides.handoff.address)  # and says nothing
        delivery = sides.client.slash("/room", "help", channel_id="C1")
        wait_until(lambda: help_answers(fake_slack, delivery.response_url), 10, "the request after the stalled one")


def test_once_the_answering_side_has_closed_its_connection_requests_are_answered_busy(
        fake_slack: FakeSlackApi, handed_over: Callable[[int], HandedOver]) -> None:
    """gunicorn's worker exiting while a thread still answers: nothing may be acknowledged as taken after the
    hand-over was written out."""
    sides = handed_over(4)
    sides.runner.start()
    sides.lane.close(5)
    delivery = sides.client.slash("/room", "help", channel_id="C1")
    assert delivery.status_code == 200 and BUSY_TEXT in delivery.response.text
    sides.stop()
    assert help_answers(fake_slack, delivery.response_url) == []


def test_a_long_tmpdir_still_gets_a_socket_that_fits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    long_tmpdir = tmp_path / ("x" * 60) / ("y" * 60)
    long_tmpdir.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(long_tmpdir))
    handoff = Handoff(limit=1)  # a socket path over the limit would raise OSError here
    try:
        assert len(handoff.address.encode()) <= MAX_SOCKET_PATH
        assert stat.S_IMODE(os.stat(os.path.dirname(handoff.address)).st_mode) == 0o700
        handoff.connect().close()
    finally:
        handoff.remove()
    assert not os.path.exists(handoff.address)


def serve_env(sim: SimulatorServer, fake_slack: FakeSlackApi, url: str, port: int) -> dict[str, str]:
    return full_env(sim, fake_slack, url, PORT=str(port), HOST="127.0.0.1", ROOMBOT_SHUTDOWN_GRACE_SECONDS="5")


def serve_with_a_meeting(migrated_db: Any, make_zoom_sim: Callable[..., SimulatorServer], fake_slack: FakeSlackApi,
                         processes: list[Process], tmp_path: Path) -> tuple[SimulatorServer, int, Process]:
    """`roombot serve` (no booking worker) on its port, its rooms synced from a simulator with one meeting."""
    sim = make_zoom_sim()
    sim_admin(sim, "POST", "/meetings", {"id": MEETING_ID, "password": PASSCODE})
    with ZoomClient(sim_zoom_settings(sim)) as zoom:
        sync_rooms_from_zoom(zoom, migrated_db.sessions)
    port = closed_port()
    serve = Process(["serve", "--no-worker", "--threads", "2"], serve_env(sim, fake_slack, migrated_db.url, port),
                    tmp_path / "serve.log")
    processes.append(serve)
    serve_ready(port, serve)
    return sim, port, serve


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
def test_requests_acknowledged_just_before_a_stop_are_all_done_once(
        migrated_db: Any, make_zoom_sim: Callable[..., SimulatorServer], fake_slack: FakeSlackApi,
        processes: list[Process], tmp_path: Path) -> None:
    sim, port, serve = serve_with_a_meeting(migrated_db, make_zoom_sim, fake_slack, processes, tmp_path)
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


def dispatches_counted(port: int) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("roombot_dispatches_total{"))


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
def test_metrics_served_by_the_answering_process_count_the_work_processs_dispatches(
        migrated_db: Any, make_zoom_sim: Callable[..., SimulatorServer], fake_slack: FakeSlackApi,
        processes: list[Process], tmp_path: Path) -> None:
    """Dispatches run (and are counted) in the work process; /metrics is answered by the other one."""
    sim, port, serve = serve_with_a_meeting(migrated_db, make_zoom_sim, fake_slack, processes, tmp_path)
    assert dispatches_counted(port) == 0
    client = SignedSlackClient(fake_slack, SIGNING_SECRET, lambda: f"http://127.0.0.1:{port}/slack/events")
    try:
        assert client.slash("/room", f"join Boardroom {MEETING_ID} {PASSCODE}", channel_id="C1").status_code == 200
    finally:
        client.close()
    wait_until(lambda: dispatches_counted(port) == 1, 30, "the dispatch in /metrics")
    assert serve.terminate() < 60 and serve.process.returncode == 0, serve.output()


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
