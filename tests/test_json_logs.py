"""``ROOMBOT_LOG_FORMAT=json``: one JSON object per line, every line about a piece of work carrying its ids, and
every log-hygiene rule holding as it does for the human format (tests/slack/test_log_hygiene.py).

The main test captures the JSON lines of a real signed `/room join` (a stated passcode) against the Zoom
simulator, in-process through a handler prepared exactly as ``bot.logsafety.install`` prepares the root
logger's handlers; a subprocess test runs the start-up path itself (``Settings.from_env`` →
``logsafety.configure``).
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot import logcontext, logsafety
from bot.config import Settings
from bot.config_errors import ConfigError
from bot.store.db import session_scope
from bot.store.models import Dispatch
from tests.slack.rooms import conftest as rooms
from tests.slack.rooms.conftest import EXTERNAL_ID, RoomBot
from tests.support.processes import clean_env
from tests.support.slack import TEAM_ID

make_room_bot = rooms.make_room_bot
room_bot = rooms.room_bot

STATED = "Xk7_9ab"  # the passcode typed after the meeting id
PWD_TOKEN = "AbCdEfGh12"


@pytest.fixture
def json_lines(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """Everything logged (DEBUG and up, every logger) while the test runs, as JSON lines."""
    caplog.set_level(logging.DEBUG)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logsafety.prepare_handler(handler, "json")
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    lines = stream.getvalue().splitlines()
    assert lines
    return [json.loads(line) for line in lines]  # each line is one JSON object


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_a_room_join_logs_json_lines_with_its_ids_and_no_passcode(room_bot: RoomBot, json_lines: io.StringIO) -> None:
    room_bot.stack.admin("POST", "/meetings", {"id": EXTERNAL_ID, "password": STATED})
    room_bot.room(f"join Boardroom https://zoom.us/j/{EXTERNAL_ID}?pwd={PWD_TOKEN} {STATED}", user="U7", channel="C7")
    assert room_bot.card(channel="C7").text.startswith("Boardroom is in meeting")
    with session_scope(room_bot.stack.db.sessions) as session:
        dispatch_id, dispatch_ref = session.execute(select(Dispatch.id, Dispatch.reference)).one()

    text = json_lines.getvalue()
    assert STATED not in text and PWD_TOKEN not in text  # neither in a message, a field nor a traceback
    records = parsed(json_lines)
    assert all({"time", "level", "logger", "message"} <= record.keys() for record in records)
    request_ids = {"team_id": TEAM_ID, "channel_id": "C7", "user_id": "U7"}

    def ids(record: dict[str, Any]) -> dict[str, Any]:
        return {key: record.get(key) for key in request_ids}

    # Every Zoom request of this join was made by its dispatch: each line carries the Slack request's ids,
    # and once the audit row exists (before the join is sent), the dispatch's id and reference.
    zoom = [record for record in records if record["logger"] == "bot.zoom"]
    assert zoom and all(ids(record) == request_ids for record in zoom)
    [join] = [record for record in zoom if "PATCH /rooms/" in record["message"]]
    assert (join["dispatch_id"], join["dispatch_ref"]) == (dispatch_id, dispatch_ref)
    # Slack calls from the listener lane and from the dispatch (the progress message, the card) carry them too.
    slack = [record for record in records if record["logger"].startswith("slack_sdk.web")
             and ("chat.postMessage" in record["message"] or "chat.update" in record["message"])]
    assert slack and all(ids(record) == request_ids for record in slack)
    assert any(record.get("dispatch_id") == dispatch_id for record in slack)
    # Lines of no piece of work carry none (the ids never leak into a later request's or thread's lines).
    assert all(record.get("dispatch_id") in (None, dispatch_id) for record in records)


def test_json_keeps_every_scrubbing_rule(json_lines: io.StringIO) -> None:
    log = logging.getLogger("bot.scheduling")
    with logcontext.bound(occurrence_id=42):
        log.info("forged\r\n2026-01-01 INFO bot: all fine https://zoom.us/j/1?pwd=%s", PWD_TOKEN,
                 extra={"typed": f"join Boardroom https://zoom.us/j/1?pwd={PWD_TOKEN}\n"})
        try:
            raise ValueError(f"bad link https://zoom.us/j/1?pwd={PWD_TOKEN}")
        except ValueError:
            log.warning("could not parse", exc_info=True)
    logging.getLogger("slack_sdk.web.base_client").debug(
        'Received the following response - status: 200, headers: {}, body: {"ok": false, "error": "not_in_channel", '
        '"text": "%s"}', STATED)
    log.info("no work here")

    assert PWD_TOKEN not in json_lines.getvalue() and STATED not in json_lines.getvalue()
    forged, failed, received, outside = parsed(json_lines)
    assert forged["message"] == ("forged\\r\\n2026-01-01 INFO bot: all fine https://zoom.us/j/1?pwd=[redacted]")
    assert forged["typed"] == "join Boardroom https://zoom.us/j/1?pwd=[redacted]\\n"
    assert (forged["occurrence_id"], failed["occurrence_id"], failed["level"]) == (42, 42, "WARNING")
    assert "ValueError: bad link https://zoom.us/j/1?pwd=[redacted]" in failed["exc_info"]
    assert "error: not_in_channel" in received["message"] and "chars not logged" in received["message"]
    assert "occurrence_id" not in outside and "_roombot_log_safety" not in outside


def test_the_work_ids_are_reset_after_each_piece_of_work() -> None:
    with logcontext.bound(team_id="T1", user_id="U1") as outer:
        with logcontext.bound(channel_id="C1") as inner:
            logcontext.note(dispatch_id=5)
            assert dict(inner.items()) == {"team_id": "T1", "user_id": "U1", "channel_id": "C1", "dispatch_id": 5}
        assert dict(outer.items()) == {"team_id": "T1", "user_id": "U1"}  # the inner work's ids were its own
    assert logcontext.current() is None
    logcontext.note(dispatch_id=6)  # outside any work: nothing to add it to, nothing kept
    assert logcontext.current() is None


def test_log_format_is_read_and_checked_by_settings() -> None:
    def read(value: str | None) -> str:
        environ = {} if value is None else {"ROOMBOT_LOG_FORMAT": value}
        return Settings.from_env(environ, require_slack=False, require_secret_key=False,
                                 require_zoom=False).log_format

    assert (read(None), read(" "), read("text"), read("human"), read("JSON")) == ("text", "text", "text", "text",
                                                                                    "json")
    with pytest.raises(ConfigError) as refused:
        read("yaml")
    assert str(refused.value).startswith("ROOMBOT_LOG_FORMAT: must be 'text'")


START_UP = """
import logging, os
from bot import logcontext, logsafety
from bot.config import Settings
settings = Settings.from_env(os.environ, require_slack=False, require_secret_key=False, require_zoom=False)
logsafety.configure(settings.log_format)
with logcontext.bound(team_id="T9", channel_id="C9", user_id="U9", occurrence_id=3):
    logging.getLogger("bot.dispatch").info("sending %s", "https://zoom.us/j/1?pwd=%s" % "SubProcPwd1")
