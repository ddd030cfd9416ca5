"""Retiming a caption document: offsets (negative ones clip or drop cues that move before zero),
two-point sync maps (23.976 -> 25 fps drift), the refusals, and that an offset undone by its
opposite gives the document back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediaobjects.captions import CaptionDocument, CaptionError, Cue, Note, parse_srt, retime

SRT = """1
00:00:00,000 --> 00:00:01,000
At zero

2
00:00:01,000 --> 00:00:02,500
Straddles

3
00:00:03,000 --> 00:00:04,000
Later
"""


def times(document: CaptionDocument) -> list[tuple[int, int]]:
    return [(cue.start_ms, cue.end_ms) for cue in document.cues]


def test_a_positive_offset_moves_every_cue_and_keeps_text_and_ids() -> None:
    document = parse_srt(SRT)
    result = retime(document, offset_ms=1500)
    assert times(result.document) == [(1500, 2500), (2500, 4000), (4500, 5500)]
    assert [cue.text for cue in result.document.cues] == ["At zero", "Straddles", "Later"]
    assert [cue.identifier for cue in result.document.cues] == ["1", "2", "3"]
    assert result.clipped == () and result.dropped == ()


def test_a_cue_exactly_at_zero_stays_with_offset_zero_and_is_not_clipped() -> None:
    result = retime(parse_srt(SRT), offset_ms=0)
    assert times(result.document)[0] == (0, 1000)
    assert result.clipped == () and result.dropped == ()


def test_a_cue_ending_exactly_at_zero_is_dropped_and_one_past_it_clipped() -> None:
    result = retime(parse_srt(SRT), offset_ms=-1000)
    # Cue 1 (0–1000) would end at 0: nothing left to show.
    assert result.dropped == (1,)
    # Cue 2 becomes 0–1500: it started exactly at the new zero, so nothing was cut.
    assert result.clipped == ()
    assert times(result.document) == [(0, 1500), (2000, 3000)]


def test_a_negative_offset_clips_straddling_cues_and_drops_earlier_ones() -> None:
    result = retime(parse_srt(SRT), offset_ms=-1500)
    assert result.dropped == (1,)
    assert result.clipped == (2,)
    assert times(result.document) == [(0, 1000), (1500, 2500)]
    assert [cue.text for cue in result.document.cues] == ["Straddles", "Later"]


def test_an_offset_that_moves_everything_before_zero_drops_every_cue() -> None:
    result = retime(parse_srt(SRT), offset_ms=-10_000)
    assert result.document.cues == ()
    assert result.dropped == (1, 2, 3)


def test_notes_keep_their_place_when_cues_before_them_are_dropped() -> None:
    cues = (Cue(0, 1000, "a"), Cue(2000, 3000, "b"), Cue(4000, 5000, "c"))
    document = CaptionDocument(cues=cues, notes=(Note("before b", 1), Note("at the end", 3)))
    result = retime(document, offset_ms=-1500)
    assert [cue.text for cue in result.document.cues] == ["b", "c"]
    assert result.document.notes == (Note("before b", 0), Note("at the end", 2))


def test_sync_points_fix_23976_to_25_fps_drift_on_known_values() -> None:
    # A frame at one hour of a 23.976 fps edit is at 3600 * 23.976 / 25 s = 3452.544 s of
    # the 25 fps one; the start lines up. The first minute is then at 57.5424 s.
    cues = (
        Cue(60_000, 62_000, "first minute"),
        Cue(1_800_000, 1_801_000, "half an hour"),
        Cue(3_600_000, 3_602_000, "an hour"),
    )
    result = retime(CaptionDocument(cues=cues), sync_points=((0, 0), (3_600_000, 3_452_544)))
    got = times(result.document)
    assert got[0] == (57_542, 59_460)
    assert got[2] == (3_452_544, 3_454_462)
    # Half an hour: 1800 * 0.95904 = 1726.272 s, and 1000 ms becomes 959 ms long.
    assert got[1] == (1_726_272, 1_727_231)
    assert result.clipped == () and result.dropped == ()


def test_sync_points_given_in_either_order_define_the_same_map() -> None:
    document = parse_srt(SRT)
    forward = retime(document, sync_points=((1000, 2000), (3000, 5000)))
    backward = retime(document, sync_points=((3000, 5000), (1000, 2000)))
    assert forward == backward
    # t' = 2000 + (t - 1000) * 1.5
    assert times(forward.document) == [(500, 2000), (2000, 4250), (5000, 6500)]


def test_sync_points_round_halves_to_the_later_millisecond() -> None:
    document = CaptionDocument(cues=(Cue(1, 3, "x"),))
    result = retime(document, sync_points=((0, 0), (2, 1)))
    assert times(result.document) == [(1, 2)]  # 0.5 -> 1, 1.5 -> 2


def test_a_cue_that_collapses_to_no_length_is_dropped() -> None:
    document = CaptionDocument(cues=(Cue(10, 11, "blink"), Cue(100, 200, "kept")))
    result = retime(document, sync_points=((0, 0), (1000, 100)))
    assert result.dropped == (1,)
    assert times(result.document) == [(10, 20)]


@pytest.mark.parametrize(
    "points, message",
    [
        (((1000, 2000), (3000, 1000)), "backwards"),
        (((1000, 2000), (3000, 2000)), "backwards or stop"),
        (((1000, 2000), (1000, 2000)), "same point"),
        (((1000, 2000), (1000, 3000)), "same from time"),
    ],
)
def test_sync_points_that_invert_or_stop_time_are_refused(
    points: tuple[tuple[int, int], tuple[int, int]], message: str
) -> None:
    with pytest.raises(CaptionError, match=message):
        retime(parse_srt(SRT), sync_points=points)


def test_both_or_neither_of_offset_and_sync_points_is_refused() -> None:
    with pytest.raises(CaptionError, match="either an offset or two sync points"):
        retime(parse_srt(SRT))
    with pytest.raises(CaptionError, match="either an offset or two sync points"):
        retime(parse_srt(SRT), offset_ms=1, sync_points=((0, 0), (1, 1)))


def documents() -> st.SearchStrategy[CaptionDocument]:
    spans = st.lists(st.tuples(st.integers(0, 10**8), st.integers(1, 10**6)), max_size=12)
    return spans.map(
        lambda pairs: CaptionDocument(
            cues=tuple(
                Cue(start, start + length, f"cue {n}")
                for n, (start, length) in enumerate(sorted(pairs))
            )
        )
    )


@given(documents(), st.integers(0, 10**8))
def test_an_offset_undone_restores_every_document_whose_cues_start_after_it(
    document: CaptionDocument, offset: int
) -> None:
    later = retime(document, offset_ms=offset)
    assert later.clipped == () and later.dropped == ()
    back = retime(later.document, offset_ms=-offset)
    assert back.document == document
    assert back.clipped == () and back.dropped == ()


@given(documents(), st.integers(-(10**8), 0))
def test_a_negative_offset_restored_when_every_cue_starts_at_least_that_late(
    document: CaptionDocument, offset: int
) -> None:
    shifted = CaptionDocument(
        cues=tuple(Cue(c.start_ms - offset, c.end_ms - offset, c.text) for c in document.cues)
    )
    earlier = retime(shifted, offset_ms=offset)
    assert earlier.document == document and earlier.dropped == () and earlier.clipped == ()
    assert retime(earlier.document, offset_ms=-offset).document == shifted
