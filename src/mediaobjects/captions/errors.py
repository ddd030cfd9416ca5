"""The errors the caption library raises, all of them ``ValueError`` subclasses so that callers
can translate them into one 422 response:

    ValueError
    ├── CaptionError   caption content is not valid SRT/WebVTT (carries the 1-based line)
    ├── LocaleError    a track locale is not a well-formed BCP 47 language tag
    └── KindError      a track kind is not one of the five Canvas kinds
"""

from __future__ import annotations


class CaptionError(ValueError):
    """Caption content that cannot be accepted.

    ``message`` is what went wrong, written for the person who uploaded the file;
    ``line`` is the 1-based line it concerns, or None when the problem is the file as a whole.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return f"line {self.line}: {self.message}"

    def __repr__(self) -> str:
        return f"CaptionError({self.message!r}, line={self.line!r})"


class LocaleError(ValueError):
    """A locale that is not a well-formed BCP 47 language tag.

    ``message`` starts with "is invalid" so that it reads well after the field name, as Canvas
    words it ("Locale is invalid"); ``suggestion`` is a corrected tag when one is obvious.
    """

    def __init__(self, message: str, suggestion: str | None = None) -> None:
        self.message = message
        self.suggestion = suggestion
        super().__init__(message)


class KindError(ValueError):
    """A track kind outside the fixed list; the message is Canvas's own wording."""

    def __init__(self, message: str = "is not included in the list") -> None:
        self.message = message
        super().__init__(message)
