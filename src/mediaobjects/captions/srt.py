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
from dataclasses import replace
from enum import Enum, auto

from ._text import BOM, is_blank, quote, split_first_token, split_lines, strip_bom
from .errors import MAX_PROBLEMS, CaptionError, Problem
from .model import CaptionDocument, Cue
from .timestamps import (
    SRT_TIMING_EXAMPLE,
    THREE_DIGITS,
    TWO_DIGITS,
    check_duration,
    format_srt_timestamp,
    parse_srt_timestamp,
)

_DIGITS = frozenset("0123456789")
_TIMING_CHARACTERS = frozenset("0123456789:,.")


class _State(Enum):
    BETWEEN_CUES = auto()
    AFTER_NUMBER = auto()
    IN_TEXT = auto()
    # After a problem, the rest of the block up to the next blank line is passed over.
    SKIPPING = auto()


def parse_srt(text: str) -> CaptionDocument:
    """Parse SRT strictly; raise CaptionError listing every problem found (at most
    MAX_PROBLEMS), each with its line and, inside a cue, the cue's position.

    After a problem the parser resumes at the next blank line, or at the next timing line when
    a blank line is missing, so that one mistake is reported once and later cues are checked.
    """
    text = strip_bom(text)
    canonical = _parse_canonical(text)
    if canonical is not None:
        return CaptionDocument(cues=canonical)
    return parse_srt_lines(text)


def parse_srt_lines(text: str) -> CaptionDocument:
    """``parse_srt`` without its fast path for canonical files: the line-by-line parser that
    reads everything (and that tests compare the fast path with)."""
    lines = split_lines(text)
    cues: list[Cue] = []
    problems: list[Problem] = []
    state = _State.BETWEEN_CUES
    identifier: str | None = None
    start_ms = end_ms = 0
    text_lines: list[str] = []
    cue = 0  # position of the cue being read, counting cues with problems
    # The blank line that ended the last cue read, while only blank lines followed it.
    ended_at = 0
    number_line = 0  # the line of the last cue number

    def report(error: CaptionError) -> None:
        problems.extend(replace(problem, cue=cue) for problem in error.problems)

    def begin(line: str, number: int) -> _State:
        nonlocal start_ms, end_ms, text_lines
        text_lines = []
        try:
            start_ms, end_ms = _parse_timing(line, number)
        except CaptionError as error:
            report(error)
            return _State.SKIPPING
        return _State.IN_TEXT

    for number, line in enumerate(lines, start=1):
        if len(problems) >= MAX_PROBLEMS:
            break
        if state is _State.SKIPPING:
            if is_blank(line):
                state = _State.BETWEEN_CUES
            elif looks_like_timing(line):
                # The blank line is missing as well: this is the next cue's timing line.
                cue += 1
                identifier = None
                state = begin(line, number)
        elif state is _State.BETWEEN_CUES:
            if is_blank(line):
                continue
            stripped = line.strip(" \t")
            if _is_cue_number(stripped):
                ended_at = 0
                cue += 1
                identifier = stripped
                number_line = number
                state = _State.AFTER_NUMBER
            elif "-->" in line:
                ended_at = 0
                cue += 1
                identifier = None
                state = begin(line, number)
            elif ended_at:
                # The blank line just before ended the cue too early; that is what to fix.
                problems.append(
                    Problem(
                        f"a blank line ends a cue, so {quote(line)} on line {number} belongs "
                        "to no cue (remove the blank line, or start a new cue there)",
                        ended_at,
                        cue,
                    )
                )
                state = _State.SKIPPING
                ended_at = 0
            else:
                problems.append(Problem(_unexpected_cue_start(line), number))
                state = _State.SKIPPING
        elif state is _State.AFTER_NUMBER:
            if "-->" not in line:
                expected = f"expected a timing line like {SRT_TIMING_EXAMPLE}"
                if not is_blank(line):
                    problems.append(Problem(f"{expected} but found {quote(line)}", number, cue))
                    state = _State.SKIPPING
                elif all(is_blank(rest) for rest in lines[number:]):
                    break  # reported below as the end of the file
                else:
                    problems.append(Problem(f"{expected} but found a blank line", number, cue))
                    state = _State.BETWEEN_CUES
            else:
                state = begin(line, number)
        elif is_blank(line):
            cues.append(Cue(start_ms, end_ms, "\n".join(text_lines), identifier))
            state = _State.BETWEEN_CUES
            ended_at = number
        elif looks_like_timing(line):
            # Without the blank line the next cue's number and timing would silently become
            # text of this cue, so point at the number when there is one.
            missing_at = number
            identifier = None
            if text_lines and _is_cue_number(text_lines[-1].strip(" \t")):
                missing_at = number - 1
                identifier = text_lines[-1].strip(" \t")
            problems.append(Problem("expected a blank line before the next cue", missing_at, cue))
            cue += 1
            state = begin(line, number)
        else:
            text_lines.append(line)

    if state is _State.AFTER_NUMBER and len(problems) < MAX_PROBLEMS:
        problems.append(
            Problem(
                f"expected a timing line like {SRT_TIMING_EXAMPLE} but the file ends here",
                # The line after the number, which the timing line should have been.
                number_line + 1,
                cue,
            )
        )
    if state is _State.IN_TEXT:
        cues.append(Cue(start_ms, end_ms, "\n".join(text_lines), identifier))
    if problems:
        raise CaptionError.of(problems)
    if not cues:
        raise CaptionError(
            f"no cues found: expected a cue number followed by a timing line like "
            f"{SRT_TIMING_EXAMPLE}"
        )
    return CaptionDocument(cues=tuple(cues))


