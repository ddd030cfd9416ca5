"""SRT parsing and writing: what uploads are accepted, and the exact message (with its line)
for every way an upload is rejected."""

from __future__ import annotations

import pytest

from mediaobjects.captions import CaptionDocument, CaptionError, Cue, parse_srt, write_srt

TIMING = '"00:00:01,000 --> 00:00:02,000"'


def reject(text: str) -> CaptionError:
    with pytest.raises(CaptionError) as caught:
        parse_srt(text)
    return caught.value


# --- accepted ---------------------------------------------------------------------------


def test_canvas_docs_sample_with_crlf() -> None:
    doc = parse_srt("1\r\n00:00:00,000 --> 00:00:01,251\r\nThis is the content\r\n")
    assert doc.cues == (Cue(0, 1251, "This is the content", "1"),)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_line_ending(newline: str) -> None:
    text = newline.join(
        ["1", "00:00:01,000 --> 00:00:02,000", "Hello", "world", "", "2"]
        + ["00:00:03,000 --> 00:00:04,000", "Bye", ""]
    )
    doc = parse_srt(text)
    assert [c.text for c in doc.cues] == ["Hello\nworld", "Bye"]
    assert [c.identifier for c in doc.cues] == ["1", "2"]


def test_bom_and_blank_lines_around_and_between_cues() -> None:
    text = (
        "\ufeff\n\n1\n00:00:01,000 --> 00:00:02,000\nA\n\n\n \t\n"
        "2\n00:00:03,000 --> 00:00:04,000\nB\n\n\n"
    )
    doc = parse_srt(text)
    assert [(c.start_ms, c.end_ms, c.text) for c in doc.cues] == [
        (1000, 2000, "A"),
        (3000, 4000, "B"),
    ]


def test_cue_numbers_are_optional_and_kept_verbatim() -> None:
    doc = parse_srt("00:00:01,000 --> 00:00:02,000\nA\n\n007\n00:00:03,000 --> 00:00:04,000\nB")
    assert [c.identifier for c in doc.cues] == [None, "007"]


@pytest.mark.parametrize(
    ("token", "ms"),
    [
        ("00:00:01,000", 1000),
        ("0:00:01,000", 1000),  # single-digit hours
        ("100:00:00,000", 360_000_000),  # more than two hour digits
        ("00:00:01.000", 1000),  # "." instead of ","
        ("00:00:01,5", 1500),  # a fraction of a second, not 5 ms
        ("00:00:01,25", 1250),
        ("01:02:03,004", 3_723_004),
    ],
)
def test_tolerated_timestamp_forms(token: str, ms: int) -> None:
    doc = parse_srt(f"1\n{token} --> 200:00:00,000\nx")
    assert doc.cues[0].start_ms == ms


def test_spacing_around_the_arrow_and_after_numbers_is_free() -> None:
    doc = parse_srt("1  \n 00:00:01,000-->00:00:02,000 \t\nx")
    assert doc.cues == (Cue(1000, 2000, "x", "1"),)


def test_cue_without_text_is_kept_empty() -> None:
    doc = parse_srt("1\n00:00:01,000 --> 00:00:02,000\n\n2\n00:00:03,000 --> 00:00:04,000\nB")
    assert [c.text for c in doc.cues] == ["", "B"]


def test_text_is_kept_as_written() -> None:
    text = "  <i>Tom & Jerry</i>  \nA --> B, 5:4 ratio"
    doc = parse_srt(f"1\n00:00:01,000 --> 00:00:02,000\n{text}\n")
    assert doc.cues[0].text == text


def test_cues_out_of_order_are_accepted() -> None:
    doc = parse_srt("1\n00:00:05,000 --> 00:00:06,000\nA\n\n2\n00:00:01,000 --> 00:00:02,000\nB")
    assert [c.start_ms for c in doc.cues] == [5000, 1000]


# --- rejected ---------------------------------------------------------------------------


def test_plain_text_is_not_srt() -> None:
    error = reject("subs")
    assert error.line == 1
    assert error.message == f'expected a cue number or a timing line like {TIMING} but found "subs"'
    assert error.cue is None
    assert (
        str(error)
        == f'line 1: expected a cue number or a timing line like {TIMING} but found "subs"'
    )


def test_cue_number_without_timing_line() -> None:
    error = reject("1\n00:00:01,000 --> 00:00:02,000\nHi\n\n2\nHello there\n")
    assert (
        str(error) == f'line 6, cue 2: expected a timing line like {TIMING} but found "Hello there"'
    )


def test_timing_line_missing_at_end_of_file() -> None:
    error = reject("1\n00:00:01,000 --> 00:00:02,000\nHi\n\n2")
    assert (
        str(error) == f"line 6, cue 2: expected a timing line like {TIMING} but the file ends here"
    )


def test_end_before_start() -> None:
    error = reject("1\n00:00:02,000 --> 00:00:01,000\nx")
    assert str(error) == "line 2, cue 1: end time 00:00:01,000 is before start time 00:00:02,000"


def test_end_equal_to_start() -> None:
    error = reject("1\n00:00:02,000 --> 00:00:02,000\nx")
    assert str(error) == (
        "line 2, cue 1: end time 00:00:02,000 is the same as the start time; "
        "a cue must end after it starts"
    )


