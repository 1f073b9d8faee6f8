"""The watch after Zoom accepted a join, with scripted room statuses (Zoom itself is the boundary faked here;
the end-to-end behaviour is covered against the simulator in test_join.py)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from bot.dispatch.service import DispatchPolicy, DispatchService, RoomTarget
from bot.zoom.errors import ZoomAuthError

ROOM = RoomTarget(1, "Boardroom", "room-id", None)


class ScriptedZoom:
    """Answers room status (as the status board does) from a script; an exception in the script is raised for
    that poll."""

    settings = SimpleNamespace(rooms_api="events")

    def __init__(self, *statuses):
        self.statuses = list(statuses)

    async def status(self, _room, *, watching=False):
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if isinstance(status, Exception):
            raise status
        return status


def watch(*statuses, must_leave_first=False, polls=6):
    clock = iter(range(100)).__next__  # each poll advances one "second"; the watch lasts `polls` of them
    zoom = ScriptedZoom(*statuses)

    async def no_wait(_seconds):
        return None

    service = DispatchService(zoom, zoom, None, policy=DispatchPolicy(watch_timeout=polls, poll_interval=0),
                              sleep=no_wait, monotonic=clock)
    return asyncio.run(service._watch(ROOM, must_leave_first=must_leave_first))


def test_a_room_seen_in_the_meeting_has_joined():
    assert watch("Available", "Available", "InMeeting").joined


@pytest.mark.parametrize("statuses", [("InMeeting",), ("InMeeting", "InMeeting", "InMeeting")])
def test_a_room_that_was_already_in_a_meeting_must_be_seen_leaving_it_first(statuses):
    result = watch(*statuses, must_leave_first=True)
    assert not result.joined and result.last == "InMeeting"


def test_leaving_the_old_meeting_then_joining_counts():
    assert watch("InMeeting", "Available", "InMeeting", must_leave_first=True).joined


def test_any_zoom_error_while_polling_is_survived_and_named():
    result = watch(ZoomAuthError("Invalid access token.", status=401, code=124))
    assert not result.joined and result.last is None and result.poll_error == "ZoomAuthError"
