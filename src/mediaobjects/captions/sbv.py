"""SBV (SubViewer as YouTube exports it): blocks of a timing line ``0:00:01.000,0:00:03.000``
followed by text lines, one blank line apart.

YouTube treats SBV text as plain text but honours ``<i>``, ``<b>`` and ``<u>``; so does this
reader (in any case). Everything else in the text is shown as written, so ``&`` and ``<`` are
escaped into the WebVTT cue text. The writer keeps those three tags, drops every other tag
(a ``<v Name>`` speaker keeps its text, not its name) and writes character references as the
characters they stand for, SBV having no escaping.
"""

from __future__ import annotations

import html
import re

from . import _styled
from ._text import is_blank, quote, split_lines, strip_bom
from .errors import CaptionError, Problem
from .model import CaptionDocument, Cue

SBV_TIMING_EXAMPLE = '"0:00:01.000,0:00:03.000"'

_TIMESTAMP = r"([0-9]{1,9}):([0-9]{1,2}):([0-9]{1,2})(?:[.,]([0-9]{1,3}))?"
_TIMING = re.compile(rf"[ \t]*{_TIMESTAMP}[ \t]*,[ \t]*{_TIMESTAMP}[ \t]*")
_KEPT_TAG = re.compile(r"</?[iIbBuU]>")


def looks_like_sbv_timing(line: str) -> bool:
    return _TIMING.fullmatch(line) is not None


def parse_sbv(text: str) -> CaptionDocument:
    """Parse SBV; raise CaptionError listing every problem (up to 20) with its line."""
    lines = split_lines(strip_bom(text))
    cues: list[Cue] = []
    problems: list[Problem] = []
    position = 0
    while position < len(lines):
        if is_blank(lines[position]):
            position += 1
            continue
        timing_at = position + 1
        cue_number = len(cues) + 1
        first = position
        while position < len(lines) and not is_blank(lines[position]):
            position += 1
        block = lines[first:position]
        match = _TIMING.fullmatch(block[0])
        if match is None:
            problems.append(
                Problem(
                    f"expected a timing line like {SBV_TIMING_EXAMPLE} but found {quote(block[0])}",
                    timing_at,
                )
            )
            continue
        for offset, line in enumerate(block[1:], start=1):
            if looks_like_sbv_timing(line):
                problems.append(
                    Problem("expected a blank line before the next cue", first + offset + 1)
                )
        groups = match.groups()
        start = _to_ms(groups[:4], timing_at, problems)
        end = _to_ms(groups[4:], timing_at, problems) if start is not None else None
        if start is None or end is None:
            continue
        if end <= start:
            problems.append(
                Problem(
                    f"end time {format_sbv_timestamp(end)} is "
                    f"{'before' if end < start else 'the same as'} the start time "
                    f"{format_sbv_timestamp(start)}; a cue must end after it starts",
                    timing_at,
                    cue_number,
                )
            )
            continue
        cues.append(Cue(start, end, "\n".join(_escape_line(line) for line in block[1:])))
    if problems:
        raise CaptionError.of(problems)
    if not cues:
        raise CaptionError(f"no cues found: expected a timing line like {SBV_TIMING_EXAMPLE}")
    return CaptionDocument(cues=tuple(cues))


def write_sbv(document: CaptionDocument) -> str:
    """SBV as YouTube writes it: ``H:MM:SS.mmm,H:MM:SS.mmm``, text lines, cues one blank line
    apart, LF line ends and a final newline. WebVTT-only parts (identifiers, settings, notes,
    styles) are dropped. A text line that would read as a timing line gets a no-break space
    before its comma, so that the output always parses again."""
    blocks = []
    for cue in document.cues:
        timing = f"{format_sbv_timestamp(cue.start_ms)},{format_sbv_timestamp(cue.end_ms)}"
        blocks.append("\n".join([timing, *_text_lines(cue.text)]) + "\n")
    return "\n".join(blocks)


def format_sbv_timestamp(ms: int) -> str:
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _to_ms(groups: tuple[str | None, ...], line: int, problems: list[Problem]) -> int | None:
    hours, minutes, seconds, fraction = groups
    assert hours is not None and minutes is not None and seconds is not None
    token = f"{hours}:{minutes}:{seconds}" + (f".{fraction}" if fraction is not None else "")
    if int(minutes) >= 60 or int(seconds) >= 60:
        problems.append(
            Problem(f"minutes and seconds must be less than 60 in {quote(token)}", line)
        )
        return None
    millis = int((fraction or "0").ljust(3, "0"))
    return ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + millis


def _escape_line(line: str) -> str:
    # <i>, <b> and <u> stay tags (lower-cased, as WebVTT tag names are case-sensitive);
    # everything between them is text.
    out = []
    position = 0
    for match in _KEPT_TAG.finditer(line):
        out.append(_styled.escape_text(line[position : match.start()]))
        out.append(match.group(0).lower())
        position = match.end()
    out.append(_styled.escape_text(line[position:]))
    return "".join(out)


def _text_lines(text: str) -> list[str]:
    out = []
    for line in split_lines(text):
        pieces = []
        position = 0
        for match in _styled.TAG.finditer(line):
            pieces.append(html.unescape(line[position : match.start()]))
            position = match.end()
            closing, name = match.group(1), match.group(2).lower()
            if name in _styled.STYLE_ORDER:
                pieces.append(f"<{closing}{name}>")
        pieces.append(html.unescape(line[position:]))
        line = "".join(pieces)
        if is_blank(line):
            continue
        if looks_like_sbv_timing(line):
            line = line.replace(",", "\u00a0,", 1)
        out.append(line)
    return out
