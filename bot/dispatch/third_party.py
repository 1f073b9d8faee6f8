"""Teams, Google Meet and SIP meetings: what ``zoomroom.thirdparty_meeting_join`` is sent, and what is kept.

Facts (``reference/third-party-meetings.md``): Zoom documents `url` joins for Teams and Meet, `meeting_id` joins
(Teams: only with the passcode) and `sip` joins; Zoom Rooms cannot join free Teams (teams.live.com), DoD or
21Vianet meetings; a 202 says nothing about success and no error is documented for interop being off, so the
room's status is the only evidence; a room may wait in the meeting's lobby; and a leave may not be honoured
(reported for Teams), so only a status change proves one.
"""

from __future__ import annotations

import json

from bot.dispatch.reasons import Reason, Why, reason
from bot.meetings import MeetingReference
from bot.meetings.reference import Provider, TeamsCloud
from bot.meetings.thirdparty import ZOOM_ROOMS_CANNOT_JOIN
from bot.store.crypto import Sealed, SecretBox
from bot.zoom.models import ThirdPartyJoin, ThirdPartySource

SOURCES: dict[str, ThirdPartySource] = {"teams": "MS_TEAMS", "meet": "GOOGLE_MEET"}
# Clouds whose meetings Zoom Rooms cannot join (Zoom's interop article): refused before Zoom is called.
UNSUPPORTED_CLOUDS = frozenset(ZOOM_ROOMS_CANNOT_JOIN)
_KEPT = ("provider", "join_url", "sip_address", "meeting_id", "meet_code", "teams_cloud")


def third_party_join(ref: MeetingReference, passcode: str | None) -> ThirdPartyJoin | Reason:
    """The request for ``ref`` (a link as it was pasted; a meeting ID only with a stated passcode for Teams), or
    why none can be sent."""
    service = ref.provider or ""
    if ref.provider == "sip":
        if not ref.sip_address:
            return reason(Why.BAD_REFERENCE, detail=ref.reason)
        return ThirdPartyJoin("sip", sip_address=ref.sip_address)
    source = SOURCES.get(service)
    if source is None:
        return reason(Why.BAD_REFERENCE, detail=ref.reason)
    if ref.teams_cloud in UNSUPPORTED_CLOUDS:
        assert ref.teams_cloud is not None
        return reason(Why.TEAMS_CLOUD_UNSUPPORTED, cloud=ref.teams_cloud.value)
    if ref.join_url:
        return ThirdPartyJoin("url", source, join_url=ref.join_url)
    meeting_id = ref.third_party_meeting_id
    if meeting_id and (passcode or source == "GOOGLE_MEET"):
        return ThirdPartyJoin("meeting_id", source, meeting_id=meeting_id, passcode=passcode or None)
    return reason(Why.THIRD_PARTY_NEEDS_LINK, service=service)


def seal_target(box: SecretBox | None, ref: MeetingReference, passcode: str | None) -> Sealed | None:
    """Where Retry and Join anyway send the room again, encrypted: a Teams link's ``?p=`` is a hashed passcode
    and a SIP address may carry one."""
    if box is None:
        return None
    kept: dict[str, str | None] = {key: _text(getattr(ref, key)) for key in _KEPT}
    kept["passcode"] = passcode
    return box.seal(json.dumps(kept, separators=(",", ":")))


def open_target(box: SecretBox, sealed: Sealed) -> tuple[MeetingReference, str | None]:
    kept = json.loads(box.open(sealed))
    cloud = kept.get("teams_cloud")
    ref = MeetingReference(kind="meeting", provider=kept.get("provider"), join_url=kept.get("join_url"),
                           sip_address=kept.get("sip_address"), meeting_id=kept.get("meeting_id"),
                           meet_code=kept.get("meet_code"), teams_cloud=TeamsCloud(cloud) if cloud else None)
    return ref, kept.get("passcode")


_SERVICES: dict[str, Provider] = {"teams": "teams", "meet": "meet", "sip": "sip"}


def stored_service(value: str | None) -> Provider | None:
    """A service as the store kept it (None: a Zoom meeting, or a value this version does not know)."""
    return _SERVICES.get(value or "")


def audit_meeting_id(ref: MeetingReference) -> str | None:
    """What the audit row's meeting column shows for a third-party meeting (Teams' ID, the Meet code)."""
    meeting_id = ref.third_party_meeting_id
    return meeting_id[:16] if meeting_id else None


def _text(value: object) -> str | None:
    return None if value is None else str(value)
