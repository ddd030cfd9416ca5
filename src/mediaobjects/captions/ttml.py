"""TTML (W3C Timed Text, including the IMSC text profile) and its older draft DFXP: a reader
that turns paragraphs into cues and a writer for both namespaces.

TTML is converted, never kept: of its styling only italic (``tts:fontStyle``), bold
(``tts:fontWeight``) and underline (``tts:textDecoration``) survive, whether set inline, by
referenced ``<style>`` (chains included), by region or inherited from an ancestor; a
``ttm:agent`` whose ``<ttm:agent>`` declares a ``<ttm:name>`` becomes a ``<v Name>`` speaker.
Everything else - other styles, regions, metadata, images, animation and any element from a
foreign namespace (scripts among them) - is dropped with its text, as is content hidden by
``tts:display="none"`` or ``tts:visibility="hidden"`` (on the element or a style it names).

Timing: ``begin``, ``end`` and ``dur`` on ``body``, ``div``, ``p`` and ``span``, each relative
to its parent's begin and clipped to its parent's end (``timeContainer="seq"`` is read as
``par``). Clock times (``00:00:01.500``, ``00:00:01:12`` with frames, ``.sub-frames``) and
offset times (``1.5s``, ``1500ms``, ``2m``, ``1h``, ``40f``, ``2t``) use ``ttp:frameRate``,
``ttp:frameRateMultiplier``, ``ttp:subFrameRate`` and ``ttp:tickRate``; with
``ttp:timeBase="smpte"`` clock times are SMPTE labels (``ttp:dropMode="dropNTSC"`` counted as
drop-frame). A paragraph whose spans appear and disappear at different times becomes one cue
per change. Cues come out in order of start time.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from fractions import Fraction

from . import _styled
from ._xml import MAX_DEPTH, XML_NS, Element, parse_xml
from .errors import CaptionError, Problem
from .model import CaptionDocument, Cue
from .timestamps import MAX_TIMESTAMP_MS, format_webvtt_timestamp

TTML_NS = "http://www.w3.org/ns/ttml"
DFXP_NS = "http://www.w3.org/2006/10/ttaf1"

_STYLING = ("#styling", "#style")
_PARAMETER = ("#parameter",)
_METADATA = ("#metadata",)

_TIME_EXAMPLE = '"00:00:01.500" or "1.5s"'
_CLOCK = re.compile(
    r"([0-9]{1,9}):([0-9]{2}):([0-9]{2})(?:(\.[0-9]+)|:([0-9]{1,9})(?:\.([0-9]{1,9}))?)?"
)
_OFFSET = re.compile(r"([0-9]{1,12})(\.[0-9]+)?(h|ms|m|s|f|t)")
# A paragraph whose spans bring more changes than this is no caption (and each change costs a
# cue holding the paragraph's text).
MAX_CHANGES = 1000
# Each change shows the paragraph's text again, so a paragraph of much text and many spans
# with their own times would cost (and produce) its text times its changes: a 2 MiB upload
# could ask for gigabytes and minutes of CPU. The whole document may spend this many characters
# on the cues its paragraphs' changes make, each piece of text (a run or a <br/>) counting
# PIECE_COST more, since visiting a piece costs far more than copying a character. That is
# about a second of work, and far above real captions (word-by-word karaoke included), which
# show each word a few dozen times at most.
MAX_CHANGE_TEXT = 8_000_000
PIECE_COST = 8
_COUNT = re.compile(r"[0-9]{1,9}")
_METRIC_SECONDS = {
    "h": Fraction(3600),
    "m": Fraction(60),
    "s": Fraction(1),
    "ms": Fraction(1, 1000),
}


@dataclass(frozen=True)
class _Timing:
    frame_rate: Fraction = Fraction(30)
    nominal_rate: int = 30
    sub_frame_rate: int = 1
    tick_rate: Fraction = Fraction(1)
    smpte: bool = False
    drop_ntsc: bool = False


@dataclass(frozen=True)
class _Piece:
    """A piece of a paragraph's content: text (``text`` not None) or a line break."""

    text: str | None
    style: _styled.Style
    begin: Fraction
    end: Fraction | None  # None: for as long as the paragraph shows
    preserve: bool


