"""Legacy Zoom Rooms JSON-RPC control: `POST /v2/rooms/{roomId}/meetings` (the seed thread's API).

Body `{"jsonrpc":"2.0","method":"join"|"leave"|"end","params":{"meeting_number","password","force_accept"}}`.
A `password` outside `[A-Za-z0-9@_*-]{1,10}` gets HTTP 200 with exactly the seed thread's body:
`{"jsonrpc":"2.0","error":{"code":32602,"message":"Validation Failed.","data":[{"field":"params.password",
"message":"Invalid field."}]}}`.  Success is HTTP 200 `{"jsonrpc":"2.0","result":{"room_id","send_at"},"id"}`
(the seed shows the body; the status is assumed, reference §1.1).  This API is in no published spec, so it is
not schema-checked; its own checks are the documented ones above.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from . import roomctl
from .context import Ctx, HandlerResult
from .errors import room_not_found

LEGACY_PASSWORD = re.compile(r"[A-Za-z0-9@_*\-]{1,10}")


def _error(code: int, message: str, data: list[dict[str, str]] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "error": error}


def _invalid(field: str) -> dict[str, Any]:
    return _error(32602, "Validation Failed.", [{"field": field, "message": "Invalid field."}])


def jsonrpc(ctx: Ctx) -> HandlerResult:
    room = ctx.state.room_by_room_id(ctx.path["roomId"])
    if room is None or room.account_id != ctx.account.id:
        raise room_not_found(ctx.path["roomId"])
    body = ctx.body
    if not isinstance(body, dict) or body.get("jsonrpc") != "2.0" or not isinstance(body.get("method"), str):
        return 200, _error(32600, "Invalid Request.")
    params = body.get("params", {})
    if not isinstance(params, dict):
        return 200, _invalid("params")
    method = body["method"]
    if method == "join":
        number = params.get("meeting_number", "")
        if not isinstance(number, (str, int)) or (str(number) and not str(number).replace(" ", "").isdigit()):
            return 200, _invalid("params.meeting_number")
        password = params.get("password")
        if password is not None and (not isinstance(password, str) or not LEGACY_PASSWORD.fullmatch(password)):
            return 200, _invalid("params.password")
        force_accept = params.get("force_accept", False)
        if not isinstance(force_accept, bool):
            return 200, _invalid("params.force_accept")
        if not roomctl.is_online(room):
            return 200, _error(32603, "Zoom Room is offline.")
        roomctl.join(ctx.state, room, str(number), password, force_accept, ctx.now)
    elif method in ("leave", "end"):
        if not roomctl.is_online(room):
            return 200, _error(32603, "Zoom Room is offline.")
        roomctl.request_leave(room)
    else:
        return 200, _error(32601, "Method not found.")
    send_at = dt.datetime.fromtimestamp(ctx.now, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return 200, {"jsonrpc": "2.0", "result": {"room_id": room.room_id, "send_at": send_at},
                 "id": str(uuid.uuid4())}
