"""Compatibility import: the rooms tests moved to tests/slack/rooms (tests/scheduling still imports from here)."""

from tests.slack.rooms.suggest import (  # noqa: F401
    VIEW_BLOCKS,
    answered_options,
    check_limits,
    check_options,
    mrkdwn_texts,
    sim_rooms,
    suggest,
    text_objects,
)
