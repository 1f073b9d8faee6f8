"""Users and settings: `GET /users/{userId}`, `GET /users/{userId}/settings`, account settings and lock settings.

All settings views are rendered from the same few facts in the state (the account's three security settings
with their locks, "secure with one option", the passcode requirement, embedding the passcode in links), so
`schedule_meeting.*`, `in_meeting.waiting_room` and `?option=meeting_security` always agree with each other and
with what meeting create/update do.  `me` works for both `userId` (the account's first user) and `accountId`.
"""

from __future__ import annotations

from typing import Any

from . import security
from .context import Ctx, HandlerResult
from .errors import ZoomError, user_not_found
from .state import Account, User


def enabled(account: Account, user: User | None, name: str) -> bool:
    """A setting's effective value for a user: the account's when locked, else the user's own (or inherited)."""
    setting = account.security[name]
    if setting.locked or user is None:
        return setting.enabled
    return bool(user.security.get(name, setting.enabled))


def requirement(account: Account, user: User | None) -> dict[str, Any]:
    if user is not None and user.meeting_password_requirement is not None:
        return {**account.meeting_password_requirement, **user.meeting_password_requirement}
    return dict(account.meeting_password_requirement)


def policy(account: Account, user: User | None) -> security.Policy:
    sec = account.security
    return security.Policy(
        waiting_room=security.setting_state(sec["waiting_room"].enabled, sec["waiting_room"].locked),
        passcode=security.setting_state(sec["passcode"].enabled, sec["passcode"].locked),
        authentication=security.setting_state(sec["authentication"].enabled, sec["authentication"].locked),
        one_option_required=enabled(account, user, "auto_security"),
        passcode_enabled=enabled(account, user, "passcode"),
    )


def default_auth_option(account: Account) -> str:
    options = account.authentication_options
    chosen = next((o for o in options if o.get("default_option")), options[0] if options else None)
    return chosen["id"] if chosen else ""


def find_user(ctx: Ctx, user_id: str) -> User:
    user = ctx.state.user(user_id, ctx.account.id)
    if user is None:
        raise user_not_found(user_id)
    return user


def _meeting_security(account: Account, user: User | None) -> dict[str, Any]:
    passcode = enabled(account, user, "passcode")
    return {
        "auto_security": enabled(account, user, "auto_security"),
        "block_user_domain": False,
        "embed_password_in_join_link": account.embed_password_in_join_link,
        "encryption_type": "enhanced_encryption",
        "end_to_end_encrypted_meetings": False,
        "meeting_password": passcode,
        "meeting_password_requirement": requirement(account, user),
        "only_authenticated_can_join_from_webclient": enabled(account, user, "authentication"),
        "phone_password": passcode,
        "pmi_password": False,
        "require_password_for_scheduled_meeting": passcode,
        "require_password_for_scheduled_webinar": False,
        "waiting_room": enabled(account, user, "waiting_room"),
        "waiting_room_settings": {"participants_to_place_in_waiting_room": 0,
                                  "users_who_can_admit_participants_from_waiting_room": 0,
                                  "whitelisted_domains_for_waiting_room": ""},
        "webinar_password": False,
    }


def _authentication(account: Account, user: User | None) -> dict[str, Any]:
    return {"authentication_options": {"meeting_authentication": {
        "allow_authentication_exception": False,
        "authentication_options": [dict(o) for o in account.authentication_options],
        "meeting_authentication": enabled(account, user, "authentication"),
    }}}


def _full_settings(account: Account, user: User | None) -> dict[str, Any]:
    passcode = enabled(account, user, "passcode")
    return {
        "schedule_meeting": {
            "audio_type": "both", "host_video": False, "participants_video": False, "join_before_host": False,
            "default_password_for_scheduled_meetings": "",
            "embed_password_in_join_link": account.embed_password_in_join_link,
            "force_pmi_jbh_password": False,
            "meeting_authentication": enabled(account, user, "authentication"),
            "meeting_password_requirement": requirement(account, user),
            "personal_meeting": True, "pmi_password": "", "pstn_password_protected": passcode,
            "require_password_for_instant_meetings": passcode,
            "require_password_for_pmi_meetings": "all" if passcode else "none",
            "require_password_for_scheduled_meetings": passcode,
            "require_password_for_scheduling_new_meetings": passcode,
            "use_pmi_for_instant_meetings": False, "use_pmi_for_scheduled_meetings": False,
        },
        "in_meeting": {"waiting_room": enabled(account, user, "waiting_room"), "e2e_encryption": False,
                       "chat": True, "screen_sharing": True},
        "email_notification": {"jbh_reminder": True, "cancel_meeting_reminder": True},
        "recording": {"local_recording": True, "cloud_recording": False},
        "telephony": {"third_party_audio": False, "audio_conference_info": ""},
        "feature": {"meeting_capacity": 100, "large_meeting": False, "webinar": False, "zoom_rooms": True},
        "tsp": {"call_out": False, "show_international_numbers_link": False},
    }


