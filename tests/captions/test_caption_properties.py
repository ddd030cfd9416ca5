"""Properties that must hold for every input: documents survive write/parse round trips, the
parsers never fail with anything but CaptionError, and whatever we write parses again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediaobjects.captions import (
    MAX_PROBLEMS,
    CaptionDocument,
    CaptionError,
    Cue,
    Note,
    detect_format,
    escape_cue_text,
    normalise_caption,
    parse_srt,
    parse_webvtt,
    plain_text,
    srt_to_webvtt,
    write_srt,
    write_webvtt,
)
from mediaobjects.captions.srt import looks_like_timing, parse_srt_lines

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THOROUGH = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_chars = st.characters(codec="utf-8")  # no lone surrogates: uploads are decoded UTF-8
_line_chars = st.characters(codec="utf-8", exclude_characters="\r\n")

# Pieces that exercise the escaping rules far more often than random text would.
_MARKUP = st.sampled_from(
    ["&", "<", ">", "-", "--", "-->", "<i>", "</i>", "<I>", "<b>", "</u>", "&amp;", "&lt;",
     "&gt;", "&#169;", "&#x1F600;", "&#0;", "&nbsp;", "&copy;", "<font color=red>", "</font>",
     "<v Bob>", "<v>", "</v>", "<c.x.y>", "<lang en>", "<00:00:01.000>", "<script>", "<<", ">>",
     " ", "\t", "0", ":", ",", "&copy", "&hellip;", "&#169", "&notit;", "&#150;", "<br>",
     "<b >", "<v >", "<i class=x>", "</b >", "<3", "<span>", "\f", "\u00a0"]
)  # fmt: skip


def _line(extra: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pieces = st.lists(st.one_of(st.text(_line_chars, max_size=8), extra), min_size=1, max_size=6)
    return pieces.map("".join).filter(lambda line: line.strip(" \t") != "")


_text_line = _line(_MARKUP)
_cue_text = st.lists(_text_line, max_size=3).map("\n".join)
_srt_text = st.lists(_text_line.filter(lambda line: not looks_like_timing(line)), max_size=3).map(
    "\n".join
)
_plain_line = _line(st.sampled_from(["-", ":", " "])).filter(lambda line: "-->" not in line)


@st.composite
def _times(draw: st.DrawFn) -> tuple[int, int]:
    start = draw(st.one_of(st.integers(0, 3_600_000), st.integers(0, 400 * 3_600_000)))
    return start, start + draw(st.integers(1, 2 * 3_600_000))


@st.composite
def srt_documents(draw: st.DrawFn) -> CaptionDocument:
    cues = []
    for _ in range(draw(st.integers(1, 5))):
        start, end = draw(_times())
        cues.append(Cue(start, end, draw(_srt_text)))
    return CaptionDocument(cues=tuple(cues))


_SETTINGS = st.lists(
    st.sampled_from(["align:start", "line:0", "line:-1,end", "position:10%", "size:50%",
                     "vertical:rl", "region:fred"]),
    max_size=3,
).map(" ".join)  # fmt: skip


@st.composite
def webvtt_documents(draw: st.DrawFn) -> CaptionDocument:
    """Documents as parse_webvtt could return them (so that equality after a round trip is
    exact); cue text is anything, since the writer must escape it."""
    cues = []
    for _ in range(draw(st.integers(0, 5))):
        start, end = draw(_times())
        identifier = draw(st.none() | _plain_line)
        cues.append(Cue(start, end, draw(_cue_text), identifier, draw(_SETTINGS)))
    block_body = st.lists(_plain_line, max_size=3).map("\n".join)
    note_text = st.one_of(block_body, block_body.filter(bool).map(lambda text: "\n" + text))
    note_positions = st.lists(st.integers(0, len(cues)), max_size=3).map(sorted)
    notes = tuple(Note(draw(note_text), position) for position in draw(note_positions))
    return CaptionDocument(
        cues=tuple(cues),
        header=draw(st.just("") | _plain_line.map(lambda text: text.strip(" \t"))),
        header_lines=tuple(draw(st.lists(_plain_line, max_size=2))),
        styles=tuple(draw(st.lists(block_body, max_size=2))),
        regions=tuple(draw(st.lists(block_body, max_size=2))),
        notes=notes,
    )


@st.composite
def any_documents(draw: st.DrawFn) -> CaptionDocument:
    """Documents a program could build, with any text in every field."""
    cues = []
    for _ in range(draw(st.integers(1, 4))):
        start, end = draw(_times())
        text = draw(st.one_of(st.text(_chars, max_size=40), _cue_text))
        identifier = draw(st.none() | st.text(_chars, max_size=10))
        cues.append(Cue(start, end, text, identifier, draw(st.text(_chars, max_size=15))))
    anything = st.text(_chars, max_size=20)
    return CaptionDocument(
        cues=tuple(cues),
        header=draw(anything),
        header_lines=tuple(draw(st.lists(anything, max_size=2))),
        styles=tuple(draw(st.lists(anything, max_size=2))),
        regions=tuple(draw(st.lists(anything, max_size=2))),
        notes=tuple(
            Note(draw(anything), draw(st.integers(-2, 8))) for _ in range(draw(st.integers(0, 3)))
        ),
    )


def _visible(text: str) -> list[str]:
    """The non-blank lines a viewer reads (a line of nothing but <font> disappears)."""
    return [line for line in plain_text(text).split("\n") if line.strip(" \t")]


# (1) round trips ------------------------------------------------------------------------


@THOROUGH
@given(srt_documents())
def test_srt_write_then_parse_keeps_times_and_text(doc: CaptionDocument) -> None:
    parsed = parse_srt(write_srt(doc))
    assert [(c.start_ms, c.end_ms, c.text) for c in parsed.cues] == [
        (c.start_ms, c.end_ms, c.text) for c in doc.cues
    ]
    assert [c.identifier for c in parsed.cues] == [str(n) for n in range(1, len(doc.cues) + 1)]


@THOROUGH
@given(webvtt_documents())
def test_webvtt_write_then_parse_keeps_the_document(doc: CaptionDocument) -> None:
    parsed = parse_webvtt(write_webvtt(doc))
    # Cue text comes back in its escaped form: the same markup, with every bare "&" and "<"
    # written as a character reference, so the viewer reads exactly the same text.
    escaped = tuple(replace(cue, text=escape_cue_text(cue.text)) for cue in doc.cues)
    assert parsed == replace(doc, cues=escaped)
    for before, after in zip(doc.cues, parsed.cues, strict=True):
        assert _visible(after.text) == _visible(before.text)
        if not ({"&", "<"} & set(before.text)) and "-->" not in before.text:
            assert after.text == before.text


# Lines a WebVTT cue may hold besides text: only an empty line is blank in WebVTT.
_space_line = st.sampled_from([" ", "\t", "  \t "])
_vtt_text = st.lists(st.one_of(_text_line, _space_line), max_size=3).map("\n".join)


@st.composite
def canonical_srt_documents(draw: st.DrawFn) -> CaptionDocument:
    """SRT documents exactly as parse_srt returns what write_srt wrote: numbered cues."""
    doc = draw(srt_documents())
    return replace(
        doc, cues=tuple(replace(c, identifier=str(n)) for n, c in enumerate(doc.cues, start=1))
    )


@st.composite
def canonical_webvtt_documents(draw: st.DrawFn) -> CaptionDocument:
    """WebVTT documents whose cue text is already written as WebVTT (escaped), with lines and
    identifiers of spaces, references and markup of every kind."""
    doc = draw(webvtt_documents())
    cues = []
    for cue in doc.cues:
        identifier = draw(st.just(cue.identifier) | _space_line)
        cues.append(replace(cue, text=escape_cue_text(draw(_vtt_text)), identifier=identifier))
    return replace(doc, cues=tuple(cues))


@THOROUGH
@given(canonical_srt_documents())
def test_srt_parse_of_write_is_the_document(doc: CaptionDocument) -> None:
    assert parse_srt(write_srt(doc)) == doc


@THOROUGH
@given(canonical_webvtt_documents())
def test_webvtt_parse_of_write_is_the_document(doc: CaptionDocument) -> None:
    assert parse_webvtt(write_webvtt(doc)) == doc


_SRT_EDITS = st.sampled_from(
    ["", " ", "\t", "\n", "\n\n", "-->", " --> ", "0", "1\n", ",", ".", ":", "9", "\r\n",
     "00:00:01,000 --> 00:00:00,500\n"]
)  # fmt: skip


@st.composite
def srt_files(draw: st.DrawFn) -> str:
    """Canonical SRT as write_srt makes it, with a few small edits anywhere."""
    text = write_srt(draw(srt_documents()))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 2))
        text = text[:at] + draw(_SRT_EDITS) + text[at + cut :]
    return text


@THOROUGH
@given(srt_files())
def test_srt_fast_path_reads_as_the_line_parser_does(text: str) -> None:
    try:
        slow: CaptionDocument | CaptionError = parse_srt_lines(text)
    except CaptionError as error:
        slow = error
    try:
        fast: CaptionDocument | CaptionError = parse_srt(text)
    except CaptionError as error:
        fast = error
    if isinstance(slow, CaptionError):
        assert isinstance(fast, CaptionError) and fast.problems == slow.problems
    else:
        assert fast == slow


# (2) nothing but CaptionError ------------------------------------------------------------

_VOCABULARY = st.sampled_from(
    ["WEBVTT", "WEBVTT x", "1", "00:00:01,000 --> 00:00:02,000", "00:01.000 --> 00:02.000",
     "00:01.000 --> 00:02.000 align:start", "0:0:1,5 --> 0:0:2,25", "99999999999:00:00,000",
     "00:00:00,000 --> 00:00:00,000", "-->", "NOTE", "NOTE x", "STYLE", "REGION", "", " ",
     "\ufeff", "<tt xml>", "&amp;", "<i>", "&#99999999;", "٠٠:٠١.٠٠٠ --> ٠٠:٠٢.٠٠٠",
     "00:00:01,000 --> 00:00:02,000 X1:1", "١"]
)  # fmt: skip


@st.composite
def caption_like_text(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.one_of(_VOCABULARY, st.text(_line_chars, max_size=12)), max_size=12))
    endings = st.sampled_from(["\n", "\r\n", "\r"])
    return "".join(line + draw(endings) for line in lines)


_any_input = st.one_of(
    st.text(),
    st.binary(max_size=200).map(lambda data: data.decode("utf-8", errors="replace")),
    st.text().map(lambda text: "WEBVTT\n" + text),
    caption_like_text(),
)


def _only_caption_errors(function: Callable[[str], object], text: str) -> None:
    try:
        function(text)
    except CaptionError as error:
        assert error.message
        assert 1 <= len(error.problems) <= MAX_PROBLEMS
        last_line = len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")) + 1
        lines = [p.line for p in error.problems if p.line is not None]
        # Problems point into the file (or just past its end), in file order.
        assert all(1 <= line <= last_line for line in lines)
        assert lines == sorted(lines)
        assert all(p.cue is None or p.cue >= 1 for p in error.problems)
        assert all(p.message for p in error.problems)


@THOROUGH
@given(_any_input)
def test_parsers_raise_nothing_but_caption_error(text: str) -> None:
    for function in (parse_srt, parse_webvtt, srt_to_webvtt, normalise_caption):
        _only_caption_errors(function, text)
    normalised = None
    try:
        normalised = normalise_caption(text, lenient=True)
    except CaptionError as error:
        # Lenient mode only relaxes SRT, WebVTT and untimed text, refusing those as a whole
        # (blank, TTML markup); converted formats are validated as usual.
        if detect_format(text) in ("srt", "webvtt", "text"):
            assert error.line is None
    if normalised is not None and not normalised.legacy:
        # Whatever we accept strictly, we serve as WebVTT that we would accept ourselves.
        served = parse_webvtt(normalised.webvtt)
        assert [(c.start_ms, c.end_ms) for c in served.cues] == [
            (c.start_ms, c.end_ms) for c in normalised.document.cues
        ]


# (3) what we write always parses ---------------------------------------------------------


@THOROUGH
@given(any_documents())
def test_written_webvtt_always_parses(doc: CaptionDocument) -> None:
    parsed = parse_webvtt(write_webvtt(doc))
    assert [(c.start_ms, c.end_ms, c.text) for c in parsed.cues] == [
        (c.start_ms, c.end_ms, escape_cue_text(c.text)) for c in doc.cues
    ]


@FAST
@given(any_documents())
def test_written_srt_always_parses(doc: CaptionDocument) -> None:
    parsed = parse_srt(write_srt(doc))
    assert [(c.start_ms, c.end_ms) for c in parsed.cues] == [
        (c.start_ms, c.end_ms) for c in doc.cues
    ]


# escaping ----------------------------------------------------------------------------------


@THOROUGH
@given(st.one_of(st.text(_chars), _cue_text, st.lists(_text_line, max_size=4).map("\r\n".join)))
def test_escaping_is_idempotent_safe_and_keeps_what_viewers_read(text: str) -> None:
    escaped = escape_cue_text(text)
    assert escape_cue_text(escaped) == escaped
    assert "-->" not in escaped
    # Only an empty line would end the cue; a line of spaces is text (as browsers read it).
    assert all(escaped.split("\n")) or escaped == ""
    assert _visible(escaped) == _visible(text)
