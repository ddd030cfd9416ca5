"""WebVTT: a strict, line-numbered parser following the W3C WebVTT file syntax, and a writer
that always produces valid WebVTT (cue text escaped, nothing that could end a cue early).

Where the W3C parser silently drops or reinterprets content (a cue without a blank line
before it, a bad timestamp, an unknown setting), this parser reports the line instead, and goes on
to report every other problem (at most MAX_PROBLEMS). Only an empty line is blank: a line of
spaces or tabs is text, as it is for browsers. Cue text is kept as written; ``write_webvtt``
makes it valid markup.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ._text import is_blank, quote, split_first_token, split_lines, strip_bom
from .errors import MAX_PROBLEMS, CaptionError, Problem
from .markup import escape_cue_text
from .model import CaptionDocument, Cue, Note
from .timestamps import (
    WEBVTT_TIMING_EXAMPLE,
    check_duration,
    format_webvtt_timestamp,
    parse_webvtt_timestamp,
)

# Any run of two or more dashes before ">" (one pass; "--->" must not leave "-->" behind).
_ARROW = re.compile(r"-{2,}>")

CUE_SETTING_NAMES = ("vertical", "line", "position", "size", "align", "region")


def parse_webvtt(text: str) -> CaptionDocument:
    """Parse WebVTT strictly; raise CaptionError listing every problem found (at most
    MAX_PROBLEMS), each with its line and, inside a cue, the cue's position.

    Blocks are separated by empty lines only: as in browsers, a line of spaces or tabs is
    text (YouTube's automatic captions put one after every timing line). A block made only of
    such lines is passed over, as browsers do. A file with a valid header and no cues parses
    to a document without cues.
    """
    lines = split_lines(strip_bom(text))
    header = _parse_signature(lines[0])

    # Header lines run up to the first blank line; a line with "-->" already starts a cue
    # (this is how browsers read a file that leaves out the blank line after WEBVTT).
    position = 1
    while position < len(lines) and lines[position] != "":
        if "-->" in lines[position]:
            break
        position += 1
    header_lines = tuple(lines[1:position])

    cues: list[Cue] = []
    notes: list[Note] = []
    styles: list[str] = []
    regions: list[str] = []
    problems: list[Problem] = []
    cue_count = 0  # cues met so far, counting those with problems
    previous_keyword: str | None = None  # STYLE/REGION when the last block was one
    while position < len(lines) and len(problems) < MAX_PROBLEMS:
        if lines[position] == "":
            position += 1
            continue
        first = position
        while position < len(lines) and lines[position] != "":
            position += 1
        block = lines[first:position]
        first_number = first + 1
        keyword = _keyword(block[0])
        after_keyword, previous_keyword = previous_keyword, None
        timing_at = 0 if "-->" in block[0] else 1 if len(block) > 1 and "-->" in block[1] else -1
        if keyword == "NOTE" and timing_at == 0:
            problems.append(Problem('a NOTE comment must not contain "-->"', first_number))
        elif timing_at >= 0:
            identifier = block[0] if timing_at == 1 else None
            # A "-->" in the text means a blank line is missing: the next cue starts there.
            while True:
                cue_count += 1
                end = _next_timing(block, timing_at + 1)
                cue = _parse_cue(
                    identifier, block[timing_at:end], first_number + timing_at, cue_count, problems
                )
                if cue is not None:
                    cues.append(cue)
                if end == len(block):
                    break
                problems.append(
                    Problem(
                        'cue text must not contain "-->" (is a blank line missing before the '
                        "next cue?)",
                        first_number + end,
                        cue_count,
                    )
                )
                identifier, timing_at = None, end
        elif keyword == "NOTE":
            problems.extend(_arrows(block, first_number, "a NOTE comment"))
            # Drop the word and the one space after it; a comment that starts on the next
            # line keeps its leading line break.
            skip = len("NOTE") if block[0] == "NOTE" else len("NOTE ")
            notes.append(Note("\n".join(block)[skip:], before_cue=len(cues)))
        elif keyword in ("STYLE", "REGION"):
            if cue_count:
                problems.append(
                    Problem(f"{keyword} blocks must come before the first cue", first_number)
                )
            else:
                problems.extend(_arrows(block, first_number, f"a {keyword} block"))
                (styles if keyword == "STYLE" else regions).append("\n".join(block[1:]))
                previous_keyword = keyword
        elif all(is_blank(line) for line in block):
            # Browsers read it as a cue without a timing line and pass over it; so do we.
            continue
        elif after_keyword is not None and _continues(after_keyword, styles, block):
            # A blank line inside a STYLE or REGION block ends it; that line is the mistake.
            blank = _blank_before(lines, first)
            problems.append(
                Problem(
                    f"a blank line ends the {after_keyword} block, so the lines after it "
                    f"(from line {first_number}) are not part of it: remove the blank line",
                    blank,
                )
            )
        else:
            # With two or more lines the first could be a cue identifier, so the timing line
            # is missing from the second.
            missing_at = first if len(block) == 1 else first + 1
            problems.append(
                Problem(
                    f"expected a cue timing line like {WEBVTT_TIMING_EXAMPLE} but found "
                    f"{quote(lines[missing_at])}",
                    missing_at + 1,
                )
            )

    if problems:
        raise CaptionError.of(problems)
    return CaptionDocument(
        cues=tuple(cues),
        header=header,
        header_lines=header_lines,
        styles=tuple(styles),
        regions=tuple(regions),
        notes=tuple(notes),
    )


def write_webvtt(document: CaptionDocument) -> str:
    """Valid WebVTT with LF line ends and a final newline.

    Layout: the ``WEBVTT`` line (with header text) and header lines, a blank line, then
    comments, regions, styles and cues, one blank line apart. Cue timings are written as
    ``HH:MM:SS.mmm``; text goes through ``escape_cue_text``. Identifiers, settings and other
    blocks are tidied so that they cannot break the file's structure (no line breaks, no
    "-->", no blank lines).
    """
    signature = "WEBVTT"
    header = _one_line(document.header).strip(" \t")
    if header:
        signature += " " + header
    head = [signature, *_block_lines("\n".join(document.header_lines))]

    # Comments keep their place relative to the cues; regions and styles must precede cues.
    notes = sorted(document.notes, key=lambda note: note.before_cue)
    leading = [note for note in notes if note.before_cue <= 0]
    blocks = [_note_block(note) for note in leading]
    blocks.extend("\n".join(["REGION", *_block_lines(r)]) for r in document.regions)
    blocks.extend("\n".join(["STYLE", *_block_lines(s)]) for s in document.styles)
    note_index = len(leading)
    for index, cue in enumerate(document.cues):
        while note_index < len(notes) and notes[note_index].before_cue <= index:
            blocks.append(_note_block(notes[note_index]))
            note_index += 1
        blocks.append(_cue_block(cue))
    blocks.extend(_note_block(note) for note in notes[note_index:])

    return "\n\n".join(["\n".join(head), *blocks]) + "\n"


def _parse_signature(first_line: str) -> str:
    if not first_line.startswith("WEBVTT") or (len(first_line) > 6 and first_line[6] not in " \t"):
        raise CaptionError('expected "WEBVTT" at the start of the first line', 1)
    header = first_line[7:].strip(" \t")
    if "-->" in header:
        raise CaptionError('the text after "WEBVTT" must not contain "-->"', 1)
    return header


def _keyword(line: str) -> str | None:
    """NOTE may be followed by text; STYLE and REGION only by spaces or tabs."""
    if line == "NOTE" or line.startswith(("NOTE ", "NOTE\t")):
        return "NOTE"
    stripped = line.rstrip(" \t")
    return stripped if stripped in ("STYLE", "REGION") else None


def _arrows(block: list[str], first_number: int, what: str) -> list[Problem]:
    return [
        Problem(f'{what} must not contain "-->"', first_number + offset)
        for offset, line in enumerate(block)
        if "-->" in line
    ]


def _continues(keyword: str, styles: list[str], block: list[str]) -> bool:
    """Whether ``block``, which has no timing line, reads as the rest of the STYLE or REGION
    block just before it: CSS braces (or a style left open), or REGION settings."""
    if keyword == "STYLE":
        style = styles[-1]
        return style.count("{") > style.count("}") or any(
            "{" in line or "}" in line for line in block
        )
    return all(":" in token for line in block for token in line.split())


def _next_timing(block: list[str], start: int) -> int:
    for index in range(start, len(block)):
        if "-->" in block[index]:
            return index
    return len(block)


def _blank_before(lines: list[str], index: int) -> int:
    """The 1-based number of the first of the blank lines just before ``lines[index]``."""
    while index > 0 and lines[index - 1] == "":
        index -= 1
    return index + 1


def _parse_cue(
    identifier: str | None, block: list[str], timing_number: int, cue: int, problems: list[Problem]
) -> Cue | None:
    """The cue whose timing line is ``block[0]``, or None after adding its problems."""
    try:
        start_ms, end_ms, settings = _parse_timing(block[0], timing_number)
    except CaptionError as error:
        problems.extend(replace(problem, cue=cue) for problem in error.problems)
        return None
    return Cue(start_ms, end_ms, "\n".join(block[1:]), identifier, settings)


def _parse_timing(line: str, number: int) -> tuple[int, int, str]:
    before, _, after = line.partition("-->")
    start_token = before.strip(" \t")
    rest = after.strip(" \t")
    if not start_token:
        raise CaptionError('expected a start time like "00:00:01.000" before "-->"', number)
    if not rest:
        raise CaptionError('expected an end time like "00:00:02.000" after "-->"', number)
    end_token, settings = split_first_token(rest)
    start_ms = parse_webvtt_timestamp(start_token, number, "start time")
    end_ms = parse_webvtt_timestamp(end_token, number, "end time")
    check_duration(start_ms, end_ms, number, format_webvtt_timestamp)
    tokens = _setting_tokens(settings)
    problems = [
        Problem(problem, number) for problem in map(setting_problem, tokens) if problem is not None
    ]
    if problems:
        raise CaptionError.of(problems)
    return start_ms, end_ms, " ".join(tokens)


def setting_problem(token: str) -> str | None:
    """Why a cue setting is not acceptable, or None when it is."""
    name, colon, value = token.partition(":")
    if not colon or not name or not value:
        return f'expected a cue setting like "align:start" but found {quote(token)}'
    if name not in CUE_SETTING_NAMES:
        names = ", ".join(CUE_SETTING_NAMES)
        return f"unknown cue setting {quote(token)} (WebVTT knows {names})"
    if "-->" in token:
        return f'cue setting {quote(token)} must not contain "-->"'
    return None


def _setting_tokens(settings: str) -> list[str]:
    return [token for token in settings.replace("\t", " ").split(" ") if token]


def _cue_block(cue: Cue) -> str:
    lines = []
    identifier = _one_line(cue.identifier or "")
    if identifier:
        # Even " " is an identifier: only an empty line is blank in WebVTT.
        lines.append(identifier)
    timing = f"{format_webvtt_timestamp(cue.start_ms)} --> {format_webvtt_timestamp(cue.end_ms)}"
    if cue.settings:
        settings = [
            token
            for token in _setting_tokens(" ".join(split_lines(cue.settings)))
            if setting_problem(token) is None
        ]
        lines.append(" ".join([timing, *settings]))
    else:
        lines.append(timing)
    text = escape_cue_text(cue.text)
    if text:
        lines.append(text)
    return "\n".join(lines)


def _note_block(note: Note) -> str:
    lines = _block_lines(note.text)
    if note.text.startswith(("\n", "\r")) or not lines:
        return "\n".join(["NOTE", *lines])
    return "\n".join([f"NOTE {lines[0]}", *lines[1:]])


def _block_lines(text: str) -> list[str]:
    return [_without_arrows(line) for line in split_lines(text) if line]


def _one_line(value: str) -> str:
    if "\n" not in value and "\r" not in value and "->" not in value:
        return value  # the common case, without the work
    return _without_arrows(" ".join(split_lines(value)))


def _without_arrows(value: str) -> str:
    return _ARROW.sub("->", value)
