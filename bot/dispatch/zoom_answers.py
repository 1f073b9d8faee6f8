"""Zoom's answer to a failed call, as results and the audit trail carry it (status, code, field, message)."""

from __future__ import annotations

from bot.dispatch.outcomes import ZoomErrorDetail
from bot.zoom.errors import ZoomError

PASSCODE_FIELDS = frozenset({"params.password", "params.passcode", "password"})


def zoom_error_detail(error: ZoomError) -> ZoomErrorDetail:
    """Zoom's status, code, first field and message (with the field's own message appended)."""
    first = error.fields[0] if error.fields else None
    message = f"{error.message} {first.message}".strip() if first else error.message
    return ZoomErrorDetail(error.status, error.code, first.field if first else None, message)


def is_passcode_error(error: ZoomError) -> bool:
    return any(f.field in PASSCODE_FIELDS for f in error.fields)
