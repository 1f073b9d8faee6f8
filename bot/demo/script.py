"""The scripted conversation: the situations from the forum thread, and a customer's Teams call, end to end.

Each step narrates what is going on, acts in Slack (commands, button clicks), prints what Slack shows and
checks the outcome twice: in Slack (robust fragments: room name, meeting number, "Validation Failed",
"waiting room") and in the Zoom simulator (is the room really in that meeting? did the passcode change?).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.demo.conversation import Conversation
from bot.demo.environment import ADA, ALICE, ALL_HANDS, BOB, PARTNER_REVIEW, SPRINT_PLANNING, VENDOR_DEMO
from bot.dispatch.outcomes import format_meeting_number

ROOMS_COMPATIBLE = re.compile(r"^[A-Za-z0-9@\-_*]{1,10}$")
NEW_MEETING_TOPIC = "Design review"


@dataclass(frozen=True)
class Step:
    title: str
    play: Callable[[Conversation], None]


def _number(meeting_id: int | str) -> str:
    return format_meeting_number(str(meeting_id))


def _mentions_meeting(text: str, meeting_id: int | str) -> bool:
    # Zoom groups meeting numbers with spaces ("934 5678 9012"); compare with whitespace removed.
    return str(meeting_id) in re.sub(r"\s+", "", text)


def room_in_meeting(c: Conversation, room: str, meeting_id: int | str) -> Callable[[], bool]:
    def check() -> bool:
        state = c.env.sim_room(room)
        return state["status"] == "InMeeting" and state["meeting_number"] == str(meeting_id)

    return check


def channel_says_joined(c: Conversation, room: str, meeting_id: int | str) -> Callable[[], bool]:
    def check() -> bool:
        return any(room.lower() in (text := c.text_of(m)).lower() and _mentions_meeting(text, meeting_id)
                   and "in meeting" in text.lower() for m in c.channel_messages())

    return check


def expect_joined(c: Conversation, room: str, meeting_id: int | str) -> None:
    number = _number(meeting_id)
    c.expect(f"Zoom simulator: {room} is in meeting {number}", room_in_meeting(c, room, meeting_id))
    c.expect(f"#general was told {room} is in meeting {number}", channel_says_joined(c, room, meeting_id))


# ------------------------------------------------------------------------------------------------ steps


def stated_passcode(c: Conversation) -> None:
    c.narrate(
        f"Alice has an invitation from a partner company: meeting {_number(PARTNER_REVIEW.id)}, passcode "
        f"{PARTNER_REVIEW.password}.",
        "The meeting is on another Zoom account, so roombot cannot look its passcode up: Alice types it.")
    c.say(ALICE, f"/room join Boardroom {PARTNER_REVIEW.id} {PARTNER_REVIEW.password}")
    expect_joined(c, "Boardroom", PARTNER_REVIEW.id)
    c.show()


def mistyped_meeting_id(c: Conversation) -> None:
    digits = str(PARTNER_REVIEW.id)
    wrong = digits[:-2] + digits[-1] + digits[-2]  # the last two digits swapped: no such meeting
    c.narrate(
        f"Bob copies the partner's meeting ID by hand and swaps two digits: {_number(wrong)}. No such meeting",
        "exists; a real room cannot join it and sits on an error screen, which Zoom's status cannot show.")
    c.say(BOB, f"/room join Huddle 3 {wrong} {PARTNER_REVIEW.password}")
    c.expect("#general was told Huddle 3 did not join, and that the meeting ID or the passcode is probably wrong",
             lambda: any("Huddle 3" in (text := c.text_of(m)) and "meeting ID or the passcode is probably wrong"
                         in text for m in c.channel_messages()))
    c.expect("Zoom simulator: Huddle 3 is back on its home screen (roombot sent it to leave the error screen)",
             lambda: c.env.sim_room("Huddle 3")["status"] == "Available" and not c.env.sim_room("Huddle 3")["prompt"])
    c.show()


def passcode_from_zoom(c: Conversation) -> None:
    link = c.env.services.sync_zoom().get_meeting(SPRINT_PLANNING.id).join_url
    c.narrate(
        "Bob pastes the join link of the team's sprint planning, a meeting on the bot's own Zoom account.",
        "The link's pwd= value is an encrypted token, not the passcode, so roombot reads the passcode from Zoom",
        f"(GET /meetings/{SPRINT_PLANNING.id}) and never shows it.")
    c.say(BOB, f"/room join Huddle 3 <{link}>")
    c.expect(f"roombot found the passcode itself (Zoom saw GET /meetings/{SPRINT_PLANNING.id})",
             lambda: c.env.zoom_saw("GET", f"/meetings/{SPRINT_PLANNING.id}"))
    expect_joined(c, "Huddle 3", SPRINT_PLANNING.id)
    c.show()


def legacy_api_repair(c: Conversation) -> None:
    c.env.free_room("Boardroom")
    c.env.rooms_api = "jsonrpc"
    c.narrate(
        "The partner review is over. From now on the requests reach the second roombot instance, which runs",
        "with ZOOM_ROOMS_API=jsonrpc: the legacy Rooms API from the forum thread (POST /rooms/{roomId}/meetings).",
        "It refuses passcodes with characters like ! ( { — Zoom answers 32602 Validation Failed on params.password.",
        f"Ada, a roombot admin, sends Boardroom to the weekly all-hands (meeting {_number(ALL_HANDS.id)}),",
        f"whose Zoom-generated passcode is {ALL_HANDS.password}.")
    c.say(ADA, f"/room join Boardroom {ALL_HANDS.id}")

    def failure_with_repair_button() -> bool:
        return any("validation failed" in c.text_of(m).lower() and "Boardroom" in c.text_of(m)
                   and "[button: repair" in c.text_of(m).lower() for m in c.channel_messages())

    c.expect("#general was told why (Validation Failed on params.password) and offered a Repair button",
             failure_with_repair_button)
    c.expect("Boardroom was not sent into a passcode prompt", lambda: c.env.sim_room("Boardroom")["prompt"] is None)
    c.show()

    c.narrate("Ada repairs the passcode: the meeting gets one Zoom Rooms can type, and the room joins.")
    if c.click(ADA, "Repair", containing="Validation Failed"):
        new_passcode = c.expect("Zoom simulator: the all-hands now has a Rooms-compatible passcode",
                                lambda: _repaired_passcode(c))
        expect_joined(c, "Boardroom", ALL_HANDS.id)
        if new_passcode:
            c.expect("the new passcode was shown to Ada alone",
                     lambda: any(new_passcode in c.text_of(m) for m in c.private_to(ADA)))
    c.show()
    c.env.rooms_api = "events"


def _repaired_passcode(c: Conversation) -> str | None:
    meeting = next(m for m in c.env.sim_meetings() if m["id"] == ALL_HANDS.id)
    password = str(meeting["password"])
    return password if password != ALL_HANDS.password and ROOMS_COMPATIBLE.match(password) else None


def busy_room(c: Conversation) -> None:
    c.narrate(
        "Huddle 3 is still in the sprint planning when Alice wants it in a vendor demo",
        f"(meeting {_number(VENDOR_DEMO.id)}, passcode {VENDOR_DEMO.password}).",
        "roombot never pulls a room out of a meeting unless someone explicitly says so.")
    c.say(ALICE, f"/room join Huddle 3 {VENDOR_DEMO.id} {VENDOR_DEMO.password}")

    def busy_offer() -> bool:
        return any("Huddle 3" in c.text_of(m) and "[button: join anyway" in c.text_of(m).lower()
                   for m in c.visible_to(ALICE))

    c.expect("Alice was told Huddle 3 is busy and offered [Join anyway]", busy_offer)
    c.expect("Huddle 3 stayed in the sprint planning", room_in_meeting(c, "Huddle 3", SPRINT_PLANNING.id))
    c.show()

    c.narrate("Alice decides the vendor demo matters more.")
    if c.click(ALICE, "Join anyway", containing="Huddle 3"):
        expect_joined(c, "Huddle 3", VENDOR_DEMO.id)
    c.show()


def new_meeting_waiting_room(c: Conversation) -> None:
    c.env.free_room("Huddle 3")
    c.env.sim_admin("PATCH", "/accounts/me", {"security": {"waiting_room": {"enabled": True, "locked": True}}})
    c.narrate(
        "The vendor demo is over. A Zoom admin turns the waiting room on for the whole account and locks it,",
        "so every new meeting gets one whatever the create request asks. Bob starts a meeting for Huddle 3.")
    c.say(BOB, f"/room new Huddle 3 {NEW_MEETING_TOPIC}")
    meeting: Any = c.expect(f"Zoom simulator: roombot created the meeting “{NEW_MEETING_TOPIC}”",
                            lambda: next((m for m in c.env.sim_meetings() if NEW_MEETING_TOPIC in m["topic"]), None))
    if meeting:
        meeting_id, passcode = meeting["id"], str(meeting["password"])
        c.expect(f"Zoom simulator: Huddle 3 is in meeting {_number(meeting_id)} (in its waiting room)",
                 room_in_meeting(c, "Huddle 3", meeting_id))
        c.expect("#general got the join link and the note to admit Huddle 3 from the waiting room",
                 lambda: any(f"/j/{meeting_id}" in (text := c.text_of(m)) and "waiting room" in text.lower()
                             for m in c.channel_messages()))
        if passcode:
            c.expect("the passcode went to Bob alone",
                     lambda: any(passcode in c.text_of(m) for m in c.private_to(BOB)))
    c.show()


CUSTOMER_TEAMS_LINK = "https://teams.microsoft.com/meet/219137232612292?p=lu3d1SdNShj6ak9H0S"


def customer_teams_meeting(c: Conversation) -> None:
    c.env.free_room("Huddle 3")
    c.narrate(
        "A customer invites the team to a Microsoft Teams call. Zoom Rooms can join Teams meetings (Zoom's interop),",
        "so Alice pastes the customer's link as she would a Zoom one. The link's ?p= value is a hashed passcode:",
        "roombot passes the link on as it is and never shows that value.")
    c.say(ALICE, f"/room join Huddle 3 <{CUSTOMER_TEAMS_LINK}>")
    c.expect("Zoom simulator: Huddle 3 is in the customer's Teams meeting (zoomroom.thirdparty_meeting_join)",
             lambda: (c.env.sim_room("Huddle 3").get("third_party") or {}).get("provider") == "MS_TEAMS"
             and c.env.sim_room("Huddle 3")["status"] == "InMeeting")
    c.expect("#general was told Huddle 3 is in the Microsoft Teams meeting, and that it may wait in the lobby",
             lambda: any("Huddle 3 is in the Microsoft Teams meeting" in (text := c.text_of(m)) and "lobby" in text
                         for m in c.channel_messages()))
    c.expect("the link's hashed passcode appeared nowhere in Slack",
             lambda: not any("lu3d1SdNShj6ak9H0S" in c.text_of(m) for m in c.channel_messages()))
    c.show()


STEPS: tuple[Step, ...] = (
    Step("A partner's meeting: the passcode is typed", stated_passcode),
    Step("A mistyped meeting ID: the room cannot join it", mistyped_meeting_id),
    Step("A link from our own account: roombot finds the passcode", passcode_from_zoom),
    Step("Legacy Rooms API: Validation Failed, then Repair", legacy_api_repair),
    Step("A busy room: Join anyway", busy_room),
    Step("A new meeting under a forced waiting room", new_meeting_waiting_room),
    Step("A customer's Microsoft Teams meeting", customer_teams_meeting),
)


def passcodes_in_play(c: Conversation) -> set[str]:
    """Every passcode of the demo: the ones people typed or Zoom holds, including repaired and new ones."""
    known = {meeting.password for meeting in (PARTNER_REVIEW, SPRINT_PLANNING, ALL_HANDS, VENDOR_DEMO)}
    known.update(str(m["password"]) for m in c.env.sim_meetings() if m.get("password"))
    return {p for p in known if p}
