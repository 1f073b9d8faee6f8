"""Pure Block Kit builders for bookings: confirmations, lists with Cancel buttons, reminders, worker posts, and
the "Book a room" form.

Times in channel messages use Slack's ``<!date^…>`` token, so every reader sees them in their own time zone;
the fallback text is the booking's zone.  Dispatch results reuse the `/room join` card when the rooms surface
is installed (``bot.slack.rooms.render``), so a booking's result looks like any other dispatch.  Room names and
other user text are escaped wherever they go into mrkdwn (block text and the fallback ``text`` alike); confirm
dialogs are plain_text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    ConversationSelectElement,
    DateTimePickerElement,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.dispatch.outcomes import DispatchResult, format_meeting_number
from bot.scheduling.occurrence import OccurrenceView
from bot.scheduling.service import UPCOMING_FETCHED
from bot.scheduling.when import DAY_LABELS, RRULE_DAYS, describe
from bot.slack.blocks import SlackMessage, code, escape_mrkdwn
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.slack.rooms import render, room_list
from bot.slack.wording import meeting_on

MAX_LISTED = 20  # three blocks each would pass Slack's 50-block cap
DURATIONS = (("15 minutes", 15), ("30 minutes", 30), ("45 minutes", 45), ("1 hour", 60), ("1½ hours", 90),
             ("2 hours", 120))
REPEATS = (("Once", ""), ("Every day", "day"), ("Every weekday", "weekday"), ("Every week", "week"))


def slack_time(moment: datetime, tz_name: str, style: str = "{date_short_pretty} {time}") -> str:
    """Shown in each reader's own zone by Slack; the fallback is the booking's zone."""
    return f"<!date^{int(moment.timestamp())}^{style}|{describe(moment, tz_name)} {tz_name}>"


def rule_label(rrule: str | None) -> str | None:
    if not rrule:
        return None
    parts = dict(part.split("=", 1) for part in rrule.upper().split(";") if "=" in part)
    if parts.get("FREQ") == "DAILY":
        return "every day"
    days = parts.get("BYDAY")
    if parts.get("FREQ") == "WEEKLY" and not days:
        return "every week"
    if parts.get("FREQ") == "WEEKLY" and days == "MO,TU,WE,TH,FR":
        return "every weekday"
    if parts.get("FREQ") == "WEEKLY" and days:
        names = [DAY_LABELS[RRULE_DAYS.index(day)] for day in days.split(",") if day in RRULE_DAYS]
        return "every " + ", ".join(names)
    return "repeating"


def meeting_words(view: OccurrenceView) -> str:
    if view.service:
        return meeting_on(view.service)
    if view.meeting_id:
        return f"meeting {format_meeting_number(view.meeting_id)}"
    return "a new meeting" if view.is_new_meeting else "its meeting"


def summary_line(view: OccurrenceView) -> str:
    repeat = rule_label(view.rrule)
    minutes = int((view.ends_at - view.starts_at).total_seconds() // 60)
    line = (f"*{escape_mrkdwn(view.room_name)}* → {meeting_words(view)}, {slack_time(view.starts_at, view.tz_name)} "
            f"for {minutes} min")
    return line + (f", {repeat}" if repeat else "") + f" · booking #{view.booking_id} by <@{view.requester_user_id}>"


# ------------------------------------------------------------------------------------------ replies


def booked_message(view: OccurrenceView, upcoming: Sequence[datetime], notes: Sequence[str]) -> SlackMessage:
    lines = [f":calendar: Booked: {summary_line(view)}."]
    if len(upcoming) > 1:
        lines.append("Next: " + ", ".join(describe(moment, view.tz_name) for moment in upcoming[:4]) +
                     f" ({escape_mrkdwn(view.tz_name)}).")
    where = f"<#{view.channel_id}>" if view.channel_id else "a direct message"
    lines.append(f"I will post a reminder and the result in {where}. "
                 f"{code(f'/room cancel {view.booking_id}')} cancels it.")
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text="\n".join(lines)))]
    for note in notes:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f":information_source: {note}")]))
    return SlackMessage(text=f"Booked {escape_mrkdwn(view.room_name)} (booking #{view.booking_id}).",
                        blocks=tuple(blocks))


def _cancel_buttons(view: OccurrenceView) -> ActionsBlock:
    elements = [ButtonElement(
        text="Cancel this one" if view.rrule else "Cancel", action_id=ActionId.CANCEL_OCCURRENCE,
        value=f"{view.booking_id}:{view.occurrence_id}", style="danger" if not view.rrule else None,
        confirm=ConfirmObject(title="Cancel this occurrence?", confirm="Cancel it", deny="Keep it",
                              text=render.confirm_text(f"{view.room_name} will not be sent on "
                                                       f"{describe(view.starts_at, view.tz_name)}.")),
    )]
    if view.rrule:
        elements.append(ButtonElement(
            text="Cancel the whole series", action_id=ActionId.CANCEL_BOOKING, value=str(view.booking_id),
            style="danger",
            confirm=ConfirmObject(title="Cancel the series?", confirm="Cancel all", deny="Keep it",
                                  text=render.confirm_text(f"Every future occurrence of booking #{view.booking_id} "
                                                           "is cancelled.")),
        ))
    return ActionsBlock(block_id=f"booking_{view.booking_id}_{view.occurrence_id}", elements=elements)


def bookings_blocks(views: Sequence[OccurrenceView], *, viewer: str, is_admin: bool, heading: str) -> list[Block]:
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=heading))]
    if not views:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f"Nothing booked. {code('/room book <room> <when> <link | id | new>')} books a room.")]))
    for view in views[:MAX_LISTED]:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=summary_line(view))))
        if is_admin or view.requester_user_id == viewer:
            blocks.append(_cancel_buttons(view))
    if len(views) > MAX_LISTED:
        # The listing is fetched capped: when the cap was reached there may be more than it holds.
        more = f"{len(views) - MAX_LISTED}+" if len(views) >= UPCOMING_FETCHED else str(len(views) - MAX_LISTED)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f"…and {more} more: `/room bookings <room>` or `/room bookings mine` narrows the list.")]))
    return blocks


def bookings_message(views: Sequence[OccurrenceView], *, viewer: str, is_admin: bool, heading: str) -> SlackMessage:
    blocks = bookings_blocks(views, viewer=viewer, is_admin=is_admin, heading=heading)
    return SlackMessage(text=f"{len(views)} upcoming booking occurrence(s).", blocks=tuple(blocks))


def info(text: str) -> SlackMessage:
    return SlackMessage(text=text, blocks=(SectionBlock(text=MarkdownTextObject(text=text)),))


# ------------------------------------------------------------------------------------------ worker posts


def reminder_message(view: OccurrenceView) -> SlackMessage:
    text = (f":alarm_clock: At {slack_time(view.starts_at, view.tz_name, '{time}')} "
            f"*{escape_mrkdwn(view.room_name)}* joins {meeting_words(view)} (booking #{view.booking_id} by "
            f"<@{view.requester_user_id}>).")
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    if view.join_url:
        url = escape_mrkdwn(view.join_url)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*Join link:* <{url}|{url}>")))
    value = str(view.occurrence_id)
    blocks.append(ActionsBlock(block_id=BlockId.REMINDER_ACTIONS, elements=[
        ButtonElement(text="Dispatch now", action_id=ActionId.DISPATCH_NOW, value=value, style="primary"),
        ButtonElement(text="Skip this one", action_id=ActionId.SKIP_OCCURRENCE, value=value,
                      confirm=ConfirmObject(title="Skip this one?", confirm="Skip", deny="Keep",
                                            text=render.confirm_text(f"{view.room_name} will not be sent this "
                                                                     "time."))),
    ]))
    return SlackMessage(text=f"Reminder: {escape_mrkdwn(view.room_name)} joins {meeting_words(view)} soon.",
                        blocks=tuple(blocks))


def reminder_done_message(view: OccurrenceView, what: str) -> SlackMessage:
    """The reminder after it was acted on: the same words, no buttons, and what happened."""
    text = (f"~:alarm_clock: {escape_mrkdwn(view.room_name)} at {slack_time(view.starts_at, view.tz_name, '{time}')}~ "
            f"{what}")
    return info(text)


def meeting_ready_message(view: OccurrenceView, notes: Sequence[str]) -> SlackMessage:
    url = escape_mrkdwn(view.join_url or "")
    lines = [f":link: Meeting for *{escape_mrkdwn(view.room_name)}* at {slack_time(view.starts_at, view.tz_name)}: "
             f"{meeting_words(view)}, <{url}|{url}>"]
    lines += [f":information_source: {escape_mrkdwn(note)}" for note in notes]
    return info("\n".join(lines))


def passcode_message(view: OccurrenceView, passcode: str) -> SlackMessage:
    """The passcode of the meeting made for ``view``, for the booker alone."""
    return info(f"Passcode of meeting {format_meeting_number(view.meeting_id)} (booking #{view.booking_id}), "
                f"for you only: `{passcode}`")


def skipped_message(view: OccurrenceView, reason: str) -> SlackMessage:
    return info(f":fast_forward: *{escape_mrkdwn(view.room_name)}* was not sent to {meeting_words(view)} "
                f"({slack_time(view.starts_at, view.tz_name)}, booking #{view.booking_id}): {escape_mrkdwn(reason)}")


def progress_message(text: str) -> SlackMessage:
    return render.progress_message(text)  # the same progress line as `/room join`


def result_message(result: DispatchResult, view: OccurrenceView) -> SlackMessage:
    footer = ContextBlock(elements=[MarkdownTextObject(
        text=f":calendar: Booking #{view.booking_id} ({slack_time(view.starts_at, view.tz_name)})")])
    # The same card, with the same fix buttons, as `/room join`.
    card = render.result_message(result, requester_id=view.requester_user_id, op="join")
    return SlackMessage(text=card.text, blocks=(*card.blocks, footer))


# ------------------------------------------------------------------------------------------ the form


def room_select(room_names: list[str]) -> StaticSelectElement | ExternalDataSelectElement:
    """The modal's room select: every room in a static_select while they fit in Slack's 100 options, else an
    external_select searched as the user types (``bot.slack.bookings.modal.booking_room_options``).  The
    value is the room's name, which the submission books by."""
    return room_list.room_picker([room_list.RoomView(0, name) for name in room_names], action_id=ActionId.ROOM_SELECT,
                              placeholder="Pick a room", value=by_name)


