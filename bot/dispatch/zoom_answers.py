"""Plain-words pieces of dispatch messages, shared by the join, new-meeting and repair flows."""

from __future__ import annotations

from bot.dispatch.outcomes import Fix, ZoomErrorDetail
from bot.zoom.errors import ZoomError

PASSCODE_FIELDS = frozenset({"params.password", "params.passcode", "password"})


def zoom_error_detail(error: ZoomError) -> ZoomErrorDetail:
    """Zoom's status, code, first field and message (with the field's own message appended)."""
    first = error.fields[0] if error.fields else None
    message = f"{error.message} {first.message}".strip() if first else error.message
    return ZoomErrorDetail(error.status, error.code, first.field if first else None, message)


def is_passcode_error(error: ZoomError) -> bool:
    return any(f.field in PASSCODE_FIELDS for f in error.fields)


def status_words(status: str | None) -> str:
    return {"Offline": "offline", "Available": "available (not in a meeting)", "InMeeting": "in a meeting",
            "UnderConstruction": "under construction (not set up yet)"}.get(status or "", f"in state {status!r}")


def or_list(names: tuple[str, ...]) -> str:
    quoted = [f"“{n}”" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def repair_hint(repair: tuple[Fix, ...]) -> str:
    if repair:
        return " The meeting is on the bot's account: I can give it a passcode Zoom Rooms accept."
    return " Ask the meeting's host for a passcode of at most 10 letters, digits or @ - _ *."
