"""SBV, the format YouTube Studio exports: a real-world-shaped file read cue by cue, every
rejection with its line, the writer's exact output, and the round-trip property."""

from __future__ import annotations

from pathlib import Path

import pytest
import webvtt
from hypothesis import given
from hypothesis import strategies as st

from mediaobjects.captions import (
    MAX_PROBLEMS,
    CaptionDocument,
    CaptionError,
    Cue,
    parse_sbv,
    write_sbv,
)
from mediaobjects.captions.sbv import looks_like_sbv_timing
from tests.captions.test_caption_properties import THOROUGH, caption_like_text

# What YouTube Studio's "Download .sbv" gives for a lecture: BOM, CRLF, ">>" speaker changes,
# ampersands and "<3" as plain text, italics YouTube honours, a two-line caption and one that
# overlaps the next (a sound description shown over speech).
YOUTUBE = (
    "\ufeff0:00:00.599,0:00:04.160\r\n"
    ">> ALICE: Hi, my name is Alice & this is John\r\n"
    "\r\n"
    "0:00:04.160,0:00:06.770\r\n"
    "and we're the owners of <i>Miller Bakery</i>.\r\n"
    "We <3 bread.\r\n"
    "\r\n"
    "\r\n"
    "0:00:06.000,0:00:09.000\r\n"
    "[MUSIC]\r\n"
    "\r\n"
    "0:00:07.500,0:00:10.005\r\n"
    ">> JOHN: Today we bake <B>rye</B>.\r\n"
)


def test_a_youtube_file_gives_its_cues() -> None:
    assert parse_sbv(YOUTUBE).cues == (
        Cue(599, 4160, "&gt;&gt; ALICE: Hi, my name is Alice &amp; this is John"),
        Cue(4160, 6770, "and we're the owners of <i>Miller Bakery</i>.\nWe &lt;3 bread."),
        Cue(6000, 9000, "[MUSIC]"),
        Cue(7500, 10005, "&gt;&gt; JOHN: Today we bake <b>rye</b>."),
    )


def test_short_fractions_long_hours_and_no_fraction() -> None:
    content = "0:00:01.5,0:00:02.25\nA\n\n123:59:59,1:2:3.000\nB\n\n0:00:03,0:00:04\nC\n"
    with pytest.raises(CaptionError) as caught:
        parse_sbv(content)
    # The second cue ends before it starts (1:02:03 is before 123:59:59).
    assert [(p.line, p.cue) for p in caught.value.problems] == [(4, 2)]
    fixed = content.replace("1:2:3.000", "124:00:00.000")
    assert [(c.start_ms, c.end_ms) for c in parse_sbv(fixed).cues] == [
        (1500, 2250),
        (((123 * 60 + 59) * 60 + 59) * 1000, 124 * 3600 * 1000),
        (3000, 4000),
    ]


def test_every_problem_is_listed_with_its_line() -> None:
    content = (
        "0:00:05.000,0:00:01.000\n"  # 1: ends before it starts
        "Backwards\n"
        "\n"
        "Hello there\n"  # 4: not a timing line
        "\n"
        "0:00:06.000,0:00:07.000\n"
        "Missing blank line\n"
        "0:00:08.000,0:00:09.000\n"  # 8: a timing line inside text
        "\n"
        "0:00:61.000,0:00:62.000\n"  # 10: seconds out of range
        "x\n"
        "\n"
        "0:00:10.000,0:00:10.000\n"  # 13: ends when it starts
        "Zero\n"
    )
    with pytest.raises(CaptionError) as caught:
        parse_sbv(content)
    assert [str(p) for p in caught.value.problems] == [
        "line 1, cue 1: end time 0:00:01.000 is before the start time 0:00:05.000; a cue must "
        "end after it starts",
        'line 4: expected a timing line like "0:00:01.000,0:00:03.000" but found "Hello there"',
        "line 8: expected a blank line before the next cue",
        'line 10: minutes and seconds must be less than 60 in "0:00:61.000"',
        "line 13, cue 2: end time 0:00:10.000 is the same as the start time 0:00:10.000; a cue "
        "must end after it starts",
    ]


def test_at_most_twenty_problems_are_listed() -> None:
    content = "\n\n".join(f"0:00:0{n % 10}.000,0:00:00.000\nx" for n in range(1, 40))
    with pytest.raises(CaptionError) as caught:
        parse_sbv(content)
    assert len(caught.value.problems) == MAX_PROBLEMS
    assert caught.value.problems[-1].line == 3 * (MAX_PROBLEMS - 1) + 1


