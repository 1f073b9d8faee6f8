"""Shared pytest wiring: each area keeps its fixtures in a plugin module under tests/support/."""

pytest_plugins = [
    "tests.support.zoom_sim",
    "tests.support.db",
    "tests.support.slack",
    "tests.support.stack",
    "tests.support.bookings",
]
