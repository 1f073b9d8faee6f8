"""`roombot` command line: one sub-module per subcommand, each exposing `add_parser(subparsers)`.

A subcommand module's `add_parser` registers its parser and sets `func` (a callable taking the parsed
namespace and returning an exit code).  Modules are imported lazily so that `roombot parse-link` does not
pay for importing Slack or SQLAlchemy.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand name -> module under bot.cli that implements it
SUBCOMMANDS: dict[str, str] = {
    # each area adds its own line here
    "check": "check",
    "demo": "demo",
    "migrate": "migrate",
    "parse-link": "parse_link",
    "rooms": "rooms",
    "serve": "serve",
    "worker": "worker",
    "zoom-sim": "zoom_sim",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="roombot",
        description="Send Zoom Rooms into meetings from Slack. New here? Run `roombot demo`.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMANDS.values():
        module = importlib.import_module(f"bot.cli.{module_name}")
        module.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
