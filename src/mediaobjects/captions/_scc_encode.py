"""Writing CEA-608 pop-on captions: cue text laid out as rows of 608 characters, the screens
a viewer should see, and every byte pair placed on a frame so that each caption appears and
disappears on time. ``write_scc`` in ``scc`` documents the choices.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from . import _cea608 as cc

# A styled character: (unit, italic, underline).
_Styled = tuple[cc.Unit, bool, bool]


@dataclass
class Screen:
    """One caption: what is on screen from frame ``start`` to frame ``end``."""

    start: int
    end: int
    rows: list[list[_Styled]] = field(default_factory=list)


def screens(cues: Iterable[tuple[int, int, str]]) -> list[Screen]:
    """What should be on screen for cues given as (start frame, end frame, cue text): a list
    of non-overlapping screens of at most 4 rows."""
    events: dict[int, list[tuple[int, bool]]] = {}
    rows_of: list[list[list[_Styled]]] = []
    for index, (start, cue_end, text) in enumerate(cues):
        rows_of.append(_cue_rows(text))
        end = max(cue_end, start + 1)
        events.setdefault(start, []).append((index, True))
        events.setdefault(end, []).append((index, False))
    shown: list[Screen] = []
    active: set[int] = set()
    moments = sorted(events)
    for moment, following in zip(moments, moments[1:], strict=False):
        for index, starting in events[moment]:
            (active.add if starting else active.discard)(index)
        rows = [row for index in sorted(active) for row in rows_of[index]]
        if not rows:
            continue
        last = shown[-1] if shown else None
        if last is not None and last.end == moment and last.rows == rows:
            last.end = following
        else:
            shown.append(Screen(moment, following, rows))
    result = []
    for screen in shown:
        # 608 shows 4 rows at most: more become consecutive captions sharing the time.
        parts = [screen.rows[i : i + 4] for i in range(0, len(screen.rows), 4)]
        length = screen.end - screen.start
        for i, part in enumerate(parts):
            start = screen.start + length * i // len(parts)
            end = screen.start + length * (i + 1) // len(parts)
            if end > start:
                result.append(Screen(start, end, part))
    return result


_TAG = re.compile(r"<([^>]*)>")


def _cue_rows(text: str) -> list[list[_Styled]]:
    """Cue text as rows of styled 608 units, wrapped to 32 columns, styles moved to spaces."""
    lines: list[list[_Styled]] = [[]]
    italic = underline = 0
    position = 0
    for match in [*_TAG.finditer(text), None]:
        chunk = text[position : match.start() if match else len(text)]
        for char in html.unescape(chunk):
            if char == "\n":
                lines.append([])
                continue
            for unit in cc.encode_character(char):
                lines[-1].append((unit, italic > 0, underline > 0))
        if match is None:
            break
        position = match.end()
        inner = match.group(1)
        closing = inner.startswith("/")
        name = re.split(r"[.\s]", inner.lstrip("/"), maxsplit=1)[0]
        step = -1 if closing else 1
        if name == "i":
            italic = max(italic + step, 0)
        elif name == "u":
            underline = max(underline + step, 0)
    rows = []
    for line in lines:
        for row in _wrap(line):
            if row:
                rows.append(_style_words(row))
    return rows


_SPACE = cc.encode_character(" ")[0]


def _is_space(styled: _Styled) -> bool:
    return styled[0] == _SPACE


def _strip(row: list[_Styled]) -> list[_Styled]:
    start, end = 0, len(row)
    while start < end and _is_space(row[start]):
        start += 1
    while end > start and _is_space(row[end - 1]):
        end -= 1
    return row[start:end]


def _wrap(line: list[_Styled]) -> list[list[_Styled]]:
    rows = []
    rest = _strip(line)
    while len(rest) > cc.COLUMNS:
        cut = next(
            (i for i in range(cc.COLUMNS, 0, -1) if _is_space(rest[i])),
            cc.COLUMNS,
        )
        rows.append(_strip(rest[:cut]))
        rest = _strip(rest[cut:])
    rows.append(rest)
    return rows


def _style_words(row: list[_Styled]) -> list[_Styled]:
    """Give every character of a word the styles any of its characters has, so that styles
    change only at spaces, where a mid-row code can stand."""
    result = list(row)
    start = 0
    while start < len(row):
        if _is_space(row[start]):
            start += 1
            continue
        end = start
        while end < len(row) and not _is_space(row[end]):
            end += 1
        italic = any(s[1] for s in row[start:end])
        underline = any(s[2] for s in row[start:end])
        for i in range(start, end):
            result[i] = (row[i][0], italic, underline)
        start = end
    return result


# --- the byte stream ------------------------------------------------------------------------

# A group is one word, or a control code and its copy: nothing may come between those two.
_Group = list[str]


_HEX_WITH_PARITY = [f"{cc.with_parity(byte):02x}" for byte in range(0x80)]


def _word(first: int, second: int) -> str:
    return _HEX_WITH_PARITY[first] + _HEX_WITH_PARITY[second]


def _code(first: int, second: int) -> _Group:
    return [_word(first, second)] * 2


def _misc(code: int) -> str:
    return _word(cc.MISC, code)


def _load(rows: list[list[_Styled]]) -> list[_Group]:
    """The words that put ``rows`` into non-displayed memory (bottom-aligned, centred)."""
    groups: list[_Group] = [_code(cc.MISC, cc.ENM), _code(cc.MISC, cc.RCL)]
    first_row = cc.ROWS - len(rows) + 1
    for offset, row in enumerate(rows):
        groups.extend(_row_groups(first_row + offset, row))
    return groups


def _row_groups(row_number: int, row: list[_Styled]) -> list[_Group]:
    first, row_bit = cc.PAC_ROWS[row_number]
    high = 0x40 | (row_bit << 5)
    column = (cc.COLUMNS - len(row)) // 2
    groups: list[_Group] = []
    pending: list[int] = []  # standard bytes not yet sent

    def flush() -> None:
        for i in range(0, len(pending), 2):
            pair = pending[i : i + 2] + [0]
            groups.append([_word(pair[0], pair[1])])
        pending.clear()

    def position(at: int, underline: bool) -> None:
        groups.append(_code(first, high | 0x10 | ((at // 4) << 1) | underline))
        if at % 4:
            groups.append(_code(cc.TAB, 0x20 + at % 4))

    _, italic, underline = row[0]
    if italic and column == 0:
        groups.append(_code(first, high | 0x0E | underline))  # white italics at column 0
    elif italic:
        position(column - 1, False)
        groups.append(_code(cc.MID_ROW, cc.MID_ROW_ITALICS | underline))
    else:
        position(column, underline)
    for index, (unit, char_italic, char_underline) in enumerate(row):
        if (char_italic, char_underline) != (italic, underline) and not _is_space(row[index]):
            # Styles change only after a space (_style_words): the code takes its place.
            pending.pop()
            flush()
            if char_italic:
                groups.append(_code(cc.MID_ROW, cc.MID_ROW_ITALICS | char_underline))
            else:
                groups.append(_code(cc.MID_ROW, 0x20 | char_underline))
            italic, underline = char_italic, char_underline
        if len(unit) == 1:
            pending.append(unit[0])
        elif len(unit) == 2:
            flush()
            groups.append(_code(unit[0], unit[1]))
        else:
            pending.append(unit[2])  # the fallback, which the extended character replaces
            flush()
            groups.append(_code(unit[0], unit[1]))
    flush()
    return groups


def schedule(screens: list[Screen]) -> dict[int, str]:
    """Place every word on a frame: each caption's EOC on its start, EDM on its end, loads in
    the free frames before."""
    frames: dict[int, str] = {}
    earliest = 0  # no load may start before the previous caption has been swapped in
    for index, screen in enumerate(screens):
        groups = _load(screen.rows)
        start = screen.start
        placed = _fit_before(groups, start, earliest, frames)
        if placed is None:
            placed, start = _fit_after(groups, earliest, frames)
            start = max(start, screen.start)
        frames.update(placed)
        end = max(screen.end, start + 1)
        following = screens[index + 1] if index + 1 < len(screens) else None
        if following is not None and following.start < end:
            following.start = end  # this caption was late: the next waits for it
        frames[start] = _misc(cc.EOC)
        if end > start + 1:
            frames[start + 1] = _misc(cc.EOC)
        earliest = start + 1 + (end > start + 1)
        if following is None or following.start > end:
            frames[end] = _misc(cc.EDM)
            if following is None or following.start > end + 1:
                frames[end + 1] = _misc(cc.EDM)
    return frames


def _fit_before(
    groups: list[_Group], before: int, earliest: int, frames: dict[int, str]
) -> dict[int, str] | None:
    """Place ``groups`` in free frames as late as possible before ``before``."""
    placed: dict[int, str] = {}
    frame = before - 1
    for group in reversed(groups):
        while any(f in frames for f in range(frame - len(group) + 1, frame + 1)):
            frame -= 1
        if frame - len(group) + 1 < earliest:
            return None
        for offset, word in enumerate(group):
            placed[frame - len(group) + 1 + offset] = word
        frame -= len(group)
    return placed


def _fit_after(
    groups: list[_Group], earliest: int, frames: dict[int, str]
) -> tuple[dict[int, str], int]:
    """Place ``groups`` in free frames from ``earliest``; return them and the next free frame."""
    placed: dict[int, str] = {}
    frame = earliest
    for group in groups:
        while any(f in frames for f in range(frame, frame + len(group))):
            frame += 1
        for offset, word in enumerate(group):
            placed[frame + offset] = word
        frame += len(group)
    while frame in frames:
        frame += 1
    return placed, frame
