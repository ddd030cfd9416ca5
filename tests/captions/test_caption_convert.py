"""Serving captions: format detection, strict validation, the TTML and blank refusals, Canvas's
worked examples (canvas-media-api.md §3.2, §4 cases 14-19, adapted to decisions D7/D8), and a
property showing our SRT conversion is byte-identical to Canvas's on well-formed SRT."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediaobjects.captions import (
    BLANK_MESSAGE,
    TTML_MESSAGE,
    CaptionError,
    Cue,
    looks_like_ttml,
    normalise_caption,
    srt_to_webvtt,
)

# --- Canvas's conversion, rewritten here from §3.2 as an oracle (test code only) --------------


def canvas_oracle(content: str) -> str:
    text = re.sub(r"(:|^)([0-9])(,|:)", r"\g<1>0\g<2>\g<3>", content, flags=re.MULTILINE)
    text = re.sub(r"([0-9]{2}:[0-9]{2}:[0-9]{2}),([0-9]{3})", r"\1.\2", text)
    text = text.replace("\r\n", "\n")
    return ("WEBVTT\n\n" + text).strip(" \t\n\v\f\r\x00")


def test_oracle_reproduces_the_spec_examples() -> None:
    assert canvas_oracle("1:2:3,456") == "WEBVTT\n\n01:2:03,456"
    assert canvas_oracle("5, 6, 7\nratio 3:4:5") == "WEBVTT\n\n05, 6, 7\nratio 3:04:5"
    assert canvas_oracle("1\n0:00:01,000 --> 0:00:04,000\nHi") == (
        "WEBVTT\n\n1\n00:00:01.000 --> 0:00:04,000\nHi"
    )


# --- worked examples --------------------------------------------------------------------


def test_canvas_docs_sample() -> None:
    content = "1\r\n00:00:00,000 --> 00:00:01,251\r\nThis is the content\r\n"
    expected = "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.251\nThis is the content"
    assert srt_to_webvtt(content) == expected
    assert normalise_caption(content).webvtt == expected


def test_case_16_simple_srt() -> None:
    content = "1\n00:00:01,000 --> 00:00:04,000\nHi"
    assert srt_to_webvtt(content) == "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nHi"


def test_case_16b_single_digit_end_hour_is_repaired_unlike_canvas() -> None:
    content = "1\n0:00:01,000 --> 0:00:04,000\nHi"
    assert canvas_oracle(content) == "WEBVTT\n\n1\n00:00:01.000 --> 0:00:04,000\nHi"
    assert srt_to_webvtt(content) == "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nHi"


def test_repairs_canvas_leaves_broken() -> None:
    content = (
        "\ufeff1\r00:00:01,5 --> 00:00:02,25\rFish & chips <i>now</i>\r"
        "\r2\r00:00:03,000 --> 00:00:04,000\rBye\r"
    )
    assert srt_to_webvtt(content) == (
        "WEBVTT\n\n"
        "1\n00:00:01.500 --> 00:00:02.250\nFish &amp; chips <i>now</i>\n\n"
        "2\n00:00:03.000 --> 00:00:04.000\nBye"
    )


def test_case_19_trailing_blank_lines_and_spaces_are_not_served() -> None:
    content = "1\n00:00:01,000 --> 00:00:04,000\nHi   \n\n\n  \n"
    assert normalise_caption(content).webvtt == "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nHi"


def test_srt_to_webvtt_rejects_invalid_srt() -> None:
    with pytest.raises(CaptionError) as caught:
        srt_to_webvtt("1\n00:00:01,000 -> 00:00:04,000\nHi")
    assert str(caught.value) == (
        'line 2, cue 1: expected a timing line like "00:00:01,000 --> 00:00:02,000" '
        'but found "00:00:01,000 -> 00:00:04,000"'
    )


@pytest.mark.parametrize("content", ["subs", "123$%blah#badmanbad"])
def test_cases_14_and_18_garbage_is_rejected_by_default(content: str) -> None:
    with pytest.raises(CaptionError) as caught:
        normalise_caption(content)
    # No line holds anything like a time: the file as a whole is the problem.
    assert caught.value.line is None
    assert str(caught.value).startswith(
        "no timing found: this looks like a plain transcript; captions need times such as "
        '"00:00:01,000 --> 00:00:02,000" (SRT)'
    )


@pytest.mark.parametrize(
    ("content", "served"),
    [
        ("subs", "WEBVTT\n\nsubs"),
        ("123$%blah#badmanbad", "WEBVTT\n\n123$%blah#badmanbad"),
        ("1\n0:00:01,000 -> 0:00:04,000\r\nHi\r\n", "WEBVTT\n\n1\n00:00:01.000 -> 0:00:04,000\nHi"),
    ],
)
def test_cases_14_and_18_lenient_converts_garbage_like_canvas(content: str, served: str) -> None:
    result = normalise_caption(content, lenient=True)
    assert result.webvtt == served
    assert result.format == "srt"
    assert result.legacy is True
    assert result.document.cues == ()


def test_lenient_serves_invalid_content_mentioning_webvtt_untouched_like_canvas() -> None:
    content = "WEBVTT\r\n\r\nthis is not a cue\r\n"
    result = normalise_caption(content, lenient=True)
    assert (result.format, result.webvtt, result.legacy) == ("webvtt", content, True)


def test_lenient_still_uses_the_strict_path_for_valid_input() -> None:
    result = normalise_caption("1\n0:00:01,000 --> 0:00:04,000\nHi", lenient=True)
    assert result.legacy is False
    assert result.webvtt == "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nHi"
    assert result.document.cues == (Cue(1000, 4000, "Hi", "1"),)


# --- WebVTT uploads (case 17, D7) -------------------------------------------------------


def test_case_17_webvtt_upload_is_served_normalised() -> None:
    content = (
        "\ufeffWEBVTT\r\nKind: captions\r\n\r\n"
        "1\r\n00:01.000 --> 00:04.000  align:start\r\nHi & bye\r\n\r\n\r\n"
    )
    result = normalise_caption(content)
    assert result.format == "webvtt"
    assert result.legacy is False
    assert result.webvtt == (
        "WEBVTT\nKind: captions\n\n1\n00:00:01.000 --> 00:00:04.000 align:start\nHi &amp; bye"
    )
    assert result.document.cues == (Cue(1000, 4000, "Hi & bye", "1", "align:start"),)


def test_invalid_webvtt_upload_names_the_line() -> None:
    with pytest.raises(CaptionError) as caught:
        normalise_caption("WEBVTT\n\n00:01.000 --> 00:04,000\nHi")
    assert caught.value.line == 3


def test_webvtt_without_cues_is_rejected() -> None:
    with pytest.raises(CaptionError) as caught:
        normalise_caption("WEBVTT\n\nNOTE nothing here yet\n")
    assert caught.value.line is None
    assert str(caught.value) == (
        'no cues found: expected a cue timing line like "00:00:01.000 --> 00:00:02.000"'
    )


def test_webvtt_mentioned_later_is_still_srt() -> None:
    result = normalise_caption("1\n00:00:01,000 --> 00:00:02,000\nWEBVTT is a format")
    assert result.format == "srt"
    assert result.webvtt == "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nWEBVTT is a format"


def test_webvtt_keeps_the_trailing_whitespace_of_its_last_cue() -> None:
    result = normalise_caption("WEBVTT\n\n00:01.000 --> 00:02.000\nbye \n\t\n\n")
    assert result.webvtt == "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nbye \n\t"
    assert result.document.cues == (Cue(1000, 2000, "bye \n\t"),)


# --- refusals that hold even when lenient -----------------------------------------------


@pytest.mark.parametrize("lenient", [False, True])
@pytest.mark.parametrize(
    "content",
    [
        "<TT\n\tXMLNS='x'>",
        "1\n00:00:01,000 --> 00:00:02,000\n<tt xml>",
    ],
)
def test_case_9_ttml_is_refused(content: str, lenient: bool) -> None:
    assert looks_like_ttml(content)
    with pytest.raises(CaptionError) as caught:
        normalise_caption(content, lenient=lenient)
    assert caught.value.line is None
    assert str(caught.value) == TTML_MESSAGE


@pytest.mark.parametrize("content", ["<tt>", "<ttxml>", "<tt>xml", "<tt\u00a0xml"])
def test_not_ttml(content: str) -> None:
    assert not looks_like_ttml(content)


def test_tt_without_attributes_is_a_tag_browsers_hide() -> None:
    # Not TTML; like any unknown tag a browser would hide it, so it is removed, text kept.
    result = normalise_caption("1\n00:00:01,000 --> 00:00:02,000\n<tt>mono</tt>")
    assert result.webvtt.endswith("\nmono")


@pytest.mark.parametrize("lenient", [False, True])
@pytest.mark.parametrize("content", ["", " ", "\r\n\t \n", "\ufeff", "\ufeff \n", "\u3000"])
def test_case_10_blank_content_is_refused(content: str, lenient: bool) -> None:
    with pytest.raises(CaptionError) as caught:
        normalise_caption(content, lenient=lenient)
    assert caught.value.line is None
    assert str(caught.value) == BLANK_MESSAGE


# --- the Canvas equivalence property ----------------------------------------------------

_CANVAS_PADS = re.compile(r"(:|^)[0-9][,:]")
_CANVAS_DOTS = re.compile(r"[0-9]{2}:[0-9]{2}:[0-9]{2},[0-9]{3}")

_text_lines = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n&<>"),
    min_size=1,
    max_size=25,
).filter(
    lambda line: (
        line.strip(" \t") != ""
        and _CANVAS_PADS.search(line) is None
        and _CANVAS_DOTS.search(line) is None
    )
)

_MAX_TWO_DIGIT_HOURS_MS = 100 * 3600 * 1000 - 1


def _srt_time(ms: int, separator: str, short_hour: bool) -> str:
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    hour_text = str(hours) if short_hour and hours < 10 else f"{hours:02d}"
    return f"{hour_text}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


@st.composite
def well_formed_srt(draw: st.DrawFn) -> str:
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    numbered = draw(st.booleans())
    blocks = []
    for index in range(draw(st.integers(1, 5))):
        start = draw(st.integers(0, _MAX_TWO_DIGIT_HOURS_MS - 1))
        end = draw(st.integers(start + 1, min(start + 10_000_000, _MAX_TWO_DIGIT_HOURS_MS)))
        separator = draw(st.sampled_from([",", "."]))
        # Canvas pads a single-digit hour at the start of a line, i.e. in the start time only.
        start_text = _srt_time(start, separator, short_hour=draw(st.booleans()))
        end_text = _srt_time(end, separator, short_hour=False)
        lines = [f"{start_text} --> {end_text}", *draw(st.lists(_text_lines, max_size=3))]
        if numbered:
            lines.insert(0, str(draw(st.sampled_from([index + 1, index, 1000 + index]))))
        blocks.append(newline.join(lines))
    ending = draw(st.sampled_from(["", "\n", "\r\n", "\n\n", "\r\n\r\n", " \n\t\n"]))
    return (newline * 2).join(blocks) + ending


@settings(max_examples=400, deadline=None)
@given(well_formed_srt())
def test_well_formed_srt_converts_exactly_as_canvas_does(content: str) -> None:
    assert srt_to_webvtt(content) == canvas_oracle(content)
    assert normalise_caption(content).webvtt == canvas_oracle(content)
