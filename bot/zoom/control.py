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

Third-party meetings (``events`` only): ``{"method": "zoomroom.thirdparty_meeting_join", "params": {...}}`` with
exactly the documented keys of the ``ThirdPartyJoin``'s join type (``url``: join_type, meeting_source_type,
join_url; ``meeting_id``: join_type, meeting_source_type, third_party_meeting_id, passcode when given; ``sip``:
join_type, sip_address), sent, retried and answered like a join. Zoom documents no error of its own for it: a
202 says as little as for a Zoom join, and rooms may not leave a Teams call on ``meeting_leave`` (reference
third-party-meetings.md §0.3). The legacy API has no such method: ``ZoomUnsupported`` is raised before sending.

Retries: a join is never re-sent after Zoom may have acted on it (5xx, read timeout): a second join can
re-trigger a passcode prompt, count towards the 10-failure passcode lockout, or kick the room out of the
meeting it just joined when ``force_accept`` is set. Leave/end are safe to repeat and are retried.

Each protocol is pure (build the ``ZoomCall``, interpret the response); ``EventsRoomControl`` /
``JsonRpcRoomControl`` send over the sync ``ZoomTransport``, ``AsyncEventsRoomControl`` /
``AsyncJsonRpcRoomControl`` over ``AsyncZoomTransport``, with the same calls and the same answers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

import httpx

from bot.zoom.errors import ZoomError, ZoomNotFound, ZoomUnsupported, error_from_jsonrpc
from bot.zoom.models import ControlAck, Room, ThirdPartyJoin, url_secrets
from bot.zoom.ratelimit import MEDIUM
from bot.zoom.transport import TransportPolicy, ZoomCall, ZoomTransport

if TYPE_CHECKING:
    from bot.zoom.aclient import AsyncZoomTransport

log = logging.getLogger("bot.zoom")

RoomRef = Room | str
THIRD_PARTY_JOIN = "zoomroom.thirdparty_meeting_join"


class RoomControl(Protocol):
    protocol: str

    @property
    def supports_third_party(self) -> bool:
        """Whether ``join_third_party`` can be sent (``events``: yes; legacy ``jsonrpc``: no)."""
        ...

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

    def join_third_party(self, room: RoomRef, join: ThirdPartyJoin) -> ControlAck:
        """Ask the room to join a Teams / Google Meet / SIP meeting (``events`` only, else ``ZoomUnsupported``)."""
        ...


class AsyncRoomControl(Protocol):
    """``RoomControl`` for the asyncio client: the same calls, awaited."""

    protocol: str

    @property
    def supports_third_party(self) -> bool: ...

    async def join(
        self,
        room: RoomRef,
        meeting_number: str,
        passcode: str | None = None,
        force_accept: bool = False,
    ) -> ControlAck: ...

    async def leave(self, room: RoomRef) -> ControlAck: ...

    async def end(self, room: RoomRef) -> ControlAck: ...

    async def join_third_party(self, room: RoomRef, join: ThirdPartyJoin) -> ControlAck: ...


def control_room_id(room: RoomRef) -> str:
    """The id both control protocols put in the URL by default (see module docstring)."""
    return _room_path_id(room, "room_id")


def _room_path_id(room: RoomRef, field: str) -> str:
    if not isinstance(room, Room):
        return str(room)
    first, second = (room.room_id, room.id) if field == "room_id" else (room.id, room.room_id)
    return first or second


def normalize_meeting_number(meeting_number: str | int) -> str:
    """Zoom wants the bare digits: users paste ``123 4567 8901`` or ``123-4567-8901``."""
    return re.sub(r"[\s\-\u00a0]", "", str(meeting_number))


def third_party_params(join: ThirdPartyJoin) -> dict[str, str]:
    """The ``params`` of ``zoomroom.thirdparty_meeting_join``: exactly the documented keys of the join type,
    none with a None value (``ThirdPartyJoin`` has already refused fields of other join types)."""
    params = {
        "join_type": join.join_type,
        "meeting_source_type": join.source,
        "join_url": join.join_url,
        "third_party_meeting_id": join.meeting_id,
        "passcode": join.passcode,
        "sip_address": join.sip_address,
    }
    return {key: value for key, value in params.items() if value is not None}


def third_party_secrets(join: ThirdPartyJoin) -> tuple[str, ...]:
    """What must never appear in exception text for this join: the passcode, the join link's query (a Teams
    ``?p=`` is a hashed passcode) and the SIP address and its user part (a SIP passcode is spliced into it)."""
    found: list[str | None] = [join.passcode]
    if join.sip_address:
        user = join.sip_address.rpartition("@")[0] or join.sip_address
        found += [join.sip_address, user, user.removeprefix("sip:")]
    if join.join_url:
        found.extend(url_secrets(join.join_url))
    return tuple(s for s in found if s)


