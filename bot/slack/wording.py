"""What people read about a dispatch: every ``bot.dispatch.reasons.Reason`` in plain words.

The one place these sentences live.  Cards, progress messages, ``/room audit`` and the booking worker's
channel posts all word reasons here, so a sentence is changed once and a stored reason reads as it did when
it happened.  The words are plain text (the card builders escape them for mrkdwn).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.dispatch.outcomes import ZoomErrorDetail
from bot.dispatch.reasons import Reason, Why, ZoomAction
from bot.meetings.reference import TeamsCloud
from bot.meetings.thirdparty import ZOOM_ROOMS_CANNOT_JOIN

ASK_HOST = "Ask the meeting's host for a passcode of at most 10 letters, digits or @ - _ *."
PERSONAL_LINK = ("A personal link (zoom.us/my/…) does not carry the meeting ID a room needs; paste the meeting ID "
                 "or the whole invitation instead.")
# The same fact, short enough for a form field's error.
PERSONAL_LINK_SHORT = "A personal link (zoom.us/my/…) has no meeting ID; paste the meeting ID."
NOT_A_ZOOM_MEETING = "That is not a Zoom meeting."
PASSCODE_LOCKOUT = "Zoom Rooms locks passcode joins for 30 minutes after 10 failures"


SERVICE_NAMES = {"teams": "Microsoft Teams", "meet": "Google Meet", "sip": "SIP"}
# Where an IT admin turns interop on (Zoom's interop articles for Teams and Google Meet).
INTEROP_SETTING = ("Zoom web portal → Room Management → Zoom Rooms → the room's Meeting tab → Support "
                   "Interoperability for Zoom Rooms")


def service_name(service: str | None) -> str:
    return SERVICE_NAMES.get(service or "", "Zoom")


def meeting_on(service: str | None) -> str:
    """"the Microsoft Teams meeting", "the SIP call"."""
    return "the SIP call" if service == "sip" else f"the {service_name(service)} meeting"


def lobby_note(service: str | None) -> str:
    return (f"On {service_name(service)} the room joins as a guest: it may wait in the meeting's lobby until someone "
            "in the meeting admits it.")


def status_words(status: str | None) -> str:
    return {"Offline": "offline", "Available": "available (not in a meeting)", "InMeeting": "in a meeting",
            "UnderConstruction": "under construction (not set up yet)"}.get(status or "", f"in state {status!r}")


def or_list(names: tuple[str, ...]) -> str:
    quoted = [f"“{n}”" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def zoom_said(detail: ZoomErrorDetail) -> str:
    """Zoom's answer as cards show it: ``Zoom said (HTTP 400, code 300) `field`: message``."""
    parts = [f"HTTP {detail.status}" if detail.status else None, f"code {detail.code}" if detail.code else None]
    head = ", ".join(p for p in parts if p)
    fld = f" `{detail.field}`" if detail.field else ""
    return f"Zoom said ({head}){fld}: {detail.message}" if head else f"Zoom said{fld}: {detail.message}"


def describe(reason: Reason) -> str:
    """``reason`` in plain words."""
    return _WORDS[reason.why](reason)


def describe_stored(code: str | None, params: dict[str, object] | None, text: str | None) -> str | None:
    """A reason as the store kept it: worded from its code, or the plain words of rows written before codes."""
    stored = Reason.stored(code, params)
    return describe(stored) if stored is not None else text


def _doing(r: Reason) -> str:
    room, number = r.param("room"), r.param("number")
    actions = {a.value: a for a in ZoomAction}
    action = actions.get(r.param("action"), ZoomAction.REACH)
    if action is ZoomAction.SEND_THIRD_PARTY:
        return f"sending {room} to {meeting_on(r.param('service'))}"
    if action is ZoomAction.SEND:
        return f"sending {room} to meeting {number}" if number else f"reaching {room}"
    return {ZoomAction.REACH: f"reaching {room}", ZoomAction.CHECK_ROOM: "checking the room",
            ZoomAction.CREATE_MEETING: "creating the meeting",
            ZoomAction.CHANGE_PASSCODE: f"changing the passcode of meeting {number}"}[action]


