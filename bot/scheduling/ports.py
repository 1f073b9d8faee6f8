"""What the booking worker needs from outside the bookings domain, as Protocols.

* :class:`BookingNotifier` — tells people about an occurrence: its reminder, the link of a meeting made for
  it (and its passcode, to the booker alone), the progress and result of its dispatch, a skipped start.
  The Slack layer implements it (its ``SlackNotifier``) and words everything there.
* :class:`RequesterDirectory` — who a booker is (email, user groups), so room rules apply to the worker
  acting for them as they do to `/room join` (the Slack layer's ``SlackRequesters``).
* :class:`BookingBackends` — the collaborators a booking needs from the process's services
  (``bot.services.Services.wired()`` gives them, checked present).

A notifier never raises for delivery trouble: an occurrence is dispatched whether or not anyone could be told.
Its methods take domain data — an :class:`~bot.scheduling.occurrence.OccurrenceView`, a ``DispatchResult``,
what the dispatch is doing — and answer with a :data:`MessageRef` where the worker must find a message
again (the reminder it edits when the room goes, the progress message a taking-over worker edits).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.dispatch.engine import DispatchEngine
from bot.dispatch.meetings import MeetingService
from bot.dispatch.outcomes import DispatchResult, Requester, Stage
from bot.dispatch.reasons import Reason
from bot.dispatch.service import DispatchService
from bot.scheduling.occurrence import OccurrenceView
from bot.store.crypto import SecretBox

MessageRef = str  # a message the notifier posted, as it finds it again (Slack: the message's ts); stored as is


class ReminderOutcome(StrEnum):
    """What became of an occurrence whose reminder was posted: the reminder is edited to say so."""

    SENT = "sent"  # dispatched (the result follows separately)
    FAILED = "failed"  # dispatched, and it did not work (the result says why)
    MISSED = "missed"  # never dispatched: too late (the skip notice says why)


class BookingNotifier(Protocol):
    def reminder(self, view: OccurrenceView) -> MessageRef | None:
        """Announce the coming start (with ways to dispatch it now or skip it); None when nobody could be told."""
        ...

    def reminder_settled(self, view: OccurrenceView, reminder: MessageRef, outcome: ReminderOutcome) -> bool:
        """Edit the reminder once it has been acted on; False when it could not be edited."""
        ...

    def meeting_ready(self, view: OccurrenceView, notes: Sequence[Reason]) -> None:
        """The meeting made for a `new` occurrence (``view.meeting_id``, ``view.join_url``), with what its
        security settings mean for the room (``notes``)."""
        ...

    def meeting_passcode(self, view: OccurrenceView, passcode: str) -> None:
        """The passcode of that meeting, for the booker alone (``view.requester_user_id``)."""
        ...

    def skipped(self, view: OccurrenceView, reason: str) -> None:
        """The occurrence was not dispatched, for ``reason`` (the store's plain words)."""
        ...

    def post_progress(self, view: OccurrenceView, stage: Stage, doing: Reason) -> MessageRef | None:
        """A new progress message for the dispatch (``doing``: what the dispatch is doing at ``stage``)."""
        ...

    def edit_progress(self, view: OccurrenceView, message: MessageRef, stage: Stage, doing: Reason) -> bool:
        """Show new progress in ``message``; False when it could not be edited (a new one is posted then)."""
        ...

    def post_result(self, view: OccurrenceView, result: DispatchResult) -> MessageRef | None:
        """The dispatch's result as a message of its own."""
        ...

    def edit_result(self, view: OccurrenceView, message: MessageRef, result: DispatchResult) -> bool:
        """Turn the progress ``message`` into the result; False when it could not be edited."""
        ...


class RequesterDirectory(Protocol):
    def requester(self, user_id: str, *, is_admin: bool) -> Requester:
        """``user_id`` as a dispatch requester (email and user groups looked up; none when unknown)."""
        ...

    def known_requester(self, user_id: str, *, is_admin: bool) -> Requester | None:
        """``requester`` if it can be answered at once, without waiting on the network; else None."""
        ...


class BookingBackends(Protocol):
    """The parts of the process's services that bookings use (``bot.services.Wired`` satisfies it)."""

    @property
    def session_factory(self) -> sessionmaker[Session]: ...

    @property
    def secret_box(self) -> SecretBox: ...

    @property
    def engine(self) -> DispatchEngine: ...

    @property
    def dispatcher(self) -> DispatchService:  # the same dispatch flow and room-status board as `/room join`
        ...

    @property
    def meetings(self) -> MeetingService: ...
