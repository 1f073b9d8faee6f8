"""``GET /metrics`` over real HTTP from the real WSGI app, after real traffic: a signed `/room join` against the
Zoom simulator, a 429 from Zoom (both transports), the dispatch engine holding and refusing work, a booking
dispatched by the worker, the database up and down — and prometheus_client's multi-process mode across
processes.

The metrics are process-wide, so each test compares a scrape after its traffic with one before it.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import metrics
from bot.dispatch.engine import DispatchEngine
from bot.runtime import database_check
from bot.services import Services
from bot.slack.ids import ActionId
from bot.store.db import create_engine_for_url
from tests.slack.rooms import conftest as rooms
from tests.slack.rooms.conftest import EXTERNAL_ID, RoomBot
from tests.support.bookings import Bookings, utc_now
from tests.support.processes import clean_env, closed_port
from tests.support.slack import SlackAppServers

# The rooms surface's fixtures (a signed `/room join` against the simulator), used here too.
make_room_bot = rooms.make_room_bot
room_bot = rooms.room_bot
SQLITE = pytest.mark.parametrize("db_backend", ["sqlite"])

PASSCODE = "Xk7_9ab"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def scrape(url: str) -> Samples:
    response = httpx.get(f"{url}/metrics", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def deltas(before: Samples, after: Samples, name: str) -> dict[frozenset[tuple[str, str]], float]:
    """Every labelled sample of ``name`` that changed, and by how much."""
    keys = {labels for sample, labels in (*before, *after) if sample == name}
    changed = {labels: after.get((name, labels), 0.0) - before.get((name, labels), 0.0) for labels in keys}
    return {labels: change for labels, change in changed.items() if change}


def zoom_answers(requests: list[dict], since: int) -> Counter[tuple[str, str]]:
    """The simulator's log of API requests since index ``since``, as (operation, status) counts."""
    return Counter((metrics.zoom_operation(r["method"], r["path"].removeprefix("/v2")), str(r["status"]))
                   for r in requests[since:] if r["path"].startswith("/v2/"))


def app_url(slack_app_server: SlackAppServers) -> str:
    return slack_app_server.latest().url


# ------------------------------------------------------------------------------------------ a real /room join


@SQLITE
def test_a_room_join_over_http_is_counted_once_with_its_zoom_requests_and_ack(
        room_bot: RoomBot, slack_app_server: SlackAppServers) -> None:
    url = app_url(slack_app_server)
    room_bot.services.health_checks["database"] = database_check(room_bot.stack.db.engine)
    room_bot.stack.admin("POST", "/meetings", {"id": EXTERNAL_ID, "password": PASSCODE})
    before = scrape(url)
    first_request = len(room_bot.stack.sim.requests)

    room_bot.room(f"join Boardroom {EXTERNAL_ID} {PASSCODE}")
    assert room_bot.card().text.startswith("Boardroom is in meeting")

    after = scrape(url)
    answered = zoom_answers(room_bot.stack.sim.requests, first_request)
    # exactly one dispatch, counted once although join → dispatch → resolve all ran
    assert deltas(before, after, "roombot_dispatches_total") == {
        frozenset({("trigger", "command"), ("outcome", "in_meeting")}): 1.0}
    # every request the simulator answered, by operation and status, and nothing else
    counted = {(dict(labels)["operation"], dict(labels)["status"]): change
               for labels, change in deltas(before, after, "roombot_zoom_requests_total").items()}
    assert counted == {key: float(count) for key, count in answered.items()}
    assert ("PATCH /rooms/{id}/events", "202") in counted and ("GET /rooms", "200") in counted
    assert {dict(labels)["category"] for labels in deltas(before, after, "roombot_zoom_requests_total")} == {"medium"}
    assert delta(before, after, "roombot_zoom_request_duration_seconds_count", category="medium",
                 operation="PATCH /rooms/{id}/events") == counted[("PATCH /rooms/{id}/events", "202")]
    assert deltas(before, after, "roombot_zoom_rate_limited_total") == {}
    # one signed slash command answered, quickly (the two /metrics scrapes are not Slack requests)
    assert delta(before, after, "roombot_slack_ack_duration_seconds_count", status="200") == 1
    assert 0 < delta(before, after, "roombot_slack_ack_duration_seconds_sum", status="200") < 3
    assert value(after, "roombot_database_up") == 1
    # no label carries a room name, a user or channel id, or a meeting number
    text = httpx.get(f"{url}/metrics").text
    for private in ("Boardroom", EXTERNAL_ID, "U1", "C1", PASSCODE):
        assert private not in text


