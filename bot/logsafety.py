"""Log hygiene for every line the process writes: one ``logging.Filter`` on the root logger's handlers.

The rule (SPEC §5): logs carry reason codes (an error class, a short fixed code), room names and meeting
numbers — never text a user typed, never a passcode.  roombot's own log lines follow it at the source; this
filter is the defence in depth for what slips through, and for what third-party code writes:

* control characters and line breaks in the final message are escaped (``"\\n"`` becomes ``"\\\\n"``), so
  nothing that reaches a log line — a header, a name someone typed — can forge another line;
* anything that looks like a join link's ``pwd=`` token is redacted: ``pwd=[redacted]`` (also ``pwd%3D``,
  as it appears in form-encoded bodies);
* slack_sdk and slack_bolt print whole request and response bodies (at DEBUG, and slack_bolt at INFO for a
  request whose signature failed — one unsigned 10 MB request made one 10 MB line): message texts that
  quote what users typed, a rejected request's passcode.  Such a body is replaced by its length, keeping
  Slack's error code and the markers of what was already redacted (``[passcode redacted]``);
* a message is capped at ``MAX_MESSAGE`` characters.

``install()`` puts the filter on every handler the root logger (and gunicorn's own loggers) have and on
slack_bolt's request-verification logger; it is idempotent and is called by ``create_app`` and by the logging
set-up of ``roombot serve`` and ``roombot worker`` (``configure``).  It is cheap: one regular-expression
search per record unless something needs rewriting.

Two formats (``ROOMBOT_LOG_FORMAT``, read by ``bot.config``): ``text``, the human one-line format and the
default, and ``json``: one JSON object per line (python-json-logger) with ``time``, ``level``, ``logger``,
``message``, ``exc_info`` when there is a traceback, and the ids of the piece of work the line is about
(``team_id``, ``channel_id``, ``user_id``, ``dispatch_id``, ``dispatch_ref``, ``occurrence_id``; see
``bot.logcontext``).  Every rule above holds for JSON too: the message is the filtered one, a traceback's
``pwd=`` tokens are redacted however the formatter renders it, and any other text field a record carries is
made safe the same way.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal

from pythonjsonlogger.json import JsonFormatter

from bot.logcontext import LOG_CONTEXT, follow_dispatch_rows

__all__ = ["HUMAN_FORMAT", "LOG_SAFETY", "MAX_MESSAGE", "JsonLogFormatter", "LogSafetyFilter", "configure",
           "gunicorn_logger_class", "install", "make_safe", "prepare_handler"]

LogFormat = Literal["text", "json"]
HUMAN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

MAX_MESSAGE = 4000
REDACTED_PWD = "pwd=[redacted]"
# Loggers whose records embed whole HTTP bodies (requests to Slack, Slack's answers, requests from Slack).
BODY_LOGGER_PREFIXES = ("slack_sdk", "slack_bolt")
# Loggers that get the filter themselves, so their records are safe whatever handler is added later.
GUARDED_LOGGERS = ("slack_bolt.RequestVerification",)
# gunicorn's loggers keep handlers of their own (and do not propagate): they get the filters and the format too.
GUNICORN_LOGGERS = ("gunicorn.error", "gunicorn.access")

_SUSPECT = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]|pwd(?:=|%3d)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_PWD = re.compile(r"pwd=[^&\s]*|pwd%3d(?:(?!%26)[^&\s+])*", re.IGNORECASE)
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# "body: …" and its kin, as slack_sdk / slack_bolt / slack_sdk.socket_mode format them: everything from the
# first of these to the end of the message is the payload (headers after it add nothing worth the risk).
_BODY = re.compile(r"(?:^|(?<=[\s(,]))(json_body|body_params|query_params|body|payload|message|data): ")
_SLACK_ERROR = re.compile(r"""["']error["']\s*:\s*["']([a-z0-9_]{1,64})["']""")
_MARKER = re.compile(r"\[[a-z ]{1,40}redacted\]")
_DONE = "_roombot_log_safety"


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED_ESCAPES.get(char)
    if named is not None:
        return named
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def _elide_body(message: str) -> str:
    match = _BODY.search(message)
    if match is None:
        return message
    rest = message[match.end():]
    notes = [f"{len(rest)} chars not logged"]
    error = _SLACK_ERROR.search(rest)
    if error is not None:
        notes.append(f"error: {error.group(1)}")
    notes.extend(dict.fromkeys(_MARKER.findall(rest)))
    return f"{message[:match.start()]}{match.group(1)}: [{'; '.join(notes)}]"


def make_safe(message: str, *, has_body: bool = False) -> str:
    """``message`` as it may be written: body elided (``has_body``), ``pwd=`` tokens redacted, control
    characters escaped, at most ``MAX_MESSAGE`` characters."""
    if has_body:
        message = _elide_body(message)
    if _SUSPECT.search(message) is not None:
        message = _CONTROL.sub(_escape, _PWD.sub(REDACTED_PWD, message))
    if len(message) > MAX_MESSAGE:
        message = f"{message[:MAX_MESSAGE]}… [{len(message) - MAX_MESSAGE} more chars not logged]"
    return message