def test_minutes_of_sixty_or_more() -> None:
    error = reject("1\n00:60:00,000 --> 01:00:02,000\nx")
    assert str(error) == 'line 2, cue 1: minutes must be less than 60 in "00:60:00,000"'


def test_seconds_of_sixty_or_more() -> None:
    error = reject("1\n00:00:01,000 --> 00:00:75,000\nx")
    assert str(error) == 'line 2, cue 1: seconds must be less than 60 in "00:00:75,000"'


@pytest.mark.parametrize(
    "token",
    ["00:00:01", "00:00:01,0000", "00:0:01,000", "00:00:1,000", "aa:00:01,000", "00:00:01;000"],
)
def test_malformed_start_time(token: str) -> None:
    error = reject(f"1\n{token} --> 00:00:02,000\nx")
    assert (
        str(error)
        == f'line 2, cue 1: expected a start time like "00:00:01,000" but found "{token}"'
    )


def test_malformed_end_time() -> None:
    error = reject("1\n00:00:01,000 --> 00:00:02\nx")
    assert (
        str(error) == 'line 2, cue 1: expected an end time like "00:00:01,000" but found "00:00:02"'
    )


def test_non_ascii_digits_are_not_digits() -> None:
    error = reject("1\n٠٠:٠٠:٠١,٠٠٠ --> 00:00:02,000\nx")
    assert error.line == 2
    assert error.message.startswith("expected a start time like")


def test_missing_start_time() -> None:
    error = reject("1\n --> 00:00:02,000\nx")
    assert str(error) == 'line 2, cue 1: expected a start time like "00:00:01,000" before "-->"'


def test_missing_end_time() -> None:
    error = reject("1\n00:00:01,000 -->\nx")
    assert str(error) == 'line 2, cue 1: expected an end time like "00:00:02,000" after "-->"'


def test_text_after_end_time() -> None:
    error = reject("1\n00:00:01,000 --> 00:00:02,000 X1:40 X2:600\nx")
    assert str(error) == 'line 2, cue 1: unexpected text after the end time: "X1:40 X2:600"'


def test_hours_absurdly_large() -> None:
    error = reject("1\n1234567890:00:01,000 --> 1234567890:00:02,000\nx")
    assert str(error) == 'line 2, cue 1: the hours in "1234567890:00:01,000" are too large'


def test_missing_blank_line_between_cues_points_at_the_number() -> None:
    error = reject("1\n00:00:01,000 --> 00:00:02,000\nA\n2\n00:00:03,000 --> 00:00:04,000\nB")
    assert str(error) == "line 4, cue 1: expected a blank line before the next cue"


def test_missing_blank_line_and_number_points_at_the_timing_line() -> None:
    error = reject("1\n00:00:01,000 --> 00:00:02,000\nA\n00:00:03,000 --> 00:00:04,000\nB")
    assert str(error) == "line 4, cue 1: expected a blank line before the next cue"


def test_blank_line_inside_cue_text() -> None:
    error = reject("1\n00:00:01,000 --> 00:00:02,000\nFirst paragraph\n\nSecond paragraph\n")
    # The blank line is the mistake, not the text after it.
    assert str(error) == (
        'line 4, cue 1: a blank line ends a cue, so "Second paragraph" on line 5 belongs to no '
        "cue (remove the blank line, or start a new cue there)"
    )


@pytest.mark.parametrize("text", ["", "\n\n", "  \t \r\n", "\ufeff"])
def test_no_cues(text: str) -> None:
    error = reject(text)
    assert error.line is None
    assert str(error) == (
        f"no cues found: expected a cue number followed by a timing line like {TIMING}"
    )


def test_webvtt_header_out_of_place_gets_a_hint() -> None:
    error = reject("\nWEBVTT\n\n00:00.000 --> 00:01.000\nx")
    assert str(error) == (
        f'line 2: expected a cue number or a timing line like {TIMING} but found "WEBVTT" '
        '(a WebVTT file must start with "WEBVTT", in capitals, on its first line)'
    )


def test_long_values_are_shortened_in_messages() -> None:
    error = reject("1\n" + "9" * 80 + ":00:01,000 --> 00:00:02,000\nx")
    assert len(error.message) < 100
    assert "…" in error.message


# --- writing ----------------------------------------------------------------------------


def test_write_canonical_srt() -> None:
    doc = CaptionDocument(
        cues=(
            Cue(1500, 4000, "Hello\nworld", "a", "align:start"),
            Cue(360_000_000, 360_000_001, "Late"),
        )
    )
    assert write_srt(doc) == (
        "1\n00:00:01,500 --> 00:00:04,000\nHello\nworld\n"
        "\n"
        "2\n100:00:00,000 --> 100:00:00,001\nLate\n"
    )


def test_write_srt_keeps_structure_safe() -> None:
    doc = CaptionDocument(
        cues=(Cue(0, 1000, "a\n\n  \nb\r\n00:00:01,000 --> 00:00:02,000"), Cue(1000, 2000, ""))
    )
    written = write_srt(doc)
    assert written == (
        "1\n00:00:00,000 --> 00:00:01,000\na\nb\n00:00:01,000 -> 00:00:02,000\n"
        "\n"
        "2\n00:00:01,000 --> 00:00:02,000\n"
    )
    assert [c.text for c in parse_srt(written).cues] == [
        "a\nb\n00:00:01,000 -> 00:00:02,000",
        "",
    ]
