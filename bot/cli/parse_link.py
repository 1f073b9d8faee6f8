"""`roombot parse-link TEXT`: print the meeting reference in TEXT as one JSON object (SPEC §4, §6).

The keys are SPEC §6's: meeting_id, pwd_token, passcode, personal_link, host, provider (zoom, teams, meet,
sip, or null when invalid), join_url (Teams and Google Meet), sip_address (SIP), kind.

Exit 0 for a valid reference (with a note on stderr for a Teams meeting on a cloud Zoom Rooms cannot join, such
as free teams.live.com meetings); exit 2 for an invalid one, with the reason on stderr (the JSON, with
"kind": "invalid", is still printed so scripts always get one object)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "parse-link",
        help="parse a Zoom, Teams, Google Meet or SIP meeting reference (link, meeting id or pasted invitation) "
        "and print it as JSON",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "text",
        nargs="*",
        metavar="TEXT",
        help="what a user would type after `/room join <room>`; several words are joined with spaces; "
        "omit it or give - to read a whole pasted invitation from stdin",
    )
    parser.add_argument(
        "--message",
        action="store_true",
        help="treat TEXT as a whole Slack message (message shortcut): a word after a link is not a passcode",
    )
    parser.add_argument(
        "--details",
        action="store_true",
        help="also print teams_cloud (commercial, gcc_high, dod, free, china) and meet_code, which are not SPEC "
        "§6 keys",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.meetings import parse_meeting_reference, teams_cloud_refusal

    text = sys.stdin.read() if args.text in ([], ["-"]) else " ".join(args.text)
    reference = parse_meeting_reference(text, trailing_passcode=not args.message)
    payload: dict[str, str | None] = reference.as_dict()
    if args.details:
        payload["teams_cloud"] = reference.teams_cloud.value if reference.teams_cloud else None
        payload["meet_code"] = reference.meet_code
    print(json.dumps(payload))
    if not reference.is_valid:
        print(f"roombot parse-link: {reference.reason}", file=sys.stderr)
        return 2
    refusal = teams_cloud_refusal(reference.teams_cloud)
    if refusal:  # a valid reference the dispatcher will not send (SPEC §6; reference/third-party-meetings.md §2.2)
        print(f"roombot parse-link: note: {refusal}", file=sys.stderr)
    return 0