def parse_ttml(content: str) -> CaptionDocument:
    """Parse TTML or DFXP; raise CaptionError listing every problem (up to 20) with its line.

    Paragraphs with no visible text are left out: they show nothing.
    """
    root = parse_xml(content)
    if root.name != "tt":
        raise CaptionError(
            f"expected a TTML document whose root element is <tt> but found <{root.name}>",
            root.line,
        )
    problems: list[Problem] = []
    reader = _Reader(root, problems)
    cues = reader.read()
    if problems:
        raise CaptionError.of(problems)
    if not cues:
        raise CaptionError(
            f"no cues found: expected <p> elements with times such as begin={_TIME_EXAMPLE}"
        )
    ordered = sorted(cues, key=lambda item: (item[0].start_ms, item[1]))
    return CaptionDocument(cues=tuple(cue for cue, _ in ordered))


class _Reader:
    def __init__(self, root: Element, problems: list[Problem]) -> None:
        self.root = root
        self.problems = problems
        self.timing = self._timing()
        self.styles: dict[str, Element] = {}
        self.regions: dict[str, Element] = {}
        self.agents: dict[str, str] = {}
        self.resolved: dict[str, dict[str, bool]] = {}
        self.resolving: set[str] = set()
        self.region_deltas: dict[str, dict[str, bool]] = {}
        self.cue_count = 0
        self.change_text_left = MAX_CHANGE_TEXT
        for child in root.elements():
            if child.name == "head":
                self._read_head(child)

    # ---- head ------------------------------------------------------------------------

    def _timing(self) -> _Timing:
        root = self.root
        values = {}
        for name in ("frameRate", "subFrameRate", "tickRate"):
            raw = root.attribute_in(name, _PARAMETER)
            if raw is None:
                continue
            if not _COUNT.fullmatch(raw.strip()) or int(raw) == 0:
                self._problem(f"ttp:{name} must be a positive whole number, not {raw!r}", root)
                continue
            values[name] = int(raw)
        nominal = values.get("frameRate", 30)
        rate = Fraction(nominal)
        multiplier = root.attribute_in("frameRateMultiplier", _PARAMETER)
        if multiplier is not None:
            parts = multiplier.split()
            if (
                len(parts) != 2
                or not all(_COUNT.fullmatch(part) for part in parts)
                or (int(parts[0]) == 0 or int(parts[1]) == 0)
            ):
                self._problem(
                    f'ttp:frameRateMultiplier must be two positive numbers such as "1000 1001", '
                    f"not {multiplier!r}",
                    root,
                )
            else:
                rate *= Fraction(int(parts[0]), int(parts[1]))
        sub = values.get("subFrameRate", 1)
        if "tickRate" in values:
            tick = Fraction(values["tickRate"])
        elif "frameRate" in values:
            tick = rate * sub
        else:
            tick = Fraction(1)
        smpte = (root.attribute_in("timeBase", _PARAMETER) or "").strip() == "smpte"
        drop = (root.attribute_in("dropMode", _PARAMETER) or "").strip() == "dropNTSC"
        return _Timing(rate, nominal, sub, tick, smpte, drop)

    def _read_head(self, head: Element) -> None:
        for element in _descendants(head):
            identifier = element.attribute("id", XML_NS)
            if element.name == "style" and identifier:
                self.styles[identifier] = element
            elif element.name == "region" and identifier:
                self.regions[identifier] = element
            elif element.name == "agent" and identifier and element.namespace.endswith(_METADATA):
                names = [child for child in element.elements() if child.name == "name"]
                names.sort(key=lambda child: child.attribute("type") != "full")
                if names and names[0].text().strip():
                    self.agents[identifier] = " ".join(names[0].text().split())

    # ---- styles ----------------------------------------------------------------------

    def _delta(self, element: Element, depth: int = 0) -> dict[str, bool]:
        """The style properties ``element`` sets: those of the styles it references, in
        order, then its own attributes."""
        delta: dict[str, bool] = {}
        for reference in (element.attribute("style") or "").split():
            delta.update(self._style_delta(reference, depth + 1))
        delta.update(_own_delta(element))
        return delta

    def _style_delta(self, identifier: str, depth: int) -> dict[str, bool]:
        # Memoised, so that styles referencing styles many times over cost linear time; a
        # cycle or a chain deeper than MAX_DEPTH is cut (recursion must stay bounded).
        if identifier in self.resolved:
            return self.resolved[identifier]
        target = self.styles.get(identifier)
        if target is None or identifier in self.resolving or depth > MAX_DEPTH:
            return {}
        self.resolving.add(identifier)
        delta = self._delta(target, depth)
        self.resolving.discard(identifier)
        self.resolved[identifier] = delta
        return delta

    def _style(self, inherited: _styled.Style, element: Element) -> _styled.Style:
        delta = dict(self._region_delta(element.attribute("region") or ""))
        delta.update(self._delta(element))
        style = replace(
            inherited,
            italic=delta.get("italic", inherited.italic),
            bold=delta.get("bold", inherited.bold),
            underline=delta.get("underline", inherited.underline),
        )
        agents = (element.attribute_in("agent", _METADATA) or "").split()
        if agents and agents[0] in self.agents:
            style = replace(style, voice=self.agents[agents[0]])
        return style

    def _region_delta(self, identifier: str) -> dict[str, bool]:
        # Memoised: every paragraph and span may name the same region, and a region may hold
        # many <style> children (re-reading them for each was quadratic).
        if identifier in self.region_deltas:
            return self.region_deltas[identifier]
        delta: dict[str, bool] = {}
        region = self.regions.get(identifier)
        if region is not None:
            delta.update(self._delta(region))
            for child in region.elements():
                if child.name == "style":
                    delta.update(self._delta(child))
        self.region_deltas[identifier] = delta
        return delta

    # ---- timing ----------------------------------------------------------------------

    def _time(self, value: str, element: Element, name: str) -> Fraction | None:
        value = value.strip()
        timing = self.timing
        clock = _CLOCK.fullmatch(value)
        if clock is not None:
            hours, minutes, seconds, fraction, frames, sub_frames = clock.groups()
            if int(minutes) >= 60 or int(seconds) >= 60:
                self._problem(
                    f"minutes and seconds must be less than 60 in {name}={value!r}", element
                )
                return None
            whole = (int(hours) * 60 + int(minutes)) * 60 + int(seconds)
            if frames is None:
                return whole + (_fraction(fraction) if fraction else Fraction(0))
            if int(frames) >= timing.nominal_rate:
                self._problem(
                    f"the frames in {name}={value!r} must be less than the frame rate "
                    f"({timing.nominal_rate})",
                    element,
                )
                return None
            if sub_frames is not None and int(sub_frames) >= timing.sub_frame_rate:
                self._problem(
                    f"the sub-frames in {name}={value!r} must be less than ttp:subFrameRate "
                    f"({timing.sub_frame_rate})",
                    element,
                )
                return None
            frame_part = Fraction(int(frames)) + Fraction(
                int(sub_frames or 0), timing.sub_frame_rate
            )
            if not timing.smpte:
                return whole + frame_part / timing.frame_rate
            count: Fraction = whole * timing.nominal_rate + frame_part
            if timing.drop_ntsc:
                total_minutes = int(hours) * 60 + int(minutes)
                count -= 2 * (total_minutes - total_minutes // 10)
            return count / timing.frame_rate
        offset = _OFFSET.fullmatch(value)
        if offset is not None:
            count_text, fraction, metric = offset.groups()
            offset_count = int(count_text) + (_fraction(fraction) if fraction else Fraction(0))
            if metric == "f":
                return offset_count / timing.frame_rate
            if metric == "t":
                return offset_count / timing.tick_rate
            return offset_count * _METRIC_SECONDS[metric]
        self._problem(f"expected a time such as {_TIME_EXAMPLE} in {name}={value!r}", element)
        return None

    def _interval(
        self, element: Element, parent_begin: Fraction, parent_end: Fraction | None
    ) -> tuple[Fraction, Fraction | None] | None:
        """The element's active interval in document time, or None when a time is invalid."""
        values: dict[str, Fraction] = {}
        for name in ("begin", "end", "dur"):
            raw = element.attribute(name)
            if raw is None:
                continue
            parsed = self._time(raw, element, name)
            if parsed is None:
                return None
            values[name] = parsed
        begin = parent_begin + values.get("begin", Fraction(0))
        end: Fraction | None = None
        if "end" in values:
            end = parent_begin + values["end"]
            if end <= begin:
                self._problem(
                    f"end={element.attribute('end')!r} is "
                    f"{'before' if end < begin else 'the same as'} its begin time "
                    f"({_clock(begin)}); a cue must end after it starts",
                    element,
                    cue=True,
                )
                return None
        if "dur" in values:
            if values["dur"] == 0:
                self._problem(
                    f"dur={element.attribute('dur')!r} must be longer than 0", element, cue=True
                )
                return None
            end = begin + values["dur"] if end is None else min(end, begin + values["dur"])
        if parent_end is not None:
            end = parent_end if end is None else min(end, parent_end)
        return begin, end

    # ---- body ------------------------------------------------------------------------

    def read(self) -> list[tuple[Cue, int]]:
        cues: list[tuple[Cue, int]] = []
        for child in self.root.elements():
            if child.name == "body":
                self._container(child, Fraction(0), None, _styled.PLAIN, False, cues)
        return cues

    def _container(
        self,
        element: Element,
        parent_begin: Fraction,
        parent_end: Fraction | None,
        inherited: _styled.Style,
        preserve: bool,
        cues: list[tuple[Cue, int]],
    ) -> None:
        interval = self._interval(element, parent_begin, parent_end)
        if interval is None:
            return
        begin, end = interval
        style = self._style(inherited, element)
        preserve = _preserve(element, preserve)
        for child in element.elements():
            if self._hidden(child):
                continue
            if child.name == "div":
                self._container(child, begin, end, style, preserve, cues)
            elif child.name == "p":
                self._paragraph(child, begin, end, style, preserve, cues)

    def _paragraph(
        self,
        element: Element,
        parent_begin: Fraction,
        parent_end: Fraction | None,
        inherited: _styled.Style,
        preserve: bool,
        cues: list[tuple[Cue, int]],
    ) -> None:
        self.cue_count += 1
        interval = self._interval(element, parent_begin, parent_end)
        if interval is None:
            return
        begin, end = interval
        pieces: list[_Piece] = []
        if end is not None and begin >= end:
            self._problem(
                f"this paragraph begins at {_clock(begin)}, after the element that holds "
                f"it has ended ({_clock(end)})",
                element,
                cue=True,
            )
            return
        self._content(element, begin, end, inherited, preserve, pieces, top=True)
        if end is None and any(p.end is None and p.text and p.text.strip() for p in pieces):
            # Spans may carry the times; text without any would show for ever.
            self._problem(
                "this paragraph has no end: give it end= or dur= (or its <div>)",
                element,
                cue=True,
            )
            return
        times = _times(pieces)
        if len(times) > MAX_CHANGES:
            self._problem(
                f"this paragraph changes {len(times) - 1} times (spans with their own times); "
                f"at most {MAX_CHANGES} are read: split it into paragraphs",
                element,
                cue=True,
            )
            return
        segments = _segments(pieces, times, self.change_text_left)
        if segments is None:
            self.change_text_left = 0
            self._problem(
                f"this paragraph's spans with their own times would repeat its text in more "
                f"than {MAX_CHANGE_TEXT} characters of captions (counting the paragraphs "
                "before it): split it into paragraphs",
                element,
                cue=True,
            )
            return
        found, spent = segments
        self.change_text_left -= spent
        if found and found[-1].end_ms > MAX_TIMESTAMP_MS:
            # Offset times ("999999999999h") and nested begins can reach past any clock time.
            self._problem(
                f"this paragraph ends after {format_webvtt_timestamp(MAX_TIMESTAMP_MS)}, the "
                "latest time a caption can have",
                element,
                cue=True,
            )
            return
        for cue in found:
            cues.append((cue, element.line))

    def _content(
        self,
        element: Element,
        parent_begin: Fraction,
        parent_end: Fraction | None,
        inherited: _styled.Style,
        preserve: bool,
        pieces: list[_Piece],
        *,
        top: bool = False,
    ) -> None:
        if top:
            begin, end = parent_begin, parent_end
        else:
            interval = self._interval(element, parent_begin, parent_end)
            if interval is None:
                return
            begin, end = interval
            if end is not None and begin >= end:
                return
        style = self._style(inherited, element)
        preserve = _preserve(element, preserve)
        for child in element.children:
            if isinstance(child, str):
                pieces.append(_Piece(child, style, begin, end, preserve))
            elif child.name == "span" and not self._hidden(child):
                self._content(child, begin, end, style, preserve, pieces)
            elif child.name == "br":
                pieces.append(_Piece(None, style, begin, end, preserve))

    def _hidden(self, element: Element) -> bool:
        """Whether ``tts:display="none"`` or ``tts:visibility="hidden"`` keeps the element
        off screen, set on it or by a style it references (a viewer never sees that text)."""
        sources = [element]
        sources += [
            self.styles[r] for r in (element.attribute("style") or "").split() if r in self.styles
        ]
        for source in sources:
            if (source.attribute_in("display", _STYLING) or "").strip() == "none":
                return True
            if (source.attribute_in("visibility", _STYLING) or "").strip() == "hidden":
                return True
        return False

    def _problem(self, message: str, element: Element, *, cue: bool = False) -> None:
        self.problems.append(Problem(message, element.line, self.cue_count if cue else None))


def _own_delta(element: Element) -> dict[str, bool]:
    delta = {}
    font_style = element.attribute_in("fontStyle", _STYLING)
    if font_style is not None:
        delta["italic"] = font_style.strip() in ("italic", "oblique")
    weight = element.attribute_in("fontWeight", _STYLING)
    if weight is not None:
        delta["bold"] = weight.strip() == "bold"
    decoration = element.attribute_in("textDecoration", _STYLING)
    if decoration is not None:
        tokens = decoration.split()
        if "underline" in tokens:
            delta["underline"] = True
        elif "noUnderline" in tokens or "none" in tokens:
            delta["underline"] = False
    return delta


def _times(pieces: list[_Piece]) -> list[Fraction]:
    return sorted({piece.begin for piece in pieces} | {p.end for p in pieces if p.end is not None})


def _segments(
    pieces: list[_Piece], times: list[Fraction], allowance: int
) -> tuple[list[Cue], int] | None:
    """One cue per stretch of time in which the paragraph's visible content stays the same,
    with the work spent (characters of the pieces shown, plus PIECE_COST per piece); None as
    soon as that would exceed ``allowance``.

    A sweep over ``times``: pieces join when they begin and leave once they have ended, and
    each stretch shows the active pieces in document order."""
    order = sorted(range(len(pieces)), key=lambda index: pieces[index].begin)
    joined = 0
    active: set[int] = set()
    cues: list[Cue] = []
    spent = 0
    for start, stop in zip(times, times[1:], strict=False):
        while joined < len(order) and pieces[order[joined]].begin <= start:
            active.add(order[joined])
            joined += 1
        active = {i for i in active if (end := pieces[i].end) is None or end >= stop}
        spent += sum(PIECE_COST + len(pieces[i].text or "") for i in active)
        if spent > allowance:
            return None
        start_ms, stop_ms = _ms(start), _ms(stop)
        if stop_ms <= start_ms:
            continue
        text = _cue_text([pieces[index] for index in sorted(active)])
        if not text:
            continue
        if cues and cues[-1].text == text and cues[-1].end_ms == start_ms:
            cues[-1] = replace(cues[-1], end_ms=stop_ms)
        else:
            cues.append(Cue(start_ms, stop_ms, text))
    return cues, spent


def _cue_text(pieces: list[_Piece]) -> str:
    lines: list[_styled.Line] = [[]]
    for piece in pieces:
        if piece.text is None:
            lines.append([])
        elif piece.preserve:
            first, *rest = piece.text.replace("\r\n", "\n").split("\n")
            lines[-1].append((first, piece.style))
            lines.extend([(part, piece.style)] for part in rest)
        else:
            lines[-1].append((piece.text, piece.style))
    return _styled.to_cue_text(lines, collapse=not any(piece.preserve for piece in pieces))


def _preserve(element: Element, inherited: bool) -> bool:
    space = element.attribute("space", XML_NS)
    return inherited if space is None else space.strip() == "preserve"


def _descendants(element: Element) -> list[Element]:
    found = []
    pending = list(reversed(element.elements()))
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(reversed(current.elements()))
    return found


def _fraction(text: str) -> Fraction:
    # Nine digits are far below a millisecond; more would only cost int() time.
    return Fraction(int(text[1:10].ljust(9, "0")), 10**9)


def _ms(seconds: Fraction) -> int:
    return math.floor(seconds * 1000 + Fraction(1, 2))


def _clock(seconds: Fraction) -> str:
    return format_webvtt_timestamp(_ms(seconds))


# ---- writing ---------------------------------------------------------------------------------


def write_ttml(document: CaptionDocument, *, dfxp: bool = False, lang: str = "") -> str:
    """TTML 1 that the IMSC 1 text profile accepts, or with ``dfxp`` the older DFXP namespace
    (``http://www.w3.org/2006/10/ttaf1``) that some players and LMS imports still insist on.

    Times are clock times ``HH:MM:SS.mmm`` in media time. Italic, bold and underline become
    ``<span>`` styles, a ``<v Name>`` speaker a ``ttm:agent`` declared in the head; other
    markup is dropped and its text kept. ``lang`` goes into ``xml:lang`` ("" = undetermined).
    Cue identifiers, settings, notes and WebVTT styles are not written.
    """
    namespace = DFXP_NS if dfxp else TTML_NS
    styling = namespace + ("#style" if dfxp else "#styling")
    agents: dict[str, str] = {}
    paragraphs = []
    for cue in document.cues:
        runs = []
        for index, line in enumerate(_styled.from_cue_text(cue.text)):
            if index:
                runs.append("<br/>")
            for text, style in line:
                if not text:
                    continue
                attributes = []
                if style.voice:
                    agent = agents.setdefault(style.voice, f"speaker{len(agents) + 1}")
                    attributes.append(f'ttm:agent="{agent}"')
                if style.italic:
                    attributes.append('tts:fontStyle="italic"')
                if style.bold:
                    attributes.append('tts:fontWeight="bold"')
                if style.underline:
                    attributes.append('tts:textDecoration="underline"')
                escaped = _xml_text(text)
                runs.append(
                    f"<span {' '.join(attributes)}>{escaped}</span>" if attributes else escaped
                )
        paragraphs.append(
            f'      <p begin="{format_webvtt_timestamp(cue.start_ms)}" '
            f'end="{format_webvtt_timestamp(cue.end_ms)}">{"".join(runs)}</p>\n'
        )
    metadata = ""
    if agents:
        declared = "".join(
            f'        <ttm:agent xml:id="{agent}" type="person">'
            f'<ttm:name type="full">{_xml_text(name)}</ttm:name></ttm:agent>\n'
            for name, agent in agents.items()
        )
        metadata = f"    <metadata>\n{declared}    </metadata>\n"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<tt xmlns="{namespace}" xmlns:tts="{styling}" xmlns:ttm="{namespace}#metadata" '
        f'xmlns:ttp="{namespace}#parameter" ttp:timeBase="media" '
        f'xml:lang="{_xml_text(lang)}">\n'
        "  <head>\n"
        f"{metadata}"
        "    <layout>\n"
        '      <region xml:id="bottom" tts:origin="10% 10%" tts:extent="80% 80%" '
        'tts:displayAlign="after" tts:textAlign="center"/>\n'
        "    </layout>\n"
        "  </head>\n"
        '  <body region="bottom">\n'
        "    <div>\n"
        f"{''.join(paragraphs)}"
        "    </div>\n"
        "  </body>\n"
        "</tt>\n"
    )


# XML 1.0 cannot hold these characters at all, not even as references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    text = _NOT_XML.sub("", text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
