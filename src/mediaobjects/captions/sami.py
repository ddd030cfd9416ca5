"""SAMI (Microsoft's Synchronized Accessible Media Interchange): an HTML-like file in which each
``<SYNC Start=ms>`` changes what every language shows, one ``<P Class=...>`` per language.

Reading: a caption of a language starts at the SYNC where its paragraph has text and ends at
the next SYNC that holds a paragraph of the same language (a ``&nbsp;`` paragraph clears the
screen). A file can hold several languages, each a CSS class declared in the ``<STYLE>`` block
(``.ENUSCC { Name: English; lang: en-US; }``): ``parse_sami`` reads one of them, the one the
caller names (by class name or ``lang``, in any case) or else the first class the STYLE block
declares that paragraphs use, else the first class used in the body. Paragraphs without a
class count as the chosen language when the file uses no classes at all.

Of the markup only ``<i>``, ``<b>``, ``<u>`` and ``<br>`` survive; character references are
decoded; ``<script>``, ``<style>`` and every other tag are dropped (the text of unknown tags
such as ``<font>`` and ``<span>`` is kept, the contents of ``<script>``, ``<style>``,
``<head>`` and ``<title>`` are not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from . import _styled
from ._text import split_lines, strip_bom
from .errors import CaptionError, Problem
from .model import CaptionDocument, Cue

_CLASS_RULE = re.compile(r"\.([A-Za-z0-9_-]+)\s*\{([^}]*)\}")
_LANG = re.compile(r"(?:^|;)\s*lang\s*:\s*([^;]+)", re.IGNORECASE)
_NUMBER = re.compile(r"\s*([0-9]{1,12})\s*(?:ms)?\s*")
_HIDDEN = frozenset({"script", "style", "head", "title", "samiparam"})
_STYLE_TAGS = {"i": "italic", "b": "bold", "u": "underline"}
# Open tags deeper than this are not tracked: each end tag searches the stack, so a file of
# hundreds of thousands of unclosed <i> or <head> tags took quadratic time (minutes).
MAX_OPEN_TAGS = 64

_SYNC_EXAMPLE = "<SYNC Start=1000>"


@dataclass
class _Paragraph:
    klass: str | None
    line: int
    lines: list[_styled.Line] = field(default_factory=lambda: [[]])


@dataclass
class _Sync:
    start: int | None
    line: int
    paragraphs: list[_Paragraph] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(convert_charrefs=True)
        self.problems = problems
        self.syncs: list[_Sync] = []
        self.declared: list[tuple[str, str]] = []  # (class, lang) from the STYLE block
        self.hidden: list[str] = []
        self.styles: list[str] = []  # open <i>/<b>/<u>
        self.style_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        if tag in _HIDDEN:
            if len(self.hidden) < MAX_OPEN_TAGS:
                self.hidden.append(tag)
            return
        if tag in ("body", "sync"):
            # Sloppy files leave <HEAD> or <TITLE> open; the body ends them. (<SCRIPT> and
            # <STYLE> end only at their closing tag, whatever they hold.)
            self.hidden = [name for name in self.hidden if name in ("script", "style")]
        if tag == "sync":
            values = {name: value for name, value in attrs}
            self.syncs.append(_Sync(self._start(values.get("start"), line), line))
            self.styles = []
        elif tag == "p" and self.syncs:
            values = {name: value for name, value in attrs}
            klass = values.get("class")
            self.syncs[-1].paragraphs.append(_Paragraph(klass.strip() if klass else None, line))
            self.styles = []
        elif tag == "br":
            self._paragraph().lines.append([])
        elif tag in _STYLE_TAGS and len(self.styles) < MAX_OPEN_TAGS:
            self.styles.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._paragraph().lines.append([])
        elif tag not in _STYLE_TAGS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            if tag in self.hidden:
                del self.hidden[len(self.hidden) - 1 - self.hidden[::-1].index(tag) :]
            return
        if tag in _STYLE_TAGS and tag in self.styles:
            del self.styles[len(self.styles) - 1 - self.styles[::-1].index(tag) :]
        elif tag == "p":
            self.styles = []

    def handle_data(self, data: str) -> None:
        if "style" in self.hidden:
            self.style_text.append(data)
        if self.hidden or not self.syncs:
            return
        style = _styled.Style(
            italic="i" in self.styles, bold="b" in self.styles, underline="u" in self.styles
        )
        self._paragraph().lines[-1].append((data.replace("\u00a0", " "), style))

    def _paragraph(self) -> _Paragraph:
        sync = self.syncs[-1] if self.syncs else None
        if sync is None:
            return _Paragraph(None, 0)  # outside the body: thrown away
        if not sync.paragraphs:
            # Text straight inside a SYNC, without a <P>.
            sync.paragraphs.append(_Paragraph(None, self.getpos()[0]))
        return sync.paragraphs[-1]

    def _start(self, value: str | None, line: int) -> int | None:
        match = _NUMBER.fullmatch(value or "")
        if match is None:
            found = "nothing" if value is None else repr(value)
            self.problems.append(
                Problem(
                    f"expected a start time in milliseconds such as {_SYNC_EXAMPLE}, found {found}",
                    line,
                )
            )
            return None
        return int(match.group(1))


def sami_languages(content: str) -> list[tuple[str, str]]:
    """The (class, lang) pairs the file's STYLE block declares, in order."""
    reader = _read(content, [])
    return reader.declared


