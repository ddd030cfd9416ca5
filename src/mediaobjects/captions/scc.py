"""Scenarist Closed Caption (SCC): CEA-608 line 21 caption data as hexadecimal byte pairs with
SMPTE timecodes, the format broadcast archives and caption vendors deliver.

Reading (:func:`parse_scc`). The file starts with ``Scenarist_SCC V1.0``; each line after it is
a timecode, a tab and words of four hex digits, each word one byte pair (odd parity, which is
stripped and not checked). Timecodes count 29.97 frames a second: ``HH:MM:SS;FF`` is
drop-frame (frames 0 and 1 are skipped each minute except every tenth, so the label is wall
time), ``HH:MM:SS:FF`` non-drop-frame (30 labelled frames a timecode second, so real time is
frames × 1001/30000 s and the label runs 3.6 s an hour behind). A drop-frame label that does
not exist (``00:01:00;00``) is read as the next one that does. Each word takes one frame: the
n-th word of a line is decoded n frames after its timecode, and a line whose timecode falls
before the previous line's words are all sent waits for them. Only caption channel 1 (CC1)
is read: CC2, CC3/CC4 (field 2), the text services and XDS are ignored. How pop-on, roll-up
and paint-on captions become cues is told in ``_scc_decode``; in short a pop-on caption runs
from its End Of Caption to its erasure, and each roll-up carriage return ends a cue holding
the rows then visible. A caption still on screen when the file ends is given the later of the
last word's frame and 4 seconds.

Writing (:func:`write_scc`): see its docstring.
"""

from __future__ import annotations

import re

from ._scc_decode import Decoder
from ._scc_encode import schedule, screens
from ._text import quote, split_lines, strip_bom
from .errors import MAX_PROBLEMS, CaptionError, Problem
from .model import CaptionDocument, Cue

HEADER = "Scenarist_SCC V1.0"

_FRAMES_PER_10_MINUTES = 17_982  # 10 × 60 × 30 labels, less 9 × 2 dropped
_FRAMES_PER_MINUTE = 1_798  # a minute whose first two labels are dropped
_TIMECODE = re.compile(r"([0-9]{2}):([0-9]{2}):([0-9]{2})([:;])([0-9]{2})")
_HEX = frozenset("0123456789abcdefABCDEF")
_TIMECODE_EXAMPLE = '"00:00:01;15"'
# A caption left on screen at the end of the file stays at least this long.
_TAIL_FRAMES = 120
# Cue text allowed per character of the file: real files stay below 2 (a roll-up line is in up
# to 4 cues, but 608 takes 2.5 characters of the file for each character shown).
_TEXT_PER_CHARACTER = 8
_TEXT_ALLOWANCE = 100_000


# --- timecodes ------------------------------------------------------------------------------


def timecode_to_frame(hours: int, minutes: int, seconds: int, frames: int, drop: bool) -> int:
    """The number of 29.97 fps frames from 00:00:00:00 to this label."""
    labels = ((hours * 60 + minutes) * 60 + seconds) * 30 + frames
    if not drop:
        return labels
    if seconds == 0 and frames < 2 and minutes % 10:
        labels += 2 - frames  # a label that drop-frame skips: the next one that exists
    total_minutes = hours * 60 + minutes
    return labels - 2 * (total_minutes - total_minutes // 10)


def frame_to_drop_frame(frame: int) -> str:
    """The drop-frame label (``HH:MM:SS;FF``) of a frame number."""
    tens, rest = divmod(frame, _FRAMES_PER_10_MINUTES)
    dropped = 18 * tens
    if rest >= 2:
        dropped += 2 * ((rest - 2) // _FRAMES_PER_MINUTE)
    labels = frame + dropped
    hours, labels = divmod(labels, 108_000)
    minutes, labels = divmod(labels, 1_800)
    seconds, frames = divmod(labels, 30)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d};{frames:02d}"


def frame_to_ms(frame: int) -> int:
    """Real time of a frame at 30000/1001 frames a second, in whole milliseconds (rounded)."""
    return (frame * 2002 + 30) // 60


def ms_to_frame(ms: int) -> int:
    """The frame nearest to ``ms``."""
    return (ms * 60 + 1001) // 2002


_LAST_FRAME = timecode_to_frame(99, 59, 59, 29, drop=True)


# --- reading --------------------------------------------------------------------------------


def parse_scc(content: str) -> CaptionDocument:
    """Parse SCC; raise CaptionError listing up to MAX_PROBLEMS problems (missing header,
    malformed timecode, a word that is not four hex digits, timecodes going backwards), each
    with its line number, or saying that the file holds no CC1 caption text."""
    lines = split_lines(strip_bom(content))
    problems: list[Problem] = []
    number = _skip_blank(lines, 0)
    if number < len(lines) and lines[number].strip(" \t").lower() == HEADER.lower():
        number += 1
    else:
        first = lines[number] if number < len(lines) else ""
        problems.append(
            Problem(
                f'expected the header "{HEADER}" on the first line',
                number + 1 if number < len(lines) else 1,
            )
        )
        if not first[:1].isdigit():
            number += 1  # not a caption line either: report it once

    decoder = Decoder(text_limit=_TEXT_PER_CHARACTER * len(content) + _TEXT_ALLOWANCE)
    previous_frame = -1
    next_free = 0
    for index in range(number, len(lines)):
        if len(problems) >= MAX_PROBLEMS:
            break
        parts = lines[index].split()
        if not parts:
            continue
        parsed = _parse_line(parts, index + 1, previous_frame, problems)
        if parsed is None:
            continue
        frame, words = parsed
        previous_frame = frame
        if problems:
            continue  # the file is refused: decoding the rest would tell nothing more
        start = max(frame, next_free)
        if start > next_free:
            decoder.pause()
        for offset, word in enumerate(words):
            decoder.feed(int(word[:2], 16), int(word[2:], 16), start + offset)
        next_free = start + len(words)

    if problems:
        raise CaptionError.of(problems)
    decoded = decoder.finish(next_free, _TAIL_FRAMES)
    if not decoded:
        message = "no captions found: the file holds no caption text on channel CC1"
        if decoder.other_channel_text:
            message += " (it has text on another channel, CC2, CC3 or CC4, which is not read)"
        raise CaptionError(message)
    cues = (Cue(frame_to_ms(c.start_frame), frame_to_ms(c.end_frame), c.text) for c in decoded)
    return CaptionDocument(cues=tuple(cues))


def _visible(token: str) -> str:
    """``token`` quoted for a message, with characters that print as nothing written out."""
    return quote("".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in token))


