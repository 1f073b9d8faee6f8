"""A werkzeug threaded WSGI server that keeps HTTP/1.1 connections open between requests, as Zoom's and
Slack's own servers do (the Zoom simulator, the fake Slack Web API).

werkzeug's development server answers every request with ``Connection: close``, because ``http.server``
cannot tell where a request body ends when the application leaves part of it unread.  A client of such a
server pays a new TCP connection per request — a third of the CPU of a loopback call in slack_sdk, a sixth in
httpx — which the real services never charge, so the benchmarks would measure the test servers' choice rather
than the bot.  Here the body is read whole before the application runs (its length is known: only requests
with a ``Content-Length`` and no ``Transfer-Encoding`` or ``Expect`` stay open), so the next request line is
always where the server looks for it.  Everything else (chunked uploads, ``Connection: close``, HTTP/1.0, an
application error after the status was sent) closes the connection as werkzeug does.

Stopping the server also closes the connections it holds open: a client's pooled connection must not reach a
stopped simulator (tests of "Zoom is down" rely on it).
"""

from __future__ import annotations

import io
import socket
import threading
from typing import TYPE_CHECKING, Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

IDLE_TIMEOUT = 75.0  # seconds an open connection may wait for its next request (longer than clients keep one)


class KeepAliveHandler(WSGIRequestHandler):
    """werkzeug's request handler, without the ``Connection: close`` on requests whose body length is known."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    # werkzeug writes the headers and the body separately; on an open connection Nagle's algorithm would hold
    # the body back until the client's delayed ACK (40 ms on Linux).  Closing the connection used to flush it.
    disable_nagle_algorithm = True
    quiet = False  # no access log line per request

    def setup(self) -> None:
        super().setup()
        self._keep_open = False
        opened = getattr(self.server, "opened", None)
        if opened is not None:
            opened(self.connection)

    def finish(self) -> None:
        closed = getattr(self.server, "closed", None)
        if closed is not None:
            closed(self.connection)
        super().finish()

    def run_wsgi(self) -> None:
        self._keep_open = self._body_length_known() and not self.close_connection
        if not self._keep_open:
            return super().run_wsgi()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:  # the client went away mid-body
            self.close_connection = True
            return None
        connection_file = self.rfile
        # The application (and werkzeug's drain of unread input afterwards) reads this request's body only.
        self.rfile = io.BytesIO(body)
        try:
            return super().run_wsgi()
        finally:
            self.rfile = connection_file
            self._keep_open = False

    def _body_length_known(self) -> bool:
        headers = self.headers
        if headers.get("Transfer-Encoding") or headers.get("Expect"):
            return False
        length = headers.get("Content-Length")
        return length is None or length.strip().isdigit()

    def send_header(self, keyword: str, value: str) -> None:
        if self._keep_open and keyword.lower() == "connection" and value.lower() == "close":
            return  # werkzeug's blanket close; http.server would also mark the connection closed
        super().send_header(keyword, value)

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        if not self.quiet:
            super().log_request(*args, **kwargs)

    def log_error(self, format: str, *args: Any) -> None:
        if format.startswith("Request timed out"):
            return  # an idle kept-open connection reaching IDLE_TIMEOUT: closed, nothing went wrong
        super().log_error(format, *args)


class QuietKeepAliveHandler(KeepAliveHandler):
    quiet = True


class KeepAliveServer(ThreadedWSGIServer):
    """werkzeug's threaded server with ``KeepAliveHandler``; ``server_close`` also closes open connections."""

    def __init__(self, host: str, port: int, app: WSGIApplication, *, quiet: bool = True) -> None:
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self.connections_accepted = 0  # for tests: how many TCP connections clients have opened
        super().__init__(host, port, app, handler=QuietKeepAliveHandler if quiet else KeepAliveHandler)

    def opened(self, connection: socket.socket) -> None:
        with self._open_lock:
            self._open.add(connection)
            self.connections_accepted += 1

    def closed(self, connection: socket.socket) -> None:
        with self._open_lock:
            self._open.discard(connection)

    def server_close(self) -> None:
        super().server_close()
        with self._open_lock:
            connections, self._open = list(self._open), set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the client
