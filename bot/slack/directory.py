"""Who a Slack user is, as far as room access and passcode repairs need: profile email and user groups.

Both the rooms surface (`/room join`, buttons, forms) and bookings (`/room book`, the booking form, the
worker acting for a booker) build their ``Requester`` here, so a `/room allow <room> @group` rule means the
same thing everywhere.  Answers are cached briefly: one ``usergroups.list`` serves the whole workspace.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.dispatch.outcomes import Requester

log = logging.getLogger(__name__)

TTL_SECONDS = 300.0  # a changed email or group should not keep (or lose) rights for long


class SlackDirectory:
    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic, ttl: float = TTL_SECONDS) -> None:
        self._monotonic = monotonic
        self._ttl = ttl
        self._emails: dict[str, tuple[str | None, float]] = {}
        self._groups: tuple[dict[str, frozenset[str]], float] | None = None
        self._lock = threading.Lock()

    def requester(self, client: WebClient | None, user_id: str, *, is_admin: bool) -> Requester:
        return Requester(user_id, is_admin=is_admin, email=self.email_of(client, user_id),
                         usergroup_ids=self.usergroups_of(client, user_id))

    def known_requester(self, user_id: str, *, is_admin: bool) -> Requester | None:
        """``requester`` from the cache alone, without calling Slack; None when an answer is missing or stale.
        The booking worker asks on its event loop first: a burst of bookings by a few bookers then makes no
        thread hop per dispatch."""
        now = self._monotonic()
        with self._lock:
            email, groups = self._emails.get(user_id), self._groups
        if email is None or groups is None or now - email[1] >= self._ttl or now - groups[1] >= self._ttl:
            return None
        return Requester(user_id, is_admin=is_admin, email=email[0],
                         usergroup_ids=tuple(sorted(group for group, users in groups[0].items() if user_id in users)))

    def usergroups_of(self, client: WebClient | None, user_id: str) -> tuple[str, ...]:
        """The user groups ``user_id`` is in (usergroups:read).  On failure, none: a group rule then does not
        match, which refuses rather than allows."""
        now = self._monotonic()
        with self._lock:
            cached = self._groups
        if cached is None or now - cached[1] >= self._ttl:
            if client is None:
                return ()
            try:
                answer = client.usergroups_list(include_users=True)
            except SlackApiError as error:
                log.info("usergroups.list failed: %s", error.response.get("error"))
                return ()
            members = {str(g.get("id")): frozenset(g.get("users") or ()) for g in answer.get("usergroups") or ()}
            cached = (members, now)
            with self._lock:
                self._groups = cached
        return tuple(sorted(group for group, users in cached[0].items() if user_id in users))

    def email_of(self, client: WebClient | None, user_id: str) -> str | None:
        """The Slack profile email (users:read.email); None when Slack does not say."""
        now = self._monotonic()
        with self._lock:
            cached = self._emails.get(user_id)
        if cached is not None and now - cached[1] < self._ttl:
            return cached[0]
        if client is None:
            return None
        try:
            answer = client.users_info(user=user_id)
        except SlackApiError as error:
            log.info("users.info failed for %s: %s", user_id, error.response.get("error"))
            return None  # not cached: the next request tries again
        email = ((answer.get("user") or {}).get("profile") or {}).get("email") or None
        with self._lock:
            self._emails[user_id] = (email, now)
        return email


def directory_of(services: Any) -> SlackDirectory:
    """The one directory of this process's services (created by the first surface that installs)."""
    if services.directory is None:
        services.directory = SlackDirectory()
    return services.directory