def _settings(account: Account, user: User | None, option: str | None) -> dict[str, Any]:
    if option == "meeting_security":
        return {"meeting_security": _meeting_security(account, user)}
    if option == "meeting_authentication":
        return _authentication(account, user)
    if option == "recording_authentication":
        return {"authentication_options": {"recording_authentication": {
            "authentication_options": [], "recording_authentication": False}}}
    if option == "security":
        return {"security": {"admin_change_name_pic": False, "hide_billing_info": False,
                             "password_requirement": {"minimum_password_length": 8, "have_special_character": False,
                                                      "consecutive_characters_length": 0,
                                                      "weak_enhance_detection": False}}}
    return _full_settings(account, user)


def get_user(ctx: Ctx) -> HandlerResult:
    user = find_user(ctx, ctx.path["userId"])
    return 200, {
        "id": user.id, "first_name": user.first_name, "last_name": user.last_name,
        "display_name": f"{user.first_name} {user.last_name}".strip(), "email": user.email, "type": 2,
        "role_name": "Owner", "role_id": "0", "pmi": 5550001234, "use_pmi": False, "timezone": user.timezone,
        "verified": 1, "dept": "", "language": "en-US", "status": "active", "account_id": user.account_id,
        "account_number": 100000001, "cluster": "us05", "created_at": "2020-01-01T00:00:00Z",
        "personal_meeting_url": "https://us05web.zoom.us/j/5550001234",
    }


def user_settings(ctx: Ctx) -> HandlerResult:
    user = find_user(ctx, ctx.path["userId"])
    return 200, _settings(ctx.account, user, ctx.query.get("option"))


def _check_account(ctx: Ctx) -> Account:
    account_id = ctx.path["accountId"]
    if account_id not in ("me", ctx.account.id):
        raise ZoomError(404, 2001, f"Account does not exist: {account_id}.")
    return ctx.account


def account_settings(ctx: Ctx) -> HandlerResult:
    return 200, _settings(_check_account(ctx), None, ctx.query.get("option"))


def account_lock_settings(ctx: Ctx) -> HandlerResult:
    account = _check_account(ctx)
    sec = account.security
    meeting_security = {
        "approved_or_denied_countries_or_regions": False, "auto_security": sec["auto_security"].locked,
        "block_user_domain": False, "chat_etiquette_tool": False, "embed_password_in_join_link": False,
        "encryption_type": False, "end_to_end_encrypted_meetings": False,
        "meeting_password": sec["passcode"].locked,
        "only_authenticated_can_join_from_webclient": sec["authentication"].locked,
        "phone_password": False, "pmi_password": False, "waiting_room": sec["waiting_room"].locked,
        "webinar_password": False,
    }
    if ctx.query.get("option") == "meeting_security":
        return 200, {"meeting_security": meeting_security}
    return 200, {
        "schedule_meeting": {
            "audio_type": False, "embed_password_in_join_link": False, "enforce_login": False,
            "enforce_login_domains": False, "enforce_login_with_domains": False, "host_video": False,
            "join_before_host": False, "meeting_authentication": sec["authentication"].locked,
            "participant_video": False, "require_password_for_instant_meetings": sec["passcode"].locked,
            "require_password_for_pmi_meetings": sec["passcode"].locked,
            "require_password_for_scheduling_new_meetings": sec["passcode"].locked,
            "use_pmi_for_instant_meetings": False, "use_pmi_for_scheduled_meetings": False,
        },
        "in_meeting": {"waiting_room": sec["waiting_room"].locked, "e2e_encryption": False},
        "meeting_security": meeting_security,
        "recording": {"local_recording": False, "cloud_recording": False},
        "telephony": {"third_party_audio": False},
        "email_notification": {"jbh_reminder": False},
    }
