"""300 booking occurrences due in the same second: how close the worker gets to Zoom's rate limit.

Run: `python -m bench.bench_bookings` (or `python bench/bench_bookings.py`) from the repository root;
`--quick` skips the comparison run; `--rooms N` changes the burst.

Set-up, the same for each run: the Zoom simulator with N rooms, the Medium rate limit at 20 requests/s
(the room-control and room-list endpoints are Medium) and 100 ms of added latency on every `/v2/rooms`
request; the roombot Zoom client paced at the same 20/s; a migrated SQLite database (or PostgreSQL with
`--database-url`); a fake Slack Web API receiving the progress and result posts; one booking per room, all
due at the same second, dispatched by one in-process `BookingWorker` with its default settings.

A join needs one Medium request, so no dispatcher can finish N joins faster than N / 20 s (the bound).
Printed side by side, measured in the same run:
- roombot: the worker as shipped — room status for every dispatch in flight read from one shared listing;
- per-dispatch status: the same worker with every status read a request of its own, as a dispatcher that
  treats each booking alone would do.
For each: the time until every occurrence was finished (joined and confirmed in the meeting), the ratio to
the bound (target ≤ 1.1), the Medium requests spent and the 429s Zoom answered.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from slack_sdk import WebClient  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bot.devtools.fake_slack import FakeSlackApi  # noqa: E402
from bot.dispatch.service import DispatchPolicy, DispatchService  # noqa: E402
from bot.scheduling.worker import BookingWorker, WorkerConfig  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.store import bookings as booking_store  # noqa: E402
from bot.store import rooms as room_store  # noqa: E402
from bot.store.crypto import SecretBox  # noqa: E402
from bot.store.db import create_engine_for_url, session_factory, session_scope  # noqa: E402
from bot.store.migrate import upgrade_to_head  # noqa: E402
from bot.store.models import Occurrence  # noqa: E402
from bot.store.types import MeetingMode, OccurrenceStatus  # noqa: E402
from bot.zoom import ZoomClient, ZoomSettings  # noqa: E402
from bot.zoom.simulator import SimulatorServer  # noqa: E402

MEDIUM_QPS = 20
LATENCY_MS = 100
MEETING_ID = "85512345678"
PASSCODE = "Xk7_9ab"
SECRET_KEY = "roombot bench key: not a secret"
CREDENTIALS = {"account_id": "sim-account", "client_id": "sim-client-id", "client_secret": "sim-client-secret"}


def rooms_state(count: int) -> list[dict[str, Any]]:
    return [{"id": f"Zr{k:04d}IdAaAaAaAaAaAaAaA", "room_id": f"Rm{k:04d}RoomIdBbBbBbBbBbBb", "name": f"Room {k:03d}",
             "status": "Available"} for k in range(count)]


def run_once(label: str, rooms: int, database_url: str | None, *, shared_status: bool) -> dict[str, Any]:
    with SimulatorServer({"rooms": rooms_state(rooms), "rate_limits": {"medium": MEDIUM_QPS},
                          "join_delay_seconds": 0.2}) as sim, FakeSlackApi() as slack, \
            tempfile.TemporaryDirectory() as scratch:
        admin = f"{sim.url}/_sim"
        httpx.post(f"{admin}/meetings", json={"id": MEETING_ID, "password": PASSCODE}, timeout=10).raise_for_status()
        url = database_url or f"sqlite:///{scratch}/bench.sqlite3"
        upgrade_to_head(url)
        engine = create_engine_for_url(url)
        sessions = session_factory(engine)
        settings = ZoomSettings(api_url=sim.api_url, oauth_url=sim.oauth_url, qps_light=100, qps_medium=MEDIUM_QPS,
                                read_timeout=30, **CREDENTIALS)
        zoom = ZoomClient(settings)
        records = [room_store.ZoomRoomRecord(room_id=r.room_id, id=r.id, name=r.name, location_id=r.location_id)
                   for r in zoom.list_rooms()]
        box = SecretBox(SECRET_KEY)
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
        with session_scope(sessions, write_lock=True) as session:
            room_store.sync_rooms(session, records)
            for room in room_store.list_rooms(session):
                booking_store.create_booking(
                    session, room=room, requester_user_id="U_BENCH", channel_id="C_BENCH", tz_name="UTC",
                    starts_at=due, duration=timedelta(minutes=15), meeting_mode=MeetingMode.LINK,
                    meeting_id=MEETING_ID, passcode=box.seal(PASSCODE), now=due - timedelta(hours=1))
        dispatcher = DispatchService(zoom, sessions, policy=DispatchPolicy(), secret_box=box)
        services = Services(zoom=zoom, session_factory=sessions, secret_box=box, dispatcher=dispatcher)
        worker = BookingWorker(services, config=WorkerConfig(poll_interval=0.05),
                               slack_client=WebClient(token=slack.bot_token, base_url=slack.api_url))
        if not shared_status:
            worker.runner.board.status = zoom.room_status  # type: ignore[method-assign]
        httpx.post(f"{admin}/faults", json={"path_prefix": "/v2/rooms", "latency_ms": LATENCY_MS, "count": None},
                   timeout=10).raise_for_status()
        before = len(sim.requests)  # set-up requests (token, room sync) are not part of the burst
        while datetime.now(UTC) < due:
            time.sleep(0.005)
        started = time.monotonic()
        worker.start()
        try:
            while True:
                with session_scope(sessions) as session:
                    finished = session.scalar(select(func.count()).select_from(Occurrence).where(
                        Occurrence.status.in_((OccurrenceStatus.DISPATCHED, OccurrenceStatus.FAILED))))
                if finished == rooms:
                    break
                time.sleep(0.02)
            elapsed = time.monotonic() - started
        finally:
            worker.stop()
        with session_scope(sessions) as session:
            dispatched = session.scalar(select(func.count()).select_from(Occurrence).where(
                Occurrence.status == OccurrenceStatus.DISPATCHED))
        medium = [r for r in sim.requests[before:] if r["path"].startswith("/v2/rooms")]
        joined = sum(room["joins"] for room in httpx.get(f"{admin}/rooms", timeout=10).json()["rooms"])
        zoom.close()
        engine.dispose()
        bound = rooms / MEDIUM_QPS
        return {"label": label, "elapsed": elapsed, "ratio": elapsed / bound, "dispatched": dispatched,
                "joined": joined, "medium": len(medium), "throttled": sum(1 for r in medium if r["status"] == 429),
                "slots": worker.concurrency}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="only the worker as shipped")
    parser.add_argument("--database-url", help="e.g. postgresql+psycopg://postgres@127.0.0.1/bench (an empty "
                        "database; default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    logging.getLogger("bot.zoom").setLevel(logging.ERROR)  # the 429 retries are counted in the table instead
    bound = args.rooms / MEDIUM_QPS
    print(f"{args.rooms} occurrences due at once; Zoom Medium limit {MEDIUM_QPS}/s, +{LATENCY_MS} ms per /v2/rooms "
          f"request; bound = {args.rooms}/{MEDIUM_QPS} s = {bound:.1f} s")
    runs = [run_once("roombot (shared status listing)", args.rooms, args.database_url, shared_status=True)]
    if not args.quick:
        if args.database_url:
            print("(the comparison run needs a fresh database; run it on SQLite, without --database-url)")
        else:
            runs.append(run_once("per-dispatch status reads", args.rooms, None, shared_status=False))
    print(f"{'':34} {'time':>8} {'ratio':>6} {'joined':>7} {'Medium req':>10} {'429s':>5} {'slots':>5}")
    for run in runs:
        print(f"{run['label']:34} {run['elapsed']:7.2f}s {run['ratio']:6.2f} {run['joined']:7d} {run['medium']:10d} "
              f"{run['throttled']:5d} {run['slots']:5d}")
    verdict = "meets" if runs[0]["ratio"] <= 1.1 else "misses"
    print(f"roombot {verdict} the target ratio ≤ 1.1 ({runs[0]['ratio']:.2f}); every occurrence dispatched: "
          f"{runs[0]['dispatched'] == args.rooms}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