def _unknown_room(r: Reason) -> str:
    suggestions = r.params.get("suggestions") or ()
    names = suggestions if isinstance(suggestions, tuple) else (str(suggestions),)
    hint = f" Did you mean {or_list(names)}?" if names else " `/room list` shows the rooms."
    return f"There is no room called “{r.param('typed')}”.{hint}"


def _incompatible(r: Reason) -> str:
    repair = (" The meeting is on the bot's account: I can give it a passcode Zoom Rooms accept."
              if r.params.get("repairable") else f" {ASK_HOST}")
    return (f"{r.param('detail')} Zoom would answer 32602 “Validation Failed” on `params.password`, so I did not "
            f"send {r.param('room')}." + repair)


def _too_many_pending(r: Reason) -> str:
    return (f"{r.param('room')} already has {r.param('limit')} passcode joins in the last 30 minutes that have not "
            f"worked, {r.param('pending')} of them still on their way in. {PASSCODE_LOCKOUT}, so I send no more "
            "until they finish; wait a minute and try again.")


def _too_many_failed(r: Reason) -> str:
    when = f" after {r.param('free_at')} UTC" if r.params.get("free_at") else " later"
    return (f"{r.param('room')} already had {r.param('limit')} passcode joins that did not work in the last 30 "
            f"minutes. {PASSCODE_LOCKOUT}, so I stopped; check the passcode and try again{when}.")


def _unconfirmed(why: str) -> str:
    return f"Zoom accepted the request, but {why}. Check the room's screen; Leave clears it if it is stuck."


def _stuck(r: Reason) -> str:
    # A room sits on a prompt for a meeting that does not exist just as for a wrong passcode: name both.
    cause = ("the meeting ID or the passcode is probably wrong" if r.params.get("with_passcode") else
             "the meeting ID is probably wrong, or the meeting needs a passcode, or the host has not let the room in")
    after = ("I sent the room back to its home screen to clear the prompt it was showing." if r.params.get("cleared")
             else "Clearing the room's screen failed too; someone may need to tap Cancel on it.")
    return (f"Zoom accepted the request, but {r.param('room')} did not join meeting {r.param('number')} within "
            f"{r.param('seconds')} seconds: {cause}. {after}")


def _zoom_maybe_received(r: Reason) -> str:
    room = r.param("room")
    return (f"Zoom did not answer properly while I was {_doing(r)} (a server error or no answer in time), so "
            f"{room} may or may not have got the request. Look at the room's screen or run `/room status {room}` "
            "before trying again.")


def _teams_cloud(r: Reason) -> str:
    cloud = {c.value: c for c in TeamsCloud}.get(r.param("cloud"))
    text = ZOOM_ROOMS_CANNOT_JOIN.get(cloud) if cloud is not None else None
    return f"{text or 'Zoom Rooms cannot join Microsoft Teams meetings in that cloud.'} Nothing was sent."


def _third_party_not_seen(r: Reason) -> str:
    service = r.param("service")
    lobby = "it may be waiting in the meeting's lobby for someone to admit it" if service != "sip" else \
        "the SIP address may be wrong or need a passcode spliced in"
    unreadable = f" (its status could not be read: {r.param('poll_error')})" if r.params.get("poll_error") else ""
    return (f"Zoom accepted the request, but {r.param('room')} was not seen in {meeting_on(service)} within "
            f"{r.param('seconds')} seconds{unreadable}: {lobby}. If nobody is waiting for it, interop with "
            f"{service_name(service)} may not be enabled for this Zoom account or room ({INTEROP_SETTING}). "
            "I sent no leave, so a room in the lobby stays there.")