logging.getLogger("bot.serve").warning("line\\nbreak")
"""


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_the_start_up_path_applies_the_format(log_format: str) -> None:
    done = subprocess.run([sys.executable, "-c", START_UP], env=clean_env(ROOMBOT_LOG_FORMAT=log_format),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 2 and "SubProcPwd1" not in done.stderr
    if log_format == "text":  # the human format stays the default one: no JSON, no ids
        assert lines[0].endswith(" INFO bot.dispatch: sending https://zoom.us/j/1?pwd=[redacted]")
        assert lines[1].endswith(" WARNING bot.serve: line\\nbreak")
        return
    sending, other = (json.loads(line) for line in lines)
    assert {key: sending[key] for key in ("level", "logger", "message", "team_id", "channel_id", "user_id",
                                          "occurrence_id")} == {
        "level": "INFO", "logger": "bot.dispatch", "message": "sending https://zoom.us/j/1?pwd=[redacted]",
        "team_id": "T9", "channel_id": "C9", "user_id": "U9", "occurrence_id": 3}
    assert other["message"] == "line\\nbreak" and "team_id" not in other


def test_gunicorn_logs_get_the_format_and_the_filters() -> None:
    from gunicorn.config import Config

    gunicorn_logger = logsafety.gunicorn_logger_class("json")(Config())
    try:
        handlers = gunicorn_logger.error_log.handlers + gunicorn_logger.access_log.handlers
        assert handlers
        for handler in handlers:
            assert isinstance(handler.formatter, logsafety.JsonLogFormatter)
            assert logsafety.LOG_SAFETY in handler.filters and logcontext.LOG_CONTEXT in handler.filters
    finally:
        for log in (gunicorn_logger.error_log, gunicorn_logger.access_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
