"""Meetings API: shapes the bot reads, passcode generation styles and requirements, visibility, delete."""

from __future__ import annotations

import re

import pytest

from bot.zoom.simulator import default_state_dict
from bot.zoom.simulator.security import is_rooms_compatible
from tests.zoom.simulator.helpers import admin, client

LOCK_PASSCODE_ON = {"security": {"passcode": {"enabled": True, "locked": True}}}


def test_create_response_shape(zoom_sim) -> None:
    api = client(zoom_sim)
    response = api.post("/users/me/meetings", json={"topic": "Standup", "type": 2, "password": "Pass_123",
                                                     "start_time": "2030-01-01T10:00:00Z", "duration": 30})
    assert response.status_code == 201
    meeting = response.json()
    assert isinstance(meeting["id"], int) and 10 <= len(str(meeting["id"])) <= 11
    assert meeting["host_id"] == "sim-host-user-id" and meeting["host_email"] == "host@example.com"
    assert meeting["topic"] == "Standup" and meeting["duration"] == 30
    assert meeting["password"] == "Pass_123"
    assert meeting["h323_password"].isdigit() and meeting["pstn_password"].isdigit()
    token = re.search(r"[?&]pwd=([^&]+)", meeting["join_url"]).group(1)
    assert token == meeting["encrypted_password"] and "Pass_123" not in token
    assert meeting["join_url"].startswith(f"https://us05web.zoom.us/j/{meeting['id']}?pwd=")


def test_pwd_token_changes_with_the_passcode(zoom_sim) -> None:
    api = client(zoom_sim)
    meeting = api.post("/users/me/meetings", json={"password": "First_1"}).json()
    assert api.patch(f"/meetings/{meeting['id']}", json={"password": "Second_2"}).status_code == 204
    again = api.get(f"/meetings/{meeting['id']}").json()
    assert again["password"] == "Second_2" and again["join_url"] != meeting["join_url"]


def test_no_pwd_in_link_when_embedding_is_off(zoom_sim) -> None:
    admin(zoom_sim, "PATCH", "accounts/sim-account", {"embed_password_in_join_link": False})
    meeting = client(zoom_sim).post("/users/me/meetings", json={"password": "Abc_123"}).json()
    assert "pwd=" not in meeting["join_url"] and meeting["password"] == "Abc_123"


@pytest.mark.parametrize(("style", "pattern"), [
    ("zoom-default", r"[A-Za-z0-9!(){}#^?.~\[\]$%&+=]{10}"),
    ("alphanumeric", r"[a-z0-9]{10}"),
    ("numeric", r"[0-9]{6}"),
])
def test_generated_passcode_styles(make_zoom_sim, style, pattern) -> None:
    sim = make_zoom_sim()
    admin(sim, "PATCH", "accounts/sim-account", {**LOCK_PASSCODE_ON, "passcode_style": style})
    api = client(sim)
    for _ in range(20):
        password = api.post("/users/me/meetings", json={}).json()["password"]
        assert re.fullmatch(pattern, password), password
        # Zoom's default style is exactly what the seed thread complains about: Rooms reject it.
        assert is_rooms_compatible(password) is (style != "zoom-default")


@pytest.mark.parametrize(("requirement", "bad", "good"), [
    ({"length": 8}, "Ab_1234", "Ab_12345"),
    ({"have_letter": True}, "123456", "12345a"),
    ({"have_number": True}, "abcdef", "abcde1"),
    ({"have_special_character": True}, "abc123", "abc12@"),
    ({"only_allow_numeric": True}, "12345a", "918273"),
    ({"have_upper_and_lower_characters": True}, "abc123", "aBc123"),
    ({"consecutive_characters_length": 4}, "x1234y", "x1357y"),
    ({"consecutive_characters_length": 4}, "aaaa1b", "aab1ab"),
    ({"weak_enhance_detection": True}, "123456", "k7_Qz2"),
])
def test_passcode_requirement_is_enforced(zoom_sim, requirement, bad, good) -> None:
    admin(zoom_sim, "PATCH", "accounts/sim-account", {"meeting_password_requirement": requirement})
    api = client(zoom_sim)
    rejected = api.post("/users/me/meetings", json={"password": bad})
    assert rejected.status_code == 400 and rejected.json()["code"] == 300
    assert rejected.json()["errors"] == [{"field": "password", "message": "Invalid field."}]
    created = api.post("/users/me/meetings", json={"password": good})
    assert created.status_code == 201
    patched = api.patch(f"/meetings/{created.json()['id']}", json={"password": bad})
    assert patched.status_code == 400 and patched.json()["code"] == 300


