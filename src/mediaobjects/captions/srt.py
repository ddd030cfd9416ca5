"""SubRip (SRT): a strict, line-numbered parser for the SRT that people actually upload, and a
writer for canonical SRT.

SRT has no formal specification. Accepted: a UTF-8 BOM; CRLF, LF or lone CR line ends; extra
blank lines between cues; optional cue numbers (kept as identifiers, not required to be
sequential); timestamps with 1 or more hour digits, "." instead of ",", and 1-2 digit
fractions (",5" is 500 ms). A cue may have no text: subtitle tools emit such placeholder cues
and players show nothing for them. Cue order is not checked, as players sort cues themselves.
"""

from __future__ import annotations

import re
from enum import Enum, auto

from ._text import BOM, is_blank, quote, split_first_token, split_lines, strip_bom
from .errors import CaptionError
from .model import CaptionDocument, Cue
from .timestamps import (
    SRT_TIMING_EXAMPLE,
    check_duration,
    format_srt_timestamp,
    parse_srt_timestamp,
)

_DIGITS = frozenset("0123456789")
_TIMING_CHARACTERS = frozenset("0123456789:,.")


# The SRT almost every tool writes: a number, a two-digit-hour timing line with three-digit
# milliseconds, non-blank text lines, cues separated by empty lines. Such a file is read by one
# regular expression per cue (``_well_formed``), several times faster than line by line; any
# other file, or anything this pattern does not cover exactly, goes through the line-by-line
# parser, which alone reports problems. The two agree on every file the pattern accepts (a
# hypothesis property in the tests).
_TIME = r"([0-9]{2}):([0-5][0-9]):([0-5][0-9])[,.]([0-9]{3})"
_WELL_FORMED_CUE = re.compile(
    r"([0-9]+)\n" + _TIME + " --> " + _TIME + r"\n((?:[ \t]*[^ \t\n][^\n]*\n)*)\n*"
)


class _State(Enum):
    BETWEEN_CUES = auto()
    AFTER_NUMBER = auto()
    IN_TEXT = auto()


def parse_srt(text: str) -> CaptionDocument:
    """Parse SRT strictly; raise CaptionError naming the first line that is wrong."""
    well_formed = _well_formed(text)
    return well_formed if well_formed is not None else _parse_by_lines(text)


def _parse_by_lines(text: str) -> CaptionDocument:
    lines = split_lines(strip_bom(text))
    cues: list[Cue] = []
    state = _State.BETWEEN_CUES
    identifier: str | None = None
    start_ms = end_ms = 0
    text_lines: list[str] = []

    for number, line in enumerate(lines, start=1):
        if state is _State.BETWEEN_CUES:
            if is_blank(line):
                continue
            stripped = line.strip(" \t")
            if _is_cue_number(stripped):
                identifier = stripped
                state = _State.AFTER_NUMBER
            elif "-->" in line:
                identifier = None
                start_ms, end_ms = _parse_timing(line, number)
                text_lines = []
                state = _State.IN_TEXT
            else:
                raise CaptionError(_unexpected_cue_start(stripped), number)
        elif state is _State.AFTER_NUMBER:
            if "-->" not in line:
                raise CaptionError(f"expected a timing line like {SRT_TIMING_EXAMPLE}", number)
            start_ms, end_ms = _parse_timing(line, number)
            text_lines = []
            state = _State.IN_TEXT
        elif is_blank(line):
            cues.append(Cue(start_ms, end_ms, "\n".join(text_lines), identifier))
            state = _State.BETWEEN_CUES
        elif looks_like_timing(line):
            # Without the blank line the next cue's number and timing would silently become
            # text of this cue, so point at the number when there is one.
            missing_at = number
            if text_lines and _is_cue_number(text_lines[-1].strip(" \t")):
                missing_at = number - 1
            raise CaptionError("expected a blank line before the next cue", missing_at)
        else:
            text_lines.append(line)

    if state is _State.AFTER_NUMBER:
        raise CaptionError(
            f"expected a timing line like {SRT_TIMING_EXAMPLE} but the file ends here",
            len(lines) + 1,
        )
    if state is _State.IN_TEXT:
        cues.append(Cue(start_ms, end_ms, "\n".join(text_lines), identifier))
    if not cues:
        raise CaptionError(
            f"no cues found: expected a cue number followed by a timing line like "
            f"{SRT_TIMING_EXAMPLE}"
        )
    return CaptionDocument(cues=tuple(cues))


