"""Quoting back what someone typed, without handing a secret back: a refusal may name the room text it could
not find or the time it could not read, but never a ``pwd=`` token, a pasted link or a word that looks like a
passcode (Zoom passcodes mix in ``@ - _ *`` and symbols such as ``!(){}``; room names do not)."""

from __future__ import annotations

import re

QUOTE_LIMIT = 60
ELIDED = "…"

_LINK = re.compile(r"(?:https?://|zoommtg://|zoomus://|www\.)\S+|\S*zoom(?:gov)?\.(?:us|com)/\S*", re.IGNORECASE)
_PWD = re.compile(r"pwd(?:=|%3d)\S*", re.IGNORECASE)
_SYMBOL = re.compile(r"[!#$%^*_{}\[\]|\\~=+?;\"@]")  # not ( ): "Ocean View (4th floor)"
_DIGIT = re.compile(r"\d")


def quote_typed(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` fit to quote back to the person who typed it (see the module docstring)."""
    cleaned = _PWD.sub("pwd=" + ELIDED, " ".join(text.split()))
    cleaned = _LINK.sub("(a link)", cleaned)
    words = [ELIDED if _looks_secret(word) else word for word in cleaned.split(" ")]
    quoted = " ".join(words)
    return quoted if len(quoted) <= limit else quoted[:limit - 1].rstrip() + ELIDED


def _looks_secret(word: str) -> bool:
    # Zoom's generated passcodes mix digits with symbols (w46!(i{74n, Xk7_9ab); room names rarely do.
    return len(word) >= 4 and bool(_SYMBOL.search(word)) and bool(_DIGIT.search(word))
