"""What every simulator handler receives and returns; its own module so handlers need not import the app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request

from .state import Account, SimState

HandlerResult = tuple[int, Any] | tuple[int, Any, dict[str, str]]


@dataclass
class Ctx:
    """What a handler gets: the live state, the caller's account and the validated request parts."""

    state: SimState
    request: Request
    account: Account
    path: dict[str, Any]
    query: dict[str, Any]
    body: Any
    now: float
    base_url: str


Handler = Callable[[Ctx], HandlerResult]