class LogSafetyFilter(logging.Filter):
    """Rewrites a record's final message with ``make_safe`` (once per record, however many handlers)."""

    def __init__(self) -> None:
        super().__init__("roombot-log-safety")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.__dict__.get(_DONE):
            return True
        record.__dict__[_DONE] = True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is the handler's to report, not ours
            return True
        safe = make_safe(message, has_body=record.name.startswith(BODY_LOGGER_PREFIXES))
        if safe != message:
            record.msg, record.args = safe, ()
        if record.exc_info and not record.exc_text:
            # Formatted here (as logging.Formatter would) so that a pwd token in an exception's text is
            # redacted too; line breaks stay: a traceback is many lines by design.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and _PWD.search(record.exc_text):
            record.exc_text = _PWD.sub(REDACTED_PWD, record.exc_text)
        return True


LOG_SAFETY = LogSafetyFilter()


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
# Fields the JSON formatter writes itself: everything else a record carries (an ``extra``) is made safe.
_JSON_FIELDS = frozenset({"time", "level", "logger", "message", "exc_info", "stack_info"})


class JsonLogFormatter(JsonFormatter):
    """One JSON object per line: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, then
    ``exc_info`` and the ids of the work (``bot.logcontext``) when there are some.  Non-ASCII characters are
    escaped, so no character in a field can break the line."""

    def __init__(self) -> None:
        super().__init__("{asctime}{levelname}{name}{message}", style="{",
                         rename_fields={"asctime": "time", "levelname": "level", "name": "logger"})

    def format(self, record: logging.LogRecord) -> str:
        # On a handler without the filter (added after install) the record is made safe here.
        if not record.__dict__.get(_DONE):
            LOG_SAFETY.filter(record)
        return super().format(record)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")

    def formatException(self, ei: ExcInfo) -> str:
        # python-json-logger formats exc_info afresh (not the filter's redacted exc_text): redact again.
        return _redact_pwd(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _redact_pwd(super().formatStack(stack_info))

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        for key, value in log_data.items():
            if key not in _JSON_FIELDS and isinstance(value, str):
                log_data[key] = make_safe(value)
        return log_data


def _redact_pwd(text: str | list[str]) -> str:
    return _PWD.sub(REDACTED_PWD, text if isinstance(text, str) else "\n".join(text))


def prepare_handler(handler: logging.Handler, log_format: LogFormat | None = None) -> None:
    """Give ``handler`` the safety and context filters and, for ``json``, the JSON format (``text`` and None
    leave its formatter as it is)."""
    for log_filter in (LOG_SAFETY, LOG_CONTEXT):
        if log_filter not in handler.filters:
            handler.addFilter(log_filter)
    if log_format == "json" and not isinstance(handler.formatter, JsonLogFormatter):
        handler.setFormatter(JsonLogFormatter())


def install(root: logging.Logger | None = None, *, log_format: LogFormat | None = None) -> None:
    """Prepare every handler of the root logger (or ``root``) and of gunicorn's loggers (``prepare_handler``),
    add ``LOG_SAFETY`` to ``GUARDED_LOGGERS``, and let lines carry the id of the dispatch they are about
    (``bot.logcontext.follow_dispatch_rows``).

    Call it once logging is configured (after ``logging.basicConfig``); calling it again is harmless, and
    picks up handlers added since.
    """
    root = root if root is not None else logging.getLogger()
    handlers = list(root.handlers)
    if root is logging.getLogger():
        handlers += [handler for name in GUNICORN_LOGGERS for handler in logging.getLogger(name).handlers]
    for handler in handlers:
        prepare_handler(handler, log_format)
    for name in GUARDED_LOGGERS:
        logger = logging.getLogger(name)
        if LOG_SAFETY not in logger.filters:
            logger.addFilter(LOG_SAFETY)
    follow_dispatch_rows()


def configure(log_format: LogFormat = "text", *, level: int = logging.INFO) -> None:
    """The logging set-up of a long-running command (``roombot serve``, ``roombot worker``): one stderr
    handler at ``level`` in ``log_format`` (``Settings.log_format``), then ``install``."""
    logging.basicConfig(level=level, format=HUMAN_FORMAT)
    install(log_format=log_format)


def gunicorn_logger_class(log_format: LogFormat) -> type:
    """A gunicorn ``logger_class`` whose error and access logs get the filters and ``log_format`` as soon as
    gunicorn sets them up (in the master too, before any worker exists)."""
    from gunicorn.glogging import Logger

    class RoombotGunicornLogger(Logger):
        def setup(self, cfg: Any) -> None:
            super().setup(cfg)
            for handler in (*self.error_log.handlers, *self.access_log.handlers):
                prepare_handler(handler, log_format)

    return RoombotGunicornLogger
