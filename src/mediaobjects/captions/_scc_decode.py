"""A CEA-608 decoder for data channel 1: it plays the byte pairs of an SCC file frame by frame
on a model of the caption screen and records what the viewer sees as timed cues.

What becomes a cue. The decoder keeps the displayed and the non-displayed memory (15 rows of
32 cells). Whatever is on screen is one cue, which ends when the screen is changed as a whole
(EOC swaps the memories, EDM erases the display, CR rolls a roll-up window up, RU2-4 leaves
pop-on or paint-on, EOF) and starts when the previous one ended or, when the screen was
empty, at the frame of the first character shown. So:

* pop-on: a caption runs from its EOC to the EDM or EOC that removes it;
* roll-up: each CR ends a cue holding the rows visible just before it (with RU2, the previous
  line and the current one); the next cue starts at the CR, as the rows that scrolled up are
  still on screen, and holds what is visible at its own end (those rows and the line typed
  after the CR);
* paint-on: a caption painted in several steps is one cue, from its first character to its
  erasure, with the text it has at the end.

Consecutive cues with the same text and no gap between them are joined (a CR with nothing
typed after it, a caption sent twice). Row positions become line breaks (top to bottom,
leading and trailing spaces dropped); italics and underline become ``<i>`` and ``<u>``;
colours, flashing and backgrounds are dropped.
"""

from __future__ import annotations

from enum import Enum, auto
from typing import NamedTuple

from . import _cea608 as cc
from .errors import CaptionError

# A cell: (character, italic, underline); None is an empty (transparent) cell.
_Cell = tuple[str, bool, bool] | None


class _Row:
    """One row of a memory, with its cue text cached: a screen is rendered at every EOC, CR
    and EDM, and a file of nothing else must not cost a full render each time."""

    __slots__ = ("cells", "_text")

    def __init__(self) -> None:
        self.cells: list[_Cell] = [None] * cc.COLUMNS
        self._text: str | None = None

    def set(self, column: int, cell: _Cell) -> None:
        self.cells[column] = cell
        self._text = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = _render_row(self.cells)
        return self._text


class _Memory(dict[int, _Row]):
    """The rows of one memory by number (1-15), with the cue text of the whole cached."""

    text: str | None = None


_BLANKS = frozenset(" \u00a0")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


class _Mode(Enum):
    POP_ON = auto()
    ROLL_UP = auto()
    PAINT_ON = auto()
    TEXT = auto()


class DecodedCue(NamedTuple):
    start_frame: int
    end_frame: int
    text: str


