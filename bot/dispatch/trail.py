"""The dispatch audit trail as the flow writes it: one row per request, each Zoom answer, the outcome,
passcode-attempt accounting, and the sealed passcode that Retry / Join anyway buttons reuse."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy.orm import Session, sessionmaker

from bot.dispatch.outcomes import Requester
from bot.dispatch.reasons import Reason
from bot.dispatch.third_party import open_target
from bot.dispatch.zoom_answers import zoom_error_detail
from bot.meetings import MeetingReference
from bot.store import audit
from bot.store.crypto import Sealed, SecretBox
from bot.store.db import session_scope
from bot.store.models import Dispatch, Room
from bot.store.types import DispatchAction, DispatchOutcome, DispatchSource
from bot.zoom.errors import ZoomError
from bot.zoom.models import ControlAck

log = logging.getLogger("bot.dispatch")


def reason_codes(reason: Reason) -> str:
    """The stored words of a reason when no wording was given (tests of the flow alone): its code and parameters."""
    params = ", ".join(f"{key}={value}" for key, value in reason.params.items() if value is not None)
    return f"{reason.why.value} ({params})" if params else reason.why.value


class AuditTrail:
    """``describe`` words a reason for the row's ``reason`` column: the Slack layer's wording in a running bot
    (``bot.runtime`` passes it in), so the audit reads as the channel was told."""

    def __init__(self, session_factory: sessionmaker[Session], secret_box: SecretBox | None, protocol: str,
                 describe: Callable[[Reason], str] = reason_codes) -> None:
        self.describe = describe
        self.sessions = session_factory
        self.secret_box = secret_box  # None: passcodes are then not remembered
        self.protocol = protocol

    def writing(self) -> AbstractContextManager[Session]:
        """A transaction that will write. On SQLite it takes the write lock first: a transaction that read
        and then tries to write after another writer committed fails with "database is locked", which
        concurrent dispatches (Slack's thread pool, the booking worker) would otherwise hit."""
        return session_scope(self.sessions, write_lock=True)

    def sealed(self, passcode: str | None) -> Sealed | None:
        """The passcode as stored for Retry and Join anyway (None without one or without a key)."""
        return self.secret_box.seal(passcode) if passcode and self.secret_box is not None else None

    def remember(self, dispatch: Dispatch, passcode: str | None) -> None:
        if (sealed := self.sealed(passcode)) is not None:
            dispatch.passcode = sealed

    def remembered_passcode(self, dispatch_id: int) -> str | None:
        """The passcode an earlier dispatch sent or would have sent (None when there was none or no key)."""
        if self.secret_box is None:
            return None
        with session_scope(self.sessions) as session:
            dispatch = session.get(Dispatch, dispatch_id)
            return self.secret_box.open_optional(dispatch.passcode) if dispatch is not None else None

    def remembered_third_party(self, dispatch_id: int) -> tuple[MeetingReference, str | None] | None:
        """The Teams, Meet or SIP meeting an earlier dispatch sent (or would have sent), and its passcode."""
        if self.secret_box is None:
            return None
        with session_scope(self.sessions) as session:
            dispatch = session.get(Dispatch, dispatch_id)
            sealed = dispatch.third_party if dispatch is not None else None
        return open_target(self.secret_box, sealed) if sealed is not None else None

    def refusal(self, session: Session, requester: Requester, channel_id: str | None, source: DispatchSource,
                action: DispatchAction, room: Room | None, room_name: str | None, reason: Reason, *,
                meeting_id: str | None = None, force_accept: bool = False) -> Dispatch:
        """A request stopped before Zoom was called: audited all the same."""
        dispatch = audit.start_dispatch(session, requested_by=requester.user_id, channel_id=channel_id, source=source,
                                        action=action, room=room, room_name=(room_name or "?")[:200],
                                        meeting_id=meeting_id, protocol=self.protocol, force_accept=force_accept)
        audit.finish_dispatch(session, dispatch, DispatchOutcome.REFUSED, self.describe(reason))
        return dispatch

    def record(self, dispatch_id: int, step: str, *, http_status: int | None = None,
               room_status: str | None = None, elapsed: float | None = None,
               outcome: DispatchOutcome | None = None, reason: Reason | None = None,
               error: ZoomError | None = None, ack: ControlAck | None = None,
               settled_attempt: int | None = None) -> None:
        """One Zoom answer (or failure) for the dispatch, and optionally its new outcome.  With ``ack``: the
        request's path, after a row for each path Zoom did not find the room by (the other id was tried)."""
        detail = zoom_error_detail(error) if error else None
        method, _, path = (error.request or "").partition(" ") if error else ("", "", "")
        answers: list[audit.ZoomAnswer] = []
        if ack is not None:
            answers = [audit.zoom_response_row(step=step, http_method=ack.http_method, http_path=refused,
                                               http_status=404, zoom_code=1012,
                                               zoom_message="Room not found by this id; tried the room's other id")
                       for refused in ack.not_found_paths]
            method, path = ack.http_method or "", ack.path or ""
        answers.append(audit.zoom_response_row(
            step=step, http_method=method or None, http_path=path or None,
            http_status=detail.status if detail else http_status, zoom_code=detail.code if detail else None,
            zoom_field=detail.field if detail else None, zoom_message=detail.message if detail else None,
            room_status=room_status, elapsed_ms=int(elapsed * 1000) if elapsed is not None else None))
        # Core statements by id, no ORM load: this runs once or twice per Zoom call on the busiest path.
        with self.writing() as session:
            described = self.describe(reason) if reason is not None and outcome is not None else None
            if audit.update_dispatch_outcome(session, dispatch_id, outcome, described):
                audit.append_zoom_responses(session, dispatch_id, answers)
            else:  # the row went away mid-flight (deleted by hand): nothing to attach answers to
                log.warning("dispatch %s is gone; not recording its %s step", dispatch_id, step)
            if settled_attempt is not None:  # the passcode attempt worked: in the same transaction
                audit.mark_passcode_attempt(session, settled_attempt, succeeded=True)

    def settle_attempt(self, attempt_id: int | None, *, succeeded: bool) -> None:
        if attempt_id is not None:
            with self.writing() as session:
                audit.mark_passcode_attempt(session, attempt_id, succeeded=succeeded)
