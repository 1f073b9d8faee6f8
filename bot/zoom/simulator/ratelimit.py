"""Zoom's rate limits: per-account requests per second per category, and 100 meeting create/update per host per day.

Per-second limits answer 429 with `X-RateLimit-Category`, `X-RateLimit-Type: QPS`, `X-RateLimit-Limit`,
`X-RateLimit-Remaining` and `Retry-After` in seconds.  The per-host daily limit answers the 429 body Zoom sends
("You have exceeded the daily rate limit (100) …") with `X-RateLimit-Type: Daily-limit` and `Retry-After` as an
ISO date-time of the next 00:00 GMT, as Zoom's rate-limit page documents.  Both use the simulated clock.
"""

from __future__ import annotations

import datetime as dt

from .errors import ZoomError
from .state import SimState

CATEGORY_NAMES = {"light": "Light", "medium": "Medium", "heavy": "Heavy", "resource_intensive": "Resource-intensive"}


def check_qps(state: SimState, account_id: str, category: str, now: float) -> None:
    """Count one request in the current second; raise 429 once over the category's limit.  Caller holds the lock."""
    limit = int(state.rate_limits.get(category, 10**9))
    second = int(now)
    buckets = state.counters.setdefault("qps", {})
    key = (account_id, category)
    window, used = buckets.get(key, (second, 0))
    if window != second:
        window, used = second, 0
    if used >= limit:
        raise ZoomError(
            429, 429, "You have reached the maximum per-second rate limit for this API. Try again later.",
            headers={
                "X-RateLimit-Category": CATEGORY_NAMES.get(category, category),
                "X-RateLimit-Type": "QPS",
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": "0",
                "Retry-After": "1",
            })
    buckets[key] = (window, used + 1)


def _day(now: float) -> dt.date:
    return dt.datetime.fromtimestamp(now, dt.UTC).date()


def check_daily_meeting_write(state: SimState, host_id: str, now: float) -> None:
    """Count one meeting create/update for `host_id` today (GMT); raise 429 past the daily limit."""
    limit = state.daily_meeting_write_limit
    today = _day(now)
    counts = state.counters.setdefault("daily", {})
    used = counts.get((host_id, today), 0)
    if used >= limit:
        reset = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0, 0), dt.UTC)
        raise ZoomError(
            429, 429,
            f"You have exceeded the daily rate limit ({limit}) of Meeting Create/Update API requests permitted "
            "for this particular user. You may resume these requests at GMT 00:00:00.",
            headers={
                "X-RateLimit-Category": "Light",
                "X-RateLimit-Type": "Daily-limit",
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": "0",
                "Retry-After": reset.strftime("%Y-%m-%dT%H:%M:%SZ"),
            })
    counts[(host_id, today)] = used + 1
