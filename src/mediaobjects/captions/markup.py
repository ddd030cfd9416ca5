"""Cue-text markup: recognising WebVTT tags and character references in the HTML-like text of
SRT and WebVTT cues, rewriting it into valid WebVTT cue text, and reducing it to plain text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from ._text import is_blank, split_lines
from .timestamps import is_webvtt_timestamp

# WebVTT 1 names these character references; browsers also know the rest of HTML's list, but
# older players do not, so any other "&name;" is escaped and reaches viewers as written.
_NAMED_REFERENCES = {
    "&amp;": "&",
    "&lt;": "<",
    "&gt;": ">",
    "&nbsp;": "\u00a0",
    "&lrm;": "\u200e",
    "&rlm;": "\u200f",
}
_NUMERIC_REFERENCE = re.compile(r"&#(?:([0-9]{1,7})|[xX]([0-9a-fA-F]{1,6}));")

_PLAIN_TAGS = frozenset({"c", "i", "b", "u", "ruby", "rt"})
_ANNOTATED_TAGS = frozenset({"v", "lang"})
# SRT authors write these in capitals; WebVTT tag names are case-sensitive.
_CASE_FOLDED_TAGS = frozenset({"i", "b", "u"})
_CLASS_FORBIDDEN = frozenset(" \t\f&<>.")

# Most cue text holds only text, "&" that starts no reference, and the tags <i> <b> <u>: it
# needs only its "&" escaped, without the tokenizer (a quarter of the time). A blank line or a
# CR takes the long way, where the line rules are.
_SIMPLE_LINE = re.compile(r"(?:[^<>&\r]|&(?![A-Za-z0-9#])|</?[ibu]>)*")
_BLANK_LINE = re.compile(r"(?:^|\n)[ \t]*(?:\n|$)")

_TokenKind = Literal["text", "tag", "dropped", "reference", "lt", "amp", "gt"]


def escape_cue_text(text: str) -> str:
    """Return ``text`` as valid WebVTT cue text that shows the viewer the same thing.

    Valid tags and character references are kept; ``<font>`` tags (common in SRT) are removed
    keeping their text; ``I``/``B``/``U`` tags are lower-cased; any other ``&`` or ``<`` is
    escaped; ``>`` is escaped only where it would complete ``-->``, which would end the cue.
    Lines that are empty or blank are dropped, because a blank line ends a WebVTT cue.
    The function is idempotent.
    """
    if _SIMPLE_LINE.fullmatch(text) and not _BLANK_LINE.search(text):
        return text.replace("&", "&amp;")
    lines = (_escape_line(line) for line in split_lines(text))
    return "\n".join(line for line in lines if not is_blank(line))


def plain_text(text: str) -> str:
    """The text a viewer reads: tags removed, character references decoded."""
    return "\n".join(_plain_line(line) for line in split_lines(text))


def _escape_line(line: str) -> str:
    if _SIMPLE_LINE.fullmatch(line):
        return line.replace("&", "&amp;")
    out: list[str] = []
    tail = ""  # the last two characters written, to spot a "-->" forming across tokens
    for kind, source, canonical in _tokens(line):
        if kind == "dropped":
            continue
        if kind == "lt":
            piece = "&lt;"
        elif kind == "amp":
            piece = "&amp;"
        elif kind == "gt":
            piece = "&gt;" if tail == "--" else ">"
        elif kind == "tag":
            piece = canonical
        else:
            piece = source
        out.append(piece)
        tail = (tail + piece)[-2:]
    return "".join(out)


def _plain_line(line: str) -> str:
    out: list[str] = []
    for kind, source, canonical in _tokens(line):
        if kind in ("tag", "dropped"):
            continue
        out.append(canonical if kind == "reference" else source)
    return "".join(out)


def _tokens(line: str) -> Iterator[tuple[_TokenKind, str, str]]:
    """Yield (kind, source text, canonical form) for one line.

    For tags the canonical form is the tag as we write it; for references it is the decoded
    character; for everything else it equals the source.
    """
    position = 0
    text_start = 0
    length = len(line)
    # Where the next ">" and "<" are (length when there is none). Both only move forward, so
    # a line full of "<" costs linear time, not quadratic.
    next_gt = next_lt = -1
    while position < length:
        char = line[position]
        if char not in "<&>":
            position += 1
            continue
        if text_start < position:
            yield "text", line[text_start:position], line[text_start:position]
        if char == ">":
            yield "gt", ">", ">"
            position += 1
        elif char == "&":
            reference = _reference_at(line, position)
            if reference is None:
                yield "amp", "&", "&"
                position += 1
            else:
                source, decoded = reference
                yield "reference", source, decoded
                position += len(source)
        else:
            if next_gt <= position:
                next_gt = _find(line, ">", position + 1)
            if next_lt <= position:
                next_lt = _find(line, "<", position + 1)
            tag = None
            if next_gt < length and next_lt > next_gt:
                tag = _canonical_tag(line[position + 1 : next_gt])
            if tag is None:
                yield "lt", "<", "<"
                position += 1
            else:
                yield ("dropped" if tag == "" else "tag"), line[position : next_gt + 1], tag
                position = next_gt + 1
        text_start = position
    if text_start < length:
        yield "text", line[text_start:], line[text_start:]


def _find(line: str, char: str, start: int) -> int:
    found = line.find(char, start)
    return len(line) if found == -1 else found


def _reference_at(line: str, position: int) -> tuple[str, str] | None:
    for name, decoded in _NAMED_REFERENCES.items():
        if line.startswith(name, position):
            return name, decoded
    match = _NUMERIC_REFERENCE.match(line, position)
    if match is None:
        return None
    decimal, hexadecimal = match.groups()
    code_point = int(decimal) if decimal is not None else int(hexadecimal, 16)
    # HTML turns these into U+FFFD with a parse error; escaping the "&" shows the author
    # what they wrote instead of a replacement character.
    if code_point == 0 or code_point > 0x10FFFF or 0xD800 <= code_point <= 0xDFFF:
        return None
    return match.group(0), chr(code_point)


def _canonical_tag(inner: str) -> str | None:
    """The tag to write for ``<inner>``: None when it is not a WebVTT tag (so "<" gets
    escaped), "" when it is a tag we drop (``<font ...>``)."""
    if inner.startswith("/"):
        name = inner[1:]
        if name in _PLAIN_TAGS or name in _ANNOTATED_TAGS:
            return f"</{name}>"
        if name.lower() in _CASE_FOLDED_TAGS:
            return f"</{name.lower()}>"
        return "" if name.rstrip(" \t").lower() == "font" else None
    if is_webvtt_timestamp(inner):
        return f"<{inner}>"
    if inner[:4].lower() == "font" and (len(inner) == 4 or inner[4] in " \t\f"):
        return ""
    head, separator, annotation = _split_annotation(inner)
    name, *classes = head.split(".")
    if name.lower() in _CASE_FOLDED_TAGS:
        name = name.lower()
    if any(not c or any(ch in _CLASS_FORBIDDEN for ch in c) for c in classes):
        return None
    if name in _PLAIN_TAGS and not separator:
        tag = "<" + ".".join([name, *classes]) + ">"
    elif name in _ANNOTATED_TAGS and not is_blank(annotation):
        tag = "<" + ".".join([name, *classes]) + separator + _escape_ampersands(annotation) + ">"
    else:
        return None
    # A class name or annotation ending in "--" would put "-->" in the cue and end it.
    return None if "-->" in tag else tag


def _split_annotation(inner: str) -> tuple[str, str, str]:
    for index, char in enumerate(inner):
        if char in " \t\f":
            return inner[:index], char, inner[index + 1 :]
    return inner, "", ""


def _escape_ampersands(annotation: str) -> str:
    return "".join("&amp;" if kind == "amp" else source for kind, source, _ in _tokens(annotation))
