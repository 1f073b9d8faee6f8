"""App Home: "Your bookings", with the same Cancel buttons as `/room bookings mine`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject

from bot.scheduling import messages

log = logging.getLogger("bot.scheduling")
HOME_LIMIT = 10


def section_for(services: Any) -> Callable[[str], Sequence[Block]]:
    def your_bookings(user_id: str) -> Sequence[Block]:
        try:
            views, _ = services.scheduling.bookings.upcoming(user_id=user_id, limit=HOME_LIMIT)
        except Exception:  # noqa: BLE001 - the rest of the Home tab must still render
            log.warning("could not list bookings for App Home", exc_info=True)
            return [ContextBlock(elements=[MarkdownTextObject(text="Your bookings cannot be shown right now.")])]
        return messages.bookings_blocks(views, viewer=user_id, is_admin=False, heading="*Your bookings*")

    return your_bookings
