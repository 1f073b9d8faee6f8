"""``FakeSlackApi``: a local stand-in for Slack's Web API and response_url endpoints, over real HTTP.

It answers like Slack for the methods roombot uses (chat.*, views.*, users.info, auth.test, and
functions.completeSuccess / functions.completeError for the Workflow Builder step), keeps the resulting
channel messages, ephemerals, Home tabs and step results, and records every call, so tests can assert on what
Slack *received* — including ``all_text()``, the haystack for "no passcode ever reaches Slack" checks.
Anything it does not know answers ``unknown_method``, as Slack does, rather than a silent success.

A workflow step runs with the token Slack hands out in its ``function_executed`` event (``bot_access_token``,
a workflow token: a subset of the bot token), not with the bot token: ``new_function_execution`` issues one,
and calls made with it are accepted like calls made with the bot token.

It ships in the package (not under tests/) because ``roombot demo`` runs the real app against it; the test
suite imports it from here too (tests/support/slack_api_fake.py re-exports it).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from bot.devtools.loopback import LoopbackServer

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

T = TypeVar("T")
TEAM_ID = "T0TEST"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
RESPONSE_URL_USES = 5  # Slack: a response_url works up to 5 times within 30 minutes
TRIGGER_TTL_SECONDS = 3.0  # Slack: trigger_id expires after 3 seconds, single use
WORKFLOW_TOKEN_PREFIX = "xwfp-"  # Slack's workflow ("just in time") tokens


@dataclass(frozen=True)
class SlackCall:
    """One request Slack received.  ``method`` is a Web API method, ``"response_url"`` or ``"ack"``."""

    method: str
    params: dict[str, Any]  # query + form + JSON, with JSON-encoded strings (blocks, view) decoded
    token: str | None = None
    response_url_id: str | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class FakeMessage:
    channel: str
    ts: str
    text: str
    blocks: list[Any]
    ephemeral_to: str | None = None  # user id for ephemeral messages
    thread_ts: str | None = None
    via: str = "chat.postMessage"


@dataclass
class _ResponseUrl:
    channel_id: str | None
    user_id: str | None
    message_ts: str | None
    uses: int = 0


@dataclass
class FunctionExecution:
    """One run of a custom step (a ``function_executed`` event), as Slack tracks it until it is completed.

    ``outcome`` is None while it runs, then ``"success"`` (with ``outputs``) or ``"error"`` (with ``error``):
    what ``functions.completeSuccess`` / ``functions.completeError`` said.
    """

    function_execution_id: str
    workflow_execution_id: str
    callback_id: str
    bot_access_token: str
    outcome: str | None = None
    outputs: dict[str, Any] | None = None
    error: str | None = None
    completed_at: float | None = None

    @property
    def running(self) -> bool:
        return self.outcome is None


@dataclass
class _Injected:
    body: dict[str, Any]
    status: int
    headers: dict[str, str]
    times: int


DEFAULT_USERS: dict[str, dict[str, str]] = {
    "U1": {"name": "alice", "email": "alice@example.com", "tz": "America/New_York"},
    "U2": {"name": "bob", "email": "bob@example.com", "tz": "Europe/Berlin"},
    "UADMIN": {"name": "ada", "email": "ada@example.com", "tz": "UTC"},
}


class FakeSlackApi:
    def __init__(self, *, bot_token: str = "xoxb-test-token", users: dict[str, dict[str, str]] | None = None):
        self.bot_token = bot_token
        self._lock = threading.Condition()
        self._calls: list[SlackCall] = []
        self._messages: list[FakeMessage] = []
        self._views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self._users: dict[str, dict[str, str]] = dict(DEFAULT_USERS if users is None else users)
        self._usergroups: dict[str, dict[str, Any]] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._triggers: dict[str, float] = {}
        self._injected: dict[str, list[_Injected]] = {}
        self._closed: set[str] = set()  # conversations the bot is not in
        self._executions: dict[str, FunctionExecution] = {}  # by function_execution_id
        self._workflow_tokens: set[str] = set()
        self._ids = itertools.count(1)
        self._server = LoopbackServer(self._wsgi, name="fake-slack-api")

    # ----- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> FakeSlackApi:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> FakeSlackApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self._server.url

    @property
    def api_url(self) -> str:
        """Value for SLACK_API_URL / ``WebClient(base_url=...)``."""
        return f"{self.base_url}/api/"

    # ----- set-up helpers -----------------------------------------------------------------------------
    def add_user(self, user_id: str, *, name: str, email: str, tz: str = "UTC") -> None:
        with self._lock:
            self._users[user_id] = {"name": name, "email": email, "tz": tz}

    def add_usergroup(self, group_id: str, handle: str, members: list[str]) -> None:
        with self._lock:
            self._usergroups[group_id] = {"id": group_id, "handle": handle, "users": list(members)}

    def new_response_url(self, *, channel_id: str | None, user_id: str | None, message_ts: str | None = None) -> str:
        response_id = f"R{next(self._ids):04d}"
        with self._lock:
            self._response_urls[response_id] = _ResponseUrl(channel_id, user_id, message_ts)
        return f"{self.base_url}/response/{response_id}"

    def new_trigger_id(self) -> str:
        trigger_id = f"{next(self._ids)}.{int(time.time())}.trigger"
        with self._lock:
            self._triggers[trigger_id] = time.monotonic()
        return trigger_id

    def new_function_execution(self, callback_id: str) -> FunctionExecution:
        """A running step execution and its workflow token, for a ``function_executed`` event
        (``SignedSlackClient.function_executed`` sends one)."""
        number = next(self._ids)
        execution = FunctionExecution(f"Fx{number:010d}", f"Wx{number:010d}", callback_id,
                                      f"{WORKFLOW_TOKEN_PREFIX}{TEAM_ID}-{number:06d}-{time.time_ns():x}")
        with self._lock:
            self._executions[execution.function_execution_id] = execution
            self._workflow_tokens.add(execution.bot_access_token)
        return execution

    def close_channel(self, channel_id: str) -> None:
        """A private channel (or someone else's DM) the bot is not in: posting there fails as on Slack, with
        ``channel_not_found``."""
        with self._lock:
            self._closed.add(channel_id)

    def inject_error(self, method: str, error: str, *, times: int = 1, status: int = 200,
                     headers: dict[str, str] | None = None) -> None:
        """Make the next ``times`` calls of ``method`` fail, e.g. ``inject_error("chat.update", "ratelimited",
        status=429, headers={"Retry-After": "1"})``."""
        with self._lock:
            self._injected.setdefault(method, []).append(
                _Injected({"ok": False, "error": error}, status, dict(headers or {}), times)
            )

    def record_ack(self, body: dict[str, Any]) -> None:
        """Called by SignedSlackClient: an HTTP response body to Slack is also text Slack receives."""
        self._record(SlackCall("ack", _decode_json_strings(body)))

    # ----- inspection ---------------------------------------------------------------------------------
    def calls(self, method: str | None = None) -> list[SlackCall]:
        with self._lock:
            return [call for call in self._calls if method is None or call.method == method]

    def all_messages(self) -> list[FakeMessage]:
        """Every message still there (channel posts, ephemerals, DMs), in posting order, as copies."""
        with self._lock:
            return [dataclasses.replace(m, blocks=list(m.blocks)) for m in self._messages]

    def messages_in(self, channel: str) -> list[FakeMessage]:
        """Messages everyone in ``channel`` can see, in their current (updated) form."""
        with self._lock:
            return [m for m in self._messages if m.channel == channel and m.ephemeral_to is None]

    def ephemerals(self, user_id: str | None = None, *, channel: str | None = None) -> list[FakeMessage]:
        with self._lock:
            return [
                m for m in self._messages
                if m.ephemeral_to is not None and user_id in (None, m.ephemeral_to) and channel in (None, m.channel)
            ]

    def responses(self, response_url: str | None = None) -> list[SlackCall]:
        """Posts to response_urls (all, or to one url)."""
        wanted = response_url.rsplit("/", 1)[-1] if response_url else None
        return [c for c in self.calls("response_url") if wanted in (None, c.response_url_id)]

    def all_text(self) -> str:
        """Every string Slack received (texts, blocks, views, ack bodies), one per line."""
        strings: list[str] = []
        for call in self.calls():
            _collect_strings(call.params, strings)
        return "\n".join(strings)

    def function_execution(self, function_execution_id: str) -> FunctionExecution:
        """A step execution as it is now (a copy): ``outcome`` None while it runs."""
        with self._lock:
            return dataclasses.replace(self._executions[function_execution_id])

    def wait_for_completion(self, function_execution_id: str, timeout: float = 15.0) -> FunctionExecution:
        """Wait until the step execution was completed (successfully or not) and return it."""
        def finished() -> FunctionExecution | None:
            execution = self.function_execution(function_execution_id)
            return None if execution.running else execution

        found = self.wait_for(finished, timeout, what=f"step {function_execution_id} to be completed")
        assert found is not None  # wait_for returns only a truthy answer
        return found

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0, *, what: str = "") -> T:
        """Poll ``predicate`` (re-checked after every call Slack receives) until truthy; return its value."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = ", ".join(c.method for c in self._calls) or "nothing"
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {what or predicate!r}; Slack got: {seen}"
                    )
                self._lock.wait(min(remaining, 0.05))

    # ----- HTTP side ----------------------------------------------------------------------------------
    def _record(self, call: SlackCall) -> None:
        with self._lock:
            self._calls.append(call)
            self._lock.notify_all()

    def _wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI app: what ``@Request.application`` does, spelled out (its typing has no room for a method)."""
        request = Request(environ)
        with request:
            try:
                response = self._answer(request)
            except HTTPException as error:
                return error.get_response(environ)(environ, start_response)
            return response(environ, start_response)

    def _answer(self, request: Request) -> Response:
        if request.path.startswith("/response/"):
            return self._response_url_post(request.path.rsplit("/", 1)[-1], request)
        if not request.path.startswith("/api/"):
            return Response("not found", status=404)
        method = request.path[len("/api/"):]
        params = _decode_json_strings({**request.args.to_dict(), **request.form.to_dict(), **_json_body(request)})
        auth = request.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else params.pop("token", None)
        self._record(SlackCall(method, params, token))
        injected = self._take_injected(method)
        if injected is not None:
            return _json(injected.body, injected.status, injected.headers)
        if not token:
            return _json({"ok": False, "error": "not_authed"})
        if token != self.bot_token and not self._is_workflow_token(token):
            return _json({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            return _json({"ok": False, "error": "unknown_method"})
        with self._lock:
            return _json(handler(params))

    def _is_workflow_token(self, token: str) -> bool:
        with self._lock:
            return token in self._workflow_tokens

    def _take_injected(self, method: str) -> _Injected | None:
        with self._lock:
            queue = self._injected.get(method) or []
            if not queue:
                return None
            injected = queue[0]
            injected.times -= 1
            if injected.times <= 0:
                queue.pop(0)
            return injected

    def _response_url_post(self, response_id: str, request: Request) -> Response:
        body = _decode_json_strings(_json_body(request))
        self._record(SlackCall("response_url", body, response_url_id=response_id))
        with self._lock:
            target = self._response_urls.get(response_id)
            if target is None:
                return Response("no_such_url", status=404)
            target.uses += 1
            if target.uses > RESPONSE_URL_USES:
                return Response("used_url", status=404)
            text, blocks = str(body.get("text", "")), list(body.get("blocks") or [])
            original = self._find(target.channel_id, target.message_ts)
            if body.get("delete_original") and original is not None:
                self._messages.remove(original)
            elif _truthy(body.get("replace_original")) and original is not None:
                original.text, original.blocks = text, blocks
            else:
                in_channel = body.get("response_type") == "in_channel"
                self._messages.append(FakeMessage(
                    channel=target.channel_id or "", ts=self._next_ts(), text=text, blocks=blocks,
                    ephemeral_to=None if in_channel else target.user_id, via="response_url",
                ))
            self._lock.notify_all()
        return Response("ok", status=200, content_type="text/html")

    # ----- Web API methods (called with the lock held) -------------------------------------------------
    def _api_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://roombot-test.slack.com/", "team": "roombot test", "user": "roombot",
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}

    def _api_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel") or params["channel"] in self._closed:
            return {"ok": False, "error": "channel_not_found"}
        if not (params.get("text") or params.get("blocks") or params.get("attachments")):
            return {"ok": False, "error": "no_text"}
        message = FakeMessage(str(params["channel"]), self._next_ts(), str(params.get("text", "")),
                              list(params.get("blocks") or []), thread_ts=params.get("thread_ts"))
        self._messages.append(message)
        return {"ok": True, "channel": message.channel, "ts": message.ts, "message": self._message_json(message)}

    def _api_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel") or params["channel"] in self._closed or not params.get("user"):
            closed = not params.get("channel") or params["channel"] in self._closed
            return {"ok": False, "error": "channel_not_found" if closed else "user_not_found"}
        message = FakeMessage(str(params["channel"]), self._next_ts(), str(params.get("text", "")),
                              list(params.get("blocks") or []), ephemeral_to=str(params["user"]),
                              via="chat.postEphemeral")
        self._messages.append(message)
        return {"ok": True, "message_ts": message.ts}

    def _api_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params.get("channel"), params.get("ts"))
        if message is None or message.ephemeral_to is not None:
            return {"ok": False, "error": "message_not_found"}
        if "text" in params:
            message.text = str(params["text"])
        if "blocks" in params:
            message.blocks = list(params.get("blocks") or [])
        return {"ok": True, "channel": message.channel, "ts": message.ts, "text": message.text,
                "message": self._message_json(message)}

    def _api_chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params.get("channel"), params.get("ts"))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        self._messages.remove(message)
        return {"ok": True, "channel": message.channel, "ts": message.ts}

    def _api_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        error = self._use_trigger(params.get("trigger_id"))
        return {"ok": False, "error": error} if error else self._store_view(params.get("view") or {})

    def _api_views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._api_views_open(params)

    def _api_views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = params.get("view_id")
        if view_id is None:
            external_id = params.get("external_id")
            matches = [i for i, v in self._views.items() if external_id and v.get("external_id") == external_id]
            view_id = matches[0] if matches else None
        current = self._views.get(str(view_id))
        if current is None:
            return {"ok": False, "error": "not_found"}
        if params.get("hash") and params["hash"] != current["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        return self._store_view(params.get("view") or {}, view_id=str(view_id))

    def _api_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = params.get("user_id")
        if not user_id:
            return {"ok": False, "error": "invalid_arguments"}
        stored = self._store_view(params.get("view") or {})
        self.home_views[str(user_id)] = stored["view"]
        return stored

    def _api_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user", ""))
        user = self._users.get(user_id)
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        zone = ZoneInfo(user["tz"])
        offset = datetime.now(zone).utcoffset()
        return {"ok": True, "user": {
            "id": user_id, "team_id": TEAM_ID, "name": user["name"], "real_name": user["name"].title(),
            "deleted": False, "is_bot": False, "tz": user["tz"], "tz_label": user["tz"],
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": {"email": user["email"], "real_name": user["name"].title(), "display_name": user["name"]},
        }}

    def _api_usergroups_list(self, params: dict[str, Any]) -> dict[str, Any]:
        include_users = str(params.get("include_users", "")).lower() in ("1", "true")
        groups = [{k: v for k, v in group.items() if k != "users" or include_users}
                  for group in self._usergroups.values()]
        return {"ok": True, "usergroups": groups}

    def _api_functions_completeSuccess(self, params: dict[str, Any]) -> dict[str, Any]:
        outputs = params.get("outputs")
        if not isinstance(outputs, dict):
            return {"ok": False, "error": "parameter_validation_failed"}
        return self._complete(params, "success", outputs=outputs)

    def _api_functions_completeError(self, params: dict[str, Any]) -> dict[str, Any]:
        error = params.get("error")
        if not isinstance(error, str) or not error:
            return {"ok": False, "error": "invalid_arguments"}
        return self._complete(params, "error", error=error)

    # ----- internals -----------------------------------------------------------------------------------
    def _complete(self, params: dict[str, Any], outcome: str, *, outputs: dict[str, Any] | None = None,
                  error: str | None = None) -> dict[str, Any]:
        """Slack's answers to completing a step (functions.completeSuccess's documented errors)."""
        execution = self._executions.get(str(params.get("function_execution_id", "")))
        if execution is None:
            return {"ok": False, "error": "function_execution_not_found"}
        if not execution.running:
            return {"ok": False, "error": "execution_not_in_running_state"}
        execution.outcome, execution.outputs, execution.error = outcome, outputs, error
        execution.completed_at = time.monotonic()
        self._lock.notify_all()
        return {"ok": True}

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ids)}.000100"

    def _find(self, channel: Any, ts: Any) -> FakeMessage | None:
        return next((m for m in self._messages if m.channel == channel and m.ts == ts), None)

    def _message_json(self, message: FakeMessage) -> dict[str, Any]:
        return {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": message.ts,
                "text": message.text, "blocks": message.blocks}

    def _use_trigger(self, trigger_id: Any) -> str | None:
        issued = self._triggers.pop(str(trigger_id), None)
        if issued is None:
            return "invalid_trigger_id" if trigger_id else "invalid_arguments"
        return "expired_trigger_id" if time.monotonic() - issued > TRIGGER_TTL_SECONDS else None

    def _store_view(self, view: dict[str, Any], *, view_id: str | None = None) -> dict[str, Any]:
        view_id = view_id or f"V{next(self._ids):06d}"
        stored = {**view, "id": view_id, "team_id": TEAM_ID, "hash": f"{time.time():.6f}.{next(self._ids)}",
                  "state": {"values": {}}, "root_view_id": view_id, "app_id": "A0TEST", "bot_id": BOT_ID}
        self._views[view_id] = stored
        return {"ok": True, "view": stored}


def _json_body(request: Request) -> dict[str, Any]:
    if not request.mimetype.endswith("json"):
        return {}
    loaded = json.loads(request.get_data(as_text=True) or "{}")
    return loaded if isinstance(loaded, dict) else {}


def _decode_json_strings(params: dict[str, Any]) -> dict[str, Any]:
    """slack_sdk sends ``blocks``/``view`` form fields as JSON strings; decode them so tests see structure."""
    decoded: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, str) and value[:1] in ("[", "{"):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        decoded[key] = value
    return decoded


def _collect_strings(value: Any, into: list[str]) -> None:
    if isinstance(value, str):
        into.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _collect_strings(item, into)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect_strings(item, into)


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


def iter_block_texts(blocks: list[Any]) -> Iterator[str]:
    """Every string inside ``blocks`` (for assertions on block content)."""
    strings: list[str] = []
    _collect_strings(blocks, strings)
    return iter(strings)