@SQLITE
def test_a_zoom_429_is_counted_by_both_transports(room_bot: RoomBot,
                                                   slack_app_server: SlackAppServers) -> None:
    url = app_url(slack_app_server)
    room_bot.stack.admin("POST", "/meetings", {"id": EXTERNAL_ID, "password": PASSCODE})
    before = scrape(url)
    # the async client (the dispatch's first status listing) gets one 429, then retries
    room_bot.stack.admin("POST", "/faults", {"path_prefix": "/v2/rooms", "method": "GET", "status": 429, "count": 1})
    room_bot.room(f"join Boardroom {EXTERNAL_ID} {PASSCODE}")
    assert room_bot.card().text.startswith("Boardroom is in meeting")
    middle = scrape(url)
    assert delta(before, middle, "roombot_zoom_rate_limited_total", category="medium") == 1
    assert delta(before, middle, "roombot_zoom_requests_total", category="medium", operation="GET /rooms",
                 status="429") == 1
    assert deltas(before, middle, "roombot_dispatches_total") == {
        frozenset({("trigger", "command"), ("outcome", "in_meeting")}): 1.0}

    # the sync client (admin commands, `roombot check`) goes through the other transport
    room_bot.stack.admin("POST", "/faults", {"path_prefix": "/v2/rooms", "method": "GET", "status": 429, "count": 1})
    assert room_bot.stack.zoom.list_rooms()
    after = scrape(url)
    assert delta(middle, after, "roombot_zoom_rate_limited_total", category="medium") == 1
    assert delta(middle, after, "roombot_zoom_requests_total", category="medium", operation="GET /rooms",
                 status="429") == 1
    assert delta(middle, after, "roombot_zoom_requests_total", category="medium", operation="GET /rooms",
                 status="200") >= 1


@SQLITE
def test_a_refusal_before_the_engine_and_a_button_dispatch_are_counted_with_their_triggers(
        room_bot: RoomBot, slack_app_server: SlackAppServers) -> None:
    url = app_url(slack_app_server)
    room_bot.stack.admin("POST", "/meetings", {"id": EXTERNAL_ID, "password": PASSCODE})
    before = scrape(url)
    reply = room_bot.reply(room_bot.room(f"join Nowhere Room {EXTERNAL_ID} {PASSCODE}"))  # refused in the lane
    assert "Nowhere Room" in str(reply.params)
    room_bot.room(f"join Training Room {EXTERNAL_ID} {PASSCODE}")  # the simulator's Training Room is busy
    busy = room_bot.card()
    assert busy.text.startswith("Training Room is busy")
    room_bot.click(busy, ActionId.JOIN_ANYWAY)
    room_bot.slack.wait_for(lambda: room_bot.slack.messages_in("C1")[0].text.startswith("Training Room is in meeting"),
                            15, what="joined after Join anyway")
    after = scrape(url)
    assert deltas(before, after, "roombot_dispatches_total") == {
        frozenset({("trigger", "command"), ("outcome", "unknown_room")}): 1.0,
        frozenset({("trigger", "command"), ("outcome", "room_busy")}): 1.0,
        frozenset({("trigger", "button"), ("outcome", "in_meeting")}): 1.0,
    }


# ------------------------------------------------------------------------------------------ the engine


def test_the_engine_gauges_show_running_and_queued_work_and_refusals(slack_app_server: SlackAppServers) -> None:
    url = app_url(slack_app_server)
    engine = DispatchEngine(max_in_flight=1, max_queued=1, name="metrics-test")
    release = threading.Event()
    started = threading.Event()

    async def hold() -> None:
        started.set()
        await asyncio.to_thread(release.wait, 10)

    try:
        before = scrape(url)
        assert engine.submit(hold) and started.wait(5)
        assert engine.submit(hold).queued
        assert not engine.submit(hold)  # in flight plus queued at the bound
        busy = scrape(url)
        assert delta(before, busy, "roombot_dispatch_engine_jobs", state="in_flight") == 1
        assert delta(before, busy, "roombot_dispatch_engine_jobs", state="queued") == 1
        assert delta(before, busy, "roombot_dispatch_engine_refused_total", reason="full") == 1
        release.set()
        engine.run(_until(lambda: engine.load().in_flight + engine.load().queued == 0), timeout=10)
        idle = scrape(url)
        assert delta(before, idle, "roombot_dispatch_engine_jobs", state="in_flight") == 0
        assert delta(before, idle, "roombot_dispatch_engine_jobs", state="queued") == 0
    finally:
        release.set()
        engine.stop(timeout=5)
    stopped = scrape(url)
    assert not engine.submit(hold)
    assert delta(stopped, scrape(url), "roombot_dispatch_engine_refused_total", reason="stopping") == 1


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.01)


# ------------------------------------------------------------------------------------------ bookings


@SQLITE
def test_a_booked_occurrence_records_its_lag_outcome_and_dispatch(bookings: Bookings,
                                                                  slack_app_server: SlackAppServers) -> None:
    url = slack_app_server(bookings.services).url
    now = utc_now()
    bookings.book(starts_at=now - timedelta(seconds=5))
    bookings.book("Huddle 3", starts_at=now - timedelta(minutes=11))  # past the grace period: missed
    before = scrape(url)
    report = bookings.worker().run_once(now)
    assert (report.claimed, report.misfired) == (1, 1)
    after = scrape(url)
    assert deltas(before, after, "roombot_booking_occurrences_total") == {
        frozenset({("outcome", "in_meeting")}): 1.0, frozenset({("outcome", "missed")}): 1.0}
    assert deltas(before, after, "roombot_dispatches_total") == {
        frozenset({("trigger", "booking"), ("outcome", "in_meeting")}): 1.0}
    assert delta(before, after, "roombot_booking_lag_seconds_count", claim="first") == 1
    assert 5 <= delta(before, after, "roombot_booking_lag_seconds_sum", claim="first") < 60


