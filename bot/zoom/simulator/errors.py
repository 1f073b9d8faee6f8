"""The error every simulator handler raises to answer with a Zoom-shaped error body."""

from __future__ import annotations

from typing import Any


class ZoomError(Exception):
    """An HTTP error with Zoom's `{"code": …, "message": …}` body (or any `body` given explicitly)."""

    def __init__(self, status: int, code: int | None = None, message: str = "", *,
                 extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                 body: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.headers = headers or {}
        if body is None:
            body = {"code": code, "message": message, **(extra or {})}
        self.body = body


def room_not_found(room_id: str) -> ZoomError:
    return ZoomError(404, 1012, f"Room does not exist: {room_id}.")


def meeting_not_found(meeting_id: Any) -> ZoomError:
    return ZoomError(404, 3001, f"Meeting does not exist: {meeting_id}.")


def user_not_found(user_id: str) -> ZoomError:
    return ZoomError(404, 1001, f"User does not exist: {user_id}.")
