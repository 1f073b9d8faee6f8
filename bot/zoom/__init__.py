"""Zoom REST client (httpx) for roombot: ``ZoomClient`` (sync) and ``AsyncZoomClient`` (asyncio), sharing one
policy. The simulator lives in ``bot.zoom.simulator``."""

from bot.zoom.aclient import AsyncZoomClient
from bot.zoom.auth import JwtAuth, ServerToServerOAuth, TokenProvider, provider_for
from bot.zoom.client import ZoomClient
from bot.zoom.control import (
    AsyncEventsRoomControl,
    AsyncJsonRpcRoomControl,
    AsyncRoomControl,
    EventsRoomControl,
    JsonRpcRoomControl,
    RoomControl,
    control_room_id,
)
from bot.zoom.errors import (
    ZoomAuthError,
    ZoomError,
    ZoomFieldError,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomRoomOffline,
    ZoomUnavailable,
    ZoomUnsupported,
    ZoomValidationError,
    parse_retry_after,
)
from bot.zoom.models import (
    AccountSecuritySettings,
    ControlAck,
    LockSettings,
    Meeting,
    Room,
    RoomProfile,
    SecuritySettings,
    ThirdPartyJoin,
    UserSecuritySettings,
)
from bot.zoom.ratelimit import CategoryRateLimiter
from bot.zoom.settings import ZoomSettings

__all__ = [
    "AccountSecuritySettings",
    "AsyncEventsRoomControl",
    "AsyncJsonRpcRoomControl",
    "AsyncRoomControl",
    "AsyncZoomClient",
    "CategoryRateLimiter",
    "ControlAck",
    "EventsRoomControl",
    "JsonRpcRoomControl",
    "JwtAuth",
    "LockSettings",
    "Meeting",
    "Room",
    "RoomControl",
    "RoomProfile",
    "SecuritySettings",
    "ServerToServerOAuth",
    "ThirdPartyJoin",
    "TokenProvider",
    "UserSecuritySettings",
    "ZoomAuthError",
    "ZoomClient",
    "ZoomError",
    "ZoomFieldError",
    "ZoomNotFound",
    "ZoomRateLimited",
    "ZoomRoomOffline",
    "ZoomSettings",
    "ZoomUnavailable",
    "ZoomUnsupported",
    "ZoomValidationError",
    "control_room_id",
    "parse_retry_after",
    "provider_for",
]