@dataclass(frozen=True)
class ControlRequest:
    """One room-control request, ready to send: the call plus what the answer is matched against."""

    call: ZoomCall
    method: str  # this protocol's method name, e.g. zoomroom.meeting_join
    room_id: str  # as put in the URL


class _ProtocolControl:
    """What both protocols share, as pure functions: the join parameters, the call shape and the retry rule
    per action (``*_request``), and reading the answer (``acknowledge``). No I/O here: the sync and async
    senders below only pass ``request.call`` to their transport.

    Subclasses name their Zoom methods, the passcode parameter, and how a request is wrapped and answered.
    """

    protocol: str
    # action ("join", "leave", "end", "third_party_join") -> this protocol's method name; a missing action is one
    # this protocol does not have (the legacy API: no third-party join).
    method_names: Mapping[str, str]
    passcode_param: str

    def __init__(self, transport: TransportPolicy) -> None:
        self._transport = transport  # only its secrets() are used here

    # Which of a listed room's two ids goes in the path. Zoom's docs do not say; ``room_id`` is the reading
    # the module docstring gives. A 404 code 1012 for one makes the sender try the other once (Zoom did not
    # find the room, so no join can have happened) and remember, for this account, the one that worked.
    id_field = "room_id"

    def join_request(
        self, room: RoomRef, meeting_number: str, passcode: str | None = None, force_accept: bool = False,
        *, field: str | None = None,
    ) -> ControlRequest:
        params: dict[str, Any] = {
            "meeting_number": normalize_meeting_number(meeting_number),
            "force_accept": force_accept,
        }
        if passcode is not None:
            params[self.passcode_param] = passcode
        return self._request(room, "join", params, idempotent=False, secrets=(passcode,), field=field)

    @property
    def supports_third_party(self) -> bool:
        """Whether this protocol can send a room into a Teams / Google Meet / SIP meeting."""
        return "third_party_join" in self.method_names

    def third_party_join_request(
        self, room: RoomRef, join: ThirdPartyJoin, *, field: str | None = None
    ) -> ControlRequest:
        """Never re-sent after Zoom may have acted, like a join. Raises ``ZoomUnsupported`` (nothing sent) on a
        protocol without the method."""
        if not self.supports_third_party:
            raise ZoomUnsupported(
                f"Zoom's {self.protocol} Rooms API has no {THIRD_PARTY_JOIN}: a room cannot be sent into a "
                "Teams, Google Meet or SIP meeting with it (use ZOOM_ROOMS_API=events)",
                protocol=self.protocol,
                method=THIRD_PARTY_JOIN,
            )
        return self._request(room, "third_party_join", third_party_params(join), idempotent=False,
                             secrets=third_party_secrets(join), field=field)

    def leave_request(self, room: RoomRef, *, field: str | None = None) -> ControlRequest:
        return self._request(room, "leave", None, idempotent=True, field=field)

    def end_request(self, room: RoomRef, *, field: str | None = None) -> ControlRequest:
        return self._request(room, "end", None, idempotent=True, field=field)

    def other_id_field(self, room: RoomRef, error: ZoomError) -> str | None:
        """The id field to try once after ``error``, or None when there is nothing else to try."""
        if not (isinstance(error, ZoomNotFound) and error.code == 1012 and isinstance(room, Room)):
            return None
        other = "id" if self.id_field == "room_id" else "room_id"
        alternative = getattr(room, other) or ""
        return other if alternative and alternative != _room_path_id(room, self.id_field) else None

    def acknowledge(self, request: ControlRequest, response: httpx.Response) -> ControlAck:
        """The ``ControlAck`` for a 2xx answer to ``request`` (raises when the body reports an error)."""
        ack = self._acknowledge(request.method, request.room_id, response, request.call)
        return replace(ack, path=request.call.path, http_method=request.call.method)

    def _request(
        self,
        room: RoomRef,
        action: str,
        params: Mapping[str, Any] | None,
        *,
        idempotent: bool,
        secrets: tuple[str | None, ...] = (),
        field: str | None = None,
    ) -> ControlRequest:
        room_id = _room_path_id(room, field or self.id_field)
        method = self.method_names[action]
        body: dict[str, Any] = {**self._envelope(), "method": method}
        if params is not None:
            body["params"] = params
        http_method, path = self._route(quote(room_id, safe=""))
        call = ZoomCall(http_method, path, MEDIUM, idempotent, json=body, secrets=tuple(s for s in secrets if s))
        return ControlRequest(call=call, method=method, room_id=room_id)

    def _remember(self, field: str, ack: ControlAck, refused: ControlRequest) -> ControlAck:
        log.info("Zoom %s: room not found (1012) by %s; %s worked, using it from now on",
                 refused.call.label, self.id_field, field)
        self.id_field = field
        return replace(ack, not_found_paths=(refused.call.path,))

    def _envelope(self) -> dict[str, Any]:
        return {}

    def _route(self, quoted_room_id: str) -> tuple[str, str]:
        raise NotImplementedError

    def _acknowledge(self, method: str, room_id: str, response: httpx.Response, call: ZoomCall) -> ControlAck:
        raise NotImplementedError