def _read(content: str, problems: list[Problem]) -> _Reader:
    reader = _Reader(problems)
    try:
        # HTMLParser counts only "\n" as a line end.
        reader.feed("\n".join(split_lines(strip_bom(content))))
        reader.close()
    except AssertionError as exc:
        # The standard library's markup scanner raises this on some malformed declarations
        # ("<![<", "<![ ") instead of treating them as text.
        raise CaptionError(
            f"this is not readable SAMI: a malformed <![...]> or <!...> declaration ({exc})",
            reader.getpos()[0],
        ) from None
    css = "".join(reader.style_text)
    for match in _CLASS_RULE.finditer(css):
        lang = _LANG.search(match.group(2))
        reader.declared.append((match.group(1), lang.group(1).strip() if lang else ""))
    return reader


def parse_sami(content: str, *, language: str | None = None) -> CaptionDocument:
    """Parse SAMI; raise CaptionError listing every problem (up to 20) with its line.

    ``language`` picks a class by name (``ENUSCC``) or by its ``lang`` (``en-US``); see the
    module docstring for the default.
    """
    problems: list[Problem] = []
    reader = _read(content, problems)
    if not reader.syncs:
        if not problems:
            problems.append(
                Problem(f"no captions found: expected <SYNC> elements such as {_SYNC_EXAMPLE}")
            )
        raise CaptionError.of(problems)
    chosen = _choose(reader, language, problems)
    cues: list[Cue] = []
    showing: tuple[int, str, int] | None = None  # start, text, line
    for sync in reader.syncs:
        paragraphs = [p for p in sync.paragraphs if _matches(p.klass, chosen)]
        if not paragraphs or sync.start is None:
            continue
        if showing is not None:
            start, text, line = showing
            if sync.start <= start:
                problems.append(
                    Problem(
                        f"this SYNC starts at {sync.start} ms, "
                        f"{'before' if sync.start < start else 'at the same time as'} the "
                        f"caption it ends (line {line}, {start} ms): a caption must end after "
                        "it starts",
                        sync.line,
                        len(cues) + 1,
                    )
                )
            else:
                cues.append(Cue(start, sync.start, text))
            showing = None
        lines: list[_styled.Line] = []
        for paragraph in paragraphs:
            lines.extend(paragraph.lines)
        text = _styled.to_cue_text(lines, collapse=True)
        if text:
            showing = (sync.start, text, sync.line)
    if showing is not None:
        problems.append(
            Problem(
                "the last caption never ends: add a <SYNC> with an empty paragraph after it "
                "(<SYNC Start=...><P>&nbsp;</P>)",
                showing[2],
                len(cues) + 1,
            )
        )
    if problems:
        raise CaptionError.of(problems)
    if not cues:
        raise CaptionError("no captions found: every <SYNC> paragraph is empty")
    return CaptionDocument(cues=tuple(cues))


