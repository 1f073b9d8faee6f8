"""Meetings CRUD, user/account settings and lock settings against the simulator."""

from __future__ import annotations

import pytest

from bot.zoom import LockSettings, Meeting, SecuritySettings, ZoomClient, ZoomNotFound, ZoomValidationError
from bot.zoom.simulator import SimulatorServer
from tests.zoom.conftest import SIM_ACCOUNT, admin, zoom_requests

HOST_ID = "sim-host-user-id"


def test_create_get_update_delete(zoom_sim: SimulatorServer, client: ZoomClient) -> None:
    created = client.create_meeting(None, {"topic": "Standup", "type": 2, "duration": 30, "password": "Ab3_x9",
                                           "settings": {"waiting_room": False, "join_before_host": True}})
    assert isinstance(created, Meeting)
    assert created.id > 0 and created.topic == "Standup" and created.password == "Ab3_x9"
    assert created.host_id == HOST_ID and created.join_url and "Ab3_x9" not in created.join_url
    assert created.waiting_room is False
    assert "Ab3_x9" not in repr(created)
    assert zoom_requests(zoom_sim, "/v2/users/me/meetings")[0]["status"] == 201

    fetched = client.get_meeting(created.id)
    assert (fetched.id, fetched.uuid, fetched.password) == (created.id, created.uuid, "Ab3_x9")
    assert fetched.settings["join_before_host"] is True

    assert client.update_meeting(created.id, {"topic": "Standup (moved)", "password": "Zz9-q1"}) is None
    updated = client.get_meeting(str(created.id))
    assert (updated.topic, updated.password) == ("Standup (moved)", "Zz9-q1")

    client.delete_meeting(created.id)
    with pytest.raises(ZoomNotFound) as caught:
        client.get_meeting(created.id)
    assert (caught.value.status, caught.value.code) == (404, 3001)
    assert "3001" not in caught.value.explain() and caught.value.explain()


def test_create_for_explicit_host(client: ZoomClient) -> None:
    meeting = client.create_meeting("host@example.com", {"topic": "By email"})
    assert meeting.host_id == HOST_ID
    with pytest.raises(ZoomNotFound) as caught:
        client.create_meeting("nobody@example.com", {"topic": "x"})
    assert caught.value.code == 1001


def test_account_locks_override_the_request(zoom_sim: SimulatorServer, client: ZoomClient) -> None:
    """Create reads back what Zoom really applied (seed scenario: waiting room forced on and locked)."""
    admin(zoom_sim, "PATCH", f"/accounts/{SIM_ACCOUNT}", {"security": {"waiting_room": {"enabled": True,
                                                                                        "locked": True}}})
    meeting = client.create_meeting(None, {"topic": "Locked", "settings": {"waiting_room": False}})
    assert meeting.waiting_room is True
    assert client.get_lock_settings().waiting_room_locked is True


def test_passcode_breaking_the_requirement(zoom_sim: SimulatorServer, client: ZoomClient) -> None:
    admin(zoom_sim, "PATCH", f"/accounts/{SIM_ACCOUNT}", {"meeting_password_requirement": {"length": 8}})
    with pytest.raises(ZoomValidationError) as caught:
        client.create_meeting(None, {"topic": "Short", "password": "abc12"})
    assert caught.value.status == 400 and caught.value.field("password") is not None
    assert "abc12" not in str(caught.value)


def test_invalid_body_is_rejected_by_schema(client: ZoomClient) -> None:
    """The simulator checks requests against Zoom's OpenAPI; the client passes Zoom's answer through."""
    with pytest.raises(ZoomValidationError) as caught:
        client.create_meeting(None, {"topic": "x", "duration": "an hour"})
    assert (caught.value.status, caught.value.code) == (400, 300)


def test_user_settings(client: ZoomClient) -> None:
    settings = client.get_user_settings()
    assert isinstance(settings, SecuritySettings)
    assert settings.meeting_password_requirement["length"] == 6
    assert set(settings.meeting_password_requirement) >= {"have_letter", "only_allow_numeric",
                                                          "consecutive_characters_length"}
    assert settings.require_password_for_scheduling_new_meetings is True
    assert settings.passcode_required is True
    assert settings.waiting_room is False
    assert settings.meeting_authentication is False
    assert settings.embed_password_in_join_link is True


def test_meeting_security_option(zoom_sim: SimulatorServer, client: ZoomClient) -> None:
    admin(zoom_sim, "PATCH", f"/users/{HOST_ID}", {"security": {"waiting_room": True},
                                                   "meeting_password_requirement": {"length": 8, "have_number": True}})
    security = client.get_meeting_security(HOST_ID)
    assert security.waiting_room is True
    assert security.meeting_password is True
    assert security.auto_security is True
    assert security.meeting_password_requirement["length"] == 8
    assert zoom_requests(zoom_sim, "/v2/users")[-1]["query"] == {"option": "meeting_security"}


def test_authentication_options(client: ZoomClient) -> None:
    body = client.get_authentication_options()
    options = body["authentication_options"]["meeting_authentication"]["authentication_options"]
    assert options[0]["id"].startswith("signIn_")
    assert client.get_user_settings(option="meeting_authentication").meeting_authentication is False


def test_account_settings_and_locks(zoom_sim: SimulatorServer, client: ZoomClient) -> None:
    account = client.get_account_settings()
    assert account.meeting_password_requirement["length"] == 6
    locks = client.get_lock_settings()
    assert isinstance(locks, LockSettings)
    assert (locks.passcode_locked, locks.waiting_room_locked, locks.meeting_authentication_locked) == (
        False, False, False)
    assert locks.meeting_security["auto_security"] is True
    admin(zoom_sim, "PATCH", f"/accounts/{SIM_ACCOUNT}", {"security": {"passcode": {"locked": True},
                                                                       "authentication": {"locked": True}}})
    locks = client.get_lock_settings(option="meeting_security")
    assert locks.passcode_locked and locks.meeting_authentication_locked
    assert zoom_requests(zoom_sim, "/v2/accounts/me/lock_settings")[-1]["query"] == {"option": "meeting_security"}


def test_every_request_was_schema_valid(zoom_sim: SimulatorServer, client: ZoomClient) -> None:
    """A full tour of the client's operations: none gets the simulator's schema rejection (400 code 300)."""
    meeting = client.create_meeting(None, {"topic": "Tour", "type": 2, "settings": {"waiting_room": True}})
    client.get_meeting(meeting.id)
    client.update_meeting(meeting.id, {"duration": 45, "settings": {"join_before_host": False}})
    client.get_user_settings()
    client.get_meeting_security()
    client.get_account_settings(option="meeting_security")
    client.get_lock_settings()
    room = client.list_rooms(query_name="Huddle")[0]
    client.get_room(room.room_id)
    client.join_room(room, str(meeting.id), meeting.password, force_accept=True)
    client.control.join(room, "", None)  # instant meeting
    client.leave_room(room)
    client.delete_meeting(meeting.id)
    assert [r for r in zoom_requests(zoom_sim, "/v2/") if r["status"] >= 400] == []
