"""`/room new` and passcode repair at the service level, against the simulator's security scenarios."""

from __future__ import annotations

import pytest

from bot.dispatch.outcomes import Fix, JoinRequest, Requester, ResultKind
from bot.meetings import PasscodeRequirement, is_rooms_compatible, parse_meeting_reference, requirement_violations
from bot.slack.wording import describe

ALICE = Requester("U_ALICE", email="alice@example.com")
HOST = Requester("U_HOST", email="host@example.com")
ADMIN = Requester("U_ADMIN", is_admin=True)
SEED_PASSCODE = "w46!(i{74n"

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])  # storage is covered on both in test_join


def meeting_state(stack, meeting_id: str) -> dict:
    return stack.admin("GET", f"/meetings/{meeting_id}")


def test_new_meeting_gets_a_rooms_compatible_passcode_meeting_the_host_rules(stack):
    stack.admin("PATCH", "/accounts/me", {"meeting_password_requirement": {
        "length": 8, "have_upper_and_lower_characters": True, "have_number": True, "have_special_character": True,
        "consecutive_characters_length": 4}})
    result = stack.meetings.new_meeting("Boardroom", "Design review", ALICE, "C_OPS")
    assert result.kind is ResultKind.IN_MEETING, describe(result.reason)
    passcode = result.passcode_for_requester
    assert passcode and is_rooms_compatible(passcode)
    requirement = PasscodeRequirement(length=8, have_upper_and_lower_characters=True, have_number=True,
                                      have_special_character=True, consecutive_characters_length=4)
    assert requirement_violations(passcode, requirement) == []
    meeting = meeting_state(stack, result.meeting_id)
    assert meeting["password"] == passcode and meeting["topic"] == "Design review"
    assert result.join_url and passcode not in result.join_url and "pwd=" in result.join_url
    assert passcode not in describe(result.reason) and all(passcode not in note for note in map(describe, result.notes))
    assert stack.sim_room("Boardroom")["meeting_number"] == result.meeting_id


def test_forced_waiting_room_is_read_back_and_explained(stack):
    stack.admin("PATCH", "/accounts/me", {"security": {"waiting_room": {"enabled": True, "locked": True}}})
    result = stack.meetings.new_meeting("Huddle 3", None, ALICE, "C_OPS")
    assert result.kind is ResultKind.IN_MEETING, describe(result.reason)
    assert meeting_state(stack, result.meeting_id)["settings"]["waiting_room"] is True
    assert describe(result.reason).endswith("in its waiting room: someone in the meeting must admit it.")
    assert any("admit Huddle 3 from the waiting room" in note for note in map(describe, result.notes))


def test_passcode_forbidden_by_the_account_creates_a_meeting_without_one(stack):
    stack.admin("PATCH", "/accounts/me", {"security": {"passcode": {"enabled": False, "locked": True}}})
    result = stack.meetings.new_meeting("Huddle 3", None, ALICE, "C_OPS")
    assert result.kind is ResultKind.IN_MEETING, describe(result.reason)
    assert result.passcode_for_requester is None
    assert any("does not allow passcodes" in note for note in map(describe, result.notes))
    assert any("waiting room" in note for note in map(describe, result.notes))  # Zoom enabled it instead (scenario 4)


def test_unsatisfiable_passcode_rules_are_a_clear_error_and_create_nothing(stack):
    stack.admin("PATCH", "/accounts/me", {"meeting_password_requirement": {"length": 12}})
    result = stack.meetings.new_meeting("Boardroom", None, ALICE, "C_OPS")
    assert result.kind is ResultKind.CONFIG_ERROR
    assert "relax the passcode requirement" in describe(result.reason)
    assert stack.zoom_requests("/meetings", "POST") == []


def test_new_meeting_on_a_busy_room_asks_first(stack):
    result = stack.meetings.new_meeting("Training Room", None, ALICE, "C_OPS")
    assert result.kind is ResultKind.ROOM_BUSY and Fix.JOIN_ANYWAY in result.fixes
    assert stack.zoom_requests("/users/", "POST") == []


@pytest.mark.parametrize("requester", [HOST, ADMIN])
def test_repair_gives_the_meeting_a_compatible_passcode_and_joins(make_stack, requester):
    stack = make_stack(rooms_api="jsonrpc")
    created = stack.zoom.create_meeting(None, {"topic": "Seed", "type": 2, "password": SEED_PASSCODE})
    refused = stack.dispatcher.join(JoinRequest("Boardroom", parse_meeting_reference(str(created.id)), requester, "C1"))
    assert refused.kind is ResultKind.PASSCODE_INCOMPATIBLE and Fix.REPAIR_PASSCODE in refused.fixes
    result = stack.meetings.repair("Boardroom", str(created.id), requester, "C1")
    assert result.kind is ResultKind.IN_MEETING, describe(result.reason)
    new_passcode = result.passcode_for_requester
    assert is_rooms_compatible(new_passcode) and meeting_state(stack, str(created.id))["password"] == new_passcode
    assert any("links and invitations sent before now will ask" in note for note in map(describe, result.notes))


def test_repair_is_refused_to_someone_who_is_neither_host_nor_admin(stack):
    created = stack.zoom.create_meeting(None, {"topic": "Seed", "type": 2, "password": SEED_PASSCODE})
    result = stack.meetings.repair("Boardroom", str(created.id), ALICE, "C1")
    assert result.kind is ResultKind.NOT_PERMITTED
    assert meeting_state(stack, str(created.id))["password"] == SEED_PASSCODE
    assert stack.zoom_requests("/meetings/", "PATCH") == []


def test_repair_of_a_meeting_on_another_account_is_refused(stack):
    stack.admin("POST", "/meetings", {"id": "85512345678", "password": SEED_PASSCODE})
    result = stack.meetings.repair("Boardroom", "85512345678", ADMIN, "C1")
    assert result.kind is ResultKind.NOT_PERMITTED and "not on the bot's Zoom account" in describe(result.reason)
