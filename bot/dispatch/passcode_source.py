"""Where a dispatch's passcode comes from (SPEC §7), and who may change a meeting's passcode.

Order: stated by the requester (command, form) → stated in the pasted text (invitation lines, dial strings)
→ ``GET /meetings/{id}`` when the meeting is on the bot's account.  That lookup is a Zoom request, so it is
made only when its answer changes what is done: no passcode is known, or the stated one is one Zoom Rooms
cannot type (the meeting may then be repaired, which needs to know whose meeting it is).  A link's ``pwd=``
value is never used: it is Zoom's encrypted token, not the passcode.  When none of these gives one, the
caller asks the requester.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.dispatch.outcomes import JoinRequest, Requester
from bot.meetings import rooms_compatibility
from bot.zoom.errors import ZoomError, ZoomNotFound
from bot.zoom.models import Meeting

log = logging.getLogger("bot.dispatch")


@dataclass(frozen=True)
class PasscodeSource:
    passcode: str | None
    meeting: Meeting | None  # set when the meeting is on the bot's account


async def find_passcode(request: JoinRequest,
                        lookup: Callable[[str | None], Awaitable[Meeting | None]]) -> PasscodeSource:
    """Stated passcode → passcode in the pasted text → the account's meeting (``lookup``)."""
    if request.without_passcode:
        return PasscodeSource(None, None)
    stated = request.passcode or request.meeting.passcode
    if stated and rooms_compatibility(stated).ok:
        return PasscodeSource(stated, None)  # nothing Zoom could say about the meeting changes the join
    meeting = await lookup(request.meeting.meeting_id)  # with an unusable passcode: may it be repaired?
    if stated:
        return PasscodeSource(stated, meeting)
    if meeting is not None:
        # "" means the meeting has no passcode: join without one.
        return PasscodeSource(meeting.password or None, meeting)
    return PasscodeSource(None, None)


class MeetingReader(Protocol):
    async def get_meeting(self, meeting_id: int | str) -> Meeting: ...


async def account_meeting(zoom: MeetingReader, meeting_id: str | None) -> Meeting | None:
    """The meeting when it is on the bot's account; None when Zoom does not show it to us."""
    if not meeting_id:
        return None
    try:
        return await zoom.get_meeting(meeting_id)
    except ZoomNotFound:
        return None
    except ZoomError as error:  # the lookup is an aid: without it the requester is asked instead
        log.info("meeting lookup failed: %s", type(error).__name__)
        return None


def may_repair(requester: Requester, meeting: Meeting | None) -> bool:
    """Only for meetings on the bot's account, by their host (matched by email) or an admin."""
    if meeting is None:
        return False
    if requester.is_admin:
        return True
    return bool(requester.email and meeting.host_email
                and requester.email.casefold() == meeting.host_email.casefold())