def _skip_blank(lines: list[str], index: int) -> int:
    while index < len(lines) and not lines[index].strip(" \t"):
        index += 1
    return index


def _parse_line(
    parts: list[str], number: int, previous_frame: int, problems: list[Problem]
) -> tuple[int, list[str]] | None:
    token, *words = parts
    match = _TIMECODE.fullmatch(token)
    if match is None:
        problems.append(
            Problem(
                f"expected a timecode like {_TIMECODE_EXAMPLE} (hours:minutes:seconds;frames, "
                f'":" before the frames for non-drop-frame) at the start of the line, '
                f"found {_visible(token)}",
                number,
            )
        )
        return None
    hours, minutes, seconds, separator, frames = match.groups()
    for value, limit, name in ((minutes, 59, "minutes"), (seconds, 59, "seconds"),
                               (frames, 29, "frames")):  # fmt: skip
        if int(value) > limit:
            problems.append(
                Problem(f"{name} go up to {limit} in the timecode {quote(token)}", number)
            )
            return None
    frame = timecode_to_frame(
        int(hours), int(minutes), int(seconds), int(frames), drop=separator == ";"
    )
    bad = [word for word in words if len(word) != 4 or not set(word) <= _HEX]
    if bad:
        problems.append(
            Problem(
                f"expected words of four hexadecimal digits like 9420, found {_visible(bad[0])}"
                + (f" and {len(bad) - 1} more" if len(bad) > 1 else ""),
                number,
            )
        )
    if frame < previous_frame:
        problems.append(
            Problem(
                f"the timecode {quote(token)} is earlier than the line before it: SCC lines "
                "must be in time order",
                number,
            )
        )
    return frame, words


# --- writing --------------------------------------------------------------------------------


def write_scc(document: CaptionDocument) -> str:
    """SCC with pop-on captions, 29.97 fps drop-frame timecodes, LF line ends.

    Layout: each cue line is wrapped at spaces to rows of at most 32 columns (a word longer
    than a row is cut); rows sit at the bottom of the screen (the last on row 15), centred.
    A caption of more than 4 rows is shown as several captions of up to 4 rows, sharing the
    cue's time equally. Cues that overlap are shown as the screen a WebVTT player shows: while
    both are on, one caption holding both (first cue's rows first).

    Text: ``<i>`` and ``<u>`` become italics and underline (a preamble code or mid-row codes),
    every other tag is dropped and character references decoded. A mid-row code takes the
    place of a space, so a change of style inside a word (``<i>Hello</i>,``) is moved to the
    next space (``<i>Hello,</i>``). Characters outside the CEA-608 sets become a near
    equivalent ("–" "-", "…" "...", "♫" "♪", "ő" "o"), or "?" when there is none; extended
    characters (é is in the basic set, but Ü, ß, ’ and the like are not) are each preceded by a
    plain fallback, as 608 requires.

    Timing: every control code is sent twice (once when the next frame is needed). A caption is
    loaded into non-displayed memory ahead of time, so that its End Of Caption falls on the
    cue's start frame, and erased (EDM) at its end frame unless the next caption replaces it
    there. 608 sends two characters a frame: when a caption cannot be loaded between the
    previous caption's appearance and its own start (a long caption right after another, or
    one at the very start of the video), it appears as soon as it is loaded.

    Raises CaptionError when a cue ends after 99:59:59;29, the last SCC timecode.
    """
    too_late = [
        Problem("SCC timecodes end at 99:59:59;29: this cue ends later", cue=position)
        for position, cue in enumerate(document.cues, start=1)
        if ms_to_frame(cue.end_ms) + 2 > _LAST_FRAME
    ]
    if too_late:
        raise CaptionError.of(too_late)
    cues = ((ms_to_frame(c.start_ms), ms_to_frame(c.end_ms), c.text) for c in document.cues)
    frames = schedule(screens(cues))
    out = [HEADER, ""]
    line: list[str] = []
    line_start = previous = -2
    for frame in sorted(frames):
        if frame != previous + 1 and line:
            out.extend([f"{frame_to_drop_frame(line_start)}\t{' '.join(line)}", ""])
            line = []
        if not line:
            line_start = frame
        line.append(frames[frame])
        previous = frame
    if line:
        out.extend([f"{frame_to_drop_frame(line_start)}\t{' '.join(line)}", ""])
    return "\n".join(out)