@pytest.mark.parametrize("requirement", [
    {"only_allow_numeric": True, "length": 8},
    {"have_special_character": True, "have_upper_and_lower_characters": True, "consecutive_characters_length": 4,
     "weak_enhance_detection": True, "length": 10},
])
def test_generated_passcodes_meet_the_requirement(make_zoom_sim, requirement) -> None:
    sim = make_zoom_sim()
    admin(sim, "PATCH", "accounts/sim-account", {**LOCK_PASSCODE_ON, "meeting_password_requirement": requirement})
    api = client(sim)
    settings = api.get("/users/me/settings").json()["schedule_meeting"]["meeting_password_requirement"]
    for _ in range(10):
        password = api.post("/users/me/meetings", json={}).json()["password"]
        assert len(password) >= settings["length"]
        if requirement.get("only_allow_numeric"):
            assert password.isdigit()
        else:
            assert any(not c.isalnum() for c in password) and password.lower() != password


@pytest.mark.parametrize(("body", "field"), [
    ({"password": "12345678901"}, "password"),  # maxLength 10
    ({"duration": "long"}, "duration"),
    ({"type": 7}, "type"),
    ({"settings": {"waiting_room": "yes"}}, "settings.waiting_room"),
])
def test_schema_violations(zoom_sim, body, field) -> None:
    response = client(zoom_sim).post("/users/me/meetings", json=body)
    assert response.status_code == 400
    assert response.json() == {"code": 300, "message": "Validation Failed.",
                               "errors": [{"field": field, "message": "Invalid field."}]}


def test_invalid_json_body(zoom_sim) -> None:
    response = client(zoom_sim).post("/users/me/meetings", content=b"{not json",
                                     headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["code"] == 300


def test_unknown_user_and_meeting(zoom_sim) -> None:
    api = client(zoom_sim)
    response = api.post("/users/nobody@example.com/meetings", json={})
    assert response.status_code == 404 and response.json() == {
        "code": 1001, "message": "User does not exist: nobody@example.com."}
    for call in (api.get, api.delete):
        missing = call("/meetings/81234567890")
        assert missing.status_code == 404 and missing.json() == {
            "code": 3001, "message": "Meeting does not exist: 81234567890."}
    assert api.get("/meetings/not-a-number").status_code == 400


def test_host_by_email_and_id(zoom_sim) -> None:
    api = client(zoom_sim)
    for user in ("host@example.com", "HOST@example.com", "sim-host-user-id", "me"):
        assert api.post(f"/users/{user}/meetings", json={"password": "abc123"}).status_code == 201


def test_delete(zoom_sim) -> None:
    api = client(zoom_sim)
    meeting = api.post("/users/me/meetings", json={"password": "abc123"}).json()
    assert api.delete(f"/meetings/{meeting['id']}").status_code == 204
    assert api.get(f"/meetings/{meeting['id']}").status_code == 404


def test_external_meetings(zoom_sim) -> None:
    admin(zoom_sim, "POST", "meetings", [
        {"id": 91111111111, "password": "hidden1"},
        {"id": 92222222222, "password": "hidden2", "api_visibility": "no_password", "topic": "Partner sync"},
    ])
    api = client(zoom_sim)
    assert api.get("/meetings/91111111111").json()["code"] == 3001
    visible = api.get("/meetings/92222222222")
    assert visible.status_code == 200 and visible.json()["topic"] == "Partner sync"
    assert "password" not in visible.json() and "hidden2" not in visible.text
    # Not ours to change.
    assert api.patch("/meetings/92222222222", json={"password": "mine12"}).status_code == 404


def test_meetings_of_another_account_are_invisible(make_zoom_sim) -> None:
    state = default_state_dict()
    state["accounts"].append({"id": "other", "client_id": "other-id", "client_secret": "other-secret"})
    state["users"].append({"id": "other-user", "email": "o@example.org", "account_id": "other"})
    sim = make_zoom_sim(state)
    other = client(sim, _token(sim, "other-id", "other-secret", "other"))
    meeting = other.post("/users/me/meetings", json={"password": "abc123"}).json()
    assert meeting["host_id"] == "other-user"
    assert client(sim).get(f"/meetings/{meeting['id']}").status_code == 404
    assert client(sim).post("/users/o@example.org/meetings", json={}).status_code == 404


def _token(sim, client_id, secret, account):
    from tests.zoom.simulator.helpers import token
    return token(sim, client_id, secret, account)
