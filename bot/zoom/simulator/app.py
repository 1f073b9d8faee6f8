"""The simulator's WSGI application: routing, faults, auth, rate limits, schema checks, request log.

Every Zoom request goes through the same pipeline, in the order Zoom appears to apply it: injected faults →
route → access token (401 124) → per-second rate limit (429) → request schema (400 300) → the handler.
Handlers run under the state lock, so a request sees and leaves a consistent state.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import admin, auth, faults, legacy, meetings, ratelimit, rooms, schemas, users
from .context import Ctx, Handler
from .errors import ZoomError
from .state import SimState, default_state

# (rule, method, operation key in zoom_request_schemas.json or None, rate-limit category, handler)
ROUTES: list[tuple[str, str, str | None, str, Handler]] = [
    ("/v2/rooms", "GET", "GET /rooms", "medium", rooms.list_rooms),
    ("/v2/rooms/<roomId>", "GET", "GET /rooms/{roomId}", "medium", rooms.get_room),
    ("/v2/rooms/<id>/events", "PATCH", "PATCH /rooms/{id}/events", "medium", rooms.room_events),
    # Legacy JSON-RPC API: in no published spec, so no schema; it validates its own params (legacy.py).
    ("/v2/rooms/<roomId>/meetings", "POST", None, "medium", legacy.jsonrpc),
    ("/v2/users/<userId>", "GET", "GET /users/{userId}", "medium", users.get_user),
    ("/v2/users/<userId>/settings", "GET", "GET /users/{userId}/settings", "medium", users.user_settings),
    ("/v2/users/<userId>/meetings", "POST", "POST /users/{userId}/meetings", "light", meetings.create_meeting),
    ("/v2/meetings/<meetingId>", "GET", "GET /meetings/{meetingId}", "light", meetings.get_meeting),
    ("/v2/meetings/<meetingId>", "PATCH", "PATCH /meetings/{meetingId}", "light", meetings.update_meeting),
    ("/v2/meetings/<meetingId>", "DELETE", "DELETE /meetings/{meetingId}", "light", meetings.delete_meeting),
    ("/v2/accounts/<accountId>/settings", "GET", "GET /accounts/{accountId}/settings", "medium",
     users.account_settings),
    ("/v2/accounts/<accountId>/lock_settings", "GET", "GET /accounts/{accountId}/lock_settings", "medium",
     users.account_lock_settings),
]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    if body is None:
        return Response(b"", status=status, headers=headers)
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json;charset=UTF-8")


class SimulatorApp:
    def __init__(self, state: SimState, stop_event: threading.Event | None = None) -> None:
        self.state = state
        self.stop_event = stop_event or threading.Event()
        self.url_map = Map([Rule(rule, methods=[method], endpoint=index)
                            for index, (rule, method, *_rest) in enumerate(ROUTES)], strict_slashes=False)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        if request.path.startswith("/_sim/"):
            response = admin.handle(self.state, request)
            return response(environ, start_response)
        body = _parse_json(request) if request.path.startswith("/v2/") else None
        try:
            # Faults first and outside the lock: latency and timeouts must not stall other requests.
            faults.apply(self.state, request, self.stop_event)
            response = self._dispatch(request, body)
        except ZoomError as error:
            response = json_response(error.status, error.body, error.headers)
        self._record(request, body, response)
        return response(environ, start_response)

    def _dispatch(self, request: Request, body: Any) -> Response:
        base_url = request.host_url.rstrip("/")
        if request.path.rstrip("/") == "/oauth/token":
            if request.method != "POST":
                raise ZoomError(405, 405, "Method Not Allowed")
            status, payload = auth.token_endpoint(self.state, request, base_url)
            return json_response(status, payload)
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            index, matched = adapter.match()
        except MethodNotAllowed:
            raise ZoomError(405, 405, "Method Not Allowed") from None
        except (NotFound, HTTPException):
            raise ZoomError(404, 404, "Not Found") from None
        path_params = {name: str(value) for name, value in matched.items()}  # the rules use string converters only
        _rule, _method, op_key, category, handler = ROUTES[index]
        if isinstance(body, ZoomError):
            raise body
        with self.state.lock:
            now = self.state.clock.now()
            account = auth.authenticate(self.state, request, now)
            ratelimit.check_qps(self.state, account.id, category, now)
            query = {key: request.args.get(key, "") for key in request.args}
            if op_key is not None:
                path, query = schemas.validate(op_key, path_params, query, body)
            else:
                path = dict(path_params)
            ctx = Ctx(self.state, request, account, path, query, body, now, base_url)
            result = handler(ctx)
        status, payload, *rest = result
        return json_response(status, payload, rest[0] if rest else None)

    def _record(self, request: Request, body: Any, response: Response) -> None:
        entry = {
            "method": request.method,
            "path": request.path,
            "query": {key: request.args.get(key) for key in request.args},
            "json": None if isinstance(body, ZoomError) else body,
            "form": dict(request.form) if request.path.startswith("/oauth/") else None,
            "status": response.status_code,
            "at": self.state.clock.now(),
        }
        with self.state.lock:
            self.state.requests.append(entry)


def _parse_json(request: Request) -> Any:
    """The JSON body, None when there is none, or a ZoomError to raise once the request is authenticated."""
    if request.method in ("GET", "DELETE", "HEAD"):
        return None
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return ZoomError(400, 300, "Request Body should be a valid JSON object.")


def create_simulator_app(state: SimState | dict[str, Any] | None = None,
                         stop_event: threading.Event | None = None) -> SimulatorApp:
    """Build the WSGI app around a state (a SimState, a state dict as in the JSON file, or None for defaults)."""
    if state is None:
        state = default_state()
    elif isinstance(state, dict):
        state = SimState.from_dict(state)
    return SimulatorApp(state, stop_event)
