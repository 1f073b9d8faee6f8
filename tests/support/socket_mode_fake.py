"""A local stand-in for Slack's Socket Mode: a websocket server the app connects to, and the Web API method
that hands out its URL.

* ``SocketModeFake(forward_to=fake_slack.api_url)`` — ``.api_url`` is a Slack Web API base URL to give the
  app (``SLACK_API_URL``): ``apps.connections.open`` answers with this server's ``ws://`` URL (and checks the
  ``xapp-`` token); every other method is passed on to ``forward_to`` (the fake Web API,
  ``bot/devtools/fake_slack.py``) and its answer relayed.
* Every websocket connection is greeted with ``hello`` at once, as Slack does.  ``send_envelope`` sends on the
  newest open connection and ``wait_for_ack`` returns the app's acknowledgement and how long it took;
  ``refresh`` sends ``{"type": "disconnect", "reason": "refresh_requested"}`` (Slack does so every few hours
  per connection); ``drop`` cuts the TCP connection without a close frame; ``go_silent`` keeps it open but
  stops reading it, so that nothing answers the client's pings — a connection that died somewhere on the way,
  which the client can only notice by the missing pongs.
* ``wait_for_connection(n)`` waits for the n-th connection (1-based) and returns it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import httpx
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

T = TypeVar("T")


@dataclass
class FakeConnection:
    number: int  # 1 for the first connection the app opened
    socket: ServerConnection
    opened_at: float  # time.monotonic()
    received: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    closed_at: float | None = None

    @property
    def open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class Ack:
    envelope_id: str
    seconds: float  # from the envelope leaving to its acknowledgement arriving
    connection: int  # the connection the acknowledgement came on
    payload: dict[str, Any] | None


class SocketModeFake:
    def __init__(self, *, forward_to: str, app_token_prefix: str = "xapp-") -> None:
        self.forward_to = forward_to if forward_to.endswith("/") else forward_to + "/"
        self.app_token_prefix = app_token_prefix
        self.connections: list[FakeConnection] = []
        self.opened_urls = 0  # apps.connections.open calls
        self._sent: dict[str, float] = {}
        self._changed = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="socket-mode-fake", daemon=True)
        self._server: Server | None = None
        self._http: ThreadingHTTPServer | None = None
        self._forwarder = httpx.Client(timeout=10)
        self._tickets = itertools.count(1)

    # -------------------------------------------------------------------------------- lifecycle

    def start(self) -> SocketModeFake:
        self._thread.start()
        # No pings from the server: the client's own pings (and their pongs) are what the tests are about.
        async def listen() -> Server:
            return await serve(self._handle, "127.0.0.1", 0, ping_interval=None)

        self._server = self._call(listen())
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._http_handler())
        self._http.daemon_threads = True
        threading.Thread(target=self._http.serve_forever, name="socket-mode-fake-api", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        if self._server is not None:
            server = self._server
            for connection in list(self.connections):
                connection.socket.transport.abort()

            async def close() -> None:
                server.close()
                await server.wait_closed()

            try:
                self._call(close(), timeout=5)
            except TimeoutError:
                pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._forwarder.close()

    def __enter__(self) -> SocketModeFake:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def ws_url(self) -> str:
        assert self._server is not None
        port = next(iter(self._server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/"

    @property
    def api_url(self) -> str:
        assert self._http is not None
        return f"http://127.0.0.1:{self._http.server_address[1]}/api/"

    # -------------------------------------------------------------------------------- what tests do

    def wait_for_connection(self, number: int, timeout: float = 30.0) -> FakeConnection:
        return self._wait(lambda: self.connections[number - 1] if len(self.connections) >= number else None,
                          timeout, f"connection {number}")

    def newest_open(self) -> FakeConnection:
        connection = self._wait(lambda: next((c for c in reversed(self.connections) if c.open), None), 5,
                                "an open connection")
        return connection

    def send_envelope(self, kind: str, payload: dict[str, Any], *, connection: FakeConnection | None = None,
                      accepts_response_payload: bool = True, retry_attempt: int | None = None,
                      retry_reason: str = "") -> str:
        """Send an envelope (``slash_commands``, ``interactive``, ``events_api``); returns its envelope id.
        ``retry_attempt``/``retry_reason`` are sent only when given (Slack sends them with ``events_api``)."""
        connection = connection or self.newest_open()
        envelope_id = str(uuid.uuid4())
        message: dict[str, Any] = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                                   "accepts_response_payload": accepts_response_payload}
        if retry_attempt is not None:
            message.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        self._sent[envelope_id] = time.monotonic()
        self._call(connection.socket.send(json.dumps(message)))
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> Ack:
        def find() -> Ack | None:
            for connection in self.connections:
                for at, message in connection.received:
                    if message.get("envelope_id") == envelope_id:
                        return Ack(envelope_id, at - self._sent[envelope_id], connection.number,
                                   message.get("payload"))
            return None

        return self._wait(find, timeout, f"the ack of envelope {envelope_id}")

    def refresh(self, connection: FakeConnection | None = None) -> FakeConnection:
        """Slack's ``disconnect`` (``refresh_requested``) on ``connection`` (the newest open one by default)."""
        connection = connection or self.newest_open()
        message = {"type": "disconnect", "reason": "refresh_requested",
                   "debug_info": {"host": "fake-socket-mode"}}
        self._call(connection.socket.send(json.dumps(message)))
        return connection

    def drop(self, connection: FakeConnection | None = None) -> FakeConnection:
        """Cut the TCP connection at once, without a close frame."""
        connection = connection or self.newest_open()
        self._loop.call_soon_threadsafe(connection.socket.transport.abort)
        return connection

    def go_silent(self, connection: FakeConnection | None = None) -> FakeConnection:
        """Stop reading ``connection`` (and so answering its pings), keeping the socket open."""
        connection = connection or self.newest_open()
        self._loop.call_soon_threadsafe(connection.socket.transport.pause_reading)
        return connection

    # -------------------------------------------------------------------------------- server side

    async def _handle(self, socket: ServerConnection) -> None:
        with self._changed:
            connection = FakeConnection(len(self.connections) + 1, socket, time.monotonic())
            self.connections.append(connection)
            self._changed.notify_all()
        try:
            hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0TEST"},
                     "debug_info": {"host": "fake-socket-mode", "approximate_connection_time": 18060}}
            await socket.send(json.dumps(hello))
            async for raw in socket:
                message = json.loads(raw)
                with self._changed:
                    connection.received.append((time.monotonic(), message))
                    self._changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                connection.closed_at = time.monotonic()
                self._changed.notify_all()

    def _http_handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                method = self.path.rsplit("/", 1)[-1]
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if method == "apps.connections.open":
                    answer = fake._connections_open(self.headers.get("Authorization") or "")
                    self._send(200, json.dumps(answer).encode(), "application/json")
                    return
                forwarded = fake._forwarder.post(
                    fake.forward_to + method, content=body,
                    headers={name: value for name, value in self.headers.items()
                             if name.lower() in ("authorization", "content-type")})
                self._send(forwarded.status_code, forwarded.content,
                           forwarded.headers.get("content-type", "application/json"))

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        return Handler

    def _connections_open(self, authorization: str) -> dict[str, Any]:
        if not authorization.startswith(f"Bearer {self.app_token_prefix}"):
            return {"ok": False, "error": "not_allowed_token_type"}
        with self._changed:
            self.opened_urls += 1
        return {"ok": True, "url": f"{self.ws_url}?ticket={next(self._tickets)}&app_id=A0TEST"}

    # -------------------------------------------------------------------------------- helpers

    def _call(self, coroutine: Any, timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def _wait(self, found: Callable[[], T | None], timeout: float, what: str) -> T:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = found()
                if value is not None:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
                self._changed.wait(min(left, 0.05))


def slash_command(fake_slack: Any, command: str, text: str, *, user_id: str = "U1",
                  channel_id: str = "C1") -> dict[str, Any]:
    """A slash command's payload as Socket Mode carries it (the fields of the HTTP form, as JSON)."""
    from bot.devtools.fake_slack import TEAM_ID

    return {
        "token": "deprecated-verification-token", "team_id": TEAM_ID, "team_domain": "roombot-test",
        "channel_id": channel_id, "channel_name": "general", "user_id": user_id, "user_name": user_id.lower(),
        "command": command, "text": text, "api_app_id": "A0TEST", "is_enterprise_install": "false",
        "response_url": fake_slack.new_response_url(channel_id=channel_id, user_id=user_id),
        "trigger_id": fake_slack.new_trigger_id(),
    }
