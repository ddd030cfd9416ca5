"""A rejected file lists every problem found, not just the first: up to MAX_PROBLEMS of them,
each with its line, the cue it belongs to and a reason that shows what is really there."""

from __future__ import annotations

import pytest

from mediaobjects.captions import (
    MAX_PROBLEMS,
    CaptionError,
    Problem,
    normalise_caption,
    parse_srt,
    parse_webvtt,
)

SRT_TIMING = '"00:00:01,000 --> 00:00:02,000"'
VTT_TIMING = '"00:00:01.000 --> 00:00:02.000"'


def problems(parse: object, text: str) -> list[tuple[int | None, int | None, str]]:
    assert callable(parse)
    with pytest.raises(CaptionError) as caught:
        parse(text)
    return [(p.line, p.cue, p.message) for p in caught.value.problems]


def test_srt_lists_every_broken_cue_and_checks_the_good_ones_between() -> None:
    text = (
        "1\n00:00:01,000 --> 00:00:02\nx\n\n"  # 1: bad end time (line 2)
        "2\n00:00:03,000 --> 00:00:04,000\ny\n"  # 2: fine, but no blank line after it
        "3\n00:00:05,000 --> 00:00:04,000\nz\n\n"  # 3: ends before it starts (line 9)
        "\f\n\n"  # not a cue: a form feed (line 12)
        "4\nfoo\n\n"  # 4: no timing line (line 15)
        "5\n00:00:07,000 --> 00:00:08,000\nfine\n\n"
        "6\n"  # 6: the file ends after the number (line 22)
    )
    assert problems(parse_srt, text) == [
        (2, 1, 'expected an end time like "00:00:01,000" but found "00:00:02"'),
        (8, 2, "expected a blank line before the next cue"),
        (9, 3, "end time 00:00:04,000 is before start time 00:00:05,000"),
        (12, None, f'expected a cue number or a timing line like {SRT_TIMING} but found "\\f"'),
        (15, 4, f'expected a timing line like {SRT_TIMING} but found "foo"'),
        (22, 6, f"expected a timing line like {SRT_TIMING} but the file ends here"),
    ]


def test_srt_blank_line_inside_a_cue_is_reported_at_the_blank_line() -> None:
    text = "1\n00:00:01,000 --> 00:00:02,000\nOne\n\n\nTwo\n\n2\n00:00:03,000 --> 00:00:04,000\nz"
    assert problems(parse_srt, text) == [
        (
            4,
            1,
            'a blank line ends a cue, so "Two" on line 6 belongs to no cue (remove the blank '
            "line, or start a new cue there)",
        )
    ]


def test_webvtt_lists_every_problem() -> None:
    text = (
        "WEBVTT\n\n"
        "00:01.000 --> 00:02,000\nx\n\n"  # cue 1, line 3
        "\f\n\n"  # line 6
        "00:03.000 --> 00:02.000\ny\n\n"  # cue 2, line 8
        "00:04.000 --> 00:05.000 bogus size:50% aling:start\n"  # cue 3, line 11
        "00:05.000 --> 00:06.000\nz\n\n"  # cue 4 without a blank line before it, line 12
        "foo\nbar\n\n"  # line 15-16
        "STYLE\n::cue {}\n"  # line 18
    )
    assert problems(parse_webvtt, text) == [
        (
            3,
            1,
            'expected an end time like "00:00:01.000" but found "00:02,000" '
            '(WebVTT uses "." before the milliseconds, not ",")',
        ),
        (6, None, f'expected a cue timing line like {VTT_TIMING} but found "\\f"'),
        (8, 2, "end time 00:00:02.000 is before start time 00:00:03.000"),
        (11, 3, 'expected a cue setting like "align:start" but found "bogus"'),
        (
            11,
            3,
            'unknown cue setting "aling:start" '
            "(WebVTT knows vertical, line, position, size, align, region)",
        ),
        (12, 3, 'cue text must not contain "-->" (is a blank line missing before the next cue?)'),
        (16, None, f'expected a cue timing line like {VTT_TIMING} but found "bar"'),
        (18, None, "STYLE blocks must come before the first cue"),
    ]


