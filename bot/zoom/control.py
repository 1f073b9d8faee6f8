"""Room control ("make this Zoom Room join / leave a meeting") behind one interface, two protocols.

- ``events`` (current API): ``PATCH /rooms/{id}/events`` with ``{"method": "zoomroom.meeting_join",
  "params": {"meeting_number", "passcode", "force_accept"}}``; Zoom answers 202 with no body, 400 code 300
  when the room is offline, 404 code 1012 for an unknown room. A 202 only means "sent to the room".
- ``jsonrpc`` (legacy API from the seed thread): ``POST /rooms/{roomId}/meetings`` with
  ``{"jsonrpc": "2.0", "method": "join", "params": {"meeting_number", "password", "force_accept"}}``; errors
  may come back with HTTP 200 and a JSON-RPC ``error`` member (``32602 Validation Failed`` on
  ``params.password``), which is raised as ``ZoomValidationError``.

Which room id goes in the path: ``Room.room_id`` from ``GET /rooms``, for both protocols. For ``/events`` this
is what Zoom's field description ("Use this ID for the Dashboard Zoom Room APIs") and the Q-SYS field report
say. The seed thread's legacy call used "an ID returned from /rooms" without saying which; its success
response echoes ``result.room_id``, so ``room_id`` is the consistent reading, and it is what the simulator
implements (the other ``id`` gets 404 1012 on both endpoints). A plain string is used as given.

Retries: a join is never re-sent after Zoom may have acted on it (5xx, read timeout): a second join can
re-trigger a passcode prompt, count towards the 10-failure passcode lockout, or kick the room out of the
meeting it just joined when ``force_accept`` is set. Leave/end are safe to repeat and are retried.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from bot.zoom.errors import ZoomError, error_from_jsonrpc
from bot.zoom.models import ControlAck, Room
from bot.zoom.ratelimit import MEDIUM
from bot.zoom.transport import ZoomCall, ZoomTransport

RoomRef = Room | str


class RoomControl(Protocol):
    protocol: str

    def join(
        self,
        room: RoomRef,
        meeting_number: str,
        passcode: str | None = None,
        force_accept: bool = False,
    ) -> ControlAck:
        """Ask the room to join ``meeting_number`` (empty string: start an instant meeting)."""
        ...

    def leave(self, room: RoomRef) -> ControlAck:
        """Leave the current meeting; also clears a stuck passcode prompt."""
        ...

    def end(self, room: RoomRef) -> ControlAck:
        """End the meeting the room is hosting."""
        ...


def control_room_id(room: RoomRef) -> str:
    """The id both control protocols put in the URL (see module docstring)."""
    return (room.room_id or room.id) if isinstance(room, Room) else str(room)


def normalize_meeting_number(meeting_number: str | int) -> str:
    """Zoom wants the bare digits: users paste ``123 4567 8901`` or ``123-4567-8901``."""
    return re.sub(r"[\s\-\u00a0]", "", str(meeting_number))


class _ProtocolControl:
    """What both protocols share: the join parameters, the call shape and the retry rule per action.

    Subclasses name their Zoom methods, the passcode parameter, and how a request is wrapped and answered.
    """

    protocol: str
    method_names: Mapping[str, str]  # action ("join", "leave", "end") -> this protocol's method name
    passcode_param: str

    def __init__(self, transport: ZoomTransport) -> None:
        self._transport = transport

    def join(
        self, room: RoomRef, meeting_number: str, passcode: str | None = None, force_accept: bool = False
    ) -> ControlAck:
        params: dict[str, Any] = {
            "meeting_number": normalize_meeting_number(meeting_number),
            "force_accept": force_accept,
        }
        if passcode is not None:
            params[self.passcode_param] = passcode
        return self._send(room, "join", params, idempotent=False, secrets=(passcode,))

    def leave(self, room: RoomRef) -> ControlAck:
        return self._send(room, "leave", None, idempotent=True)

    def end(self, room: RoomRef) -> ControlAck:
        return self._send(room, "end", None, idempotent=True)

    def _send(
        self,
        room: RoomRef,
        action: str,
        params: Mapping[str, Any] | None,
        *,
        idempotent: bool,
        secrets: tuple[str | None, ...] = (),
    ) -> ControlAck:
        room_id = control_room_id(room)
        method = self.method_names[action]
        body: dict[str, Any] = {**self._envelope(), "method": method}
        if params is not None:
            body["params"] = params
        http_method, path = self._route(quote(room_id, safe=""))
        call = ZoomCall(http_method, path, MEDIUM, idempotent, json=body, secrets=tuple(s for s in secrets if s))
        return self._acknowledge(method, room_id, self._transport.send(call), call)

    def _envelope(self) -> dict[str, Any]:
        return {}

    def _route(self, quoted_room_id: str) -> tuple[str, str]:
        raise NotImplementedError

    def _acknowledge(self, method: str, room_id: str, response: httpx.Response, call: ZoomCall) -> ControlAck:
        raise NotImplementedError


class EventsRoomControl(_ProtocolControl):
    protocol = "events"
    method_names = {"join": "zoomroom.meeting_join", "leave": "zoomroom.meeting_leave", "end": "zoomroom.meeting_end"}
    passcode_param = "passcode"

    def _route(self, quoted_room_id: str) -> tuple[str, str]:
        return "PATCH", f"/rooms/{quoted_room_id}/events"

    def _acknowledge(self, method: str, room_id: str, response: httpx.Response, call: ZoomCall) -> ControlAck:
        # 202 with no body: the request reached the room, nothing more.
        return ControlAck(
            protocol="events", method=method, room_id=room_id, accepted=True, http_status=response.status_code
        )


class JsonRpcRoomControl(_ProtocolControl):
    protocol = "jsonrpc"
    method_names = {"join": "join", "leave": "leave", "end": "end"}
    passcode_param = "password"

    def _envelope(self) -> dict[str, Any]:
        return {"jsonrpc": "2.0"}

    def _route(self, quoted_room_id: str) -> tuple[str, str]:
        return "POST", f"/rooms/{quoted_room_id}/meetings"

    def _acknowledge(self, method: str, room_id: str, response: httpx.Response, call: ZoomCall) -> ControlAck:
        payload = _json(response)
        if isinstance(payload.get("error"), Mapping):
            # Legacy API reports validation failures with HTTP 200 and a JSON-RPC error member.
            raise error_from_jsonrpc(
                payload, status=response.status_code, request=call.label, secrets=self._transport.secrets(call.secrets)
            )
        result = payload.get("result") if isinstance(payload.get("result"), Mapping) else {}
        request_id = payload.get("id")
        return ControlAck(
            protocol="jsonrpc",
            method=method,
            room_id=room_id,
            accepted=True,
            http_status=response.status_code,
            request_id=str(request_id) if request_id is not None else None,
            sent_at=result.get("send_at"),
            raw=payload,
        )


def _json(response: httpx.Response) -> Mapping[str, Any]:
    try:
        body = response.json()
    except ValueError:
        if not response.content:
            return {}
        raise ZoomError("Zoom answered with something that is not JSON", status=response.status_code) from None
    return body if isinstance(body, Mapping) else {}


def control_for(transport: ZoomTransport) -> RoomControl:
    """The implementation selected by ``ZOOM_ROOMS_API``."""
    if transport.settings.rooms_api == "jsonrpc":
        return JsonRpcRoomControl(transport)
    return EventsRoomControl(transport)
