"""Styled runs: the meeting point between WebVTT cue-text markup and the markup of other
formats (TTML spans, SAMI tags, SBV's few tags).

A cue's text is a list of lines; a line is a list of runs; a run is visible text plus the
styles in force on it, drawn from italic, bold, underline and a speaker (``v``). Readers of
other formats collect runs and call ``to_cue_text``; writers call ``from_cue_text`` and turn the
runs into their own markup. Nothing else survives the trip: that is the point, since TTML and
SAMI can carry styles, scripts and event handlers that must never reach a player.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from ._text import split_lines

# The order tags are opened in, outermost first, so that equal styles give equal markup.
STYLE_ORDER = ("i", "b", "u")


@dataclass(frozen=True)
class Style:
    italic: bool = False
    bold: bool = False
    underline: bool = False
    voice: str | None = None

    def tags(self) -> tuple[str, ...]:
        """The WebVTT tags to have open, outermost first (voice outside the others)."""
        tags: list[str] = []
        if self.voice:
            tags.append("v " + _annotation(self.voice))
        for name, on in zip(STYLE_ORDER, (self.italic, self.bold, self.underline), strict=True):
            if on:
                tags.append(name)
        return tuple(tags)


PLAIN = Style()

Run = tuple[str, Style]
Line = list[Run]

_SPACES = re.compile(r"[ \t\n\r\f]+")
TAG = re.compile(r"<(/?)([^\s./>]*)((?:\.[^\s.>]*)*)(?:[ \t\f]+([^>]*))?>")


def to_cue_text(lines: list[Line], *, collapse: bool) -> str:
    """WebVTT cue text for ``lines``: text escaped (``&amp;``, ``&lt;``, ``&gt;``), styles as
    ``<i>``, ``<b>``, ``<u>`` and ``<v Name>``, properly nested, lines joined with "\\n".

    With ``collapse`` (HTML and XML's default white space handling) runs of white space become
    one space and each line is trimmed. Lines left empty are dropped either way, because a
    blank line would end a WebVTT cue.
    """
    if collapse:
        lines = [_collapsed(line) for line in lines]
    kept = [
        [(text, style.tags()) for text, style in line if text]
        for line in lines
        if any(text.strip(" \t") for text, _ in line)
    ]
    out: list[str] = []
    open_tags: list[str] = []
    for index, line in enumerate(kept):
        if index:
            # Close before the line break what the next line does not continue.
            out.append(_move_to(open_tags, line[0][1], open_new=False) + "\n")
        for text, wanted in line:
            out.append(_move_to(open_tags, wanted) + escape_text(text))
    out.append(_move_to(open_tags, ()))
    return "".join(out)


def _move_to(open_tags: list[str], wanted: tuple[str, ...], *, open_new: bool = True) -> str:
    """The tags that turn ``open_tags`` into ``wanted`` (updating ``open_tags``), closing
    first so that tags stay properly nested; tags still wanted stay open. Without
    ``open_new`` only the closing part is done."""
    common = 0
    while common < len(open_tags) and common < len(wanted) and open_tags[common] == wanted[common]:
        common += 1
    pieces = []
    while len(open_tags) > common:
        pieces.append(f"</{open_tags.pop().split(' ')[0]}>")
    if open_new:
        for tag in wanted[common:]:
            pieces.append(f"<{tag}>")
            open_tags.append(tag)
    return "".join(pieces)


def escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _annotation(name: str) -> str:
    # A voice annotation runs to ">" and must stay on one line.
    return escape_text(" ".join(name.split()))


def _collapsed(line: Line) -> Line:
    out: Line = []
    previous_space = True  # trims the start of the line
    for text, style in line:
        text = _SPACES.sub(" ", text)
        if previous_space:
            text = text.lstrip(" ")
        if text:
            previous_space = text.endswith(" ")
            out.append((text, style))
    while out:
        text, style = out[-1]
        stripped = text.rstrip(" ")
        if stripped:
            out[-1] = (stripped, style)
            break
        out.pop()
    return out


def from_cue_text(text: str) -> list[Line]:
    """The runs of WebVTT cue text: character references decoded as a browser decodes them,
    ``<i>``/``<b>``/``<u>`` (any case) and ``<v Name>`` kept as styles, every other tag
    dropped with its text kept. Unbalanced tags are tolerated: a stray closing tag is ignored
    and tags left open close at the end of the cue."""
    lines: list[Line] = []
    stack: list[tuple[str, str]] = []  # (tag name, voice annotation)
    for raw in split_lines(text):
        line: Line = []
        position = 0
        for match in TAG.finditer(raw):
            if match.start() > position:
                line.append((html.unescape(raw[position : match.start()]), _style(stack)))
            position = match.end()
            closing, name, _, annotation = match.groups()
            name = name.lower() if name.lower() in STYLE_ORDER else name
            if name not in ("i", "b", "u", "v"):
                continue
            if closing:
                for index in range(len(stack) - 1, -1, -1):
                    if stack[index][0] == name:
                        del stack[index:]
                        break
            else:
                stack.append((name, html.unescape(annotation or "").strip()))
        if position < len(raw):
            line.append((html.unescape(raw[position:]), _style(stack)))
        lines.append(line)
    return lines


def _style(stack: list[tuple[str, str]]) -> Style:
    names = {name for name, _ in stack}
    voices = [annotation for name, annotation in stack if name == "v" and annotation]
    return Style(
        italic="i" in names,
        bold="b" in names,
        underline="u" in names,
        voice=voices[-1] if voices else None,
    )


def plain_lines(lines: list[Line]) -> list[str]:
    """The visible text of each line."""
    return ["".join(text for text, _ in line) for line in lines]
