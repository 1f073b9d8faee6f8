"""The hand-off between the two processes of `roombot serve` over HTTP: one answers Slack, one does the work.

Why two: answering a Slack request costs about a millisecond of CPU, the work behind it (the listener's store
reads and Slack messages, then the dispatch: Zoom calls, store transactions, the result card) some twenty.  In
one process both take turns on one GIL, and at ten concurrent clients the answers waited behind the work: p99
2.4–2.6× a bare Bolt app in bench/bench_ack.py.  So gunicorn's worker process only answers Slack — and what
must be answered in the ack itself: type-ahead options, errors inside a modal — while a second process, forked
from the master before gunicorn starts and run at a lower CPU priority, runs the listener lane, the dispatch
engine and the booking worker.  The OS scheduler, unlike the GIL, preempts: an answer waits for no dispatch.

- Each answering process has a ``Sender``: a connection of its own to the work process's Unix socket
  (``multiprocessing.connection``: framed and pickled), in a directory only this user can enter.  Its lane is
  a ``ForwardingLane``: instead of running a listener's work it queues the request itself — Slack's raw body
  and headers — for the sender's thread to write, and the listener acknowledges; the ack never waits on the
  socket.  Own connections, not one shared queue: a writer killed in the middle of a message (gunicorn's
  timeout, the OOM killer) takes only its own connection down, never a lock the next worker would need.
- Admission stays before the ack: the sender counts requests handed over whose work has not finished (the
  work process sends each one's completion back); at ``limit``, or while the work process is not running, the
  request is answered "busy, nothing was done" and never handed over.
- The work process reads every connection (``Receiver``) and runs the same Bolt app on each request with an
  ``AdmittedLane``: the listeners run again, their ``ack`` goes nowhere, their work runs in a ``ListenerLane``.
  A request that leaves no work there (a check whose answer changed in between, Slack refusing the token) is
  told to its requester, since the ack said it was taken.
- Stopping: gunicorn's worker exits first, writing out what it handed over (``Sender.close``); then the
  master sends ``STOP`` (``Handoff.stop``), and the work process reads every connection to its end, runs what
  it read, and drains.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import queue
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from multiprocessing import RawValue
from multiprocessing.connection import Client, Connection, Listener
from typing import TYPE_CHECKING, Any

from slack_bolt import BoltContext, BoltRequest, BoltResponse

from bot.slack import wording
from bot.slack.blocks import SlackMessage
from bot.slack.errors import ReplyTo
from bot.slack.lane import DEFAULT_LANE_PENDING, REQUEST_KEY, ListenerLane

if TYPE_CHECKING:
    from slack_bolt import App

log = logging.getLogger(__name__)

STOP = "stop"
# The work process notes the time this often (``beating``), also while idle, and looks for its master.
HEARTBEAT_SECONDS = 0.5
# /healthz fails, and requests are answered busy, when the work process has not noted the time for this long.
STALE_HEARTBEAT_SECONDS = 10.0
# On a stop, the connections of exited answering processes are read to their end within this long.
READ_OUT_SECONDS = 5.0
# Answering processes that may be connecting at once (gunicorn's worker, a restarted one, the master's STOP).
LISTEN_BACKLOG = 16
SOCKET_NAME = "work.sock"
MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux, 104 on the BSDs, with its terminating zero
HANDED_OVER_KEY = "roombot_handed_over"
SLOT_KEY = "roombot_handoff_slot"
Headers = Mapping[str, str | Sequence[str]]


def private_directory() -> str:
    """A new directory only this user can enter (0700), short enough to hold a Unix socket: in ``TMPDIR``, or in
    /tmp when ``TMPDIR`` is too long for one (a socket's path is limited to about 100 bytes)."""
    directory = tempfile.mkdtemp(prefix="roombot-handoff-")
    if len(os.path.join(directory, SOCKET_NAME).encode()) <= MAX_SOCKET_PATH:
        return directory
    os.rmdir(directory)
    return tempfile.mkdtemp(prefix="roombot-", dir="/tmp")


class Handoff:
    """The rendezvous, made in the master before anything forks: the work process's listening socket (in a
    private directory) and the work process's heartbeat.

    No ``authkey``: ``Listener.accept`` would run its challenge in the accepting thread, where one client that
    connects and stalls would hold up every later one; the directory's mode (0700) already keeps other users
    out, and a process of this user could read the credentials themselves."""

    def __init__(self, limit: int = DEFAULT_LANE_PENDING) -> None:
        self.limit = limit
        self._directory = private_directory()
        self.address = os.path.join(self._directory, SOCKET_NAME)
        self._listener = Listener(self.address, family="AF_UNIX", backlog=LISTEN_BACKLOG)
        self._owner = os.getpid()
        # CLOCK_MONOTONIC is the same in every process on Linux, and a wall-clock step cannot fake a death.
        self._heartbeat: Any = RawValue("d", time.monotonic())  # a start-up's worth of credit

    def beating(self) -> bool:
        """Whether the work process has noted the time lately (a health check, and admission's)."""
        return time.monotonic() - float(self._heartbeat.value) < STALE_HEARTBEAT_SECONDS

    def beat(self) -> None:
        self._heartbeat.value = time.monotonic()

    def connect(self) -> Connection:
        return Client(self.address, family="AF_UNIX")

    def accept(self) -> Connection:
        return self._listener.accept()

    def stop(self, timeout: float) -> bool:
        """In the master, once the answering processes have exited: tell the work process to finish what they
        handed over and stop.  False when it could not be told within ``timeout`` (gone, or stuck)."""
        told = threading.Event()

        def tell() -> None:
            try:
                with self.connect() as connection:
                    connection.send(STOP)
                told.set()
            except OSError as error:
                log.warning("could not reach the work process to stop it: %s", type(error).__name__)

        threading.Thread(target=tell, name="roombot-handoff-stop", daemon=True).start()
        return told.wait(timeout)

    def remove(self) -> None:
        """In the master, at the end: remove the socket's directory."""
        if os.getpid() == self._owner:
            self._listener.close()  # unlinks the socket
            shutil.rmtree(self._directory, ignore_errors=True)


class Sender:
    """An answering process's connection to the work process, and its count of requests not yet done."""

    def __init__(self, handoff: Handoff) -> None:
        self._handoff = handoff
        self._outbox: queue.SimpleQueue[tuple[str, dict[str, list[str]]] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pending = 0
        self._broken = False
        self._closed = False
        self._writer = threading.Thread(target=self._write, name="roombot-handoff-writer", daemon=True)
        self._writer.start()

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    def hand_over(self, request: BoltRequest) -> bool:
        """Admit ``request`` and queue it for the work process; False (nothing queued) when ``limit`` requests
        are not done yet or the work process is not running.  Never blocks on the work process."""
        item = (request.raw_body, {name: list(values) for name, values in request.headers.items()})
        with self._lock:  # the put too: nothing may be queued behind close()'s end marker
            if self._closed or self._broken or self._pending >= self._handoff.limit or not self._handoff.beating():
                return False
            self._pending += 1
            self._outbox.put(item)
        return True

    def close(self, timeout: float) -> bool:
        """As the answering process exits: write out what was handed over (within ``timeout``), then close."""
        with self._lock:
            self._closed = True
            self._outbox.put(None)
        self._writer.join(timeout)
        written = not self._writer.is_alive()
        if not written:
            log.error("could not write out the Slack requests handed over in %g s", timeout)
        return written

    def _write(self) -> None:
        try:
            connection = self._handoff.connect()
            threading.Thread(target=self._read_done, args=(connection,), name="roombot-handoff-done",
                             daemon=True).start()
            while (item := self._outbox.get()) is not None:
                connection.send(item)
            # The end of the stream, after what was sent.  shutdown, not close: the thread reading completions
            # is blocked on the same socket, and a close would not reach the other side until it returns.
            with socket.socket(fileno=os.dup(connection.fileno())) as stream:
                stream.shutdown(socket.SHUT_WR)
        except Exception as error:  # noqa: BLE001 - any failure here means requests may be lost: say so
            self._break(f"{type(error).__name__} writing to it")

    def _read_done(self, connection: Connection) -> None:
        try:
            while True:
                finished = connection.recv()
                with self._lock:
                    self._pending -= int(finished)
        except (OSError, EOFError, ValueError):
            with self._lock:
                closing = self._closed
            if not closing:  # the work process is gone: what is handed over from now on would be lost
                self._break("the work process closed it")

    def _break(self, why: str) -> None:
        with self._lock:
            if self._broken:
                return
            self._broken = True
            lost = self._pending
        log.error("the connection to the work process failed (%s): %d Slack requests handed over may not be "
                  "done; new ones are answered busy", why, lost)


class ForwardingLane:
    """The answering process's lane: hands the request over instead of running the listener's work."""

    def __init__(self, handoff: Handoff) -> None:
        self._handoff = handoff
        self._sender: Sender | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def sender(self) -> Sender:
        with self._lock:  # made on first use, in the process that answers (after gunicorn's fork)
            if self._sender is None:
                self._sender = Sender(self._handoff)
            return self._sender

    @property
    def pending(self) -> int:
        with self._lock:  # reading the count opens no connection
            sender = self._sender
        return sender.pending if sender is not None else 0

    def close(self, timeout: float) -> None:
        """As the answering process exits: write out what was handed over (nothing to do if nothing was)."""
        with self._lock:
            self._closed = True
            sender = self._sender
        if sender is not None:
            sender.close(timeout)

    def submit(self, work: Callable[[], object], context: BoltContext | None = None) -> bool:
        if context is None or REQUEST_KEY not in context:
            raise TypeError("ForwardingLane.submit needs the request's context (bot.slack.middleware.provide)")
        if context.get(HANDED_OVER_KEY):
            return True  # one request, one hand-over: the work process runs all of its listener again
        if self._closed or not self.sender.hand_over(context[REQUEST_KEY]):
            return False
        context[HANDED_OVER_KEY] = True
        return True


class Slot:
    """A handed-over request's place in its sender's count: freed once, by telling the sender it is done."""

    def __init__(self, reply: Callable[[], object]) -> None:
        self._reply = reply
        self._lock = threading.Lock()
        self._freed = False
        self.held = False

    def release(self) -> None:
        with self._lock:
            if self._freed:
                return
            self._freed = True
        self._reply()


class AdmittedLane:
    """The work process's lane: runs the work of handed-over requests, which were admitted before their ack,
    in ``lane``, and frees each request's slot when its work has finished."""

    def __init__(self, lane: ListenerLane) -> None:
        self.lane = lane

    @property
    def pending(self) -> int:
        return self.lane.pending

    def submit(self, work: Callable[[], object], context: BoltContext | None = None) -> bool:
        slot: Slot | None = context.get(SLOT_KEY) if context is not None else None
        if slot is None:
            return self.lane.submit(work, context)

        def run() -> None:
            try:
                work()
            finally:
                slot.release()

        if self.lane.submit(run, context):
            slot.held = True
            return True
        log.error("the work process could not run a Slack request that was acknowledged as taken")
        return False  # not held: the receiver tells the requester and frees the slot


class Receiver:
    """The work process's side: reads every answering process's connection and runs each request."""

    def __init__(self, handoff: Handoff, app: App, replies: ListenerLane | None = None) -> None:
        self._handoff = handoff
        self._app = app
        self._replies = replies or ListenerLane(threads=1)  # "not done" words: never on the reading loop
        self._inbox: queue.SimpleQueue[tuple[_Peer, Any]] = queue.SimpleQueue()
        self._readers: list[threading.Thread] = []
        self._stop_asked = threading.Event()

    def serve(self, *, parent: int) -> int:
        """Run each request handed over until the master says stop (or is gone); returns how many ran."""
        threading.Thread(target=self._accept, name="roombot-handoff-accept", daemon=True).start()
        # Its own thread: a listener's slow first auth.test must not look like a dead process.
        threading.Thread(target=self._beat, name="roombot-handoff-heartbeat", daemon=True).start()
        served = 0
        while True:
            try:
                peer, item = self._inbox.get(timeout=HEARTBEAT_SECONDS)
            except queue.Empty:
                if self._stop_asked.is_set():
                    return served + self._read_out()
                if os.getppid() != parent:
                    log.error("the roombot serve master is gone: stopping")
                    return served + self._read_out()
                continue
            self._run(peer, item)
            served += 1

    def _beat(self) -> None:
        while True:
            self._handoff.beat()
            time.sleep(HEARTBEAT_SECONDS)

    def _read_out(self) -> int:
        """Once stopping: let every connection be read to its end, then run what is left."""
        deadline = time.monotonic() + READ_OUT_SECONDS
        for reader in list(self._readers):
            reader.join(max(0.0, deadline - time.monotonic()))
        served = 0
        while True:
            try:
                peer, item = self._inbox.get_nowait()
            except queue.Empty:
                return served
            self._run(peer, item)
            served += 1

    def _accept(self) -> None:
        while True:
            try:
                connection = self._handoff.accept()
            except Exception as error:  # noqa: BLE001 - a client that failed the handshake: keep listening
                log.warning("refused a connection to the work process: %s", type(error).__name__)
                time.sleep(0.05)  # not a busy loop if the socket itself has failed
                continue
            reader = threading.Thread(target=self._read, args=(_Peer(connection),), name="roombot-handoff-read",
                                      daemon=True)
            self._readers.append(reader)
            reader.start()

    def _read(self, peer: _Peer) -> None:
        while True:
            try:
                item = peer.connection.recv()
            except (EOFError, OSError, ValueError):  # closed, or cut off in the middle of a message
                return
            except Exception:  # a message that does not unpickle: skip it, keep the connection
                log.exception("could not read a Slack request handed over")
                peer.finished()  # its sender counted it
                continue
            if item == STOP:
                self._stop_asked.set()
                return
            self._inbox.put((peer, item))

    def _run(self, peer: _Peer, item: tuple[str, Headers]) -> None:
        body, headers = item
        slot = Slot(peer.finished)
        request = BoltRequest(body=body, headers=dict(headers), context={SLOT_KEY: slot})
        response: BoltResponse | None = None
        try:
            response = self._app.dispatch(request)
        except Exception:
            log.exception("a Slack request handed over by the answering process failed")
        if slot.held:
            return
        # The ack said it was taken; tell the requester it was not (privately), and why when the listener's own
        # answer says it.  Events have no one to tell (as bot.slack.errors.report_after_ack).
        log.warning("a Slack request handed over by the answering process left no work to do")
        slot.release()
        if request.body.get("type") != "event_callback":
            reply = ReplyTo.request(request.body, request.context)
            self._replies.submit(functools.partial(reply.send, not_done_message(response)))


class _Peer:
    """One answering process's connection, as the work process sees it; completions go back over it."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._lock = threading.Lock()

    def finished(self) -> None:
        try:
            with self._lock:  # lane threads finish concurrently; one message at a time
                self.connection.send(1)
        except (OSError, ValueError):
            pass  # that answering process is gone, and its count with it


def not_done_message(response: BoltResponse | None) -> SlackMessage:
    """What to tell a requester whose handed-over request left no work: the listener's own answer when it
    gave one (a modal's input errors, an ephemeral reply), else a general word."""
    detail = ""
    if response is not None and response.body:
        try:
            answer = json.loads(response.body)
        except ValueError:
            answer = None
        if isinstance(answer, dict):
            errors = answer.get("errors")
            if isinstance(errors, dict):
                detail = " ".join(str(text) for text in errors.values())
            elif isinstance(answer.get("text"), str):
                detail = answer["text"]
    return SlackMessage(wording.handed_over_not_done(detail))