def _well_formed(text: str) -> CaptionDocument | None:
    """The document of a file made only of well-formed cues (see _WELL_FORMED_CUE), None when
    the file is anything else."""
    body = strip_bom(text).replace("\r\n", "\n").replace("\r", "\n").lstrip("\n")
    if not body.endswith("\n"):
        body += "\n"
    cues: list[Cue] = []
    position, length = 0, len(body)
    match_at = _WELL_FORMED_CUE.match
    while position < length:
        match = match_at(body, position)
        if match is None:
            return None
        number, h1, m1, s1, f1, h2, m2, s2, f2, lines = match.groups()
        start_ms = ((int(h1) * 60 + int(m1)) * 60 + int(s1)) * 1000 + int(f1)
        end_ms = ((int(h2) * 60 + int(m2)) * 60 + int(s2)) * 1000 + int(f2)
        if end_ms <= start_ms or "-->" in lines:
            # An error to report, or text that may read as a timing line: the slow path says.
            return None
        cues.append(Cue(start_ms, end_ms, lines[:-1], number))
        position = match.end()
    return CaptionDocument(cues=tuple(cues)) if cues else None


def write_srt(document: CaptionDocument) -> str:
    """Canonical SRT: cues numbered 1..n, ``HH:MM:SS,mmm``, LF line ends, one blank line
    between cues and a final newline ("" for a document without cues). WebVTT-only parts
    (settings, notes, styles) are dropped. Cue text is written as it is, SRT having no
    escaping, except that blank lines are left out and a line that would read as a timing
    line has its "-->" shortened to "->", so that the output always parses again.
    """
    blocks = []
    for number, cue in enumerate(document.cues, start=1):
        timing = f"{format_srt_timestamp(cue.start_ms)} --> {format_srt_timestamp(cue.end_ms)}"
        blocks.append("\n".join([str(number), timing, *_text_lines(cue.text)]) + "\n")
    return "\n".join(blocks)


def looks_like_timing(line: str) -> bool:
    """Whether a line would be read as a timing line: digits and separators around "-->"."""
    before, arrow, after = line.partition("-->")
    if not arrow:
        return False
    start = before.strip(" \t")
    end = after.strip(" \t").split(" ")[0].split("\t")[0]
    return all(
        token and ":" in token and set(token) <= _TIMING_CHARACTERS for token in (start, end)
    )


def _text_lines(text: str) -> list[str]:
    lines = []
    for line in split_lines(text):
        if is_blank(line):
            # A blank line would end the cue early.
            continue
        while looks_like_timing(line):
            # SRT has no escape, and this line would be taken for the next cue's timing.
            line = line.replace("-->", "->", 1)
        lines.append(line)
    return lines


def _is_cue_number(value: str) -> bool:
    return bool(value) and set(value) <= _DIGITS


def _unexpected_cue_start(stripped: str) -> str:
    message = f"expected a cue number or a timing line like {SRT_TIMING_EXAMPLE}"
    if stripped.lstrip(BOM).upper().startswith("WEBVTT"):
        message += ' (a WebVTT file must start with "WEBVTT", in capitals, on its first line)'
    return message


def _parse_timing(line: str, number: int) -> tuple[int, int]:
    before, _, after = line.partition("-->")
    start_token = before.strip(" \t")
    rest = after.strip(" \t")
    if not start_token:
        raise CaptionError('expected a start time like "00:00:01,000" before "-->"', number)
    if not rest:
        raise CaptionError('expected an end time like "00:00:02,000" after "-->"', number)
    end_token, extra = split_first_token(rest)
    start_ms = parse_srt_timestamp(start_token, number, "start time")
    end_ms = parse_srt_timestamp(end_token, number, "end time")
    if extra:
        raise CaptionError(f"unexpected text after the end time: {quote(extra)}", number)
    check_duration(start_ms, end_ms, number, format_srt_timestamp)
    return start_ms, end_ms
