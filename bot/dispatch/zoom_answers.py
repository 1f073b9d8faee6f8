"""Zoom's answer to a failed call, as results and the audit trail carry it (status, code, field, message)."""

from __future__ import annotations

from bot.dispatch.outcomes import ZoomErrorDetail
from bot.dispatch.reasons import Reason, Why, ZoomAction, reason
from bot.zoom.errors import ZoomError, ZoomUnavailable

PASSCODE_FIELDS = frozenset({"params.password", "params.passcode", "password"})


def zoom_error_detail(error: ZoomError) -> ZoomErrorDetail:
    """Zoom's status, code, first field and message (with the field's own message appended)."""
    first = error.fields[0] if error.fields else None
    message = f"{error.message} {first.message}".strip() if first else error.message
    return ZoomErrorDetail(error.status, error.code, first.field if first else None, message)


def is_passcode_error(error: ZoomError) -> bool:
    return any(f.field in PASSCODE_FIELDS for f in error.fields)


def failure_reason(room_name: str, action: ZoomAction, number: str | None, error: ZoomError, *,
                   sent: bool, service: str | None = None) -> Reason:
    """What happened: Zoom refused (with its answer), Zoom was never reached, or Zoom did not answer a room
    request that it may have passed on to the room."""
    if not isinstance(error, ZoomUnavailable):
        return reason(Why.ZOOM_REFUSED, room=room_name, action=action.value, number=number, service=service,
                      detail=error.explain())
    if sent and error.maybe_processed:
        return reason(Why.ZOOM_MAYBE_RECEIVED, room=room_name, action=action.value, number=number, service=service)
    return reason(Why.ZOOM_UNREACHABLE, room=room_name, action=action.value, number=number, service=service)
