"""The App Home "Rooms" section: every stored room with its live Zoom status (bookings are another section).

A Home tab is rebuilt each time it is opened, so this must never raise: problems become a line of text.
``install`` adds ``functools.partial(rooms_section, feature)`` to ``services.home_sections``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_sdk.models.blocks import Block

import bot.slack.rooms.room_list as room_list
from bot.slack.rooms.feature import RoomsFeature
from bot.store.db import DatabaseUnavailable

log = logging.getLogger(__name__)

HOME_STATUS_TIMEOUT = 20.0  # seconds; a Home tab that waits longer shows the rooms without status


def rooms_section(feature: RoomsFeature, user_id: str) -> Sequence[Block]:
    try:
        # The Home tab is built in the listener lane; the status comes from the engine's status board.
        rooms, zoom_problem = feature.engine.run(feature.rooms_with_status(), timeout=HOME_STATUS_TIMEOUT)
    except DatabaseUnavailable:
        return room_list.home_blocks([], problem="roombot cannot reach its database right now; try again later.")
    except Exception:
        log.warning("could not build the rooms section of the Home tab", exc_info=True)
        return room_list.home_blocks([], problem="The rooms could not be loaded right now.")
    problem = f"Live status unavailable: {zoom_problem}" if zoom_problem else None
    return room_list.home_blocks(rooms, problem=problem)
