"""Processes started by bench/bench_ack.py, one per `python -m bench._ackstack MODE` (not a benchmark itself).

Modes:
- ``fake-slack``: ``FakeSlackApi`` on 127.0.0.1 (OS-chosen port) in a process of its own, so the Slack calls
  roombot makes after acknowledging do not share the load generator's interpreter.  Two extra endpoints for
  the bench: ``POST /_bench/prepare`` (issue response_urls and post the "result cards" that Retry buttons are
  clicked on, and make the users known to ``users.info``) and ``GET /_bench/calls?since=N`` (what Slack
  received).  Prints ``READY <url>`` and runs until
  its stdin closes or it is terminated.
- ``roombot``: exactly `roombot serve` (``bot.cli.main(["serve"])``, reading the usual environment variables),
  with one change: gunicorn binds 127.0.0.1:$PORT instead of 0.0.0.0:$PORT.
- ``bare``: a bare slack-bolt ``App`` (one ``/room`` command listener and one ``retry`` action listener, both
  only calling ``ack()``) under the same gunicorn options `roombot serve` builds (``gunicorn_options``: worker
  class, workers, threads, timeouts), also bound to 127.0.0.1:$PORT.  Reads PORT, SLACK_SIGNING_SECRET,
  SLACK_BOT_TOKEN and SLACK_API_URL.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.wrappers import Request, Response

from bot.devtools.fake_slack import FakeMessage, FakeSlackApi

BARE_PROC_NAME = "bare-bolt"


def loopback_options(options: dict[str, Any], port: int) -> dict[str, Any]:
    return {**options, "bind": f"127.0.0.1:{port}"}


# ----- fake Slack ---------------------------------------------------------------------------------------
class BenchSlackApi(FakeSlackApi):
    """``FakeSlackApi`` plus the two ``/_bench/`` endpoints the benchmark needs across the process boundary."""

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:  # type: ignore[override]
        if environ.get("PATH_INFO", "").startswith("/_bench/"):
            return self._bench(environ, start_response)
        return FakeSlackApi._wsgi(self, environ, start_response)  # type: ignore[call-arg]

    @Request.application
    def _bench(self, request: Request) -> Response:
        if request.path == "/_bench/prepare" and request.method == "POST":
            items = (request.get_json(silent=True) or {}).get("items") or []
            return _json({"items": [self._prepare(item) for item in items]})
        if request.path == "/_bench/calls":
            since = int(request.args.get("since", "0"))
            with self._lock:
                calls = self._calls[since:]
                total = len(self._calls)
            return _json({"total": total, "calls": [_summary(call) for call in calls]})
        return Response("not found", status=404)

    def _prepare(self, item: dict[str, Any]) -> dict[str, Any]:
        channel, user = str(item["channel"]), str(item["user"])
        self.add_user(user, name=user.lower(), email=f"{user.lower()}@example.com")  # users.info knows them
        ts = None
        if item.get("card"):
            with self._lock:
                ts = self._next_ts()
                self._messages.append(FakeMessage(channel, ts, "Boardroom did not join (bench card)", []))
        url = self.new_response_url(channel_id=channel, user_id=user, message_ts=ts)
        return {"response_url": url, "ts": ts}


def _summary(call: Any) -> dict[str, Any]:
    params = call.params
    text = params.get("text") if isinstance(params.get("text"), str) else ""
    return {"method": call.method, "rid": call.response_url_id, "channel": params.get("channel"),
            "text": (text or "")[:200], "at": call.at}


def _json(body: Any) -> Response:
    return Response(json.dumps(body), status=200, content_type="application/json")


def run_fake_slack() -> int:
    token = os.environ.get("SLACK_BOT_TOKEN", "xoxb-bench-token")
    api = BenchSlackApi(bot_token=token).start()
    print(f"READY {api.base_url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        api.stop()
    return 0


# ----- roombot serve on loopback ------------------------------------------------------------------------
def run_roombot() -> int:
    from bot.cli import main, serve

    shipped = serve.gunicorn_options

    def on_loopback(settings: Any, *, threads: int) -> dict[str, Any]:
        return loopback_options(shipped(settings, threads=threads), settings.port)

    serve.gunicorn_options = on_loopback  # type: ignore[assignment]  # serve_http looks it up when called
    return main(["serve"])


# ----- bare Bolt app ------------------------------------------------------------------------------------
def bare_gunicorn_options(port: int) -> dict[str, Any]:
    from bot.cli.serve import DEFAULT_THREADS, gunicorn_options
    from bot.config import Settings

    options = loopback_options(gunicorn_options(Settings(port=port), threads=DEFAULT_THREADS), port)
    options["proc_name"] = BARE_PROC_NAME
    return options


def run_bare() -> int:
    from slack_bolt import Ack, App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    from bot.web import GunicornServer

    port = int(os.environ["PORT"])
    secret, token = os.environ["SLACK_SIGNING_SECRET"], os.environ["SLACK_BOT_TOKEN"]
    api_url = os.environ["SLACK_API_URL"]

    def load() -> Any:  # in the forked worker, as roombot's own load()
        app = App(signing_secret=secret, client=WebClient(token=token, base_url=api_url))

        @app.command("/room")
        def room(ack: Ack) -> None:
            ack()

        @app.action("retry")
        def retry(ack: Ack) -> None:
            ack()

        return SlackRequestHandler(app)

    GunicornServer(load, bare_gunicorn_options(port)).run()
    return 0


def main(argv: list[str] | None = None) -> int:
    mode = (argv if argv is not None else sys.argv[1:])[:1]
    runners = {"fake-slack": run_fake_slack, "roombot": run_roombot, "bare": run_bare}
    if not mode or mode[0] not in runners:
        print(f"usage: python -m bench._ackstack {{{'|'.join(runners)}}}", file=sys.stderr)
        return 2
    return runners[mode[0]]()


if __name__ == "__main__":
    raise SystemExit(main())
