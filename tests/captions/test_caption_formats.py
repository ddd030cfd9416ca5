"""The download format registry and the writers it holds: every registered format writes a
file that its own reader (and an independent parser where one exists) reads back into the same
cues; the plain transcript and the JSON cue form; and the names the registry accepts.

New entries in ``FORMATS`` are picked up by the parametrised tests here without any change."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import timedelta

import pytest
import srt as srt_package
import webvtt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediaobjects.captions import (
    CaptionDocument,
    CaptionError,
    Cue,
    escape_cue_text,
    parse_webvtt,
    plain_text,
)
from mediaobjects.captions.formats import (
    DEFAULT_FORMAT,
    FORMAT_NAMES,
    FORMATS,
    FormatError,
    available_formats,
    find_format,
    srt_cue_text,
)
from mediaobjects.captions.json_cues import parse_json_cues, write_json_cues
from mediaobjects.captions.transcript import write_transcript

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Italics, an "&", a voice, a two-line cue, a "<" of text, non-Latin text, overlapping cues,
# a pause longer than 2 s, and hours.
SAMPLE = parse_webvtt(
    "WEBVTT\n\n"
    "1\n00:00:01.000 --> 00:00:03.000\n<i>Welcome</i> to Film &amp; Media\n\n"
    "00:00:02.500 --> 00:00:04.000 align:start\n<v Dr. Ng>Two lines,\n<b>one</b> cue</v>\n\n"
    "00:00:07.250 --> 00:00:08.000\n1 &lt; 2 — 日本語 <u>underlined</u>\n\n"
    "01:02:03.004 --> 01:02:04.005\nLast.\n"
)


# What every format can hold, frame-timed ones (SCC) included: ASCII text in short lines,
# italics, an "&", a two-line cue, one caption at a time, a pause longer than 2 s.
SIMPLE = parse_webvtt(
    "WEBVTT\n\n"
    "00:00:01.000 --> 00:00:03.000\n<i>Welcome</i> to Film &amp; Media\n\n"
    "00:00:03.500 --> 00:00:05.000\nThis cue has\ntwo lines\n\n"
    "00:00:08.000 --> 00:00:09.500\nAfter a pause.\n"
)


def visible(cues: tuple[Cue, ...] | list[Cue]) -> list[tuple[int, int, str]]:
    """What a viewer sees of each cue: when, and its words."""
    return [(c.start_ms, c.end_ms, " ".join(plain_text(c.text).split())) for c in cues]


def assert_same_cues(name: str, got: tuple[Cue, ...], expected: tuple[Cue, ...]) -> None:
    """The same cues, at the same times: to the millisecond, or within a frame for formats
    timed in frames."""
    frame_ms = FORMATS[name].frame_ms
    if frame_ms is None:
        assert visible(got) == visible(expected), name
        return
    assert [text for *_, text in visible(got)] == [text for *_, text in visible(expected)], name
    for cue, want in zip(got, expected, strict=True):
        assert abs(cue.start_ms - want.start_ms) <= frame_ms, (name, cue, want)
        assert abs(cue.end_ms - want.end_ms) <= frame_ms, (name, cue, want)


# ---- the registry ------------------------------------------------------------------------


def test_every_entry_is_a_known_name_with_extension_and_type() -> None:
    assert DEFAULT_FORMAT == "vtt"
    assert set(FORMATS) <= set(FORMAT_NAMES)
    assert {"vtt", "srt", "txt", "json"} <= set(FORMATS)
    for name, fmt in FORMATS.items():
        assert fmt.name == name
        assert fmt.extension.isalnum()
        assert "/" in fmt.content_type
    assert available_formats() == [name for name in FORMAT_NAMES if name in FORMATS]


def test_find_format_reads_any_case_and_defaults_to_webvtt() -> None:
    assert find_format(None).name == "vtt"
    assert find_format("SRT").name == "srt"
    assert find_format(" json ").name == "json"


@pytest.mark.parametrize("name", ["docx", "", "srt2", "webvtt ", "x" * 300])
def test_an_unknown_name_names_the_available_formats(name: str) -> None:
    with pytest.raises(FormatError) as info:
        find_format(name)
    assert info.value.message.startswith(
        "format must be one of " + ", ".join(available_formats()) + ";"
    )
    assert len(info.value.message) < 200


def test_an_unknown_name_shows_invisible_characters() -> None:
    with pytest.raises(FormatError) as info:
        find_format("srt\u200b\x00")
    assert info.value.message.endswith('got "srt\\u200b\\x00"')


def test_a_known_name_without_a_writer_is_not_available_yet() -> None:
    pending = [name for name in FORMAT_NAMES if name not in FORMATS]
    for name in pending:
        with pytest.raises(FormatError, match="is not available yet"):
            find_format(name)
    # Every known name is either served or refused as "not available": none is unknown.
    for name in FORMAT_NAMES:
        try:
            find_format(name)
        except FormatError as exc:
            assert "not available yet" in exc.message


# ---- round trips over the registry --------------------------------------------------------


def _with_webvtt_py(content: str) -> list[tuple[int, int, str]]:
    captions = webvtt.from_buffer(io.StringIO(content)).captions
    return [
        (
            _ms(c.start),
            _ms(c.end),
            " ".join(plain_text(escape_cue_text(c.raw_text)).split()),
        )
        for c in captions
    ]


def _ms(timestamp: str) -> int:
    hours, minutes, seconds = timestamp.split(":")
    return round((int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000)


def _with_srt(content: str) -> list[tuple[int, int, str]]:
    def ms(delta: timedelta) -> int:
        return delta // timedelta(milliseconds=1)

    return [
        (ms(s.start), ms(s.end), " ".join(plain_text(escape_cue_text(s.content)).split()))
        for s in srt_package.parse(content)
    ]


# Parsers written by others, for formats that have one: they must read what we write.
INDEPENDENT: dict[str, Callable[[str], list[tuple[int, int, str]]]] = {
    "vtt": _with_webvtt_py,
    "srt": _with_srt,
}
READABLE = sorted(name for name, fmt in FORMATS.items() if fmt.read is not None)
# Formats that hold whatever a document says, to the millisecond.
EXACT = sorted(
    name for name in READABLE if FORMATS[name].frame_ms is None and FORMATS[name].overlaps
)


@pytest.mark.parametrize("name", READABLE)
def test_every_written_file_reads_back_into_the_same_cues(name: str) -> None:
    fmt = FORMATS[name]
    assert fmt.read is not None
    assert_same_cues(name, fmt.read(fmt.write(SIMPLE)).cues, SIMPLE.cues)


@pytest.mark.parametrize("name", EXACT)
def test_exact_formats_keep_overlaps_voices_and_any_script(name: str) -> None:
    fmt = FORMATS[name]
    assert fmt.read is not None
    assert visible(fmt.read(fmt.write(SAMPLE)).cues) == visible(SAMPLE.cues)


@pytest.mark.parametrize("name", sorted(set(INDEPENDENT) & set(EXACT)))
def test_independent_parsers_read_the_same_cues(name: str) -> None:
    for document in (SIMPLE, SAMPLE):
        written = FORMATS[name].write(document)
        assert INDEPENDENT[name](written) == visible(document.cues)


def test_every_format_writes_a_document_without_cues() -> None:
    # Tracks always have cues (uploads without any are refused), but a writer must not fail.
    empty = CaptionDocument(cues=())
    for fmt in FORMATS.values():
        assert isinstance(fmt.write(empty), str)


_words = st.text(
    st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=12
)
_piece = st.one_of(
    _words,
    _words.map(lambda w: f"<i>{w}</i>"),
    _words.map(lambda w: f"<b>{w}</b>"),
    st.sampled_from(["&", "<", ">", "&amp;", "&lt;", " & ", "<v Bob>", "</v>", "<c.x>"]),
)
_line = st.lists(_piece, min_size=1, max_size=5).map("".join).filter(lambda s: "-->" not in s)
_text = st.lists(_line, max_size=3).map(lambda lines: escape_cue_text("\n".join(lines)))


_visible_text = _text.filter(lambda text: plain_text(text).strip() != "")


@st.composite
def documents(draw: st.DrawFn, texts: st.SearchStrategy[str] = _text) -> CaptionDocument:
    cues = []
    start = 0
    for text in draw(st.lists(texts, min_size=1, max_size=6)):
        start += draw(st.integers(0, 5000))
        end = start + draw(st.one_of(st.integers(1, 9000), st.integers(1, 400 * 3_600_000)))
        cues.append(Cue(start, end, text))
    return CaptionDocument(cues=tuple(cues))


@FAST
@given(documents())
def test_json_round_trip_is_exact(document: CaptionDocument) -> None:
    assert parse_json_cues(write_json_cues(document)) == document


@FAST
# Cues with text: a caption without any is one that some formats leave out.
@given(documents(_visible_text))
def test_every_exact_format_round_trips_what_viewers_see(document: CaptionDocument) -> None:
    for name in EXACT:
        fmt = FORMATS[name]
        assert fmt.read is not None
        assert visible(fmt.read(fmt.write(document)).cues) == visible(document.cues), name


# ---- SRT text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "srt_text"),
    [
        # Decoded, "<A>" and "&copy;" would read as a tag and a reference: references stay.
        ("&lt;A>", "&lt;A>"),
        ("&amp;copy; 2026", "&amp;copy; 2026"),
        # Nothing to misread: plain SRT text.
        ("&lt;3 &amp; more", "<3 & more"),
    ],
)
def test_srt_text_that_would_read_as_markup_keeps_its_references(
    markup: str, srt_text: str
) -> None:
    assert srt_cue_text(markup) == srt_text
    assert plain_text(escape_cue_text(srt_text)) == plain_text(markup)


@pytest.mark.parametrize(
    ("markup", "srt_text"),
    [
        ("<i>Hi</i> &amp; bye", "<i>Hi</i> & bye"),
        ("<b.loud>Bold</b> <u>under</u>", "<b>Bold</b> <u>under</u>"),
        ("<v Dr. Ng>Hello</v>", "Hello"),
        ("<c.yellow>x</c> <ruby>漢<rt>kan</rt></ruby>", "x 漢kan"),
        ("a &lt; b &gt; c", "a < b > c"),
        ("<00:00:01.000>karaoke", "karaoke"),
        ("two\nlines", "two\nlines"),
    ],
)
def test_srt_text_keeps_styling_and_decodes_references(markup: str, srt_text: str) -> None:
    assert srt_cue_text(markup) == srt_text


# ---- the transcript ------------------------------------------------------------------------


def cue(start: float, end: float, text: str) -> Cue:
    return Cue(round(start * 1000), round(end * 1000), text)


def test_transcript_starts_a_paragraph_after_a_pause_longer_than_two_seconds() -> None:
    document = CaptionDocument(
        cues=(
            cue(0, 1, "One."),
            cue(3, 4, "Two, after exactly 2 s."),
            cue(6.001, 7, "Three, after 2.001 s."),
            cue(7, 8, "<i>Four</i> &amp;\nfive."),
        )
    )
    assert write_transcript(document) == (
        "One. Two, after exactly 2 s.\n\nThree, after 2.001 s. Four & five.\n"
    )


def test_transcript_orders_cues_and_measures_pauses_from_the_latest_end() -> None:
    document = CaptionDocument(
        cues=(
            cue(10, 11, "Later."),
            cue(0, 9, "A long cue"),
            cue(1, 2, "overlapped by a short one."),
        )
    )
    # The short cue ends at 2 s, but speech goes on until 9 s: 1 s of pause, not 8 s.
    assert write_transcript(document) == "A long cue overlapped by a short one. Later.\n"


def test_transcript_skips_cues_without_visible_text() -> None:
    document = CaptionDocument(
        cues=(cue(0, 1, "<i></i>"), cue(5, 6, "  "), cue(9, 10, "Only &lt;this&gt;"))
    )
    assert write_transcript(document) == "Only <this>\n"
    assert write_transcript(CaptionDocument(cues=())) == ""


# ---- the JSON form -------------------------------------------------------------------------


def test_json_has_plain_text_and_markup_one_cue_per_line() -> None:
    written = write_json_cues(SAMPLE)
    lines = written.splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == len(SAMPLE.cues) + 2
    rows = json.loads(written)
    assert rows[0] == {
        "start_ms": 1000,
        "end_ms": 3000,
        "text": "Welcome to Film & Media",
        "markup": "<i>Welcome</i> to Film &amp; Media",
    }
    assert rows[1]["text"] == "Two lines,\none cue"
    assert rows[2]["text"] == "1 < 2 — 日本語 underlined"
    # Written as UTF-8, readable in an editor.
    assert "日本語" in written
    assert write_json_cues(CaptionDocument(cues=())) == "[]\n"


def test_json_reader_takes_plain_text_when_there_is_no_markup() -> None:
    document = parse_json_cues(
        '\ufeff[{"start_ms": 0, "end_ms": 1500, "text": "<i> is text & so is this",'
        ' "speaker": "extra keys are ignored"}]'
    )
    assert document.cues == (Cue(0, 1500, "&lt;i&gt; is text &amp; so is this"),)
    assert plain_text(document.cues[0].text) == "<i> is text & so is this"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "line 1: not valid JSON: Expecting value"),
        ('[{"start_ms": 1,\n "end_ms": }]', "line 2: not valid JSON: Expecting value"),
        ('{"cues": []}', "line 1: expected a JSON array of cues"),
        ("[1]", "cue 1: expected a cue object"),
        ('[{"end_ms": 1, "text": "x"}]', 'cue 1: "start_ms" is missing'),
        ('[{"start_ms": -1, "end_ms": 1, "text": "x"}]', 'cue 1: "start_ms" must not be negative'),
        ('[{"start_ms": 0.5, "end_ms": 1, "text": "x"}]', "whole number of milliseconds, got 0.5"),
        ('[{"start_ms": true, "end_ms": 1, "text": "x"}]', "got true"),
        ('[{"start_ms": "0", "end_ms": 1, "text": "x"}]', 'got "0"'),
        ('[{"start_ms": 5, "end_ms": 5, "text": "x"}]', "end_ms (5) must be greater than"),
        ('[{"start_ms": 0, "end_ms": 1}]', 'expected "text" (a string) or "markup"'),
        ('[{"start_ms": 0, "end_ms": 1, "markup": 3}]', '"markup" must be a string'),
        ("[" * 100_000, "not valid JSON"),
        ('[{"start_ms": ' + "9" * 5000 + "}]", "not valid JSON"),
    ],
)
def test_json_reader_rejections_say_where_and_why(content: str, expected: str) -> None:
    with pytest.raises(CaptionError) as info:
        parse_json_cues(content)
    assert expected in str(info.value)


def test_json_reader_lists_every_problem_up_to_twenty() -> None:
    bad = json.dumps([{"start_ms": 2, "end_ms": 1, "text": "x"}] * 30)
    with pytest.raises(CaptionError) as info:
        parse_json_cues(bad)
    assert [p.cue for p in info.value.problems] == list(range(1, 21))


@FAST
@given(st.one_of(st.text(), st.from_regex(r"\[(\{.*\},?)*\]", fullmatch=True)))
def test_json_reader_returns_cues_or_a_caption_error(content: str) -> None:
    try:
        document = parse_json_cues(content)
    except CaptionError as exc:
        assert exc.problems
        return
    assert isinstance(document, CaptionDocument)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["start_ms", "end_ms", "text", "markup"]), children)
    ),
    max_leaves=10,
)


@FAST
@given(st.lists(_json_values, max_size=4))
def test_json_reader_takes_any_json_array_without_crashing(items: list[object]) -> None:
    try:
        document = parse_json_cues(json.dumps(items))
    except CaptionError:
        return
    assert all(c.end_ms > c.start_ms >= 0 for c in document.cues)