def by_name(room: room_list.RoomView) -> str:
    return room.name


def booking_view(room_names: list[str], *, now: datetime) -> View:
    start = int((now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0).timestamp())
    return View(type="modal", callback_id=CallbackId.BOOK_MODAL, title="Book a room", submit="Book", close="Cancel",
                blocks=[
                    InputBlock(block_id=BlockId.ROOM, label="Room", element=room_select(room_names),
                               hint=room_list.search_hint(len(room_names))),
                    InputBlock(block_id=BlockId.START, label="Starts",
                               element=DateTimePickerElement(action_id=ActionId.START_PICKER, initial_date_time=start)),
                    InputBlock(block_id=BlockId.MEETING, label="Meeting", hint="A Zoom link, a meeting ID, or “new” "
                               "for a new meeting the room can join", element=PlainTextInputElement(
                                   action_id=ActionId.MEETING_INPUT, placeholder="https://zoom.us/j/… or new")),
                    InputBlock(block_id=BlockId.BOOKING_PASSCODE, label="Passcode", optional=True,
                               hint="Only you and Zoom see it; it is stored encrypted.",
                               element=PlainTextInputElement(action_id=ActionId.BOOKING_PASSCODE_INPUT,
                                                             max_length=64)),
                    InputBlock(block_id=BlockId.DURATION, label="For", element=StaticSelectElement(
                        action_id=ActionId.DURATION_SELECT,
                        options=[Option(text=text, value=str(minutes)) for text, minutes in DURATIONS],
                        initial_option=Option(text=DURATIONS[1][0], value=str(DURATIONS[1][1])))),
                    InputBlock(block_id=BlockId.REPEAT, label="Repeat", element=StaticSelectElement(
                        action_id=ActionId.REPEAT_SELECT,
                        options=[Option(text=text, value=value or "once") for text, value in REPEATS],
                        initial_option=Option(text=REPEATS[0][0], value="once"))),
                    InputBlock(block_id=BlockId.BOOKING_CHANNEL, label="Post the reminder and result in",
                               element=ConversationSelectElement(
                                   action_id=ActionId.BOOKING_CHANNEL_INPUT, default_to_current_conversation=True)),
                ])
