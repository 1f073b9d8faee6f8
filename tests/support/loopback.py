"""Moved to ``bot.devtools.loopback`` (``roombot demo`` ships it); re-exported for the tests."""

from bot.devtools.loopback import LoopbackServer  # noqa: F401 — re-export
