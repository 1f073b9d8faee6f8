"""Moved to ``bot.devtools.fake_slack`` (``roombot demo`` ships it); re-exported for the tests."""

from bot.devtools.fake_slack import (  # noqa: F401 — re-exports
    BOT_ID,
    BOT_USER_ID,
    DEFAULT_USERS,
    RESPONSE_URL_USES,
    TEAM_ID,
    TRIGGER_TTL_SECONDS,
    FakeMessage,
    FakeSlackApi,
    SlackCall,
    iter_block_texts,
)
