"""App Home: "Your bookings", with the same Cancel buttons as `/room bookings mine` (the next ``HOME_LIMIT``, and
a line saying so when there are more: a Home tab holds 100 blocks, and every booking takes two)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject

from bot.services import Services
from bot.slack.bookings import messages
from bot.slack.bookings.feature import feature_of

log = logging.getLogger(__name__)
HOME_LIMIT = 10


def section_for(services: Services) -> Callable[[str], Sequence[Block]]:
    def your_bookings(user_id: str) -> Sequence[Block]:
        try:
            # One more than is shown, to know whether to say there are more.
            views, _ = feature_of(services).service.upcoming(user_id=user_id, limit=HOME_LIMIT + 1)
        except Exception:
            log.warning("could not list bookings for App Home", exc_info=True)
            return [ContextBlock(elements=[MarkdownTextObject(text="Your bookings cannot be shown right now.")])]
        blocks = messages.bookings_blocks(views[:HOME_LIMIT], viewer=user_id, is_admin=False,
                                          heading="*Your bookings*")
        if len(views) > HOME_LIMIT:
            blocks.append(ContextBlock(elements=[MarkdownTextObject(
                text=f"Only your next {HOME_LIMIT} are shown here: `/room bookings mine` lists more.")]))
        return blocks

    return your_bookings
