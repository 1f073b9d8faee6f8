"""`roombot` command line: one sub-module per subcommand, each exposing `add_parser(subparsers)`.

A subcommand module's `add_parser` registers its parser and sets `func` (a callable taking the parsed
namespace and returning an exit code).  Modules are imported lazily so that `roombot parse-link` does not
pay for importing Slack or SQLAlchemy.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import os
import shutil
import sys
import tempfile
from collections.abc import MutableMapping, Sequence

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


def share_metrics_for_serve(argv: Sequence[str], environ: MutableMapping[str, str]) -> str | None:
    """`roombot serve` over HTTP runs two processes (``bot.slack.handoff``) and ``GET /metrics`` must show the
    work process's dispatches too, so prometheus_client's multi-process mode is needed, and it is chosen when
    prometheus_client is first imported, before any subcommand module is.  With ``PROMETHEUS_MULTIPROC_DIR``
    unset, a private directory is made (and removed when the command ends); returns it, or None."""
    if argv[:1] != ["serve"] or environ.get("SLACK_APP_TOKEN") or environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    if "prometheus_client" in sys.modules:  # too late to choose (a test calling main in-process): as before
        return None
    path = tempfile.mkdtemp(prefix="roombot-metrics-")
    environ["PROMETHEUS_MULTIPROC_DIR"] = path
    owner = os.getpid()

    def remove() -> None:  # forked processes inherit the handler; only the command's own process removes it
        if os.getpid() == owner:
            shutil.rmtree(path, ignore_errors=True)

    atexit.register(remove)
    return path


def main(argv: list[str] | None = None) -> int:
    share_metrics_for_serve(sys.argv[1:] if argv is None else argv, os.environ)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
