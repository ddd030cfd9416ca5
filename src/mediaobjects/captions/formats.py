"""The caption formats a track can be downloaded in: one registry entry per format, with its
file extension, its Content-Type, a writer and the reader that reads the writer's output back
(used by the round-trip tests; None where the format cannot be read back, as for a transcript).

Writers take a document whose cue text is WebVTT cue-text markup (``model.Cue``) and write it
the way their format needs. ``FORMAT_NAMES`` lists every format the API knows; a name without
an entry in ``FORMATS`` is one whose writer is not there yet (the API then answers that it is
not available). Adding a format is one ``CaptionFormat(...)`` line in ``FORMATS``: the API, its
error messages and the round-trip tests all read this registry."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from .convert import served_webvtt
from .json_cues import parse_json_cues, write_json_cues
from .markup import escape_cue_text, plain_text
from .model import CaptionDocument
from .sami import parse_sami, write_sami
from .sbv import parse_sbv, write_sbv
from .scc import parse_scc, write_scc
from .srt import parse_srt, write_srt
from .transcript import write_transcript
from .ttml import parse_ttml, write_ttml
from .webvtt import parse_webvtt

DEFAULT_FORMAT = "vtt"

# In the order the API documentation lists them.
FORMAT_NAMES = ("vtt", "srt", "ttml", "dfxp", "sbv", "scc", "sami", "txt", "json")


@dataclass(frozen=True)
class CaptionFormat:
    """One downloadable format. ``content_type`` is the full header value (with its charset
    where the type has one).

    Two fields say what a format cannot hold, for its users and for the round-trip tests
    (which then compare on a simple document: ASCII text in short lines, one cue at a time):
    ``frame_ms`` is the frame length for formats timed in video frames (SCC: ``1001 / 30``;
    times then read back within a frame, and the character set is the format's own), None
    for millisecond times and any text; ``overlaps`` is False for formats that show one
    caption at a time (SCC pop-on, SAMI's SYNC blocks), where overlapping cues are cut."""

    name: str
    extension: str
    content_type: str
    write: Callable[[CaptionDocument], str]
    read: Callable[[str], CaptionDocument] | None
    frame_ms: float | None = None
    overlaps: bool = True
    # For formats that declare their language in the file (TTML's xml:lang, SAMI's class).
    write_in: Callable[[CaptionDocument, str], str] | None = None

    def render(self, document: CaptionDocument, locale: str | None = None) -> str:
        """The file for ``document``, declaring ``locale`` (a BCP 47 tag) where the format
        has a place for it."""
        if locale and self.write_in is not None:
            return self.write_in(document, locale)
        return self.write(document)


class FormatError(ValueError):
    """A format name the API cannot serve; ``message`` names the formats it can."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


# WebVTT cue text that survives as SRT markup: the styling tags SRT players understand.
_SRT_TAGS = frozenset({"i", "b", "u"})
_TAG = re.compile(r"<(/?)([^>]*)>")


def srt_cue_text(markup: str) -> str:
    """WebVTT cue text as SRT text: ``<i>``, ``<b>``, ``<u>`` kept (without classes), every
    other tag dropped (voices, classes, ruby, timestamps), character references decoded
    (``&amp;`` is "&" in SRT, which has no escaping). Where decoded text would itself read as
    markup (``&lt;A>`` would become a tag ``<A>``, ``&amp;copy;`` the reference ``&copy;``),
    the text keeps its references instead, so that what viewers see survives the file."""
    plain = _srt_text(markup, escape_text=False)
    if plain_text(escape_cue_text(plain)) == plain_text(markup):
        return plain
    return _srt_text(markup, escape_text=True)


def _srt_text(markup: str, *, escape_text: bool) -> str:
    out: list[str] = []
    position = 0
    # In escaped cue text every "<" opens a tag: a literal one is "&lt;".
    escaped = escape_cue_text(markup)

    def text(segment: str) -> str:
        shown = plain_text(segment)
        return shown.replace("&", "&amp;").replace("<", "&lt;") if escape_text else shown

    for match in _TAG.finditer(escaped):
        out.append(text(escaped[position : match.start()]))
        closing, inner = match.groups()
        name = re.split(r"[.\s]", inner, maxsplit=1)[0]
        if name in _SRT_TAGS:
            out.append(f"<{closing}{name}>")
        position = match.end()
    out.append(text(escaped[position:]))
    return "".join(out)


def write_srt_download(document: CaptionDocument) -> str:
    """SRT for a download: ``srt.write_srt`` of the cues with their text as ``srt_cue_text``."""
    cues = tuple(replace(cue, text=srt_cue_text(cue.text)) for cue in document.cues)
    return write_srt(CaptionDocument(cues=cues))


def read_srt_download(content: str) -> CaptionDocument:
    """SRT read back as cues with WebVTT cue text, as an SRT upload is served."""
    document = parse_srt(content)
    cues = tuple(replace(cue, text=escape_cue_text(cue.text)) for cue in document.cues)
    return CaptionDocument(cues=cues)


def _registry(*formats: CaptionFormat) -> Mapping[str, CaptionFormat]:
    unknown = [f.name for f in formats if f.name not in FORMAT_NAMES]
    if unknown:
        raise ValueError(f"add {unknown} to FORMAT_NAMES (and to docs/api.md)")
    return MappingProxyType({f.name: f for f in formats})


FORMATS: Mapping[str, CaptionFormat] = _registry(
    CaptionFormat("vtt", "vtt", "text/vtt; charset=utf-8", served_webvtt, parse_webvtt),
    CaptionFormat(
        "srt", "srt", "application/x-subrip; charset=utf-8", write_srt_download, read_srt_download
    ),
    CaptionFormat(
        "ttml",
        "ttml",
        "application/ttml+xml; charset=utf-8",
        write_ttml,
        parse_ttml,
        write_in=lambda document, locale: write_ttml(document, lang=locale),
    ),
    CaptionFormat(
        "dfxp",
        "dfxp",
        "application/ttml+xml; charset=utf-8",
        lambda document: write_ttml(document, dfxp=True),
        parse_ttml,
        write_in=lambda document, locale: write_ttml(document, dfxp=True, lang=locale),
    ),
    CaptionFormat("sbv", "sbv", "text/plain; charset=utf-8", write_sbv, parse_sbv),
    CaptionFormat(
        "scc",
        "scc",
        "text/plain; charset=utf-8",
        write_scc,
        parse_scc,
        frame_ms=1001 / 30,
        overlaps=False,
    ),
    CaptionFormat(
        "sami",
        "smi",
        "application/x-sami; charset=utf-8",
        write_sami,
        parse_sami,
        overlaps=False,
        write_in=lambda document, locale: write_sami(document, lang=locale),
    ),
    CaptionFormat("txt", "txt", "text/plain; charset=utf-8", write_transcript, None),
    CaptionFormat("json", "json", "application/json", write_json_cues, parse_json_cues),
)


def available_formats() -> list[str]:
    """The names ``find_format`` accepts, in documentation order."""
    return [name for name in FORMAT_NAMES if name in FORMATS]


def find_format(name: str | None) -> CaptionFormat:
    """The format named ``name`` (any case; None means ``DEFAULT_FORMAT``); raise FormatError
    for a name that is not a format, or one whose writer is not available."""
    if name is None:
        return FORMATS[DEFAULT_FORMAT]
    key = name.strip().lower()
    available = ", ".join(available_formats())
    if key in FORMATS:
        return FORMATS[key]
    if key in FORMAT_NAMES:
        raise FormatError(
            f'format "{key}" is not available yet on this server; available formats: {available}'
        )
    shown = name if len(name) <= 40 else name[:39] + "…"
    # Invisible characters are shown as escapes, so that the message says what was sent.
    shown = "".join(
        ch if unicodedata.category(ch)[0] not in "CZ" or ch == " " else ascii(ch)[1:-1]
        for ch in shown
    )
    raise FormatError(f'format must be one of {available}; got "{shown}"')