_WORDS: dict[Why, Callable[[Reason], str]] = {
    Why.BAD_REFERENCE: lambda r: r.param("detail") or NOT_A_ZOOM_MEETING,
    Why.PASSCODE_TOO_LONG: lambda r: ("That passcode is far longer than any Zoom passcode (they have at most 10 "
                                      "characters), so nothing was sent; check what was pasted."),
    Why.PERSONAL_LINK: lambda r: PERSONAL_LINK,
    Why.UNKNOWN_ROOM: _unknown_room,
    Why.NOT_ALLOWED: lambda r: (f"{r.param('room')} is not available to you here; ask an admin (`/room allow`) if "
                                "you need it."),
    Why.NEEDS_PASSCODE: lambda r: (f"I need the passcode of meeting {r.param('number')} to send {r.param('room')}: "
                                   "the link's pwd= part is encrypted and the meeting is not on the bot's Zoom "
                                   "account."),
    Why.ROOM_NOT_ONLINE: lambda r: (f"{r.param('room')} is {status_words(r.param('status') or None)} in Zoom, so it "
                                    "cannot join. Check that the Zoom Rooms device is on and connected, then retry."),
    Why.ROOM_BUSY: lambda r: (f"{r.param('room')} is in another meeting right now. Join anyway to pull it out of "
                              f"that meeting and into {r.param('number')}."),
    Why.PASSCODE_INCOMPATIBLE: _incompatible,
    Why.TOO_MANY_PENDING: _too_many_pending,
    Why.TOO_MANY_FAILED: _too_many_failed,
    Why.SENDING: lambda r: f"Sending {r.param('room')} to meeting {r.param('number')}…",
    Why.WAITING_FOR_JOIN: lambda r: (f"Zoom accepted; waiting for {r.param('room')} to join meeting "
                                     f"{r.param('number')}…"),
    Why.CREATING_MEETING: lambda r: f"Creating a meeting {r.param('room')} can join…",
    Why.REPAIRING_PASSCODE: lambda r: f"Giving meeting {r.param('number')} a passcode Zoom Rooms accept…",
    Why.IN_MEETING: lambda r: f"{r.param('room')} is in meeting {r.param('number')}.",
    Why.IN_WAITING_ROOM: lambda r: (f"{r.param('room')} is in meeting {r.param('number')}, in its waiting room: "
                                    "someone in the meeting must admit it."),
    Why.IN_MEETING_EARLIER: lambda r: (f"{r.param('room')} is in meeting {r.param('number')} (sent by an earlier "
                                       "attempt)."),
    Why.UNCONFIRMED_NO_STATUS: lambda r: _unconfirmed(f"I could not read {r.param('room')}'s status from Zoom "
                                                      f"afterwards ({r.param('poll_error') or 'no answer'})"),
    Why.UNCONFIRMED_WAS_BUSY: lambda r: _unconfirmed(f"{r.param('room')} was already in a meeting, and Zoom's "
                                                     "status does not say which one, so I cannot confirm it "
                                                     f"switched to meeting {r.param('number')}"),
    Why.STUCK: _stuck,
    Why.LEAVING: lambda r: f"{r.param('room')} is leaving its meeting.",
    Why.STATUS: lambda r: f"{r.param('room')} is {status_words(r.param('status') or None)}.",
    Why.ZOOM_REFUSED: lambda r: f"Zoom refused {_doing(r)}. {r.param('detail')}",
    Why.ZOOM_MAYBE_RECEIVED: _zoom_maybe_received,
    Why.ZOOM_UNREACHABLE: lambda r: (f"I could not reach Zoom while {_doing(r)} (a server error, no answer or no "
                                     f"connection), so nothing reached {r.param('room')}. Try again in a minute."),
    Why.ZOOM_ERROR: lambda r: r.param("detail"),
    Why.NOT_SENT_STOPPING: lambda r: ("roombot is restarting, so this join was not sent and nothing was done. "
                                      "Try again in a minute."),
    Why.NEW_ROOM_OFFLINE: lambda r: (f"{r.param('room')} is offline in Zoom, so I did not create a meeting. Check "
                                     "that the Zoom Rooms device is on and connected, then retry."),
    Why.NEW_ROOM_BUSY: lambda r: (f"{r.param('room')} is in another meeting right now. Start the new meeting anyway "
                                  "to pull it out of that one."),
    Why.UNSATISFIABLE_NEW: lambda r: ("The Zoom host's passcode rules cannot be met by a passcode Zoom Rooms can "
                                      f"type: {r.param('detail')} Ask a Zoom admin to relax the passcode requirement."),
    Why.UNSATISFIABLE_REPAIR: lambda r: ("No passcode Zoom Rooms can type meets the host's passcode rules: "
                                         f"{r.param('detail')}"),
    Why.MEETING_NOT_CREATED: lambda r: f"I could not create the meeting: {r.param('detail')}",
    Why.REPAIR_NOT_ON_ACCOUNT: lambda r: (f"Meeting {r.param('number')} is not on the bot's Zoom account, so I cannot "
                                          f"change its passcode. {ASK_HOST}"),
    Why.REPAIR_NOT_HOST: lambda r: (f"Only the host of meeting {r.param('number')} or a roombot admin can change its "
                                    "passcode."),
    Why.TEAMS_CLOUD_UNSUPPORTED: _teams_cloud,
    Why.THIRD_PARTY_NEEDS_LINK: lambda r: (f"To send a room into a {service_name(r.param('service'))} meeting by its "
                                           "meeting ID I also need its passcode; paste the whole invitation or the "
                                           "join link instead."),
    Why.THIRD_PARTY_NEEDS_EVENTS_API: lambda r: (f"Zoom Rooms join {service_name(r.param('service'))} meetings only "
                                                 "through the current Zoom Rooms API, and roombot is set to the legacy "
                                                 "one (ZOOM_ROOMS_API=jsonrpc), so nothing was sent. An admin can "
                                                 "switch it to events."),
    Why.ROOM_BUSY_THIRD_PARTY: lambda r: (f"{r.param('room')} is in another meeting right now. Join anyway asks it "
                                          f"to leave that meeting first, then sends it to "
                                          f"{meeting_on(r.param('service'))}."),
    Why.ROOM_STAYED_BUSY: lambda r: (f"{r.param('room')} did not leave the meeting it was in when asked, so I did not "
                                     f"send it to {meeting_on(r.param('service'))}. Someone may need to press Leave "
                                     "on the room's controller."),
    Why.SENDING_THIRD_PARTY: lambda r: f"Sending {r.param('room')} to {meeting_on(r.param('service'))}…",
    Why.WAITING_THIRD_PARTY: lambda r: (f"Zoom accepted; waiting for {r.param('room')} to join "
                                        f"{meeting_on(r.param('service'))} (it may wait in the lobby until someone "
                                        "admits it)…"),
    Why.IN_THIRD_PARTY: lambda r: f"{r.param('room')} is in {meeting_on(r.param('service'))}.",
    Why.THIRD_PARTY_NOT_SEEN: _third_party_not_seen,
    Why.LEFT_THIRD_PARTY: lambda r: f"{r.param('room')} left {meeting_on(r.param('service'))}.",
    Why.LEAVE_UNCONFIRMED: lambda r: (f"Zoom accepted the leave, but {r.param('room')} still shows as in a meeting: "
                                      f"Zoom Rooms may not leave {meeting_on(r.param('service'))} when asked. Press "
                                      "Leave on the room's controller."),
    Why.NOTE_PASSCODE_MAY_STALL: lambda r: (f"{r.param('detail')} The current Rooms API may still accept it; if the "
                                            "room stalls on a passcode prompt, repair the passcode."),
    Why.NOTE_WAITING_ROOM: lambda r: ("Zoom put this meeting behind a waiting room (an account setting): someone in "
                                      f"the meeting must admit {r.param('room')} from the waiting room."),
    Why.NOTE_AUTHENTICATION: lambda r: (f"Only signed-in users may join this meeting (an account setting); if "
                                        f"{r.param('room')} is kept waiting, an admin should allow Zoom Rooms or the "
                                        "room's domain in the authentication profile."),
    Why.NOTE_NO_PASSCODE_ALLOWED: lambda r: ("The account does not allow passcodes on this meeting; it is protected "
                                             "another way."),
    Why.NOTE_PASSCODE_CHANGED: lambda r: ("Meeting passcode changed: links and invitations sent before now will ask "
                                          "people for the new passcode (the requester was sent it privately)."),
}


def handed_over_not_done(detail: str) -> str:
    """A request acknowledged as taken whose work did not start after all (``bot.slack.handoff``); ``detail``
    is what the listener itself answered, when it said why."""
    because = f" {detail.strip()}" if detail.strip() else ""
    return f":warning: roombot could not do that after all, so nothing was done.{because} Try again."
