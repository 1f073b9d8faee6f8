"""What every booking listener shares: the booking service, the runner behind "Dispatch now", the booker's zone."""

from __future__ import annotations

import logging
import os
import socket

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.scheduling.runner import OccurrenceRunner
from bot.scheduling.service import BookingService
from bot.services import Services

log = logging.getLogger(__name__)
DEFAULT_TZ = "UTC"


class BookingsFeature:
    """Installed on ``services.bookings`` by ``bot.slack.bookings.install``."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._service: BookingService | None = None
        self._runner: OccurrenceRunner | None = None

    @property
    def service(self) -> BookingService:
        if self._service is None:
            self._service = BookingService(self.services.wired())
        return self._service

    def runner(self) -> OccurrenceRunner:
        """For "Dispatch now" clicks: the worker's dispatch code, claiming under this process's own id."""
        if self._runner is None:
            worker_id = f"slack:{socket.gethostname()}:{os.getpid()}"
            self._runner = OccurrenceRunner(self.services.wired(), worker_id=worker_id)
        return self._runner


def feature_of(services: Services) -> BookingsFeature:
    feature = services.bookings
    if not isinstance(feature, BookingsFeature):
        raise RuntimeError("the bookings surface is not installed (bot.slack.bookings.install)")
    return feature


def user_time_zone(client: WebClient, user_id: str) -> tuple[str, bool]:
    """The user's IANA zone from their Slack profile (``users.info``), and whether it was found."""
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError as error:
        log.info("users.info failed for a booking: %s", error.response.get("error"))
        return DEFAULT_TZ, False
    tz = user.get("tz")
    return (tz, True) if isinstance(tz, str) and tz else (DEFAULT_TZ, False)
