"""The SRT that almost every tool writes is read by a faster path (srt._well_formed); it must
read every file exactly as the line-by-line parser does, and leave every other file to it."""

from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mediaobjects.captions import CaptionError, Cue, parse_srt
from mediaobjects.captions import srt as srt_module

_pieces = st.sampled_from(
    ["Hello", " ", "\t", "<i>", "&", "-->", "1", "00:00:01,000", "é", "\u00a0", "\f", "-"]
)
_text_line = st.lists(_pieces, min_size=1, max_size=4).map("".join)


def _stamp(ms: int) -> str:
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


@st.composite
def _srt_files(draw: st.DrawFn) -> str:
    """Well-formed files, and the same with one change that may or may not break them."""
    blocks = []
    for number in range(1, draw(st.integers(1, 4)) + 1):
        start = draw(st.integers(0, 100 * 3_600_000 - 10_000))
        end = start + draw(st.integers(1, 9_999))
        lines = draw(st.lists(_text_line, max_size=3))
        blocks.append("\n".join([str(number), f"{_stamp(start)} --> {_stamp(end)}", *lines]))
    text = "\n\n".join(blocks) + "\n"
    change = draw(st.sampled_from(["none", "crlf", "cr", "bom", "strip", "blank", "edit"]))
    if change == "crlf":
        text = text.replace("\n", "\r\n")
    elif change == "cr":
        text = text.replace("\n", "\r")
    elif change == "bom":
        text = "\ufeff" + text
    elif change == "strip":
        text = text.rstrip("\n")
    elif change == "blank":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(["\n", "\n\n", " \n", "\t"])) + text[at:]
    elif change == "edit":
        at = draw(st.integers(0, len(text) - 1))
        cut = draw(st.integers(0, 2))
        text = (
            text[:at]
            + draw(st.sampled_from(["", ".", ",", "9", " ", "-->", "x"]))
            + text[at + cut :]
        )
    return text


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_srt_files())
def test_the_fast_path_reads_what_the_line_parser_reads(text: str) -> None:
    fast = srt_module._well_formed(text)
    event("fast path" if fast is not None else "line parser")
    try:
        slow = srt_module._parse_by_lines(text)
    except CaptionError:
        assert fast is None, "the fast path accepted a file the parser refuses"
        return
    if fast is not None:
        assert fast == slow


def test_a_typical_file_takes_the_fast_path_and_reads_right() -> None:
    text = (
        "\ufeff1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hello</i> & welcome\r\nSecond line\r\n"
        "\r\n2\r\n00:00:03.000 --> 00:00:04,000\r\nBye\r\n"
    )
    assert srt_module._well_formed(text) is not None
    assert parse_srt(text).cues == (
        Cue(1000, 2500, "<i>Hello</i> & welcome\nSecond line", "1"),
        Cue(3000, 4000, "Bye", "2"),
    )


def test_a_file_with_a_mistake_is_reported_by_the_line_parser() -> None:
    text = "1\n00:00:01,000 --> 00:00:02,000\nHello\n\n2\n00:00:05,000 --> 00:00:04,000\nBye\n"
    assert srt_module._well_formed(text) is None
    try:
        parse_srt(text)
    except CaptionError as error:
        assert error.line == 6
        assert "before start time" in error.message
    else:
        raise AssertionError("a cue ending before it starts was accepted")