# A cue exactly as most tools write it: number, "HH:MM:SS,mmm --> HH:MM:SS,mmm", lines that
# are not blank, then empty lines. Minutes and seconds below 60 by construction.
_CANONICAL_CUE = re.compile(
    r"([0-9]+)\n"
    r"([0-9]{2}):([0-5][0-9]):([0-5][0-9]),([0-9]{3}) --> "
    r"([0-9]{2}):([0-5][0-9]):([0-5][0-9]),([0-9]{3})\n"
    r"((?:[^\n]*[^ \t\n][^\n]*\n)*)\n*"
)


_TWO_DIGIT_VALUES = {text: value for value, text in enumerate(TWO_DIGITS)}
_THREE_DIGIT_VALUES = {text: value for value, text in enumerate(THREE_DIGITS)}


def _parse_canonical(text: str) -> tuple[Cue, ...] | None:
    """The cues of a file written entirely in the canonical form, found with one regular
    expression per cue (several times faster than the line-by-line parser); None when any
    part of the file is not in that form, and the line-by-line parser must read it.

    Every file accepted here is one the line-by-line parser accepts with the same cues: the
    form is a strict subset of what it accepts, and text holding "-->" (which it may refuse)
    is left to it.
    """
    if "\r" in text:
        return None
    if not text.endswith("\n"):
        text += "\n"
    position = len(text) - len(text.lstrip("\n"))
    end = len(text)
    cues = []
    match_at = _CANONICAL_CUE.match
    two, three = _TWO_DIGIT_VALUES, _THREE_DIGIT_VALUES
    while position < end:
        match = match_at(text, position)
        if match is None:
            return None
        number, sh, sm, ss, sf, eh, em, es, ef, body = match.groups()
        start_ms = ((two[sh] * 60 + two[sm]) * 60 + two[ss]) * 1000 + three[sf]
        end_ms = ((two[eh] * 60 + two[em]) * 60 + two[es]) * 1000 + three[ef]
        if end_ms <= start_ms or "-->" in body:
            return None
        cues.append(Cue(start_ms, end_ms, body[:-1], number))
        position = match.end()
    return tuple(cues) if cues else None


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


def _unexpected_cue_start(line: str) -> str:
    message = (
        f"expected a cue number or a timing line like {SRT_TIMING_EXAMPLE} but found {quote(line)}"
    )
    if line.strip(" \t").lstrip(BOM).upper().startswith("WEBVTT"):
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
