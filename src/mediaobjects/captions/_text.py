"""Small text helpers shared by the SRT and WebVTT parsers and writers: splitting into lines
the way caption files end them, blank-line tests and quoting user text inside messages.
"""

from __future__ import annotations

BOM = "\ufeff"

# Ruby's String#strip set, which Canvas applies to converted captions (not Python's
# str.strip(), which also removes Unicode spaces such as U+00A0 and U+3000).
RUBY_WHITESPACE = " \t\n\v\f\r\x00"

_QUOTE_LIMIT = 40


def split_lines(text: str) -> list[str]:
    """Split on CRLF, lone CR and LF only.

    str.splitlines() is not used because it also breaks on U+2028, form feed, U+0085 and
    others, which are ordinary characters inside caption text.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def strip_bom(text: str) -> str:
    return text[1:] if text.startswith(BOM) else text


def is_blank(line: str) -> bool:
    # Lines holding only spaces or tabs look empty in every editor, so both parsers treat them
    # as cue separators, as almost every SRT reader does.
    return line.strip(" \t") == ""


_VISIBLE_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f", "\v": "\\v"}


def quote(value: str) -> str:
    """Quote a piece of the user's file for an error message, cut short when long.

    Characters the reader could not see or tell apart from a space (tab, form feed, NBSP,
    zero-width and other format characters, controls) are written as escapes such as ``\\f``
    and ``\\u00a0``, so that a message about an "empty" line shows what is really there.
    """
    if len(value) > _QUOTE_LIMIT:
        value = value[: _QUOTE_LIMIT - 1] + "…"
    return '"' + "".join(_visible(char) for char in value) + '"'


def _visible(char: str) -> str:
    if char == " " or char.isprintable():
        return char
    escaped = _VISIBLE_ESCAPES.get(char)
    if escaped is not None:
        return escaped
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def split_first_token(value: str) -> tuple[str, str]:
    """Split off the first space/tab-separated token; the rest comes back stripped."""
    for index, char in enumerate(value):
        if char in " \t":
            return value[:index], value[index:].strip(" \t")
    return value, ""
