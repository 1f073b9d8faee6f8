"""What the parser returns (SPEC §6): one meeting, on Zoom or on a service Zoom Rooms can join.

Zoom meetings go to ``zoomroom.meeting_join``; Microsoft Teams, Google Meet and SIP meetings go to
``zoomroom.thirdparty_meeting_join`` (reference/third-party-meetings.md §1), and the reference carries, as data,
everything that call and the checks before it need: the service, the join link, the Teams cloud (some clouds
Zoom Rooms cannot join), the meeting ID or Meet code and a stated passcode, or the SIP address.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal
from urllib.parse import quote

Kind = Literal["meeting", "webinar", "personal", "invalid"]
Provider = Literal["zoom", "teams", "meet", "sip"]
# The parser's output keys (SPEC §6), in the order `parse-link` prints them; `kind` stays last.
SPEC_KEYS = ("meeting_id", "pwd_token", "passcode", "personal_link", "host", "provider", "join_url", "sip_address",
             "kind")


class TeamsCloud(StrEnum):
    """The Microsoft 365 cloud a Teams join link belongs to, told by its host (reference §2.2)."""

    COMMERCIAL = "commercial"  # teams.microsoft.com (also GCC tenants, which share the host) and teams.cloud.microsoft
    GCC_HIGH = "gcc_high"  # gov.teams.microsoft.us
    DOD = "dod"  # dod.teams.microsoft.us
    FREE = "free"  # teams.live.com: free / personal Teams
    CHINA = "china"  # teams.microsoftonline.cn, operated by 21Vianet (host unconfirmed)


@dataclass(frozen=True)
class MeetingReference:
    meeting_id: str | None = None  # Zoom: 9-11 digits; Teams: Teams' own numeric meeting ID
    pwd_token: str | None = None
    passcode: str | None = None
    personal_link: str | None = None
    host: str | None = None  # Zoom hosts only
    kind: Kind = "invalid"
    reason: str | None = None  # why invalid, in words a user understands; never contains a passcode
    provider: Provider | None = None  # None: "zoom" for a valid reference (what every older caller builds)
    join_url: str | None = None  # Teams and Meet: the link to send, https:// with a lower-case host
    sip_address: str | None = None  # SIP: user@host, without the scheme
    teams_cloud: TeamsCloud | None = None  # Teams: which cloud the join link is on; None without a link
    meet_code: str | None = None  # Meet: the meeting code, lower case (abc-defg-hij)

    def __post_init__(self) -> None:
        if self.kind == "invalid":
            object.__setattr__(self, "provider", None)
        elif self.provider is None:
            object.__setattr__(self, "provider", "zoom")

    @property
    def is_valid(self) -> bool:
        return self.kind != "invalid"

    @property
    def is_zoom(self) -> bool:
        """A Zoom meeting (``zoomroom.meeting_join``); False for invalid and third-party references."""
        return self.provider == "zoom"

    @property
    def is_third_party(self) -> bool:
        """A Teams, Meet or SIP meeting (``zoomroom.thirdparty_meeting_join``)."""
        return self.provider in ("teams", "meet", "sip")

    @property
    def third_party_meeting_id(self) -> str | None:
        """What ``third_party_meeting_id`` would carry: Teams' meeting ID or the Meet code."""
        if self.provider == "teams":
            return self.meeting_id
        if self.provider == "meet":
            return self.meet_code
        return None

    def as_dict(self) -> dict[str, str | None]:
        """Exactly the SPEC §6 keys."""
        return {key: getattr(self, key) for key in SPEC_KEYS}

    def canonical_join_url(self) -> str | None:
        """The link this reference stands for, without the passcode and without tracking parameters (for Teams
        and Meet: the join link itself; SIP and Teams references without a link have none)."""
        if not self.is_valid:
            return None
        if self.provider != "zoom":
            return self.join_url
        host = self.host or "zoom.us"
        if self.kind == "personal" and self.personal_link:
            url = f"https://{host}/my/{self.personal_link}"
        elif self.meeting_id:
            url = f"https://{host}/{'w' if self.kind == 'webinar' else 'j'}/{self.meeting_id}"
        else:
            return None
        if self.pwd_token:
            url += "?pwd=" + quote(self.pwd_token, safe="")
        return url


def invalid(reason: str) -> MeetingReference:
    return MeetingReference(kind="invalid", reason=reason)
