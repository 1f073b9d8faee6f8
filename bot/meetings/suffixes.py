"""Many suffixes of one command as meeting references, answered together.

`/room book <room> <when> <meeting> …` has no separator before the meeting, so for every word ``i`` that could
start one it asks what ``parse_meeting_reference(" ".join(words[i:]))`` says: parsing each is quadratic in the
number of words.  :class:`ReferenceSuffixes` settles most of those questions from facts about single words,
computed once, and says which starts must still be parsed — exactly, never guessing:

- A text over ``MAX_INPUT_CHARS`` is refused before it is read.
- A *plain* word changes nothing around it when the text is normalised (no `<`, `>`, `&`), holds no label
  that could start a Meeting ID / Passcode line, no word of a Teams, Webex or SIP text pattern (`Teams`,
  `Dial`, `sip:`…: they change how the rest of the text is read), no dial string and no link the parser
  reads (Zoom, Teams, Meet, Webex, or a look-alike).  A start followed by more
  than ``COMMAND_FORM_MAX_WORDS`` plain words is never the command form `<id> [passcode]`, and the rest of
  its text is the same text for every such start in a run of plain words: they all parse alike.
- Without words that reach into their neighbours when normalised (a `<` inside a word can open Slack markup
  that swallows the words after it; `passcode:` glued to a word is split off), the links of a suffix are the
  links of its words, so a suffix whose words hold a look-alike link or two different meetings is refused,
  and a suffix starting with a meeting ID with no invitation label or dial string in it is the command form,
  which more than ``COMMAND_FORM_MAX_WORDS`` words never are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from bot.meetings.invitations import has_dial_string, has_gluable_label, link_tokens, may_hold_label, normalise
from bot.meetings.links import _DIGIT_TOKEN, MAX_ID_DIGITS, MAX_INPUT_CHARS
from bot.meetings.thirdparty import may_matter
from bot.meetings.urls import parse_link

COMMAND_FORM_MAX_WORDS: Final = MAX_ID_DIGITS + 1  # an ID in at most 11 digit groups, then the passcode
TOO_LONG: Final = "too long"
REFUSED: Final = "refused"
PARSE: Final = "parse"


class ReferenceSuffixes:
    def __init__(self, words: Sequence[str]) -> None:
        self._words = list(words)
        count = len(self._words)
        suffix_chars = [0] * (count + 1)
        suffix_chars[count] = -1  # no separator after the last word
        for index in range(count - 1, -1, -1):
            suffix_chars[index] = len(self._words[index]) + 1 + suffix_chars[index + 1]
        self._first = next((i for i in range(count) if suffix_chars[i] <= MAX_INPUT_CHARS), count)
        size = count - self._first + 1  # the arrays below are indexed from self._first, up to count included
        self._plain_run_end = [count] * size  # first word at or after i that is not plain
        self._contained = [True] * size  # no word in [i:] reaches into its neighbours when normalised
        self._conflicting = [False] * size  # the links in [i:] alone refuse the text
        self._invitation_free = [True] * size  # no label, third-party pattern word or dial string in [i:]
        self._one_line = [True] * size
        self._word_count = [0] * size  # words of normalise(" ".join(words[i:])) when contained
        fatal, meeting_ids = False, set[str]()
        for index in range(count - 1, self._first - 1, -1):
            at, word = index - self._first, self._words[index]
            text = normalise(word)
            links = [facts for token in link_tokens(text) if (facts := parse_link(token)) is not None]
            label, dial = may_hold_label(word) or may_matter(word), has_dial_string(text)
            plain = text == word and not links and not label and not dial and not any(c in word for c in "<>&")
            self._plain_run_end[at] = self._plain_run_end[at + 1] if plain else index
            reaching = ("<" in word and not word.startswith("<")) or has_gluable_label(word)
            self._contained[at] = self._contained[at + 1] and not reaching
            fatal = fatal or any(facts.fatal for facts in links)
            meeting_ids.update(facts.meeting_id for facts in links
                               if facts.is_zoom and not facts.problem and facts.meeting_id)
            self._conflicting[at] = fatal or len(meeting_ids) > 1
            self._invitation_free[at] = self._invitation_free[at + 1] and not label and not dial
            self._one_line[at] = self._one_line[at + 1] and "\n" not in text
            self._word_count[at] = self._word_count[at + 1] + len(text.split())

    def verdict(self, start: int) -> str | int:
        """For ``parse_meeting_reference(" ".join(words[start:]))``: ``TOO_LONG`` or ``REFUSED`` (invalid,
        reason not worked out), an ``int`` shared by starts that are all valid or all invalid (the same
        reference), or ``PARSE``."""
        if start < self._first:
            return TOO_LONG
        at, word = start - self._first, self._words[start]
        id_first = self._plain_run_end[at] > start and bool(_DIGIT_TOKEN.match(word))
        if self._contained[at]:
            if self._conflicting[at]:
                return REFUSED
            if (id_first and self._invitation_free[at] and self._one_line[at]
                    and self._word_count[at] > COMMAND_FORM_MAX_WORDS):
                return REFUSED
        if id_first and self._plain_run_end[at] - start > COMMAND_FORM_MAX_WORDS:
            return self._plain_run_end[at]
        return PARSE
