"""The errors the caption library raises, all of them ``ValueError`` subclasses so that callers
can translate them into one 422 response:

    ValueError
    ├── CaptionError   caption content cannot be accepted (lists its Problems: line, cue, why)
    ├── LocaleError    a track locale is not a well-formed BCP 47 language tag
    └── KindError      a track kind is not one of the five Canvas kinds
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# A file with a systematic fault has it on every cue: past this many, more say nothing new.
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a caption file: ``message`` written for the person who uploaded
    it, ``line`` the 1-based line that causes it (None: the file as a whole), ``cue`` the
    1-based position of the cue it belongs to (None: not inside a cue)."""

    message: str
    line: int | None = None
    cue: int | None = None

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.cue is not None:
            where.append(f"cue {self.cue}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class CaptionError(ValueError):
    """Caption content that cannot be accepted.

    ``problems`` lists what is wrong, at most MAX_PROBLEMS of them, in file order; ``message``,
    ``line`` and ``cue`` are the first one's (raising ``CaptionError(message, line)`` makes a
    single problem)."""

    def __init__(
        self,
        message: str,
        line: int | None = None,
        *,
        cue: int | None = None,
        problems: Sequence[Problem] = (),
    ) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems[:MAX_PROBLEMS]) or (
            Problem(message, line, cue),
        )
        first = self.problems[0]
        self.message, self.line, self.cue = first.message, first.line, first.cue
        super().__init__(str(self))

    @classmethod
    def of(cls, problems: Sequence[Problem]) -> CaptionError:
        """One error listing ``problems`` (at least one)."""
        if not problems:
            raise ValueError("a CaptionError needs at least one problem")
        return cls(problems[0].message, problems[0].line, cue=problems[0].cue, problems=problems)

    def __str__(self) -> str:
        return str(self.problems[0])

    def __repr__(self) -> str:
        return f"CaptionError({self.problems!r})"


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