def _choose(reader: _Reader, language: str | None, problems: list[Problem]) -> str | None:
    # A dict keeps first-use order with constant-time lookups (a list made a file of tens of
    # thousands of distinct classes take quadratic time).
    used: dict[str, None] = {}
    for sync in reader.syncs:
        for paragraph in sync.paragraphs:
            if paragraph.klass is not None:
                used.setdefault(paragraph.klass.lower())
    if language is not None:
        wanted = language.lower()
        for klass, lang in reader.declared:
            if wanted in (klass.lower(), lang.lower()):
                return klass.lower()
        if wanted in used:
            return wanted
        names = ", ".join(f"{k} ({lg})" if lg else k for k, lg in reader.declared) or "none"
        problems.append(Problem(f"this file has no language {language!r}; it declares {names}"))
        return wanted
    for klass, _ in reader.declared:
        if klass.lower() in used:
            return klass.lower()
    return next(iter(used), None)


def _matches(klass: str | None, chosen: str | None) -> bool:
    if chosen is None or klass is None:
        return chosen is None
    return klass.lower() == chosen


# ---- writing ---------------------------------------------------------------------------------


def write_sami(document: CaptionDocument, *, lang: str = "en-US") -> str:
    """SAMI 1.0 with one language class (``lang`` names it, class ``<LANG>CC``), times in
    milliseconds. SAMI shows one caption at a time per language, so overlapping cues are
    written as the stretches in which the set of showing cues stays the same, their texts
    stacked with ``<br>``; a ``&nbsp;`` paragraph clears the screen when nothing shows.
    Italic, bold and underline are kept; a ``<v Name>`` speaker keeps its text, not its name.
    """
    klass = re.sub(r"[^A-Za-z0-9]", "", lang).upper() + "CC"
    times = sorted({cue.start_ms for cue in document.cues} | {cue.end_ms for cue in document.cues})
    cues = document.cues
    html = [_html_lines(cue.text) for cue in cues]
    order = sorted(range(len(cues)), key=lambda index: cues[index].start_ms)
    joined = 0
    active: set[int] = set()
    syncs = []
    shown = "&nbsp;"  # what the screen shows: nothing before the first SYNC
    for start, stop in zip(times, times[1:], strict=False):
        # A sweep: cues join when they start and leave once they have ended.
        while joined < len(order) and cues[order[joined]].start_ms <= start:
            active.add(order[joined])
            joined += 1
        active = {index for index in active if cues[index].end_ms >= stop}
        body = "<br>".join(filter(None, (html[index] for index in sorted(active)))) or "&nbsp;"
        if body != shown:
            syncs.append(f"<SYNC Start={start}><P Class={klass}>{body}</P></SYNC>\n")
            shown = body
    if shown != "&nbsp;":
        syncs.append(f"<SYNC Start={times[-1]}><P Class={klass}>&nbsp;</P></SYNC>\n")
    safe_lang = re.sub(r"[^A-Za-z0-9-]", "", lang)
    return (
        "<SAMI>\n<HEAD>\n<SAMIParam>\n  Metrics {time:ms;}\n  Spec {MSFT:1.0;}\n</SAMIParam>\n"
        '<STYLE TYPE="text/css">\n<!--\n'
        "P { margin-left: 8pt; margin-right: 8pt; margin-bottom: 2pt; margin-top: 2pt;\n"
        "    text-align: center; font-size: 20pt; font-family: Arial, sans-serif;\n"
        "    font-weight: normal; color: white; }\n"
        f".{klass} {{ Name: {safe_lang}; lang: {safe_lang}; SAMIType: CC; }}\n"
        "-->\n</STYLE>\n</HEAD>\n<BODY>\n"
        f"{''.join(syncs)}"
        "</BODY>\n</SAMI>\n"
    )


def _html_lines(text: str) -> str:
    lines = []
    for line in _styled.from_cue_text(text):
        pieces = []
        for piece, style in line:
            if not piece:
                continue
            piece = _styled.escape_text(piece)
            for tag, on in (("u", style.underline), ("b", style.bold), ("i", style.italic)):
                if on:
                    piece = f"<{tag}>{piece}</{tag}>"
            pieces.append(piece)
        if "".join(pieces).strip():
            lines.append("".join(pieces))
    return "<br>".join(lines)