class Decoder:
    """Feed it every byte pair with its frame, in order, then call :meth:`finish`.

    Raises CaptionError once the cues hold more than ``text_limit`` characters: a few bytes
    can show a whole screen again, and a small file must not become a huge caption track.
    """

    def __init__(self, text_limit: int) -> None:
        self.text_limit = text_limit
        self.text_total = 0
        self.displayed = _Memory()
        self.hidden = _Memory()
        self.mode = _Mode.POP_ON
        self.row = cc.ROWS
        self.column = 0  # 0-31; 32 means "after the last column"
        self.italic = False
        self.underline = False
        self.roll_rows = 2
        self.on_channel_one = True
        self.previous_code: tuple[int, int] | None = None
        self.shown_since: int | None = None
        self.cues: list[DecodedCue] = []
        self.other_channel_text = False

    # --- input ----------------------------------------------------------------------------

    def feed(self, first: int, second: int, frame: int) -> None:
        first, second = cc.strip_parity(first), cc.strip_parity(second)
        if 0x10 <= first <= 0x1F:
            # Control codes are sent twice so that one lost in transmission does no harm; the
            # copy that immediately follows is not a second command.
            if (first, second) == self.previous_code:
                self.previous_code = None
                return
            self.previous_code = (first, second)
            channel_two = bool(first & 0x08)
            first &= 0x17
            # 0x15/0x1D with 0x20-0x2F are the field-2 (CC3/CC4) miscellaneous codes.
            field_two = first == 0x15 and 0x20 <= second <= 0x2F
            self.on_channel_one = not channel_two and not field_two
            if self.on_channel_one:
                self._control(first, second, frame)
            return
        self.previous_code = None
        if 0x01 <= first <= 0x0F:
            # Extended data services (XDS) start with these; their data is not captions.
            self.on_channel_one = False
            return
        for byte in (first, second):
            if byte < 0x20:
                continue  # null padding, or a code where only a character may stand
            if not self.on_channel_one:
                self.other_channel_text = True
            elif self.mode is not _Mode.TEXT:
                self._write(cc.STANDARD[byte], frame)

    def pause(self) -> None:
        """Frames pass with nothing sent (the time between two lines of an SCC file): the
        stream carried padding there, so a code after the pause is not the copy of the code
        before it."""
        self.previous_code = None

    def finish(self, end_frame: int, least_frames: int) -> list[DecodedCue]:
        """Return every cue, ending the one still on screen at ``end_frame`` but no sooner
        than ``least_frames`` after it appeared."""
        if self.shown_since is not None:
            self._commit(max(end_frame, self.shown_since + least_frames))
        return self.cues

    # --- commands -------------------------------------------------------------------------

    def _control(self, first: int, second: int, frame: int) -> None:
        if second >= 0x40:
            row = cc.ROW_OF_PAC.get((first, (second >> 5) & 1))
            if row is not None:
                self._preamble(row, second & 0x1F)
        elif first == cc.MISC and 0x20 <= second <= 0x2F:
            self._misc(second, frame)
        elif first == cc.MID_ROW and 0x20 <= second <= 0x2F:
            italic = second >= cc.MID_ROW_ITALICS
            underline = bool(second & 1)
            # A mid-row code takes a column and shows as a space; the space is styled only
            # with what both sides share, so that "a <i>b</i>" keeps its space outside.
            self._put((" ", self.italic and italic, self.underline and underline), frame)
            self.italic, self.underline = italic, underline
        elif first == cc.SPECIAL and 0x30 <= second <= 0x3F:
            self._write(cc.SPECIAL_CHARACTERS[second], frame)
        elif first in cc.EXTENDED_CHARACTERS and 0x20 <= second <= 0x3F:
            self.column = max(self.column - 1, 0)  # it replaces the character before it
            self._write(cc.EXTENDED_CHARACTERS[first][second], frame)
        elif first == cc.TAB and 0x21 <= second <= 0x23:
            self.column = max(self.column, min(self.column + second - 0x20, cc.COLUMNS - 1))
        # Anything else (background and foreground attributes, character set selection,
        # unassigned codes) changes no text.

    def _preamble(self, row: int, attributes: int) -> None:
        underline = bool(attributes & 1)
        if attributes >= 0x10:
            indent, italic = ((attributes >> 1) & 0x07) * 4, False
        else:
            indent, italic = 0, (attributes >> 1) == 7  # the other values are colours
        if self.mode is _Mode.ROLL_UP:
            self._move_window(max(row, self.roll_rows))
        else:
            self.row = row
        self.column, self.italic, self.underline = indent, italic, underline

    def _misc(self, code: int, frame: int) -> None:
        if code == cc.RCL:
            self.mode = _Mode.POP_ON
        elif code == cc.RDC:
            self.mode = _Mode.PAINT_ON
        elif code in (cc.RU2, cc.RU3, cc.RU4):
            self._roll_up(code - cc.RU2 + 2, frame)
        elif code in (cc.TR, cc.RTD):
            self.mode = _Mode.TEXT
        elif code == cc.EOC:
            self._commit(frame)
            self.displayed, self.hidden = self.hidden, self.displayed
            self.mode = _Mode.POP_ON
            self._restart(frame)
        elif code == cc.EDM:
            self._commit(frame)
            self.displayed = _Memory()
        elif code == cc.ENM:
            self.hidden = _Memory()
        elif code == cc.CR:
            if self.mode is _Mode.ROLL_UP:
                self._commit(frame)
                self._roll(1)
                self._restart(frame)
        elif code == cc.BS:
            if self.mode is not _Mode.TEXT and self.column > 0:
                self.column -= 1
                self._erase(self.column, self.column + 1)
        elif code == cc.DER:
            if self.mode is not _Mode.TEXT:
                self._erase(self.column, cc.COLUMNS)
        elif code == cc.FON:
            # Flash on is a spacing attribute, like a mid-row code; flashing is dropped.
            self._put((" ", self.italic, self.underline), frame)

    def _roll_up(self, rows: int, frame: int) -> None:
        if self.mode is not _Mode.ROLL_UP:
            # Entering roll-up clears the screen and both memories.
            self._commit(frame)
            self.displayed, self.hidden = _Memory(), _Memory()
            self.mode = _Mode.ROLL_UP
            self.row = cc.ROWS
            self.column = 0
        self.roll_rows = rows
        self.row = max(self.row, rows)
        self._roll(0)

    def _roll(self, lines: int) -> None:
        """Move the roll-up window's rows up by ``lines``; rows outside it are erased."""
        top = self.row - self.roll_rows + 1
        self.displayed = _Memory(
            (number - lines, row)
            for number, row in self.displayed.items()
            if top <= number - lines and number <= self.row
        )
        if lines:
            self.column, self.italic, self.underline = 0, False, False

    def _move_window(self, base: int) -> None:
        top = self.row - self.roll_rows + 1
        shift = base - self.row
        self.displayed = _Memory(
            (number + shift, row)
            for number, row in self.displayed.items()
            if top <= number <= self.row
        )
        self.row = base

    # --- the screen -----------------------------------------------------------------------

    def _target(self) -> _Memory | None:
        if self.mode is _Mode.POP_ON:
            return self.hidden
        if self.mode is _Mode.TEXT:
            return None
        return self.displayed

    def _write(self, char: str, frame: int) -> None:
        self._put((char, self.italic, self.underline), frame)

    def _put(self, cell: tuple[str, bool, bool], frame: int) -> None:
        memory = self._target()
        if memory is None:
            return
        row = memory.get(self.row)
        if row is None:
            row = memory[self.row] = _Row()
        # Past the last column every character overwrites the last one.
        row.set(min(self.column, cc.COLUMNS - 1), cell)
        memory.text = None
        self.column = min(self.column + 1, cc.COLUMNS)
        if memory is self.displayed and self.shown_since is None and cell[0] not in _BLANKS:
            self.shown_since = frame

    def _erase(self, start: int, end: int) -> None:
        memory = self._target()
        row = None if memory is None else memory.get(self.row)
        if memory is not None and row is not None:
            for column in range(min(start, cc.COLUMNS - 1), min(end, cc.COLUMNS)):
                row.set(column, None)
            memory.text = None

    def _commit(self, frame: int) -> None:
        """End the cue on screen (if any) at ``frame``."""
        if self.shown_since is not None and frame > self.shown_since:
            text = render(self.displayed)
            if text:
                last = self.cues[-1] if self.cues else None
                if last is not None and last.text == text and last.end_frame == self.shown_since:
                    self.cues[-1] = last._replace(end_frame=frame)
                else:
                    self.cues.append(DecodedCue(self.shown_since, frame, text))
                    self.text_total += len(text)
                    if self.text_total > self.text_limit:
                        raise CaptionError(
                            f"this file shows more than {self.text_limit:,} characters of "
                            "captions, far more than a caption file of its size holds: it "
                            "shows the same screens over and over, a few frames each"
                        )
        self.shown_since = None

    def _restart(self, frame: int) -> None:
        """After the screen changed as a whole: a new cue starts now if anything shows."""
        self.shown_since = frame if render(self.displayed) else None