def test_webvtt_blank_line_inside_a_style_block_is_reported_at_that_line() -> None:
    text = "WEBVTT\n\nSTYLE\n::cue {\n  color: red;\n\n}\n\n00:01.000 --> 00:02.000\nx"
    assert problems(parse_webvtt, text) == [
        (
            6,
            None,
            "a blank line ends the STYLE block, so the lines after it (from line 7) are not "
            "part of it: remove the blank line",
        )
    ]


def test_webvtt_blank_line_inside_region_settings_is_reported_at_that_line() -> None:
    text = "WEBVTT\n\nREGION\nid:fred\n\nwidth:40% lines:3\n\n00:01.000 --> 00:02.000\nx"
    assert [line for line, _, _ in problems(parse_webvtt, text)] == [5]


def test_webvtt_stray_text_after_a_finished_style_block_is_not_blamed_on_a_blank_line() -> None:
    text = "WEBVTT\n\nSTYLE\n::cue { color: red }\n\nHello\n\n00:01.000 --> 00:02.000\nx"
    assert problems(parse_webvtt, text) == [
        (6, None, f'expected a cue timing line like {VTT_TIMING} but found "Hello"')
    ]


def test_webvtt_arrows_in_a_style_block_are_each_reported() -> None:
    text = "WEBVTT\n\nSTYLE\n::cue {}\n/* a --> b */\n/* --> */\n\n00:01.000 --> 00:02.000\nx"
    assert problems(parse_webvtt, text) == [
        (5, None, 'a STYLE block must not contain "-->"'),
        (6, None, 'a STYLE block must not contain "-->"'),
    ]


@pytest.mark.parametrize(
    ("invisible", "shown"),
    [("\f", "\\f"), ("\t", "\\t"), ("\u00a0", "\\u00a0"), ("\u200b", "\\u200b"), ("\v", "\\v")],
)
def test_invisible_characters_are_quoted_visibly(invisible: str, shown: str) -> None:
    (problem,) = problems(parse_webvtt, f"WEBVTT\n\n{invisible}x\n")
    assert problem == (
        3,
        None,
        f'expected a cue timing line like {VTT_TIMING} but found "{shown}x"',
    )
    if invisible != "\t":  # a tab would separate the end time from what follows
        (problem,) = problems(parse_srt, f"1\n00:00:01,000 --> 00:00:02,000{invisible}\ny")
        assert problem[2] == (
            f'expected an end time like "00:00:01,000" but found "00:00:02,000{shown}"'
        )


@pytest.mark.parametrize("parse", [parse_srt, parse_webvtt])
def test_at_most_max_problems_are_listed(parse: object) -> None:
    bad_cue = "00:00:02.000 --> 00:00:01.000\nx\n\n"
    text = "WEBVTT\n\n" + bad_cue * (MAX_PROBLEMS + 10)
    if parse is parse_srt:
        text = text.removeprefix("WEBVTT\n\n").replace(".", ",")
    listed = problems(parse, text)
    assert len(listed) == MAX_PROBLEMS
    assert [cue for _, cue, _ in listed] == list(range(1, MAX_PROBLEMS + 1))


def test_normalise_caption_passes_every_problem_on() -> None:
    with pytest.raises(CaptionError) as caught:
        normalise_caption("1\n00:00:02,000 --> 00:00:01,000\nx\n\n2\n00:00:04 --> 00:00:05,000\ny")
    assert caught.value.problems == (
        Problem("end time 00:00:01,000 is before start time 00:00:02,000", 2, 1),
        Problem('expected a start time like "00:00:01,000" but found "00:00:04"', 6, 2),
    )
