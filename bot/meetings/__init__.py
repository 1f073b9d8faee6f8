"""Meeting references (Zoom, Microsoft Teams, Google Meet, SIP) and Rooms-compatible passcodes: pure domain
logic, no I/O (SPEC §6, §7)."""

from bot.meetings.links import (
    MAX_INPUT_CHARS,
    CommandSplit,
    MeetingReference,
    parse_meeting_reference,
    parse_message,
    split_reference_and_passcode,
)
from bot.meetings.passcodes import (
    ROOMS_PASSCODE_ALPHABET,
    ROOMS_PASSCODE_MAX_LENGTH,
    Compatibility,
    PasscodeRequirement,
    UnsatisfiableRequirement,
    describe_violations,
    generate_passcode,
    is_rooms_compatible,
    requirement_violations,
    rooms_compatibility,
    unsatisfiable_reason,
)
from bot.meetings.quoting import quote_typed
from bot.meetings.reference import Provider, TeamsCloud
from bot.meetings.thirdparty import ZOOM_ROOMS_CANNOT_JOIN, teams_cloud_refusal
from bot.meetings.urls import ZOOM_DOMAINS, is_zoom_host

__all__ = [
    "quote_typed",
    "MAX_INPUT_CHARS",
    "ROOMS_PASSCODE_ALPHABET",
    "ROOMS_PASSCODE_MAX_LENGTH",
    "ZOOM_DOMAINS",
    "ZOOM_ROOMS_CANNOT_JOIN",
    "CommandSplit",
    "Compatibility",
    "MeetingReference",
    "PasscodeRequirement",
    "Provider",
    "TeamsCloud",
    "UnsatisfiableRequirement",
    "describe_violations",
    "generate_passcode",
    "is_rooms_compatible",
    "is_zoom_host",
    "parse_meeting_reference",
    "parse_message",
    "requirement_violations",
    "rooms_compatibility",
    "split_reference_and_passcode",
    "teams_cloud_refusal",
    "unsatisfiable_reason",
]