@pytest.mark.parametrize("content", ["", "\ufeff", "\r\n\r\n"])
def test_a_file_without_cues_is_refused(content: str) -> None:
    with pytest.raises(CaptionError) as caught:
        parse_sbv(content)
    assert (
        str(caught.value) == 'no cues found: expected a timing line like "0:00:01.000,0:00:03.000"'
    )


def test_writer_output_is_what_youtube_reads() -> None:
    document = CaptionDocument(
        cues=(
            Cue(
                599, 4160, "<v Alice>Tom &amp; <i>Jerry</i></v>\n&lt;3 &copy;", "id", "align:start"
            ),
            Cue(3_600_000 * 101 + 5, 3_600_000 * 101 + 1000, "<c.yellow>late</c>"),
        )
    )
    assert write_sbv(document) == (
        "0:00:00.599,0:00:04.160\nTom & <i>Jerry</i>\n<3 ©\n\n101:00:00.005,101:00:01.000\nlate\n"
    )
    assert write_sbv(CaptionDocument(cues=())) == ""


def test_written_text_that_would_read_as_timing_is_changed_so_it_parses_again() -> None:
    document = CaptionDocument(cues=(Cue(0, 1000, "0:00:01.000,0:00:02.000"),))
    assert parse_sbv(write_sbv(document)).cues == (Cue(0, 1000, "0:00:01.000\u00a0,0:00:02.000"),)


# ---- properties ------------------------------------------------------------------------------

# Cue text as parse_sbv returns it: escaped plain text with <i>, <b> and <u> tags. No "<" in
# the plain text: SBV has no escaping, so a written "<i>" would come back as a tag.
_plain = st.text(
    st.characters(codec="utf-8", exclude_characters="\r\n<"), min_size=1, max_size=12
).map(lambda text: text.replace("&", "&amp;").replace(">", "&gt;"))
_tag = st.sampled_from(["<i>", "</i>", "<b>", "</b>", "<u>", "</u>"])
_sbv_line = (
    st.lists(st.one_of(_plain, _tag), min_size=1, max_size=5)
    .map("".join)
    .filter(lambda line: line.strip(" \t") != "" and not looks_like_sbv_timing(line))
)


@st.composite
def sbv_documents(draw: st.DrawFn) -> CaptionDocument:
    cues = []
    for _ in range(draw(st.integers(1, 5))):
        start = draw(st.integers(0, 200 * 3_600_000))
        end = start + draw(st.integers(1, 3_600_000))
        cues.append(Cue(start, end, "\n".join(draw(st.lists(_sbv_line, max_size=3)))))
    return CaptionDocument(cues=tuple(cues))


@THOROUGH
@given(sbv_documents())
def test_parse_of_write_is_the_document(document: CaptionDocument) -> None:
    assert parse_sbv(write_sbv(document)) == document


@THOROUGH
@given(
    st.one_of(
        st.text(),
        caption_like_text(),
        sbv_documents()
        .map(write_sbv)
        .flatmap(
            lambda text: st.integers(0, len(text)).map(
                lambda cut: text[:cut] + "\n0:0" + text[cut:]
            )
        ),
    )
)
def test_any_input_gives_a_document_or_a_caption_error(text: str) -> None:
    try:
        document = parse_sbv(text)
    except CaptionError as error:
        assert error.problems and all(p.line is None or p.line >= 1 for p in error.problems)
    else:
        # Whatever is accepted is written back as SBV that reads the same.
        assert document.cues
        assert parse_sbv(write_sbv(document)) == document


def test_webvtt_py_reads_what_we_write_with_the_same_times_and_text(tmp_path: Path) -> None:
    """An independent SBV reader (webvtt-py's) reads our file as we do."""
    document = parse_sbv(YOUTUBE)
    written = write_sbv(document)
    path = tmp_path / "lecture.sbv"
    path.write_text(written, encoding="utf-8")
    theirs = webvtt.from_sbv(str(path))
    assert [(c.start, c.end) for c in theirs] == [
        ("00:00:00.599", "00:00:04.160"),
        ("00:00:04.160", "00:00:06.770"),
        ("00:00:06.000", "00:00:09.000"),
        ("00:00:07.500", "00:00:10.005"),
    ]
    assert [c.raw_text for c in theirs] == [
        ">> ALICE: Hi, my name is Alice & this is John",
        "and we're the owners of <i>Miller Bakery</i>.\nWe <3 bread.",
        "[MUSIC]",
        ">> JOHN: Today we bake <b>rye</b>.",
    ]
