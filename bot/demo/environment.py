"""Everything ``roombot demo`` runs on, started on loopback and torn down afterwards.

The Zoom simulator (with the demo's rooms and meetings), a temporary SQLite database migrated to head, a
generated secret key and signing secret, the fake Slack Web API, and the real app (``create_wsgi_app`` with
``build_services``) on a werkzeug threaded server — twice: one instance on the current Rooms API
(``ZOOM_ROOMS_API=events``) and one on the legacy JSON-RPC API, sharing the database as two instances
behind a load balancer would.
"""

from __future__ import annotations

import dataclasses
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from bot.config import Settings
from bot.devtools.fake_slack import FakeSlackApi
from bot.devtools.loopback import LoopbackServer
from bot.devtools.slack_signing import SignedSlackClient
from bot.dispatch.room_sync import sync_rooms_from_zoom
from bot.dispatch.service import DispatchPolicy
from bot.runtime import build_services, close_services
from bot.services import Services
from bot.store.migrate import upgrade_to_head
from bot.web import create_wsgi_app
from bot.zoom.settings import ZoomSettings
from bot.zoom.simulator import SimulatorServer, default_state_dict

CHANNEL_ID = "C0GENERAL"
CHANNEL_NAME = "general"
# FakeSlackApi's built-in users; Ada is the roombot admin (ROOMBOT_ADMINS).
ALICE, BOB, ADA = "U1", "U2", "UADMIN"
USER_NAMES = {ALICE: "alice", BOB: "bob", ADA: "ada"}
BOT_TOKEN = "xoxb-demo-token"
HOST_USER_ID = "sim-host-user-id"
# The simulated rooms take this long to show InMeeting after Zoom accepts a join; roombot watches often.
JOIN_DELAY_SECONDS = 0.3
DEMO_POLICY = DispatchPolicy(watch_timeout=6.0, poll_interval=0.1, first_poll_delay=JOIN_DELAY_SECONDS)


@dataclass(frozen=True)
class DemoMeeting:
    id: int
    topic: str
    password: str
    external: bool  # on another Zoom account: the bot cannot read its passcode

    def state(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": self.id, "topic": self.topic, "password": self.password,
                                 "external": self.external, "settings": {"waiting_room": False}}
        if self.external:
            entry.update(host_id="partner-host", account_id="partner-account", api_visibility="not_found")
        else:
            entry.update(host_id=HOST_USER_ID, account_id="sim-account")
        return entry


PARTNER_REVIEW = DemoMeeting(93456789012, "Partner review", "Partner_7", external=True)
SPRINT_PLANNING = DemoMeeting(87654321098, "Sprint planning", "Spr1nt42x", external=False)
ALL_HANDS = DemoMeeting(85746065123, "Weekly all-hands", "w46!(i{74n", external=False)  # Zoom-generated style
VENDOR_DEMO = DemoMeeting(94567890123, "Vendor demo", "vendor42", external=True)
MEETINGS = (PARTNER_REVIEW, SPRINT_PLANNING, ALL_HANDS, VENDOR_DEMO)


def demo_state() -> dict[str, Any]:
    state = default_state_dict()
    state["users"] = [{"id": HOST_USER_ID, "email": "host@example.com", "account_id": "sim-account",
                       "first_name": "Sam", "last_name": "Host", "timezone": "Europe/London"}]
    account = state["accounts"][0]
    account["meeting_password_requirement"].update(length=8, have_letter=True, have_number=True)
    account["security"]["waiting_room"] = {"enabled": False, "locked": False}
    state["rooms"] = [
        {"id": "Zr1bOaRdRoOmIdAaAaAaAa", "room_id": "qMOLddnySIGGVycz8aX_JQ", "name": "Boardroom",
         "status": "Available", "capacity": 12},
        {"id": "Zr2hUdDlE3iDbBbBbBbBbB", "room_id": "63UtYMhSQZaBRPCNRXrD8A", "name": "Huddle 3",
         "status": "Available", "capacity": 4},
        {"id": "Zr3oCeAnViEwCcCcCcCcCc", "room_id": "Hq4dJ2vRTkWx0yZ1aB2cDe", "name": "Ocean View",
         "status": "Offline", "capacity": 10},
    ]
    state["meetings"] = [meeting.state() for meeting in MEETINGS]
    state["join_delay_seconds"] = JOIN_DELAY_SECONDS
    return state


