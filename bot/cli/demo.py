"""`roombot demo`: the whole bot on this machine — Zoom simulator, SQLite, a fake Slack — playing a scripted
conversation through the real HTTP endpoint.  Needs no configuration."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the whole bot locally against the Zoom simulator and a fake Slack, and show a conversation",
        description=__doc__,
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.demo.runner import main

    return main(args)
