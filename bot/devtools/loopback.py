"""A werkzeug threaded HTTP server on 127.0.0.1 with an OS-chosen port, run in a daemon thread; it keeps
HTTP/1.1 connections open between requests as real services do (``bot.devtools.keepalive``)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from .keepalive import KeepAliveServer

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication


class LoopbackServer:
    def __init__(self, app: WSGIApplication, *, name: str, quiet: bool = True) -> None:
        self._app = app
        self._name = name
        self._quiet = quiet  # no per-request access log: the demo prints a conversation, test output stays readable
        self._server: KeepAliveServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._server = KeepAliveServer("127.0.0.1", 0, self._app, quiet=self._quiet)
        server = self._server
        # A short poll interval makes shutdown() return quickly (the default is 0.5 s per server).
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.02), name=self._name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{self._name} is not running")
        return f"http://127.0.0.1:{self._server.server_port}"