class _EventsProtocol(_ProtocolControl):
    protocol = "events"
    method_names = {"join": "zoomroom.meeting_join", "leave": "zoomroom.meeting_leave", "end": "zoomroom.meeting_end",
                    "third_party_join": THIRD_PARTY_JOIN}
    passcode_param = "passcode"

    def _route(self, quoted_room_id: str) -> tuple[str, str]:
        return "PATCH", f"/rooms/{quoted_room_id}/events"

    def _acknowledge(self, method: str, room_id: str, response: httpx.Response, call: ZoomCall) -> ControlAck:
        # 202 with no body: the request reached the room, nothing more.
        return ControlAck(
            protocol="events", method=method, room_id=room_id, accepted=True, http_status=response.status_code
        )


class _JsonRpcProtocol(_ProtocolControl):
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
        raw_result = payload.get("result")
        result = raw_result if isinstance(raw_result, Mapping) else {}
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


class _SyncControl(_ProtocolControl):
    """Sends over ``ZoomTransport``."""

    _transport: ZoomTransport

    def __init__(self, transport: ZoomTransport) -> None:
        super().__init__(transport)

    def join(
        self, room: RoomRef, meeting_number: str, passcode: str | None = None, force_accept: bool = False
    ) -> ControlAck:
        return self._send(room, lambda field: self.join_request(room, meeting_number, passcode, force_accept,
                                                                field=field))

    def leave(self, room: RoomRef) -> ControlAck:
        return self._send(room, lambda field: self.leave_request(room, field=field))

    def end(self, room: RoomRef) -> ControlAck:
        return self._send(room, lambda field: self.end_request(room, field=field))

    def join_third_party(self, room: RoomRef, join: ThirdPartyJoin) -> ControlAck:
        return self._send(room, lambda field: self.third_party_join_request(room, join, field=field))

    def _send(self, room: RoomRef, build: Callable[[str | None], ControlRequest]) -> ControlAck:
        request = build(None)
        try:
            return self.acknowledge(request, self._transport.send(request.call))
        except ZoomError as error:
            other = self.other_id_field(room, error)
            if other is None:
                raise
        retry = build(other)
        ack = self.acknowledge(retry, self._transport.send(retry.call))
        return self._remember(other, ack, request)


class _AsyncControl(_ProtocolControl):
    """Sends over ``AsyncZoomTransport``."""

    _transport: AsyncZoomTransport

    def __init__(self, transport: AsyncZoomTransport) -> None:
        super().__init__(transport)

    async def join(
        self, room: RoomRef, meeting_number: str, passcode: str | None = None, force_accept: bool = False
    ) -> ControlAck:
        return await self._send(room, lambda field: self.join_request(room, meeting_number, passcode, force_accept,
                                                                      field=field))

    async def leave(self, room: RoomRef) -> ControlAck:
        return await self._send(room, lambda field: self.leave_request(room, field=field))

    async def end(self, room: RoomRef) -> ControlAck:
        return await self._send(room, lambda field: self.end_request(room, field=field))

    async def join_third_party(self, room: RoomRef, join: ThirdPartyJoin) -> ControlAck:
        return await self._send(room, lambda field: self.third_party_join_request(room, join, field=field))

    async def _send(self, room: RoomRef, build: Callable[[str | None], ControlRequest]) -> ControlAck:
        request = build(None)
        try:
            return self.acknowledge(request, await self._transport.send(request.call))
        except ZoomError as error:
            other = self.other_id_field(room, error)
            if other is None:
                raise
        retry = build(other)
        ack = self.acknowledge(retry, await self._transport.send(retry.call))
        return self._remember(other, ack, request)


class EventsRoomControl(_SyncControl, _EventsProtocol):
    """``PATCH /rooms/{id}/events`` over the sync transport."""


class JsonRpcRoomControl(_SyncControl, _JsonRpcProtocol):
    """Legacy ``POST /rooms/{roomId}/meetings`` JSON-RPC over the sync transport."""


class AsyncEventsRoomControl(_AsyncControl, _EventsProtocol):
    """``PATCH /rooms/{id}/events`` over the async transport."""


class AsyncJsonRpcRoomControl(_AsyncControl, _JsonRpcProtocol):
    """Legacy ``POST /rooms/{roomId}/meetings`` JSON-RPC over the async transport."""


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


def async_control_for(transport: AsyncZoomTransport) -> AsyncRoomControl:
    """The asyncio implementation selected by ``ZOOM_ROOMS_API``."""
    if transport.settings.rooms_api == "jsonrpc":
        return AsyncJsonRpcRoomControl(transport)
    return AsyncEventsRoomControl(transport)
