"""The natural, case-insensitive sort key of a media object's title: "Lecture 2" sorts before
"Lecture 10", "apple" beside "Apple". Pure, so the same key serves SQLite and PostgreSQL."""

from __future__ import annotations

import re
import unicodedata

_DIGITS = re.compile(r"[0-9]+")
KEY_LIMIT = 1024


def natural_key(title: str | None) -> str | None:
    if title is None:
        return None
    folded = unicodedata.normalize("NFKC", title).casefold()
    # Digit runs become fixed-width numbers so that string order is numeric order.
    key = _DIGITS.sub(lambda m: m.group(0).lstrip("0").rjust(20, "0")[-20:], folded)
    return key[:KEY_LIMIT]


def display_title_key(user_entered_title: str | None, title: str | None) -> str | None:
    """Canvas sorts by COALESCE(user_entered_title, title)."""
    return natural_key(user_entered_title if user_entered_title is not None else title)
