"""Which caption format a file is in, judged from its content alone (a file name or a declared
type is too often wrong: vendors send TTML named .xml, SBV named .txt, SRT named .vtt).
"""

from __future__ import annotations

import re
from typing import Literal

from ._text import split_lines, strip_bom

Format = Literal["webvtt", "srt", "sbv", "ttml", "scc", "sami", "text"]

# Markup may open with an XML declaration, comments, processing instructions and a DOCTYPE.
_PROLOGUE = r"\s*(?:(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)\s*)*"
# A <tt> root element under any namespace prefix (<tt:tt>); the name is case-sensitive in XML.
_TTML = re.compile(_PROLOGUE + r"<(?:[A-Za-z_][\w.-]*:)?tt[\s>/]", re.DOTALL)
# SAMI is HTML-like: any case, and some files open with <HTML> or <HEAD> before <SAMI>.
_SAMI = re.compile(_PROLOGUE + r"(?:<[^>]*>\s*)*?<SAMI[\s>]", re.DOTALL | re.IGNORECASE)
_SBV_TIMING = re.compile(
    r"[ \t]*[0-9]{1,9}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]{1,3})?[ \t]*,"
    r"[ \t]*[0-9]{1,9}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]{1,3})?[ \t]*"
)
_SRT_NUMBER = re.compile(r"[ \t]*[0-9]+[ \t]*")
_SCC_HEADER = "Scenarist_SCC V1.0"
# Only the start of a file is looked at for markup roots, so detection stays cheap.
_HEAD = 4096


def detect_format(content: str) -> Format:
    """The format of ``content``.

    ``webvtt`` when the first line starts with WEBVTT; ``scc`` for the Scenarist header;
    ``ttml`` for a ``<tt>`` root (TTML, DFXP, IMSC; with or without an XML declaration, any
    namespace prefix); ``sami`` for a ``<SAMI>`` root; ``sbv`` when the first non-blank line
    is an SBV timing line (``0:00:01.000,0:00:03.000``); ``srt`` when a line holds ``-->``;
    ``sbv`` when some later line is an SBV timing line; ``srt`` when the file starts with a
    cue number; ``text`` when nothing looks like timing at all.
    """
    text = strip_bom(content)
    lines = split_lines(text)
    if lines[0].startswith("WEBVTT"):
        return "webvtt"
    if lines[0].strip(" \t").startswith(_SCC_HEADER):
        return "scc"
    head = text[:_HEAD]
    if _TTML.match(head):
        return "ttml"
    if _SAMI.match(head):
        return "sami"
    first = next((line for line in lines if line.strip(" \t")), "")
    if _SBV_TIMING.fullmatch(first):
        return "sbv"
    if "-->" in text:
        return "srt"
    # SBV with something before its first cue: its parser will point at that line.
    if any(_SBV_TIMING.fullmatch(line) for line in lines):
        return "sbv"
    if _SRT_NUMBER.fullmatch(first):
        return "srt"
    return "text"
