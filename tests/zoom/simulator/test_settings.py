"""User settings, account settings and lock settings agree with each other and with the admin's changes."""

from __future__ import annotations

from tests.zoom.simulator.helpers import admin, client


def test_default_is_a_pro_account_secured_with_one_option(zoom_sim) -> None:
    api = client(zoom_sim)
    security = api.get("/users/me/settings", params={"option": "meeting_security"}).json()["meeting_security"]
    assert security["auto_security"] is True and security["meeting_password"] is True
    assert security["waiting_room"] is False
    assert set(security["meeting_password_requirement"]) == {
        "length", "have_letter", "have_number", "have_special_character", "only_allow_numeric",
        "have_upper_and_lower_characters", "consecutive_characters_length", "weak_enhance_detection"}
    locks = api.get("/accounts/me/lock_settings", params={"option": "meeting_security"}).json()
    assert locks == {"meeting_security": locks["meeting_security"]}
    assert locks["meeting_security"]["auto_security"] is True
    assert locks["meeting_security"]["meeting_password"] is False


def test_views_follow_admin_changes(zoom_sim) -> None:
    admin(zoom_sim, "PATCH", "accounts/sim-account", {
        "security": {"waiting_room": {"enabled": True, "locked": True},
                     "passcode": {"enabled": False, "locked": True}},
        "meeting_password_requirement": {"length": 8, "have_special_character": True},
    })
    api = client(zoom_sim)
    user = api.get("/users/me/settings").json()
    assert user["in_meeting"]["waiting_room"] is True
    assert user["schedule_meeting"]["require_password_for_scheduling_new_meetings"] is False
    assert user["schedule_meeting"]["meeting_password_requirement"]["length"] == 8
    account = api.get("/accounts/me/settings", params={"option": "meeting_security"}).json()["meeting_security"]
    assert account["waiting_room"] is True and account["meeting_password"] is False
    assert account["meeting_password_requirement"]["have_special_character"] is True
    locks = api.get("/accounts/sim-account/lock_settings").json()
    assert locks["schedule_meeting"]["require_password_for_scheduling_new_meetings"] is True
    assert locks["meeting_security"]["waiting_room"] is True
    assert locks["schedule_meeting"]["meeting_authentication"] is False


def test_user_overrides_apply_only_to_unlocked_settings(zoom_sim) -> None:
    admin(zoom_sim, "PATCH", "users/host@example.com", {
        "security": {"waiting_room": True, "passcode": False},
        "meeting_password_requirement": {"only_allow_numeric": True}})
    admin(zoom_sim, "PATCH", "accounts/sim-account", {"security": {"passcode": {"enabled": True, "locked": True}}})
    api = client(zoom_sim)
    security = api.get("/users/me/settings", params={"option": "meeting_security"}).json()["meeting_security"]
    assert security["waiting_room"] is True  # unlocked: the user's own value
    assert security["meeting_password"] is True  # locked on by the account
    assert security["meeting_password_requirement"]["only_allow_numeric"] is True
    # The account view is unaffected by one user's choices.
    account = api.get("/accounts/me/settings").json()
    assert account["in_meeting"]["waiting_room"] is False


def test_authentication_options(zoom_sim) -> None:
    body = client(zoom_sim).get("/users/me/settings", params={"option": "meeting_authentication"}).json()
    options = body["authentication_options"]["meeting_authentication"]["authentication_options"]
    assert any(o["default_option"] for o in options)


def test_user_lookup(zoom_sim) -> None:
    api = client(zoom_sim)
    me = api.get("/users/me").json()
    assert me["id"] == "sim-host-user-id" and me["email"] == "host@example.com"
    assert me["account_id"] == "sim-account"
    assert api.get("/users/ghost").json()["code"] == 1001
    assert api.get("/users/me/settings", params={"option": "bogus"}).status_code == 400


def test_other_account_id_is_refused(zoom_sim) -> None:
    response = client(zoom_sim).get("/accounts/someone-else/settings")
    assert response.status_code == 404
