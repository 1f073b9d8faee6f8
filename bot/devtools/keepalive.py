"""A werkzeug threaded WSGI server that keeps HTTP/1.1 connections open between requests, as Zoom's and
Slack's own servers do (the Zoom simulator, the fake Slack Web API).

werkzeug's development server answers every request with ``Connection: close``, because ``http.server``
cannot tell where a request body ends when the application leaves part of it unread.  A client of such a
server pays a new TCP connection per request — a third of the CPU of a loopback call in slack_sdk, a sixth in
httpx — which the real services never charge, so the benchmarks would measure the test servers' choice rather
than the bot.  Here the body is read whole before the application runs (its length is known: only requests
with a ``Content-Length`` and no ``Transfer-Encoding`` or ``Expect`` stay open), so the next request line is
always where the server looks for it.  Everything else closes the connection as werkzeug does: chunked
uploads, a client's or the application's ``Connection: close``, HTTP/1.0, and an application that failed while
answering (its response may be cut short, and the next one would be read as the rest of it).

Stopping the server also closes the connections it holds open: a client's pooled connection must not reach a
stopped simulator (tests of "Zoom is down" rely on it).
"""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

IDLE_TIMEOUT = 75.0  # seconds an open connection may wait for its next request (longer than clients keep one)
MUST_CLOSE = "roombot.keepalive.must_close"  # environ key: this connection must not carry another request


class _Watched:
    """The application, with what makes keeping its connection open unsafe noted in the environ: it answered
    ``Connection: close`` itself, or it raised (werkzeug may already have sent part of the response)."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if any(name.lower() == "connection" and value.strip().lower() == "close" for name, value in headers):
                environ[MUST_CLOSE] = True
            return start_response(status, headers, exc_info)

        try:
            return self._chunks(environ, self.app(environ, start))
        except BaseException:
            environ[MUST_CLOSE] = True
            raise

    @staticmethod
    def _chunks(environ: WSGIEnvironment, body: Iterable[bytes]) -> Iterator[bytes]:
        try:
            yield from body
        except BaseException:
            environ[MUST_CLOSE] = True
            raise
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()


class KeepAliveHandler(WSGIRequestHandler):
    """werkzeug's request handler, without the ``Connection: close`` on requests whose body length is known."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    # werkzeug writes the headers and the body separately; on an open connection Nagle's algorithm would hold
    # the body back until the client's delayed ACK (40 ms on Linux).  Closing the connection used to flush it.
    disable_nagle_algorithm = True
    quiet = False  # True: no access log line per request
    _keep_open = False

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
            super().run_wsgi()
        finally:
            self.rfile = connection_file
            self._keep_open = False
        if self.environ.get(MUST_CLOSE):
            self.close_connection = True
        return None

    def _body_length_known(self) -> bool:
        headers = self.headers
        if headers.get("Transfer-Encoding") or headers.get("Expect"):
            return False
        length = headers.get("Content-Length")
        return length is None or length.strip().isdigit()

    def send_header(self, keyword: str, value: str) -> None:
        closing = keyword.lower() == "connection" and value.lower() == "close"
        if closing and self._keep_open and not self.environ.get(MUST_CLOSE):
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
        super().__init__(host, port, _Watched(app), handler=QuietKeepAliveHandler if quiet else KeepAliveHandler)

    # Connections are counted in the serving thread, as they are accepted: one accepted just before a stop is
    # closed by it even if its handler thread has not started yet.
    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
            self.connections_accepted += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        with self._open_lock:
            connections, self._open = list(self._open), set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the client
