"""Cue-text markup: recognising WebVTT tags and character references in the HTML-like text of
SRT and WebVTT cues, rewriting it into valid WebVTT cue text, and reducing it to plain text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from html import unescape
from html.entities import html5
from typing import Literal

from ._text import is_blank, split_lines
from .timestamps import is_webvtt_timestamp

# Browsers decode every HTML character reference in cue text: all of HTML's named references
# (with the semicolon, and the legacy ones such as "&copy" without it) and numeric ones, so
# they are kept and only an "&" that starts none is escaped.
_NAMED_REFERENCE = re.compile(r"&([A-Za-z][A-Za-z0-9]{0,31})(;?)")
_LONGEST_NAME = max(len(name) for name in html5)
_NUMERIC_REFERENCE = re.compile(r"&#(?:([0-9]+)|[xX]([0-9a-fA-F]+))(;?)")
# Longer digit runs are certainly not meant as a character (and int() must stay cheap).
_MAX_REFERENCE_DIGITS = 8

_PLAIN_TAGS = frozenset({"c", "i", "b", "u", "ruby", "rt"})
_ANNOTATED_TAGS = frozenset({"v", "lang"})
# SRT authors write these in capitals; WebVTT tag names are case-sensitive.
_CASE_FOLDED_TAGS = frozenset({"i", "b", "u"})
_CLASS_FORBIDDEN = frozenset(" \t\f&<>.")
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

# Tags that escaping leaves exactly as they are; a ">" in them cannot complete "-->".
_WRITTEN_TAG = re.compile(r"</?(?:[ibu]|c|ruby|rt)>")

_TokenKind = Literal["text", "tag", "dropped", "reference", "lt", "amp", "gt"]


def escape_cue_text(text: str) -> str:
    """Return ``text`` as valid WebVTT cue text that shows the viewer the same thing.

    What a browser reads as markup stays markup, written the way WebVTT spells it: WebVTT
    tags are kept (``<b >`` and ``<i class=x>`` become ``<b>`` and ``<i>``, ``I``/``B``/``U``
    are lower-cased); tags a browser hides (``<font>``, ``<br>``, ``<v>`` without a name, any
    other tag name) are removed keeping their text; character references are kept (a legacy
    one without its semicolon gets it). Any other ``&`` or ``<`` is escaped, so that the
    viewer sees it; ``>`` is escaped only where it would complete ``-->``, which would end the
    cue. Empty lines are dropped, because an empty line ends a WebVTT cue; lines of spaces
    are cue text and stay. The function is idempotent.
    """
    # Most cue text has nothing to rewrite, or only tags already written as we write them.
    bare = _WRITTEN_TAG.sub("", text) if "<" in text else text
    if "<" not in bare and "&" not in bare and ">" not in bare and "\r" not in bare:
        if "\n\n" not in text and not text.startswith("\n") and not text.endswith("\n"):
            return text
        return "\n".join(line for line in text.split("\n") if line)
    lines = (_escape_line(line) for line in split_lines(text))
    return "\n".join(line for line in lines if line)


def plain_text(text: str) -> str:
    """The text a viewer reads: tags removed, character references decoded."""
    return "\n".join(_plain_line(line) for line in split_lines(text))


def _escape_line(line: str) -> str:
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
        elif kind == "reference":
            piece = _written_reference(source)
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
                inner = line[position + 1 : next_gt]
                # Files repeat the same few tags; long ones are not kept in the cache.
                tag = _cached_tag(inner) if len(inner) <= 64 else _canonical_tag(inner)
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
    """The character reference starting at ``line[position]`` ("&") as a browser reads it,
    as (source text, decoded text), or None when that "&" starts no reference."""
    if line.startswith("&#", position):
        match = _NUMERIC_REFERENCE.match(line, position)
        if match is None:
            return None
        decimal, hexadecimal, _ = match.groups()
        digits = decimal if decimal is not None else hexadecimal
        if len(digits.lstrip("0")) > _MAX_REFERENCE_DIGITS:
            return None
        code_point = int(decimal) if decimal is not None else int(hexadecimal, 16)
        # HTML turns these into U+FFFD with a parse error; escaping the "&" shows the author
        # what they wrote instead of a replacement character.
        if code_point == 0 or code_point > 0x10FFFF or 0xD800 <= code_point <= 0xDFFF:
            return None
        source = match.group(0)
        # html.unescape applies HTML's remapping too (&#150; is "–", as in browsers).
        return source, unescape(source if source.endswith(";") else source + ";")
    match = _NAMED_REFERENCE.match(line, position)
    if match is None:
        return None
    name, semicolon = match.groups()
    if semicolon and name + ";" in html5:
        return match.group(0), html5[name + ";"]
    # Without a known "name;", HTML takes the longest legacy name (those valid without ";").
    for length in range(min(len(name), _LONGEST_NAME), 1, -1):
        decoded = html5.get(name[:length])
        if decoded is not None:
            return "&" + name[:length], decoded
    return None


def _written_reference(source: str) -> str:
    # A reference that a browser reads without its ";" is written with it: the same
    # character, and valid WebVTT.
    return source if source.endswith(";") else source + ";"


def _canonical_tag(inner: str) -> str | None:
    """The tag to write for ``<inner>``: None when a browser would not read it as a tag we
    can write (so "<" gets escaped and the viewer sees it), "" when it is a tag a browser
    hides without effect (``<font ...>``, ``<br>``, ``<v>`` without a name, unknown names)."""
    if inner.startswith("/"):
        name = inner[1:]
        if name in _PLAIN_TAGS or name in _ANNOTATED_TAGS:
            return f"</{name}>"
        if name.lower() in _CASE_FOLDED_TAGS:
            return f"</{name.lower()}>"
        return "" if name[:1] in _ASCII_LETTERS else None
    if is_webvtt_timestamp(inner):
        return f"<{inner}>"
    if inner[:1] not in _ASCII_LETTERS:
        # "<3", "< y >": text to a reader, and better shown than swallowed.
        return None
    head, separator, annotation = _split_annotation(inner)
    name, *classes = head.split(".")
    if name.lower() in _CASE_FOLDED_TAGS:
        name = name.lower()
    # Browsers ignore empty class names; one with "&" cannot be written back.
    classes = [c for c in classes if c and not any(ch in _CLASS_FORBIDDEN for ch in c)]
    if name in _PLAIN_TAGS:
        # Browsers ignore an annotation on these (``<b >``, ``<i class=x>``).
        tag = "<" + ".".join([name, *classes]) + ">"
    elif name in _ANNOTATED_TAGS:
        if is_blank(annotation):
            return ""
        tag = "<" + ".".join([name, *classes]) + separator + _escape_ampersands(annotation) + ">"
    else:
        return ""
    # A class name or annotation ending in "--" would put "-->" in the cue and end it.
    return None if "-->" in tag else tag


_cached_tag = lru_cache(maxsize=1024)(_canonical_tag)


def _split_annotation(inner: str) -> tuple[str, str, str]:
    for index, char in enumerate(inner):
        if char in " \t\f":
            return inner[:index], char, inner[index + 1 :]
    return inner, "", ""


def _escape_ampersands(annotation: str) -> str:
    return "".join(
        "&amp;" if kind == "amp" else _written_reference(source) if kind == "reference" else source
        for kind, source, _ in _tokens(annotation)
    )
