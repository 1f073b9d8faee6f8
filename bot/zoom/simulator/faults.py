"""Injected faults: latency, 5xx answers and timeouts for matching Zoom requests (set via POST /_sim/faults)."""

from __future__ import annotations

import threading
import time

from werkzeug.wrappers import Request

from .errors import ZoomError
from .state import Fault, SimState


def _take(state: SimState, request: Request) -> Fault | None:
    """The first fault matching this request, with its remaining count decremented.  Exhausted faults are removed."""
    with state.lock:
        for fault in state.faults:
            if not request.path.startswith(fault.path_prefix):
                continue
            if fault.method and fault.method.upper() != request.method:
                continue
            if fault.count is not None:
                fault.count -= 1
                if fault.count <= 0:
                    state.faults.remove(fault)
            return fault
    return None


def apply(state: SimState, request: Request, stop_event: threading.Event) -> None:
    fault = _take(state, request)
    if fault is None:
        return
    if fault.latency_ms:
        # Interruptible so that stopping the server does not wait for injected latency.
        stop_event.wait(fault.latency_ms / 1000)
    if fault.timeout:
        deadline = time.monotonic() + fault.timeout_seconds
        while not stop_event.is_set() and time.monotonic() < deadline:
            stop_event.wait(0.05)
        raise ZoomError(504, 504, "Gateway Timeout")
    if fault.status:
        body = fault.body or {"code": fault.status, "message": "Internal Server Error" if fault.status == 500
                              else "Service Unavailable"}
        raise ZoomError(fault.status, body=body)
