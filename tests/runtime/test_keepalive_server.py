"""The test servers (Zoom simulator, fake Slack) keep HTTP/1.1 connections open as Zoom and Slack do, without
ever mixing one request's body into the next, and a stopped server leaves no connection that still answers.
Raw sockets, so that what is on the wire is what is asserted."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from bot.devtools.fake_slack import FakeSlackApi
from bot.devtools.keepalive import KeepAliveServer
from bot.zoom.simulator import SimulatorServer


def request(path: str, *, method: str = "GET", body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body and not any(name.lower() == "transfer-encoding" for name in headers or {}):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def read_response(conn: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        assert chunk, f"connection closed before a full response: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = conn.recv(65536)
        assert chunk, "connection closed mid-body"
        rest += chunk
    assert len(rest) == length, "bytes beyond the response: the server answered something twice"
    return int(status_line.split()[1]), headers, rest


@pytest.fixture
def sim() -> SimulatorServer:
    with SimulatorServer() as server:
        yield server


def connect(server: SimulatorServer) -> socket.socket:
    conn = socket.create_connection((server.host, server.port), timeout=10)
    return conn


def test_one_connection_serves_several_requests(sim: SimulatorServer) -> None:
    with connect(sim) as conn:
        for _ in range(3):
            conn.sendall(request("/v2/rooms"))
            status, headers, _ = read_response(conn)
            assert status == 401  # no token: the simulator's own answer, from a live connection each time
            assert headers.get("connection", "").lower() != "close"
    assert sim._server is not None and sim._server.connections_accepted == 1


def test_a_body_the_application_never_reads_does_not_leak_into_the_next_request(sim: SimulatorServer) -> None:
    # Unauthenticated, so the simulator answers 401 without reading the JSON body; that body must not be
    # taken for the next request line.
    body = b'{"method": "zoomroom.meeting_join", "params": {"meeting_number": "GET /v2/users HTTP/1.1"}}'
    with connect(sim) as conn:
        conn.sendall(request("/v2/rooms/abc/events", method="PATCH", body=body,
                             headers={"Content-Type": "application/json"}))
        first, _, _ = read_response(conn)
        conn.sendall(request("/v2/rooms"))
        second, _, answer = read_response(conn)
    assert (first, second) == (401, 401)
    assert b"Bad request" not in answer


def test_a_chunked_request_closes_its_connection(sim: SimulatorServer) -> None:
    with connect(sim) as conn:
        conn.sendall(request("/v2/rooms/abc/events", method="PATCH", body=b"2\r\n{}\r\n0\r\n\r\n",
                             headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"}))
        _, headers, _ = read_response(conn)
        assert headers.get("connection", "").lower() == "close"
        assert conn.recv(1) == b""


def test_a_client_asking_to_close_gets_its_connection_closed(sim: SimulatorServer) -> None:
    with connect(sim) as conn:
        conn.sendall(request("/v2/rooms", headers={"Connection": "close"}))
        read_response(conn)
        assert conn.recv(1) == b""


def test_stopping_the_simulator_closes_the_connections_clients_keep() -> None:
    sim = SimulatorServer().start()
    with httpx.Client() as client:
        assert client.get(sim.api_url + "/rooms").status_code == 401
        sim.stop()
        # Without closing them, the kept connection's handler thread would still answer after stop().
        with pytest.raises(httpx.TransportError):
            client.get(sim.api_url + "/rooms")


def test_the_fake_slack_api_keeps_connections_open_too() -> None:
    with FakeSlackApi(bot_token="xoxb-test") as api, httpx.Client() as client:
        for _ in range(3):
            answer = client.post(api.api_url + "auth.test", headers={"Authorization": "Bearer xoxb-test"})
            assert answer.json()["ok"] is True
        server = api._server._server
        assert server is not None and server.connections_accepted == 1


def _serve(app) -> KeepAliveServer:
    server = KeepAliveServer("127.0.0.1", 0, app)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def test_an_application_failing_mid_answer_gets_its_connection_closed() -> None:
    # The response promised ten bytes and sent five: on an open connection the next response would be read as
    # the rest of this one.  Closing it is the only honest end.
    def half_answer(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "10")])
        yield b"12345"
        raise RuntimeError("the handler broke mid-body")

    server = _serve(half_answer)
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as conn:
            conn.sendall(request("/"))
            received = b""
            while chunk := conn.recv(65536):
                received += chunk
        assert received.endswith(b"\r\n\r\n12345")  # cut short, then closed: the client sees it is incomplete
    finally:
        server.shutdown()
        server.server_close()


def test_an_application_answering_connection_close_gets_it() -> None:
    def closing(environ, start_response):
        start_response("200 OK", [("Content-Length", "2"), ("Connection", "close")])
        return [b"ok"]

    server = _serve(closing)
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as conn:
            conn.sendall(request("/"))
            _, headers, body = read_response(conn)
            assert (body, headers["connection"].lower()) == (b"ok", "close")
            assert conn.recv(1) == b""
    finally:
        server.shutdown()
        server.server_close()
