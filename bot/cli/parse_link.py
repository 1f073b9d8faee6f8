"""`roombot parse-link TEXT`: print the meeting reference in TEXT as one JSON object (SPEC §4, §6).

Exit 0 for a valid reference; exit 2 for an invalid one, with the reason on stderr (the JSON, with
"kind": "invalid", is still printed so scripts always get one object)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "parse-link",
        help="parse a Zoom link, meeting id or pasted invitation and print it as JSON",
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
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.meetings import parse_meeting_reference

    text = sys.stdin.read() if args.text in ([], ["-"]) else " ".join(args.text)
    reference = parse_meeting_reference(text, trailing_passcode=not args.message)
    print(json.dumps(reference.as_dict()))
    if not reference.is_valid:
        print(f"roombot parse-link: {reference.reason}", file=sys.stderr)
        return 2
    return 0
