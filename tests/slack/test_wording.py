"""bot.slack.wording: every reason code has words, and parameters land where the sentence needs them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.dispatch.reasons import Reason, Why, ZoomAction, reason
from bot.slack import wording

SAMPLE = {"room": "Boardroom", "number": "812 3456 7890", "typed": "Bordroom", "suggestions": ("Boardroom",),
          "status": "Offline", "detail": "Zoom said no.", "limit": 3, "pending": 1, "free_at": "09:30",
          "poll_error": "ZoomUnavailable", "seconds": 60, "with_passcode": True, "cleared": True,
          "repairable": True, "action": ZoomAction.SEND.value, "service": "teams", "cloud": "free"}


@pytest.mark.parametrize("why", list(Why))
def test_every_reason_has_words(why: Why) -> None:
    text = wording.describe(Reason(why, SAMPLE))
    assert text and "{" not in text and "None" not in text


@pytest.mark.parametrize("why", list(Why))
def test_missing_parameters_never_raise(why: Why) -> None:
    assert isinstance(wording.describe(Reason(why)), str)


def test_parameters_land_in_the_sentence() -> None:
    assert wording.describe(reason(Why.IN_MEETING, room="Huddle 3", number="812 345 678")) == \
        "Huddle 3 is in meeting 812 345 678."
    assert wording.describe(reason(Why.UNKNOWN_ROOM, typed="Bordroom", suggestions=("Boardroom", "Board 2"))) == \
        "There is no room called “Bordroom”. Did you mean “Boardroom” or “Board 2”?"
    no_suggestion = reason(Why.UNKNOWN_ROOM, typed="x", suggestions=())
    assert wording.describe(no_suggestion).endswith("`/room list` shows the rooms.")
    assert wording.describe(reason(Why.TOO_MANY_FAILED, room="A", limit=3, free_at=None)).endswith("try again later.")


@pytest.mark.parametrize(("action", "doing"), [
    (ZoomAction.SEND, "sending Boardroom to meeting 812 3456 7890"), (ZoomAction.REACH, "reaching Boardroom"),
    (ZoomAction.CREATE_MEETING, "creating the meeting"),
    (ZoomAction.CHANGE_PASSCODE, "changing the passcode of meeting 812 3456 7890"),
])
def test_zoom_failures_say_what_was_being_done(action: ZoomAction, doing: str) -> None:
    refused = reason(Why.ZOOM_REFUSED, room="Boardroom", number="812 3456 7890", action=action.value,
                     detail="It said no.")
    assert wording.describe(refused) == f"Zoom refused {doing}. It said no."


def test_a_send_without_a_meeting_number_is_reaching_the_room() -> None:
    unreachable = reason(Why.ZOOM_UNREACHABLE, room="Boardroom", number=None, action=ZoomAction.SEND.value)
    assert "while reaching Boardroom" in wording.describe(unreachable)


@given(st.sampled_from(list(Why)), st.dictionaries(st.sampled_from(sorted(SAMPLE)), st.text(max_size=20)))
def test_stored_reasons_read_back_as_they_were_worded(why: Why, params: dict[str, str]) -> None:
    original = Reason(why, params)
    stored = Reason.stored(why.value, original.to_json())
    assert stored is not None and wording.describe(stored) == wording.describe(original)


def test_rows_from_before_codes_keep_their_words() -> None:
    assert wording.describe_stored(None, None, "Boardroom is in meeting 1.") == "Boardroom is in meeting 1."
    assert wording.describe_stored("no_such_code", {}, "old words") == "old words"
