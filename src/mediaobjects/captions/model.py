"""The format-neutral caption model: a document is a sequence of timed cues plus the few
WebVTT-only blocks (header, NOTE, STYLE, REGION) that must survive a parse/write round trip.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cue:
    """One timed caption.

    ``text`` is the cue text as the author wrote it, lines joined with "\\n": SRT and WebVTT
    text are both HTML-like (``<i>``, ``&amp;``), so the model keeps the markup and leaves
    it to each writer to make it valid for its format. ``settings`` holds WebVTT cue
    settings ("" when none); SRT ignores them.
    """

    start_ms: int
    end_ms: int
    text: str
    identifier: str | None = None
    settings: str = ""

    def __post_init__(self) -> None:
        # Every writer relies on this; a cue that ends before it starts is invalid WebVTT.
        if self.start_ms < 0:
            raise ValueError(f"start_ms must not be negative, got {self.start_ms}")
        if self.end_ms <= self.start_ms:
            raise ValueError(
                f"end_ms ({self.end_ms}) must be greater than start_ms ({self.start_ms})"
            )


@dataclass(frozen=True)
class Note:
    """A WebVTT ``NOTE`` comment block.

    ``text`` is everything after the word NOTE (without the one separating space, so a
    comment that starts on the next line begins with "\\n"); ``before_cue`` is the index of
    the cue it precedes (``len(cues)`` for a comment at the end).
    """

    text: str
    before_cue: int = 0


@dataclass(frozen=True)
class CaptionDocument:
    """A parsed caption file.

    ``header`` is the text after ``WEBVTT`` on the first line and ``header_lines`` the lines
    that follow it up to the first blank line (older files carry ``Kind:``/``Language:``
    there). ``styles`` and ``regions`` are the bodies of STYLE and REGION blocks, which WebVTT
    only allows before the first cue. SRT documents leave all of these empty.
    """

    cues: tuple[Cue, ...]
    header: str = ""
    header_lines: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    notes: tuple[Note, ...] = ()