def render(memory: _Memory) -> str:
    """The rows of ``memory`` as WebVTT cue text, top to bottom."""
    if memory.text is None:
        lines = (memory[number].text for number in sorted(memory))
        memory.text = "\n".join(line for line in lines if line)
    return memory.text


def _render_row(cells: list[_Cell]) -> str:
    visible = [i for i, cell in enumerate(cells) if cell is not None and cell[0] not in _BLANKS]
    if not visible:
        return ""
    shown = cells[visible[0] : visible[-1] + 1]
    if not any(cell is not None and (cell[1] or cell[2]) for cell in shown):
        return "".join(" " if cell is None else _ESCAPES.get(cell[0], cell[0]) for cell in shown)
    out: list[str] = []
    open_tags: list[str] = []
    for cell in shown:
        char, italic, underline = cell if cell is not None else (" ", False, False)
        wanted = [tag for tag, on in (("i", italic), ("u", underline)) if on]
        keep = 0
        while keep < len(open_tags) and open_tags[keep] in wanted:
            keep += 1
        while len(open_tags) > keep:
            out.append(f"</{open_tags.pop()}>")
        for tag in wanted:
            if tag not in open_tags:
                open_tags.append(tag)
                out.append(f"<{tag}>")
        out.append(_ESCAPES.get(char, char))
    out.extend(f"</{tag}>" for tag in reversed(open_tags))
    return "".join(out)
