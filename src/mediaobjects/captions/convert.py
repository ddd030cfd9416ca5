"""Turning an uploaded caption file into the WebVTT we serve: format detection, strict
validation, SRT to WebVTT conversion that matches Canvas byte for byte on well-formed SRT
(decision D7), conversion of SBV, TTML/DFXP and SAMI at ingest, and Canvas's lenient legacy
conversion (decision D8).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ._text import RUBY_WHITESPACE, split_lines, strip_bom
from .detect import detect_format
from .errors import CaptionError
from .model import CaptionDocument
from .sami import parse_sami
from .sbv import parse_sbv
from .scc import parse_scc
from .srt import parse_srt
from .timestamps import SRT_TIMING_EXAMPLE, WEBVTT_TIMING_EXAMPLE
from .ttml import parse_ttml
from .webvtt import parse_webvtt, write_webvtt

TTML_MESSAGE = "TTML tracks are not allowed because they are susceptible to xss attacks"
BLANK_MESSAGE = "can't be blank"

# Canvas's check, kept because its purpose is security (TTML can carry script): TTML documents
# are converted, but SRT or WebVTT holding TTML markup is still refused, as are stored rows.
# re.ASCII so that IGNORECASE does not fold other Unicode letters onto "tt"/"xml".
# Formats converted at ingest: the track stores the WebVTT made from them, never their markup.
_CONVERTED = {"sbv": parse_sbv, "ttml": parse_ttml, "sami": parse_sami, "scc": parse_scc}

_TTML = re.compile(r"<tt[ \t\n\v\f\r]+xml", re.IGNORECASE | re.ASCII)

# Canvas's three substitutions (canvas-media-api.md §3.2), used only for lenient imports of
# content that is neither valid SRT nor valid WebVTT, where they are the legacy behaviour.
_CANVAS_PAD_SINGLE_DIGIT = re.compile(r"(:|^)([0-9])([,:])", re.MULTILINE)
_CANVAS_COMMA_TO_DOT = re.compile(r"([0-9]{2}:[0-9]{2}:[0-9]{2}),([0-9]{3})")


@dataclass(frozen=True)
class NormalisedCaption:
    """What a track stores.

    ``webvtt`` is the body served to players. ``content`` is what the track keeps as its
    content: None keeps the upload as given (SRT and WebVTT, as Canvas does); formats converted
    at ingest (SBV, TTML, SAMI) keep the WebVTT instead, so that their markup is never stored.
    ``legacy`` is True only when ``lenient=True`` let through content that failed validation;
    ``webvtt`` is then exactly what Canvas would serve and ``document`` has no cues.
    """

    format: Literal["srt", "webvtt", "sbv", "ttml", "sami", "scc"]
    webvtt: str
    document: CaptionDocument
    legacy: bool = False
    content: str | None = None


def looks_like_ttml(content: str) -> bool:
    """Canvas's TTML test: ``<tt`` followed by whitespace and ``xml``, in any case."""
    return _TTML.search(content) is not None


def served_webvtt(document: CaptionDocument) -> str:
    """The WebVTT body we serve: ``write_webvtt`` output without trailing whitespace, which
    Canvas strips from everything it converts."""
    return write_webvtt(document).rstrip(RUBY_WHITESPACE)


def srt_to_webvtt(content: str) -> str:
    """Convert SRT to the WebVTT we serve; raise CaptionError when it is not valid SRT.

    For well-formed SRT the result is byte-identical to Canvas's: ``WEBVTT``, a blank line,
    then each cue's number, its timing as ``HH:MM:SS.mmm --> HH:MM:SS.mmm`` and its text, cues
    one blank line apart, LF line ends, nothing trailing. Unlike Canvas it also repairs
    single-digit hours in end times and short milliseconds, drops a BOM, understands lone CR
    line ends, and escapes text that would be invalid WebVTT.
    """
    return served_webvtt(parse_srt(content))


def normalise_caption(content: str, *, lenient: bool = False) -> NormalisedCaption:
    """Validate uploaded caption content and produce the WebVTT to serve.

    The format is detected from the content (``detect_format``). SRT and WebVTT are kept as
    given; SBV, TTML/DFXP and SAMI are converted to WebVTT, which is then also what the track
    stores. Invalid content raises CaptionError naming the line, unless ``lenient`` is set, in
    which case SRT, WebVTT and untimed text are converted the way Canvas does. Blank content,
    SRT or WebVTT carrying TTML markup, invalid SBV/TTML/SAMI and plain text without timing
    (unless lenient) are refused.
    """
    if not strip_bom(content).strip():
        raise CaptionError(BLANK_MESSAGE)
    detected = detect_format(content)
    if detected == "sbv" or detected == "ttml" or detected == "sami" or detected == "scc":
        document = _CONVERTED[detected](content)
        webvtt = served_webvtt(document)
        return NormalisedCaption(detected, webvtt, document, content=webvtt)
    if looks_like_ttml(content):
        raise CaptionError(TTML_MESSAGE)
    try:
        if detected == "text":
            raise CaptionError(_untimed_message(content))
        return _normalise_strictly(content)
    except CaptionError:
        if not lenient:
            raise
        return _canvas_legacy(content)


def _untimed_message(content: str) -> str:
    looks = (
        "this looks like markup that is neither TTML nor SAMI"
        if strip_bom(content).lstrip().startswith("<")
        else "this looks like a plain transcript"
    )
    return (
        f"no timing found: {looks}; captions need times such as {SRT_TIMING_EXAMPLE} (SRT) "
        f'or {WEBVTT_TIMING_EXAMPLE} (WebVTT), "0:00:01.000,0:00:02.000" (SBV), or a TTML, '
        "SAMI or SCC file"
    )


def _normalise_strictly(content: str) -> NormalisedCaption:
    first_line = split_lines(strip_bom(content))[0]
    if not first_line.startswith("WEBVTT"):
        document = parse_srt(content)
        return NormalisedCaption("srt", served_webvtt(document), document)
    document = parse_webvtt(content)
    if not document.cues:
        # Valid WebVTT, but as a track it would show nothing: almost certainly a wrong file.
        raise CaptionError(
            f"no cues found: expected a cue timing line like {WEBVTT_TIMING_EXAMPLE}"
        )
    # Only the final line end goes: unlike SRT, whose conversion matches Canvas (which strips
    # all trailing whitespace), a WebVTT file's last cue keeps a final line of spaces or tabs
    # as a browser does.
    return NormalisedCaption("webvtt", write_webvtt(document).removesuffix("\n"), document)


def _canvas_legacy(content: str) -> NormalisedCaption:
    empty = CaptionDocument(cues=())
    if "WEBVTT" in content:
        # Canvas stores and serves anything mentioning WEBVTT untouched (§3.1).
        return NormalisedCaption("webvtt", content, empty, legacy=True)
    text = _CANVAS_PAD_SINGLE_DIGIT.sub(r"\g<1>0\g<2>\g<3>", content)
    text = _CANVAS_COMMA_TO_DOT.sub(r"\g<1>.\g<2>", text)
    text = text.replace("\r\n", "\n")
    return NormalisedCaption(
        "srt", ("WEBVTT\n\n" + text).strip(RUBY_WHITESPACE), empty, legacy=True
    )
