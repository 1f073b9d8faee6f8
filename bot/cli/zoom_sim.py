"""`roombot zoom-sim`: run the Zoom API simulator as an HTTP server until Ctrl-C (docs/zoom-simulator.md)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "zoom-sim", help="run the Zoom API simulator (S2S OAuth, Rooms, meetings, settings) over HTTP",
        description="Run the Zoom API simulator. Point ZOOM_API_URL at <url>/v2 and ZOOM_OAUTH_URL at "
                    "<url>/oauth/token; configure it with --state and the /_sim/ admin API.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=9090, help="port (default 9090; 0 picks a free one)")
    parser.add_argument("--state", type=Path, metavar="FILE",
                        help="JSON state file (default: the built-in default state)")
    parser.add_argument("--log", action="store_true", help="log every request to stderr")
    parser.set_defaults(func=run)


def _load_state(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SystemExit(f"zoom-sim: cannot read state file {path}: {error.strerror}") from None
    except ValueError as error:
        raise SystemExit(f"zoom-sim: state file {path} is not valid JSON: {error}") from None


def run(args: argparse.Namespace) -> int:
    from bot.zoom.simulator import SimState, SimulatorServer

    data = _load_state(args.state)
    try:
        state = SimState.from_dict(data) if data is not None else None
    except (TypeError, ValueError) as error:
        print(f"zoom-sim: invalid state file {args.state}: {error}", file=sys.stderr)
        return 2
    server = SimulatorServer(state, host=args.host, port=args.port, log=args.log)
    try:
        server.start()
    except OSError as error:
        print(f"zoom-sim: cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 2
    print(f"zoom-sim listening on {server.url}", flush=True)
    print(f"  ZOOM_API_URL={server.api_url}  ZOOM_OAUTH_URL={server.oauth_url}", flush=True)
    try:
        while True:
            # Sleeping in the main thread keeps Ctrl-C responsive; the server runs in its daemon thread.
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
