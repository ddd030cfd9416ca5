"""WebVTT: a strict, line-numbered parser following the W3C WebVTT file syntax, and a writer
that always produces valid WebVTT (cue text escaped, nothing that could end a cue early).

Where the W3C parser silently drops or reinterprets content (a cue without a blank line
before it, a bad timestamp, an unknown setting), this parser reports the line instead. Lines
holding only spaces or tabs count as blank, as they do for SRT. Cue text is kept as written;
``write_webvtt`` makes it valid markup.
"""

from __future__ import annotations

import re

from ._text import is_blank, quote, split_first_token, split_lines, strip_bom
from .errors import CaptionError
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
    """Parse WebVTT strictly; raise CaptionError naming the first line that is wrong.

    A file with a valid header and no cues parses to a document without cues.
    """
    lines = split_lines(strip_bom(text))
    header = _parse_signature(lines[0])

    # Header lines run up to the first blank line; a line with "-->" already starts a cue
    # (this is how browsers read a file that leaves out the blank line after WEBVTT).
    position = 1
    while position < len(lines) and not is_blank(lines[position]):
        if "-->" in lines[position]:
            break
        position += 1
    header_lines = tuple(lines[1:position])

    cues: list[Cue] = []
    notes: list[Note] = []
    styles: list[str] = []
    regions: list[str] = []
    while position < len(lines):
        if is_blank(lines[position]):
            position += 1
            continue
        first = position
        while position < len(lines) and not is_blank(lines[position]):
            position += 1
        block = lines[first:position]
        first_number = first + 1
        keyword = _keyword(block[0])
        if keyword == "NOTE" and "-->" in block[0]:
            raise CaptionError('a NOTE comment must not contain "-->"', first_number)
        if "-->" in block[0]:
            cues.append(_parse_cue(None, block, 0, first_number))
        elif len(block) > 1 and "-->" in block[1]:
            cues.append(_parse_cue(block[0], block, 1, first_number))
        elif keyword == "NOTE":
            _reject_arrows(block, first_number, "a NOTE comment")
            # Drop the word and the one space after it; a comment that starts on the next
            # line keeps its leading line break.
            skip = len("NOTE") if block[0] == "NOTE" else len("NOTE ")
            notes.append(Note("\n".join(block)[skip:], before_cue=len(cues)))
        elif keyword in ("STYLE", "REGION"):
            if cues:
                raise CaptionError(f"{keyword} blocks must come before the first cue", first_number)
            _reject_arrows(block, first_number, f"a {keyword} block")
            (styles if keyword == "STYLE" else regions).append("\n".join(block[1:]))
        else:
            # With two or more lines the first could be a cue identifier, so the timing line
            # is missing from the second.
            missing_at = first_number if len(block) == 1 else first_number + 1
            raise CaptionError(
                f"expected a cue timing line like {WEBVTT_TIMING_EXAMPLE}", missing_at
            )

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


def _reject_arrows(block: list[str], first_number: int, what: str) -> None:
    for offset, line in enumerate(block):
        if "-->" in line:
            raise CaptionError(f'{what} must not contain "-->"', first_number + offset)


def _parse_cue(identifier: str | None, block: list[str], timing_at: int, first: int) -> Cue:
    timing_number = first + timing_at
    start_ms, end_ms, settings = _parse_timing(block[timing_at], timing_number)
    payload = block[timing_at + 1 :]
    for offset, line in enumerate(payload, start=timing_number + 1):
        if "-->" in line:
            raise CaptionError(
                'cue text must not contain "-->" (is a blank line missing before the next cue?)',
                offset,
            )
    return Cue(start_ms, end_ms, "\n".join(payload), identifier, settings)


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
    for token in tokens:
        problem = setting_problem(token)
        if problem is not None:
            raise CaptionError(problem, number)
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
    if not is_blank(identifier):
        lines.append(identifier)
    timing = _timing(cue.start_ms, cue.end_ms)
    settings = (
        [
            token
            for token in _setting_tokens(" ".join(split_lines(cue.settings)))
            if setting_problem(token) is None
        ]
        if cue.settings
        else []
    )
    lines.append(" ".join([timing, *settings]))
    text = escape_cue_text(cue.text)
    if text:
        lines.append(text)
    return "\n".join(lines)


def _timing(start_ms: int, end_ms: int) -> str:
    # format_webvtt_timestamp twice, in one step: this runs once per cue of every file served.
    start_s, start_f = divmod(start_ms, 1000)
    end_s, end_f = divmod(end_ms, 1000)
    return (
        f"{start_s // 3600:02d}:{start_s // 60 % 60:02d}:{start_s % 60:02d}.{start_f:03d} --> "
        f"{end_s // 3600:02d}:{end_s // 60 % 60:02d}:{end_s % 60:02d}.{end_f:03d}"
    )


def _note_block(note: Note) -> str:
    lines = _block_lines(note.text)
    if note.text.startswith(("\n", "\r")) or not lines:
        return "\n".join(["NOTE", *lines])
    return "\n".join([f"NOTE {lines[0]}", *lines[1:]])


def _block_lines(text: str) -> list[str]:
    return [_without_arrows(line) for line in split_lines(text) if not is_blank(line)]


def _one_line(value: str) -> str:
    if value.isdigit():  # the cue numbers of nearly every file
        return value
    return _without_arrows(" ".join(split_lines(value)))


def _without_arrows(value: str) -> str:
    return _ARROW.sub("->", value)
