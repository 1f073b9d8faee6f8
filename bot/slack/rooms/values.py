"""What buttons and modals carry back to us: keys only, never a passcode.

A button ``value`` (≤2000 characters) and a modal's ``private_metadata`` (≤3000) travel through Slack and
come back on the click or submission.  They hold the store's room key, the meeting id, the link's ``pwd``
token (Zoom's encrypted token, not the passcode), the audit row's dispatch id and a few flags; the
passcode of an earlier dispatch is looked up server-side (``remembered_passcode``).  The only exception is
the message shortcut's modal, which may carry a passcode stated in the message *sealed* with
ROOMBOT_SECRET_KEY (Fernet), so Slack only ever sees ciphertext.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from bot.dispatch.third_party import stored_service
from bot.meetings import MeetingReference
from bot.meetings.reference import Provider

Operation = Literal["join", "new", "leave"]
MAX_BUTTON_VALUE = 2000
MAX_PRIVATE_METADATA = 3000
MAX_TOPIC = 150  # a retried `/room new` reuses the topic; keep the value small


class StaleValue(ValueError):
    """A button or modal from an older roombot (or hand-made) whose value cannot be read."""


def new_nonce() -> str:
    # Distinguishes two renderings of the same dispatch, so a Retry on a newer card is not taken for a
    # double click on the old one when the new result has no dispatch id.
    return uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class DispatchKey:
    """The keys of one dispatch a button can repeat or continue."""

    op: Operation
    room: int  # bot.store.models.Room.id
    meeting: str | None = None  # Zoom meeting id (digits)
    pwd: str | None = None  # the link's pwd= token, kept so the retried reference is the same link
    dispatch: int | None = None  # audit row of the dispatch shown on the card
    bare: bool = False  # the requester chose "join without passcode"
    topic: str | None = None  # for a retried `/room new`
    service: Provider | None = None  # "teams", "meet", "sip": a third-party meeting, sent again from its audit row
    nonce: str = ""

    def encode(self) -> str:
        # Identity checks: 0 == False, and room 0 (not chosen yet, in the shortcut's modal) must survive.
        data = {k: v for k, v in asdict(self).items() if v is not None and v is not False and v != ""}
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if len(text) > MAX_BUTTON_VALUE and self.pwd:
            return replace(self, pwd=None).encode()  # the token is a convenience; the id is what matters
        return text

    @classmethod
    def decode(cls, text: str) -> DispatchKey:
        try:
            data = json.loads(text)
            return cls.from_dict(data)
        except (ValueError, TypeError, KeyError) as error:
            raise StaleValue(str(error)) from None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DispatchKey:
        op = data["op"]
        if op not in ("join", "new", "leave"):
            raise ValueError(f"unknown operation {op!r}")
        return cls(
            op=op,
            room=int(data["room"]),
            meeting=_optional_str(data.get("meeting")),
            pwd=_optional_str(data.get("pwd")),
            dispatch=int(data["dispatch"]) if data.get("dispatch") is not None else None,
            bare=bool(data.get("bare", False)),
            topic=_optional_str(data.get("topic")),
            service=_service(data.get("service")),
            nonce=str(data.get("nonce", "")),
        )

    def reference(self) -> MeetingReference:
        """The meeting as the dispatch flow wants it (the id is all a room needs)."""
        return MeetingReference(meeting_id=self.meeting, pwd_token=self.pwd, kind="meeting")


@dataclass(frozen=True)
class ModalContext:
    """``private_metadata`` of our modals: the dispatch keys plus where to report."""

    key: DispatchKey
    channel: str | None = None
    message_ts: str | None = None  # the card to edit (None: post a new message)
    sealed_passcode: str | None = None  # Fernet token of a passcode stated in a shared message
    sealed_target: str | None = None  # Fernet token of a shared message's Teams / Meet / SIP meeting

    def encode(self) -> str:
        data: dict[str, Any] = {"key": json.loads(self.key.encode()), "channel": self.channel}
        if self.message_ts:
            data["ts"] = self.message_ts
        if self.sealed_passcode:
            data["sealed"] = self.sealed_passcode
        if self.sealed_target:
            data["target"] = self.sealed_target
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if len(text) > MAX_PRIVATE_METADATA:
            raise ValueError("modal metadata too long")
        return text

    @classmethod
    def decode(cls, text: str) -> ModalContext:
        try:
            data = json.loads(text)
            return cls(
                key=DispatchKey.from_dict(data["key"]),
                channel=_optional_str(data.get("channel")),
                message_ts=_optional_str(data.get("ts")),
                sealed_passcode=_optional_str(data.get("sealed")),
                sealed_target=_optional_str(data.get("target")),
            )
        except (ValueError, TypeError, KeyError) as error:
            raise StaleValue(str(error)) from None


def _service(value: object) -> Provider | None:
    if value in (None, ""):
        return None
    service = stored_service(value if isinstance(value, str) else None)
    if service is None:
        raise ValueError(f"unknown service {value!r}")
    return service


def _optional_str(value: object) -> str | None:
    return str(value) if value not in (None, "") else None
