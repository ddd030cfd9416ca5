"""SCC (CEA-608) reading and writing: hand-written files in the shapes vendors deliver, with the
cues a viewer sees spelled out; timecode arithmetic; every way a file is refused; round trips
through our reader and through pycaption's."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mediaobjects.captions import (
    CaptionDocument,
    CaptionError,
    Cue,
    parse_scc,
    plain_text,
    write_scc,
)
from mediaobjects.captions.scc import frame_to_drop_frame, timecode_to_frame

FRAME_MS = 1001 / 30  # one frame at 29.97 fps, in milliseconds


def at(frame: int) -> int:
    """Milliseconds of a frame, rounded as the parser does."""
    return round(frame * FRAME_MS)


def scc(*lines: str, newline: str = "\n") -> str:
    return newline.join(["Scenarist_SCC V1.0", "", *lines, ""])


def reject(text: str) -> CaptionError:
    with pytest.raises(CaptionError) as caught:
        parse_scc(text)
    return caught.value


# --- timecodes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "drop", "frames"),
    [
        ((0, 0, 0, 0), True, 0),
        ((0, 0, 59, 29), True, 1799),
        ((0, 1, 0, 2), True, 1800),  # ;00 and ;01 do not exist in minute 1
        ((0, 10, 0, 0), True, 17982),  # every tenth minute keeps them
        ((1, 0, 0, 0), True, 107_892),
        ((1, 0, 0, 0), False, 108_000),
        ((0, 0, 1, 15), False, 45),
    ],
)
def test_timecode_frames(label: tuple[int, int, int, int], drop: bool, frames: int) -> None:
    assert timecode_to_frame(*label, drop=drop) == frames


def test_an_hour_of_drop_frame_is_an_hour_of_real_time_and_non_drop_runs_slow() -> None:
    drop = parse_scc(scc("01:00:00;00\t9420 9420 9470 9470 c8e9 942f 942f"))
    non_drop = parse_scc(scc("01:00:00:00\t9420 9420 9470 9470 c8e9 942f 942f"))
    # The EOC is the 6th word: 5 frames after the line's timecode.
    assert abs(drop.cues[0].start_ms - 5 * FRAME_MS - 3_600_000) < FRAME_MS
    assert non_drop.cues[0].start_ms == round(3_603_600 + 5 * FRAME_MS)


def test_a_drop_frame_label_that_does_not_exist_reads_as_the_next_one() -> None:
    assert timecode_to_frame(0, 1, 0, 0, drop=True) == timecode_to_frame(0, 1, 0, 2, drop=True)


@pytest.mark.parametrize("frame", [0, 1, 1799, 1800, 1801, 17_981, 17_982, 107_892, 2_000_000])
def test_drop_frame_labels_read_back_as_the_same_frame(frame: int) -> None:
    label = frame_to_drop_frame(frame)
    hours, minutes, seconds, frames = (int(part) for part in re.split("[:;]", label))
    assert timecode_to_frame(hours, minutes, seconds, frames, drop=True) == frame


def test_drop_frame_labels_known_values() -> None:
    assert frame_to_drop_frame(1800) == "00:01:00;02"
    assert frame_to_drop_frame(17_982) == "00:10:00;00"
    assert frame_to_drop_frame(107_892) == "01:00:00;00"


# --- pop-on ---------------------------------------------------------------------------------

POP_ON = scc(
    # ENM, RCL, row 14 indent 4, ♪, " Somewhere over", row 15 italics, "the rainbow ", ♪, EOC
    "00:00:01;00\t94ae 94ae 9420 9420 9452 9452 9137 9137 20d3 ef6d e5f7 68e5 f2e5 20ef 76e5"
    " f280 946e 946e f468 e520 f261 e96e 62ef f720 9137 9137 942f 942f",
    "",
    "00:00:04;00\t942c 942c",
    "",
    # ENM, RCL, row 15 col 0, "Tom & Jerry", mid-row italics, "again", " <3", EOC
    "00:00:05;00\t94ae 94ae 9420 9420 9470 9470 54ef 6d20 2620 4ae5 f2f2 7980 91ae 91ae 6167"
    " 61e9 6e80 9120 9120 bcb3 942f 942f",
    "",
    # The next caption replaces this one at its EOC, without an EDM.
    "00:00:07;00\t94ae 94ae 9420 9420 9470 9470 c8e9 942f 942f",
    "",
    "00:00:09;00\t942c 942c",
)


def test_pop_on_captions_appear_at_their_eoc_and_end_at_edm_or_the_next_eoc() -> None:
    doc = parse_scc(POP_ON)
    assert doc.cues == (
        Cue(at(30 + 26), at(120), "♪ Somewhere over\n<i>the rainbow ♪</i>"),
        Cue(at(150 + 20), at(210 + 7), "Tom &amp; Jerry <i>again</i> &lt;3"),
        Cue(at(210 + 7), at(270), "Hi"),
    )


def test_non_drop_frame_file() -> None:
    # ":" before the frames: 30 labels a second, so each label is frame number × 1001/30 ms.
    doc = parse_scc(
        scc(
            "00:00:09:05\t94ae 94ae 9420 9420 9470 9470 a820 64ef eff2 2073 ec61 6d73 2029 942f"
            " 942f",
            "",
            "00:00:12:08\t942c 942c",
            "",
            "00:00:13:00\t94ae 94ae 9420 9420 94d0 94d0 cec1 5252 c154 4f52 ba80 9470 9470 49f4"
            " 20f7 6173 20ec 61f4 e5ae 942f 942f",
            "",
            "00:00:16:00\t942c 942c",
        )
    )
    assert doc.cues == (
        Cue(at(275 + 13), at(368), "( door slams )"),
        Cue(at(390 + 19), at(480), "NARRATOR:\nIt was late."),
    )


def test_crlf_and_bom() -> None:
    assert parse_scc("\ufeff" + POP_ON.replace("\n", "\r\n")) == parse_scc(POP_ON)


def test_words_without_parity_and_in_capitals_read_the_same() -> None:
    # Some tools write "1420" for RCL; the parity bit is stripped, not checked.
    stripped = scc("00:00:01;00\t1420 1420 1470 1470 4869 142F 142F", "00:00:03;00\t142C 142C")
    assert parse_scc(stripped).cues == (Cue(at(30 + 5), at(90), "Hi"),)


def test_without_enm_the_swapped_out_caption_is_still_in_memory() -> None:
    # EOC swaps the memories: the caption shown before comes back as non-displayed memory
    # and rows the next caption does not overwrite stay, as on a television.
    doc = parse_scc(
        scc(
            "00:00:01;00\t9420 9420 94d0 94d0 4f6e e580 942f 942f",  # row 14 "One"
            "00:00:02;00\t9420 9420 9470 9470 54f7 ef80 942f 942f",  # row 15 "Two"
            "00:00:03;00\t9420 9420 9470 9470 5468 f2e5 e580 942f 942f",  # row 15 "Three"
            "00:00:04;00\t942c 942c",
        )
    )
    assert [cue.text for cue in doc.cues] == ["One", "Two", "One\nThree"]


def test_a_code_repeated_on_a_later_line_is_a_new_command() -> None:
    # Only the copy that immediately follows is dropped: between lines the stream had padding.
    doc = parse_scc(
        scc("00:00:01;00\t9420 9420 9470 9470 c8e9 942f", "00:00:02;00\t942f", "00:00:05;00\t942c")
    )
    assert doc.cues == (Cue(at(35), at(60), "Hi"),)


def test_backspace_delete_to_end_of_row_and_tab_offsets() -> None:
    doc = parse_scc(
        scc(
            # row 15 indent 8, TO2, "Help", BS, "lo", "One", DER after moving back 3 columns
            "00:00:01;00\t9420 9420 94f4 94f4 97a2 97a2 c8e5 ec80 7080 94a1 94a1 ecef"
            " 4f6e e580 94a1 94a1 94a1 94a1 94a1 94a1 94a4 94a4 942f 942f",
            "00:00:03;00\t942c 942c",
        )
    )
    assert [cue.text for cue in doc.cues] == ["Hello"]


def test_channel_two_is_ignored() -> None:
    doc = parse_scc(
        scc(
            # CC2: RCL, row 15, "CC2 text", EOC; then CC1 "Hi".
            "00:00:01;00\t1c20 1c20 1c70 1c70 4343 3220 f4e5 f8f4 1c2f 1c2f",
            "00:00:02;00\t9420 9420 9470 9470 c8e9 942f 942f",
            "00:00:03;00\t942c 942c",
        )
    )
    assert [cue.text for cue in doc.cues] == ["Hi"]


def test_a_file_with_only_channel_two_says_so() -> None:
    error = reject(scc("00:00:01;00\t1c20 1c20 1c70 1c70 4343 3220 f4e5 f8f4 1c2f 1c2f"))
    assert "CC1" in error.message and "another channel" in error.message


def test_a_caption_left_on_screen_at_the_end_gets_four_seconds() -> None:
    doc = parse_scc(scc("00:00:01;00\t9420 9420 9470 9470 c8e9 942f 942f"))
    assert doc.cues == (Cue(at(35), at(35 + 120), "Hi"),)


# --- roll-up and paint-on -------------------------------------------------------------------

ROLL_UP = scc(
    # RU2, CR, row 15 col 0, "Hello"
    "00:00:02;00\t9425 9425 94ad 94ad 9470 9470 c8e5 ecec ef80",
    "",
    "00:00:03;00\t94ad 94ad 9470 9470 f7ef f2ec 6480",  # CR, row 15, "world"
    "",
    "00:00:04;00\t94ad 94ad 9470 9470 d3e5 e520 79ef 75a1",  # CR, row 15, "See you!"
    "",
    "00:00:06;00\t942c 942c",
)


def test_roll_up_two_rows_each_carriage_return_ends_a_cue_with_the_visible_rows() -> None:
    doc = parse_scc(ROLL_UP)
    assert doc.cues == (
        Cue(at(60 + 6), at(90), "Hello"),  # from its first character
        Cue(at(90), at(120), "Hello\nworld"),
        Cue(at(120), at(180), "world\nSee you!"),
    )


def test_roll_up_three_rows_moved_up_the_screen_by_a_preamble() -> None:
    doc = parse_scc(
        scc(
            "00:00:01;00\t9426 9426 94ad 94ad 9470 9470 4f6e e580",  # RU3, CR, row 15, "One"
            "00:00:02;00\t94ad 94ad 9470 9470 54f7 ef80",  # CR, row 15, "Two"
            # CR, then row 12: the window and its rows move up to end on row 12; "Three"
            "00:00:03;00\t94ad 94ad 1340 1340 5468 f2e5 e580",
            "00:00:04;00\t94ad 94ad 1340 1340 46ef 75f2",  # CR ("One" rolls off), "Four"
            "00:00:05;00\t942c 942c",
        )
    )
    assert doc.cues == (
        Cue(at(36), at(60), "One"),
        Cue(at(60), at(90), "One\nTwo"),
        Cue(at(90), at(120), "One\nTwo\nThree"),
        Cue(at(120), at(150), "Two\nThree\nFour"),
    )


def test_text_service_and_xds_are_not_captions() -> None:
    doc = parse_scc(
        scc(
            "00:00:01;00\t942a 942a c8e9 c8e9",  # text restart: text mode, not captions
            "00:00:02;00\t0102 c8e9 8f80",  # XDS packet (field 2 data in the wrong place)
            "00:00:03;00\t9420 9420 9470 9470 4f6e e580 942f 942f",
            "00:00:05;00\t942c 942c",
        )
    )
    assert doc.cues == (Cue(at(90 + 6), at(150), "One"),)


def test_a_doubled_control_code_sent_twice_is_two_commands() -> None:
    # Four CRs in a row are two carriage returns: with RU2 "Hello" scrolls off the top.
    doc = parse_scc(
        scc(
            "00:00:02;00\t9425 9425 9470 9470 c8e5 ecec ef80",
            "00:00:03;00\t94ad 94ad 94ad 94ad",
            "00:00:04;00\t942c 942c",
        )
    )
    assert doc.cues == (Cue(at(64), at(92), "Hello"),)


def test_paint_on_shows_characters_as_they_arrive() -> None:
    doc = parse_scc(
        scc(
            "00:00:01;00\t9429 9429 9470 9470 c8e5 ecec ef80",  # RDC, row 15, "Hello"
            "00:00:02;00\t9120 9120 f7ef f2ec 6480",  # mid-row (a space), "world"
            "00:00:03;00\t942c 942c",
        )
    )
    assert doc.cues == (Cue(at(34), at(90), "Hello world"),)


# --- characters -----------------------------------------------------------------------------


def test_extended_characters_replace_the_character_before_them() -> None:
    doc = parse_scc(
        scc(
            # row 13: "Caf\" (\ is é), row 14: "E" + É, "cole ", "u" + ü, "ber",
            # row 15: "Gru" + ü, "s" + ß, "e aus K", "o" + ö, "ln"
            "00:00:01;00\t9420 9420 1370 1370 4361 e6dc 94d0 94d0 4580 92a1 92a1 e3ef ece5 2075"
            " 9225 9225 62e5 f280 9470 9470 c7f2 7580 9225 9225 7380 1334 1334 e520 6175 7320"
            " cb80 ef80 13b3 13b3 ec6e 942f 942f",
            "00:00:03;00\t942c 942c",
        )
    )
    assert [cue.text for cue in doc.cues] == ["Café\nÉcole über\nGrüße aus Köln"]


def test_special_characters() -> None:
    doc = parse_scc(
        scc(
            "00:00:01;00\t9420 9420 9470 9470 91b0 91b0 9131 9131 9132 9132 91b3 91b3 9134 9134"
            " 91b5 91b5 91b6 91b6 9137 9137 9138 9138 91ba 91ba 913b 913b 91bc 91bc 913d 913d"
            " 913e 913e 91bf 91bf 942f 942f",
            "00:00:03;00\t942c 942c",
        )
    )
    assert [cue.text for cue in doc.cues] == ["®°½¿™¢£♪àèâêîôû"]


def test_the_basic_set_differs_from_ascii_in_ten_places() -> None:
    doc = parse_scc(
        scc(
            "00:00:01;00\t9420 9420 9470 9470 2adc 5edf e0fb 7cfd fe7f 942f 942f",
            "00:00:03;00\t942c 942c",
        )
    )
    assert [cue.text for cue in doc.cues] == ["áéíóúç÷Ññ█"]


# --- refused --------------------------------------------------------------------------------


def test_missing_header() -> None:
    error = reject("00:00:01;00\t9420 9420 9470 9470 c8e9 942f 942f\n")
    assert [(p.line, p.message) for p in error.problems] == [
        (1, 'expected the header "Scenarist_SCC V1.0" on the first line')
    ]


def test_a_webvtt_file_is_not_scc() -> None:
    error = reject("WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n")
    assert error.problems[0].line == 1
    assert "Scenarist_SCC V1.0" in error.problems[0].message


def test_malformed_lines_are_listed_with_their_line_numbers() -> None:
    error = reject(
        scc(
            "00:00:01;00\t9420 9420 9470 9470 c8e9 942f 942f",  # line 3
            "00:00:0X;00\t942c 942c",  # line 4
            "00:00:05;00\t9420 94g0 9470 942",  # line 5
            "00:00:04;00\t942c 942c",  # line 6
            "00:00:06;30\t942c 942c",  # line 7
        )
    )
    assert [p.line for p in error.problems] == [4, 5, 6, 7]
    assert error.problems[0].message.startswith('expected a timecode like "00:00:01;15"')
    assert '"00:00:0X;00"' in error.problems[0].message
    assert error.problems[1].message == (
        'expected words of four hexadecimal digits like 9420, found "94g0" and 1 more'
    )
    assert "earlier than the line before it" in error.problems[2].message
    assert error.problems[3].message == 'frames go up to 29 in the timecode "00:00:06;30"'


def test_invisible_characters_in_a_word_are_shown() -> None:
    error = reject(scc("00:00:01;00\t9420 94\u200b20 942f"))
    assert error.problems[0].message.endswith('found "94\\u200b20"')
    assert error.problems[0].line == 3


def test_at_most_twenty_problems() -> None:
    error = reject(scc(*["nonsense"] * 30))
    assert len(error.problems) == 20
    assert error.problems[-1].line == 22


def test_a_small_file_that_swaps_a_full_screen_in_and_out_is_refused() -> None:
    # Ten bytes swap a 15-row screen of 494 characters back in: 500 times in a 13 kB file.
    rows = " ".join(f"{pac} {pac} " + " ".join(["c1c1"] * 16) for pac in
                    ["9140", "91e0", "9240", "92e0", "1540", "15e0", "1640", "16e0", "9740",
                     "97e0", "1040", "1340", "13e0", "9440", "94e0"])  # fmt: skip
    error = reject(scc(f"00:00:01;00\t9420 9420 {rows} 942f" + " 9420 942f" * 1000))
    assert error.message.startswith("this file shows more than")


def test_a_header_with_nothing_after_it_has_no_captions() -> None:
    assert reject(scc()).message.startswith("no captions found")


# --- writing --------------------------------------------------------------------------------


def test_written_file_shape() -> None:
    text = write_scc(CaptionDocument(cues=(Cue(10_000, 12_000, "Hello"),)))
    lines = text.split("\n")
    assert lines[:2] == ["Scenarist_SCC V1.0", ""]
    timed = [line for line in lines if line]
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d;\d\d\t[0-9a-f]{4}( [0-9a-f]{4})*", line)
               for line in timed[1:])  # fmt: skip
    # ENM RCL PAC (all doubled) and the text, then EOC on the cue's start; EDM at its end.
    assert timed[1].split("\t")[1].startswith("94ae 94ae 9420 9420")
    assert timed[1].endswith("942f 942f")
    assert timed[2] == "00:00:12;00\t942c 942c"


def test_round_trip_keeps_text_styles_and_times() -> None:
    doc = CaptionDocument(
        cues=(
            Cue(4_000, 6_500, "<i>Hello</i> world &amp; <u>friends</u>\n♪ Grüße, Straße ♪"),
            Cue(6_500, 9_000, "Next caption replaces it"),
            Cue(15_000, 16_000, "<i><u>Both</u></i> then none"),
        )
    )
    back = parse_scc(write_scc(doc))
    assert [c.text for c in back.cues] == [
        "<i>Hello</i> world &amp; <u>friends</u>\n♪ Grüße, Straße ♪",
        "Next caption replaces it",
        "<i><u>Both</u></i> then none",
    ]
    for original, read in zip(doc.cues, back.cues, strict=True):
        assert abs(read.start_ms - original.start_ms) <= FRAME_MS
        assert abs(read.end_ms - original.end_ms) <= FRAME_MS


def test_long_lines_wrap_at_32_columns_and_more_than_4_rows_split_the_cue() -> None:
    words = "one two three four five six seven eight nine ten eleven twelve thirteen"
    doc = CaptionDocument(cues=(Cue(20_000, 30_000, f"{words}\n{words}"),))
    back = parse_scc(write_scc(doc))
    first_rows = ["one two three four five six", "seven eight nine ten eleven", "twelve thirteen"]
    assert [c.text.split("\n") for c in back.cues] == [
        first_rows + first_rows[:1],
        first_rows[1:],
    ]
    assert back.cues[0].start_ms == pytest.approx(20_000, abs=FRAME_MS)
    assert back.cues[0].end_ms == back.cues[1].start_ms
    assert back.cues[1].start_ms == pytest.approx(25_000, abs=FRAME_MS)
    assert back.cues[1].end_ms == pytest.approx(30_000, abs=FRAME_MS)
    assert all(len(row) <= 32 for c in back.cues for row in c.text.split("\n"))


def test_overlapping_cues_are_shown_together_while_both_are_on() -> None:
    doc = CaptionDocument(cues=(Cue(10_000, 14_000, "First"), Cue(12_000, 16_000, "Second")))
    back = parse_scc(write_scc(doc))
    assert [(round(c.start_ms / 1000), round(c.end_ms / 1000), c.text) for c in back.cues] == [
        (10, 12, "First"),
        (12, 14, "First\nSecond"),
        (14, 16, "Second"),
    ]


def test_characters_outside_608_are_replaced() -> None:
    doc = CaptionDocument(cues=(Cue(10_000, 12_000, "“Hi” – 5 × 3… ő ♫ 你 {x} ~ |"),))
    assert parse_scc(write_scc(doc)).cues[0].text == "“Hi” - 5 x 3... o ♪ ? {x} ~ |"


def test_markup_other_than_italics_and_underline_is_dropped() -> None:
    doc = CaptionDocument(
        cues=(Cue(10_000, 12_000, "<v Bob>Hi</v> <b>bold</b> <c.red>&lt;red&gt;</c> &copy;"),)
    )
    assert parse_scc(write_scc(doc)).cues[0].text == "Hi bold &lt;red&gt; ©"


def test_a_style_change_inside_a_word_moves_to_the_next_space() -> None:
    doc = CaptionDocument(cues=(Cue(10_000, 12_000, "<i>Titanic</i>, the film"),))
    assert parse_scc(write_scc(doc)).cues[0].text == "<i>Titanic,</i> the film"


def test_a_cue_at_the_very_start_appears_once_loaded() -> None:
    doc = CaptionDocument(cues=(Cue(0, 3_000, "Good morning"), Cue(3_000, 5_000, "Everyone")))
    back = parse_scc(write_scc(doc))
    assert [c.text for c in back.cues] == ["Good morning", "Everyone"]
    # 2 ENM, 2 RCL, 2 PAC, 1 tab offset pair, 6 words of text: the EOC is frame 14.
    assert back.cues[0].start_ms == at(14)
    assert back.cues[1].start_ms == pytest.approx(3_000, abs=FRAME_MS)


def test_a_cue_past_the_last_timecode_is_refused() -> None:
    with pytest.raises(CaptionError) as caught:
        write_scc(CaptionDocument(cues=(Cue(360_000_000, 360_001_000, "late"),)))
    assert caught.value.problems[0].cue == 1


def test_pycaption_reads_what_we_write() -> None:
    from pycaption import SCCReader  # type: ignore[import-untyped]

    doc = CaptionDocument(
        cues=(
            Cue(2_000, 4_000, "<i>Hello</i> there"),
            Cue(5_000, 7_500, "Two rows\nCafé ♪ Grüße"),
            Cue(7_500, 9_000, "Right after"),
            Cue(60_500, 62_000, "A minute in"),
        )
    )
    captions = SCCReader().read(write_scc(doc)).get_captions("en-US")
    assert [c.get_text() for c in captions] == [
        "Hello there",
        "Two rows\nCafé ♪ Grüße",
        "Right after",
        "A minute in",
    ]
    for cue, caption in zip(doc.cues, captions, strict=True):
        # pycaption's times are in microseconds and it does not count frames exactly.
        assert abs(caption.start / 1000 - cue.start_ms) < 500
        assert abs(caption.end / 1000 - cue.end_ms) < 500


# --- properties -----------------------------------------------------------------------------

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_WORDS = st.sampled_from(
    ["9420", "9429", "9425", "9426", "94a7", "942f", "942c", "94ae", "94ad", "94a1", "94a4",
     "9470", "9452", "946e", "13d0", "1040", "10e0", "91ae", "9120", "9137", "92a1", "1334",
     "97a1", "97a2", "1c20", "1520", "0102", "8080", "c8e5", "ecec", "ef80", "2020", "bcb3",
     "2680", "0000", "ffff", "7f7f"]
)  # fmt: skip


@st.composite
def scc_like(draw: st.DrawFn) -> str:
    lines = ["Scenarist_SCC V1.0", ""]
    frame = 0
    for _ in range(draw(st.integers(0, 12))):
        frame += draw(st.integers(0, 200))
        label = frame_to_drop_frame(frame)
        if draw(st.booleans()):
            label = label[:8] + ":" + label[9:]
        words = draw(st.lists(st.one_of(_WORDS, st.text("0123456789abcdef", min_size=4,
                                                        max_size=4)), max_size=40))  # fmt: skip
        lines.append(f"{label}\t{' '.join(words)}")
    return "\n".join(lines)


@PROPERTY
@given(st.one_of(st.text(), scc_like(), st.tuples(scc_like(), st.text()).map("".join)))
def test_any_input_is_a_document_or_a_caption_error(text: str) -> None:
    try:
        doc = parse_scc(text)
    except CaptionError as error:
        assert error.problems
    else:
        assert all(0 <= c.start_ms < c.end_ms for c in doc.cues)


_CHARS = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789.,!?'\"&<>-:;()") +
                         list("éñç♪®½ÉüßÖ’“”«»{}~|*"))  # fmt: skip


@st.composite
def fitting_documents(draw: st.DrawFn) -> CaptionDocument:
    """Documents whose text CEA-608 can show as written: rows of at most 32 columns, at most
    4 rows, styles changing only between words; cues far enough apart to be loaded in time."""
    cues = []
    start = draw(st.integers(13_000, 40_000))
    for _ in range(draw(st.integers(1, 4))):
        rows = []
        for _ in range(draw(st.integers(1, 4))):
            words = draw(st.lists(st.tuples(st.text(_CHARS, min_size=1, max_size=8),
                                            st.booleans(), st.booleans()), min_size=1, max_size=4))  # fmt: skip
            row = " ".join(_markup(text, italic, underline) for text, italic, underline in words)
            assume(len(plain_text(row)) <= 32)
            rows.append(row)
        end = start + draw(st.one_of(st.integers(100, 3_000), st.integers(13_000, 20_000)))
        cues.append(Cue(start, end, "\n".join(rows)))
        # Either the next caption replaces this one or there is a gap; either way 13 s are
        # left to load it (4 rows of extended characters take up to 12.3 s).
        start = max(end + draw(st.one_of(st.just(0), st.integers(70, 5_000))), start + 13_000)
    texts = [plain_text(c.text) for c in cues]
    assume(all(a != b for a, b in zip(texts, texts[1:], strict=False)))
    return CaptionDocument(cues=tuple(cues))


def _markup(text: str, italic: bool, underline: bool) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if underline:
        text = f"<u>{text}</u>"
    return f"<i>{text}</i>" if italic else text


def _styled(text: str) -> list[tuple[str, bool, bool]]:
    """Each visible non-space character with its italics and underline."""
    result = []
    italic = underline = 0
    for token in re.split(r"(<[^>]*>)", text):
        if token in ("<i>", "</i>", "<u>", "</u>"):
            step = -1 if token[1] == "/" else 1
            if token[-2] == "i":
                italic += step
            else:
                underline += step
        else:
            for char in plain_text(token):
                if char not in " \n":
                    result.append((char, italic > 0, underline > 0))
    return result


@PROPERTY
@given(fitting_documents())
def test_round_trip_within_a_frame(doc: CaptionDocument) -> None:
    back = parse_scc(write_scc(doc))
    assert len(back.cues) == len(doc.cues)
    for original, read in zip(doc.cues, back.cues, strict=True):
        assert plain_text(read.text) == plain_text(original.text)
        assert _styled(read.text) == _styled(original.text)
        assert abs(read.start_ms - original.start_ms) <= 33.4
        assert abs(read.end_ms - original.end_ms) <= 33.4


# Derandomised: pycaption's own errors are what this could trip over, and a run that does must
# not depend on the day's seed.
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(fitting_documents())
def test_pycaption_reads_what_we_write_property(doc: CaptionDocument) -> None:
    from pycaption import SCCReader  # type: ignore[import-untyped]

    def letters(text: str) -> str:
        # pycaption leaves out the space a mid-row code stands for before punctuation, and
        # has 0x13 0x2E and 0x13 0x37 ("|" and "¦") the wrong way round.
        return "".join(text.replace("¦", "|").split())

    captions = SCCReader().read(write_scc(doc)).get_captions("en-US")
    assert [letters(c.get_text()) for c in captions] == [
        letters(plain_text(c.text)) for c in doc.cues
    ]
    for cue, caption in zip(doc.cues, captions, strict=True):
        # pycaption's frame arithmetic is off by a few frames (up to 6 at an end a minute in,
        # seen in CI: 60.433 s for an EDM our reader puts at 60.244 s, within a frame of the
        # cue); exact times are checked against our own reader above.
        assert abs(caption.start / 1000 - cue.start_ms) < 150
        assert abs(caption.end / 1000 - cue.end_ms) < 250


@st.composite
def crowded_documents(draw: st.DrawFn) -> CaptionDocument:
    """Non-overlapping cues at any spacing, from the very start of the video: too close for
    608 to load some of them in time."""
    cues: list[Cue] = []
    start = draw(st.integers(0, 3_000))
    for _ in range(draw(st.integers(1, 6))):
        words = draw(st.lists(st.text(_CHARS, min_size=1, max_size=8), min_size=1, max_size=8))
        end = start + draw(st.integers(70, 4_000))
        cues.append(Cue(start, end, _markup(" ".join(words), False, False)))
        start = end + draw(st.one_of(st.just(0), st.integers(70, 3_000)))
    texts = [plain_text(c.text) for c in cues]
    assume(all(a != b for a, b in zip(texts, texts[1:], strict=False)))
    return CaptionDocument(cues=tuple(cues))


@PROPERTY
@given(crowded_documents())
def test_captions_loaded_late_still_all_appear_in_order_and_never_early(
    doc: CaptionDocument,
) -> None:
    back = parse_scc(write_scc(doc))
    # Rows are wrapped at 32 columns: compare the words.
    assert [plain_text(c.text).split() for c in back.cues] == [
        plain_text(c.text).split() for c in doc.cues
    ]
    for original, read in zip(doc.cues, back.cues, strict=True):
        assert read.start_ms >= original.start_ms - 33.4
    assert all(a.end_ms <= b.start_ms for a, b in zip(back.cues, back.cues[1:], strict=False))
