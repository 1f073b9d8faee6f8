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

``install()`` puts the filter on every handler the root logger has and on slack_bolt's request-verification
logger; it is idempotent and is called by ``create_app`` and by the logging set-up of ``roombot serve``.  It
is cheap: one regular-expression search per record unless something needs rewriting.
"""

from __future__ import annotations

import logging
import re

__all__ = ["LOG_SAFETY", "MAX_MESSAGE", "LogSafetyFilter", "install", "make_safe"]

MAX_MESSAGE = 4000
REDACTED_PWD = "pwd=[redacted]"
# Loggers whose records embed whole HTTP bodies (requests to Slack, Slack's answers, requests from Slack).
BODY_LOGGER_PREFIXES = ("slack_sdk", "slack_bolt")
# Loggers that get the filter themselves, so their records are safe whatever handler is added later.
GUARDED_LOGGERS = ("slack_bolt.RequestVerification",)

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


def install(root: logging.Logger | None = None) -> None:
    """Add ``LOG_SAFETY`` to every handler of the root logger (or ``root``) and to ``GUARDED_LOGGERS``.

    Call it once logging is configured (after ``logging.basicConfig``); calling it again is harmless, and
    picks up handlers added since.
    """
    root = root if root is not None else logging.getLogger()
    for handler in list(root.handlers):
        if LOG_SAFETY not in handler.filters:
            handler.addFilter(LOG_SAFETY)
    for name in GUARDED_LOGGERS:
        logger = logging.getLogger(name)
        if LOG_SAFETY not in logger.filters:
            logger.addFilter(LOG_SAFETY)