class DemoEnvironment:
    """Start with ``start()``, stop with ``stop()`` (or use it as a context manager)."""

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="roombot-demo-"))
        self.database_url = f"sqlite:///{self.workdir / 'roombot-demo.sqlite3'}"
        self.sim = SimulatorServer(demo_state())
        self.slack = FakeSlackApi(bot_token=BOT_TOKEN)
        self.signing_secret = secrets.token_hex(16)
        self.settings: Settings | None = None
        self.instances: dict[str, tuple[Services, LoopbackServer]] = {}
        self.client: SignedSlackClient | None = None
        self.rooms_api = "events"  # which instance the signed requests go to
        self.synced: list[str] = []

    def __enter__(self) -> DemoEnvironment:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> DemoEnvironment:
        try:
            return self._start()
        except BaseException:
            self.stop()  # a half-started demo must not leave servers, threads or its temp directory behind
            raise

    def _start(self) -> DemoEnvironment:
        self.sim.start()
        self.slack.start()
        upgrade_to_head(self.database_url)
        zoom = ZoomSettings(api_url=self.sim.api_url, oauth_url=self.sim.oauth_url, account_id="sim-account",
                            client_id="sim-client-id", client_secret="sim-client-secret", host_user=HOST_USER_ID)
        self.settings = Settings(
            slack_signing_secret=self.signing_secret, slack_bot_token=BOT_TOKEN, slack_api_url=self.slack.api_url,
            database_url=self.database_url, secret_key=Fernet.generate_key().decode(), admins=frozenset({ADA}),
            port=0, zoom=zoom)
        for rooms_api in ("events", "jsonrpc"):
            settings = dataclasses.replace(self.settings, zoom=dataclasses.replace(zoom, rooms_api=rooms_api))
            services = build_services(settings, policy=DEMO_POLICY)
            server = LoopbackServer(create_wsgi_app(settings, services), name=f"roombot-{rooms_api}")
            server.start()
            self.instances[rooms_api] = (services, server)
        self.client = SignedSlackClient(self.slack, self.signing_secret, self.events_url)
        self.synced = self.sync_rooms()
        return self

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
        for services, server in self.instances.values():
            server.stop()
            close_services(services)
        self.slack.stop()
        self.sim.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # ----- what the script uses ----------------------------------------------------------------------
    def events_url(self) -> str:
        return f"{self.instances[self.rooms_api][1].url}/slack/events"

    @property
    def services(self) -> Services:
        return self.instances[self.rooms_api][0]

    def sync_rooms(self) -> list[str]:
        """What `/room sync` and `roombot rooms sync` do: import Zoom's room list into the store."""
        _, result = sync_rooms_from_zoom(self.services.sync_zoom(), self.services.sessions())
        return [*result.added, *result.updated, *result.unchanged]

    def sim_admin(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(method, f"{self.sim.url}/_sim{path}", json=body, timeout=5)
        response.raise_for_status()
        return response.json() if response.content else None

    def sim_room(self, name: str) -> dict[str, Any]:
        return next(room for room in self.sim_admin("GET", "/rooms")["rooms"] if room["name"] == name)

    def sim_meetings(self) -> list[dict[str, Any]]:
        return list(self.sim_admin("GET", "/meetings")["meetings"])

    def free_room(self, name: str) -> None:
        """The meeting a room is in ends (someone taps Leave on the room's controller)."""
        self.sim_admin("PATCH", f"/rooms/{name}", {"status": "Available"})

    def zoom_saw(self, method: str, path_fragment: str) -> bool:
        return any(r["method"] == method and path_fragment in r["path"] for r in self.sim.requests)
