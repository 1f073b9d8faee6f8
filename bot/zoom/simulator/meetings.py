"""Meetings: create (`POST /users/{userId}/meetings`), get, update (`PATCH`) and delete `/meetings/{meetingId}`.

The security a meeting really gets comes from security.resolve (the seed's scenario tables); a passcode sent in
must meet the host's `meeting_password_requirement`; create/update count against the host's 100-per-day limit.
`join_url` carries an opaque `pwd=` token, never the passcode.  Only meetings on the caller's account are visible:
external meetings (declared in the state, hosted on another account) answer 404 3001, or come back without
their passcode when declared with `"api_visibility": "no_password"` — yet rooms can still join them.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any

from . import ratelimit, security, users
from .context import Ctx, HandlerResult
from .errors import ZoomError, meeting_not_found
from .state import Account, Meeting, SimState

JOIN_HOST = "https://us05web.zoom.us"
SECURITY_SETTING_KEYS = ("waiting_room", "meeting_authentication", "authentication_option")


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_meeting_id(state: SimState) -> int:
    while True:
        candidate = state.rng.randrange(81_000_000_000, 89_999_999_999)
        if state.meeting(candidate) is None:
            return candidate


def meeting_view(meeting: Meeting, account: Account | None, *, with_password: bool = True) -> dict[str, Any]:
    """The meeting as Zoom returns it from create and get."""
    embed = account.embed_password_in_join_link if account else True
    salt = meeting.account_id
    token = security.pwd_token(meeting.id, meeting.password, salt) if meeting.password else ""
    join_url = f"{JOIN_HOST}/j/{meeting.id}" + (f"?pwd={token}" if token and embed else "")
    view: dict[str, Any] = {
        "uuid": meeting.uuid, "id": meeting.id, "host_id": meeting.host_id, "topic": meeting.topic,
        "type": meeting.type, "status": "waiting", "start_time": meeting.start_time, "duration": meeting.duration,
        "timezone": meeting.timezone, "agenda": meeting.agenda, "created_at": meeting.created_at,
        "start_url": f"{JOIN_HOST}/s/{meeting.id}?zak=sim-zak-not-a-real-token",
        "join_url": join_url, "pre_schedule": False, "settings": dict(meeting.settings),
    }
    if with_password and meeting.password:
        phone = security.numeric_passcode(meeting.id, meeting.password, salt)
        view.update(password=meeting.password, h323_password=phone, pstn_password=phone, encrypted_password=token)
    return view


def _requested(body: dict[str, Any]) -> security.Requested:
    raw_settings = body.get("settings")
    settings = raw_settings if isinstance(raw_settings, dict) else {}
    return security.Requested(
        password=body.get("password"), waiting_room=settings.get("waiting_room"),
        meeting_authentication=settings.get("meeting_authentication"),
        authentication_option=settings.get("authentication_option"),
        default_password=body.get("default_password"))


def _check_requirement(password: str | None, requirement: dict[str, Any]) -> None:
    if not password:
        return
    problems = security.requirement_violations(password, requirement)
    if problems:
        # Zoom's exact code/message for this case is unconfirmed (reference §2.2); 300 is its invalid-parameter code.
        raise ZoomError(400, 300, "Passcode does not meet the account's passcode requirements: "
                        + "; ".join(problems) + ".",
                        extra={"errors": [{"field": "password", "message": "Invalid field."}]})


def _apply_security(meeting: Meeting, applied: security.Applied, account: Account) -> None:
    meeting.password = applied.password
    meeting.settings["waiting_room"] = applied.waiting_room
    meeting.settings["meeting_authentication"] = applied.meeting_authentication
    if applied.meeting_authentication:
        meeting.settings["authentication_option"] = applied.authentication_option
        option = next((o for o in account.authentication_options if o.get("id") == applied.authentication_option), {})
        meeting.settings["authentication_name"] = option.get("name", "")
    else:
        meeting.settings.pop("authentication_option", None)
        meeting.settings.pop("authentication_name", None)
    if applied.waiting_room:
        # "If this value is true, this disables the join_before_host setting."
        meeting.settings["join_before_host"] = False


def _resolve(ctx: Ctx, host_id: str, body: dict[str, Any], previous: security.Applied | None) -> security.Applied:
    user = ctx.state.user(host_id, ctx.account.id)
    requirement = users.requirement(ctx.account, user)
    requested = _requested(body)
    _check_requirement(requested.password, requirement)

    def generate() -> str:
        return security.generate_passcode(ctx.account.passcode_style, requirement, ctx.state.rng)

    return security.resolve(users.policy(ctx.account, user), requested, previous, generate,
                            users.default_auth_option(ctx.account))


def create_meeting(ctx: Ctx) -> HandlerResult:
    host = users.find_user(ctx, ctx.path["userId"])
    body = ctx.body if isinstance(ctx.body, dict) else {}
    ratelimit.check_daily_meeting_write(ctx.state, host.id, ctx.now)
    applied = _resolve(ctx, host.id, body, None)
    meeting_id = new_meeting_id(ctx.state)
    settings = {"host_video": False, "participant_video": False, "join_before_host": False, "mute_upon_entry": False,
                "approval_type": 2, "audio": "voip", "auto_recording": "none", "use_pmi": False,
                "encryption_type": "enhanced_encryption"}
    extra = {k: v for k, v in (body.get("settings") or {}).items() if k not in SECURITY_SETTING_KEYS}
    settings.update(extra)
    meeting = Meeting(
        id=meeting_id, host_id=host.id, account_id=ctx.account.id, topic=body.get("topic") or "Zoom Meeting",
        type=int(body.get("type", 2)), start_time=body.get("start_time") or iso(ctx.now),
        duration=int(body.get("duration", 60)), timezone=body.get("timezone") or host.timezone,
        agenda=body.get("agenda", ""),
        uuid=base64.b64encode(uuid.UUID(int=ctx.state.rng.getrandbits(128)).bytes).decode(),
        created_at=iso(ctx.now), settings=settings)
    _apply_security(meeting, applied, ctx.account)
    ctx.state.meetings.append(meeting)
    view = meeting_view(meeting, ctx.account)
    view["host_email"] = host.email
    return 201, view


def visible_meeting(ctx: Ctx, meeting_id: Any) -> Meeting:
    meeting = ctx.state.meeting(meeting_id)
    if meeting is None or meeting.account_id != ctx.account.id:
        if meeting is not None and meeting.external and meeting.api_visibility == "no_password":
            return meeting
        raise meeting_not_found(meeting_id)
    return meeting


def get_meeting(ctx: Ctx) -> HandlerResult:
    meeting = visible_meeting(ctx, ctx.path["meetingId"])
    if meeting.external:
        # Hosted on another account: no passcode for us; the bot has to ask the requester.
        return 200, meeting_view(meeting, None, with_password=False)
    view = meeting_view(meeting, ctx.account)
    host = ctx.state.user(meeting.host_id)
    view["host_email"] = host.email if host else ""
    return 200, view


def _owned(ctx: Ctx) -> Meeting:
    meeting = visible_meeting(ctx, ctx.path["meetingId"])
    if meeting.external:
        raise meeting_not_found(ctx.path["meetingId"])
    return meeting


def update_meeting(ctx: Ctx) -> HandlerResult:
    meeting = _owned(ctx)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    ratelimit.check_daily_meeting_write(ctx.state, meeting.host_id, ctx.now)
    previous = security.Applied(
        password=meeting.password, waiting_room=bool(meeting.settings.get("waiting_room")),
        meeting_authentication=bool(meeting.settings.get("meeting_authentication")),
        authentication_option=meeting.settings.get("authentication_option", ""))
    applied = _resolve(ctx, meeting.host_id, body, previous)
    for key in ("topic", "agenda", "start_time", "timezone"):
        if body.get(key) is not None:
            setattr(meeting, key, body[key])
    for key in ("duration", "type"):
        if body.get(key) is not None:
            setattr(meeting, key, int(body[key]))
    meeting.settings.update({k: v for k, v in (body.get("settings") or {}).items() if k not in SECURITY_SETTING_KEYS})
    _apply_security(meeting, applied, ctx.account)
    return 204, None


def delete_meeting(ctx: Ctx) -> HandlerResult:
    meeting = _owned(ctx)
    ctx.state.meetings.remove(meeting)
    return 204, None
