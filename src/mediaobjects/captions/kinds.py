"""Track kinds: the five values Canvas (and the HTML ``<track kind>`` attribute) allow."""

from __future__ import annotations

from typing import Final, Literal

from .errors import KindError

Kind = Literal["subtitles", "captions", "descriptions", "chapters", "metadata"]

KINDS: Final[tuple[Kind, ...]] = ("subtitles", "captions", "descriptions", "chapters", "metadata")
DEFAULT_KIND: Final[Kind] = "subtitles"


def validate_kind(value: str) -> Kind:
    """Return ``value`` if it is one of KINDS, exactly (case-sensitive, no trimming, as in
    Canvas); otherwise raise KindError("is not included in the list")."""
    if value not in KINDS:
        raise KindError()
    return value