# ------------------------------------------------------------------------------------------ the database


def test_database_up_is_1_when_the_check_passes_0_when_it_fails_and_absent_without_one(
        slack_app_server: SlackAppServers) -> None:
    services = Services()
    url = slack_app_server(services).url
    assert not any(name == "roombot_database_up" for name, _ in scrape(url))
    services.health_checks["database"] = database_check(create_engine_for_url("sqlite://"))
    assert value(scrape(url), "roombot_database_up") == 1
    down = create_engine_for_url(f"postgresql+psycopg://roombot@127.0.0.1:{closed_port()}/roombot")
    services.health_checks["database"] = database_check(down)
    assert value(scrape(url), "roombot_database_up") == 0
    assert httpx.get(f"{url}/healthz").status_code == 503  # /healthz unchanged: it says so too
    assert httpx.post(f"{url}/metrics").status_code == 405


# ------------------------------------------------------------------------------------------ multi-process mode

WRITER = """
import asyncio, types
from bot import metrics
assert metrics.multiprocess_mode()
async def finished():
    return types.SimpleNamespace(kind="in_meeting")
asyncio.run(metrics.counted("command", finished()))
metrics.zoom_request("Medium", "PATCH", "/rooms/abc/events", 202, 0.2)
metrics.engine_jobs(in_flight=1)  # still running when the process ends (a worker that was killed)
import os; print(os.getpid())
"""

READER = """
import sys, types
from werkzeug.test import Client
from bot import metrics
from bot.config import Settings
from bot.web import create_wsgi_app
for pid in sys.argv[1:]:
    metrics.child_exit(None, types.SimpleNamespace(pid=int(pid)))  # gunicorn's hook, as the master calls it
settings = Settings(slack_signing_secret="s", slack_bot_token="xoxb-multiprocess", secret_key="k" * 32)
response = Client(create_wsgi_app(settings)).get("/metrics")
assert response.status_code == 200
print(response.get_data(as_text=True))
"""


def _python(code: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_multiprocess_mode_merges_every_process_and_drops_the_live_gauges_of_dead_workers(tmp_path: Path) -> None:
    directory = tmp_path / "prometheus"
    directory.mkdir()
    (directory / "counter_999999.db").write_bytes(b"left by an earlier run")
    hooks = metrics.gunicorn_hooks({metrics.MULTIPROC_DIR_VARIABLE: str(directory)})
    assert hooks == {"child_exit": metrics.child_exit}
    assert list(directory.iterdir()) == []  # the earlier run's samples are gone
    assert metrics.gunicorn_hooks({}) == {}

    env = clean_env(PROMETHEUS_MULTIPROC_DIR=str(directory))
    pids = [_python(WRITER, env).strip() for _ in range(2)]
    both = parse(_python(READER, env))
    assert value(both, "roombot_dispatches_total", trigger="command", outcome="in_meeting") == 2
    assert value(both, "roombot_zoom_requests_total", category="medium", operation="PATCH /rooms/{id}/events",
                 status="202") == 2
    assert value(both, "roombot_zoom_request_duration_seconds_count", category="medium",
                 operation="PATCH /rooms/{id}/events") == 2
    assert value(both, "roombot_dispatch_engine_jobs", state="in_flight") == 2

    one_dead = parse(_python(READER, env, pids[0]))
    assert value(one_dead, "roombot_dispatch_engine_jobs", state="in_flight") == 1  # livesum: live workers only
    assert value(one_dead, "roombot_dispatches_total", trigger="command", outcome="in_meeting") == 2  # counters stay


def test_every_metric_is_documented() -> None:
    documented = Path(__file__).resolve().parents[1].joinpath("docs", "operating.md").read_text(encoding="utf-8")
    families = {metric.name for metric in metrics.REGISTRY.collect() if metric.name.startswith("roombot_")}
    assert len(families) == 9  # and roombot_database_up, made at each scrape
    for name in (*families, "roombot_database_up"):
        assert f"`{name}" in documented, name


def test_zoom_operations_hide_ids() -> None:
    assert metrics.zoom_operation("PATCH", "/rooms/Hq4dJ2vRTkWx0yZ1aB2cDe/events") == "PATCH /rooms/{id}/events"
    assert metrics.zoom_operation("GET", "/meetings/85512345678") == "GET /meetings/{id}"
    assert metrics.zoom_operation("POST", "/users/me/meetings") == "POST /users/{id}/meetings"
    assert metrics.zoom_operation("GET", "/accounts/me/lock_settings") == "GET /accounts/{id}/lock_settings"
