"""Speech analysis: silencedetect's silences turned into speech intervals, measured on real
media whose sound and silence we placed, and the pure arithmetic at its edges."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mediaobjects.transcoding import FFmpegTranscoder, ToolTimedOut, TranscodeFailed
from mediaobjects.transcoding.speech import (
    SilenceReader,
    SpeechAnalysis,
    analyse_speech,
    speech_from_silences,
)
from tests.support.clips import make_spoken
from tests.transcoding.conftest import Clips, ffmpeg

# What a measured boundary may differ from where the sound really starts or stops: the
# decoder's frames and silencedetect's windows are a few tens of milliseconds.
TOLERANCE_MS = 100


def assert_near(
    analysis: SpeechAnalysis | None, expected: list[tuple[int, int]], tolerance: int = TOLERANCE_MS
) -> None:
    assert analysis is not None
    assert len(analysis.intervals) == len(expected), analysis.intervals
    for (start, end), (want_start, want_end) in zip(analysis.intervals, expected, strict=True):
        assert abs(start - want_start) <= tolerance, (analysis.intervals, expected)
        assert abs(end - want_end) <= tolerance, (analysis.intervals, expected)
    assert analysis.speech_ms == sum(end - start for start, end in analysis.intervals)


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Tone 0-2 s, silence 2-5 s, tone 5-7 s, silence to the end at 8 s.
    d = tmp_path_factory.mktemp("spoken")
    return make_spoken(d / "spoken.mp4", [(0, 2), (5, 7)], seconds=8)


def test_a_video_with_two_spoken_stretches(spoken: Path) -> None:
    backend = FFmpegTranscoder()
    result = backend.probe(spoken)
    analysis = backend.analyse_speech(spoken, result.duration)
    assert_near(analysis, [(0, 2000), (5000, 7000)])
    assert analysis is not None
    assert abs(analysis.speech_ms - 4000) <= 2 * TOLERANCE_MS


@pytest.mark.parametrize("ext", ["m4a", "mp3", "wav"])
def test_audio_that_starts_silent_and_ends_speaking(tmp_path: Path, ext: str) -> None:
    path = make_spoken(tmp_path / f"talk.{ext}", [(1.5, 3), (4, 6)], seconds=6, video=False)
    backend = FFmpegTranscoder()
    analysis = backend.analyse_speech(path, backend.probe(path).duration)
    assert_near(analysis, [(1500, 3000), (4000, 6000)])


def test_a_video_without_an_audio_stream_has_no_analysis(clips: Clips) -> None:
    assert FFmpegTranscoder().analyse_speech(clips.silent, 1.0) is None


def test_audio_that_is_silent_throughout_has_no_speech(tmp_path: Path) -> None:
    path = make_spoken(tmp_path / "quiet.wav", [], seconds=3, video=False)
    assert FFmpegTranscoder().analyse_speech(path, 3.0) == SpeechAnalysis((), 0)


def test_the_noise_floor_decides_what_a_quiet_sound_is(tmp_path: Path) -> None:
    # A tone at about -46 dBFS (amplitude 0.005): silence for the default floor of -35 dB,
    # speech for a floor of -50 dB.
    path = make_spoken(tmp_path / "faint.wav", [(1, 3)], seconds=4, video=False, amplitude=0.005)
    assert FFmpegTranscoder().analyse_speech(path, 4.0) == SpeechAnalysis((), 0)
    assert_near(FFmpegTranscoder(speech_noise_db=-50).analyse_speech(path, 4.0), [(1000, 3000)])


def test_pauses_shorter_than_the_minimum_silence_are_part_of_the_speech(tmp_path: Path) -> None:
    # Two words 0.3 s apart are one stretch of speech; with a 0.2 s minimum they are two.
    path = make_spoken(tmp_path / "words.wav", [(0.5, 1.5), (1.8, 3)], seconds=4, video=False)
    assert_near(FFmpegTranscoder().analyse_speech(path, 4.0), [(500, 3000)])
    assert_near(
        FFmpegTranscoder(speech_min_silence=0.2).analyse_speech(path, 4.0),
        [(500, 1500), (1800, 3000)],
    )


def test_speech_is_measured_within_the_duration_it_is_given(spoken: Path) -> None:
    # The caller's duration bounds the intervals (the tone runs to 7 s; 6 s is the end).
    assert_near(FFmpegTranscoder().analyse_speech(spoken, 6.0), [(0, 2000), (5000, 6000)])


def test_audio_that_stops_before_the_picture_is_not_speech_to_the_end(tmp_path: Path) -> None:
    # An 8 s video whose audio track is 3 s of tone and then ends.
    video = make_spoken(tmp_path / "long.mp4", [], seconds=8)
    tone = make_spoken(tmp_path / "tone.wav", [(0, 3)], seconds=3, video=False)
    cut = tmp_path / "cut.mp4"
    ffmpeg("-i", str(video), "-i", str(tone), "-map", "0:v", "-map", "1:a", "-c:v", "copy",
           "-c:a", "aac", str(cut))  # fmt: skip
    backend = FFmpegTranscoder()
    result = backend.probe(cut)
    assert result.duration == pytest.approx(8, abs=0.1)
    assert_near(backend.analyse_speech(cut, result.duration), [(0, 3000)])


def test_a_file_ffmpeg_cannot_read_fails_with_the_reason(clips: Clips) -> None:
    with pytest.raises(TranscodeFailed, match="ffmpeg exited with status"):
        FFmpegTranscoder().analyse_speech(clips.text, 1.0)


def test_an_impossible_setting_fails_rather_than_measuring_nothing(spoken: Path) -> None:
    with pytest.raises(TranscodeFailed, match="silencedetect|duration"):
        FFmpegTranscoder(speech_min_silence=-1).analyse_speech(spoken, 8.0)


def test_no_time_left_is_a_timeout(spoken: Path) -> None:
    with pytest.raises(ToolTimedOut):
        analyse_speech(spoken, 8.0, timeout=0)


def test_the_stored_form_is_a_json_array_of_pairs() -> None:
    analysis = SpeechAnalysis(((0, 2000), (5000, 7000)), 4000)
    assert json.loads(analysis.intervals_json()) == [[0, 2000], [5000, 7000]]
    assert SpeechAnalysis((), 0).intervals_json() == "[]"


# The arithmetic, without ffmpeg.


def read(*lines: str) -> list[tuple[float, float | None]]:
    reader = SilenceReader()
    for line in lines:
        reader.feed(line.encode())
    return reader.finish()


def test_reader_pairs_starts_with_ends_and_leaves_the_last_silence_open() -> None:
    printed = [
        "frame:107  pts:109568  pts_time:2.48454",
        "lavfi.silence_start=2",
        "frame:215  pts:220160  pts_time:4.99229",
        "lavfi.silence_end=5.00002",
        "lavfi.silence_duration=3.00002",
        "lavfi.silence_start=7",
    ]
    assert read(*printed) == [(2.0, 5.00002), (7.0, None)]


def test_reader_copes_with_what_a_damaged_stream_prints() -> None:
    assert read("lavfi.silence_end=1.5") == [(0.0, 1.5)]  # an end without a start
    assert read("lavfi.silence_start=1", "lavfi.silence_start=2", "lavfi.silence_end=3") == [
        (1.0, 3.0)
    ]
    assert read("lavfi.silence_start=nan", "lavfi.silence_start=zwei", "garbage=1") == []
    assert read("lavfi.silence_start=-0.02\r", "lavfi.silence_end=inf") == [(-0.02, None)]


def test_speech_is_the_complement_of_the_silences() -> None:
    analysis = speech_from_silences([(2.0, 5.00002), (7.0, None)], 8.0)
    assert analysis == SpeechAnalysis(((0, 2000), (5000, 7000)), 4000)


def test_no_silence_is_speech_throughout_and_no_duration_is_nothing() -> None:
    assert speech_from_silences([], 3.25) == SpeechAnalysis(((0, 3250),), 3250)
    assert speech_from_silences([], 0.0) == SpeechAnalysis((), 0)
    assert speech_from_silences([(0.0, None)], 3.0) == SpeechAnalysis((), 0)


def test_silences_are_clamped_to_the_media() -> None:
    # AAC priming can put a silence start a little before zero; a silence may be reported to
    # end past the duration the probe gave.
    analysis = speech_from_silences([(-0.02, 1.0), (4.0, 9.0)], 5.0)
    assert analysis == SpeechAnalysis(((1000, 4000),), 3000)


def test_overlapping_and_unsorted_silences_do_not_double_count() -> None:
    analysis = speech_from_silences([(6.0, 7.0), (1.0, 3.0), (2.0, 4.0)], 8.0)
    assert analysis == SpeechAnalysis(((0, 1000), (4000, 6000), (7000, 8000)), 4000)


def test_close_speech_merges_and_specks_are_dropped() -> None:
    # 50 ms between speech joins it; a 60 ms click alone is not speech; 100 ms is kept.
    analysis = speech_from_silences([(1.0, 1.05), (2.0, 3.0), (3.06, 4.0), (4.1, 5.0)], 5.0)
    assert analysis == SpeechAnalysis(((0, 2000), (4000, 4100)), 2100)
    assert speech_from_silences([(1.0, 1.05)], 5.0, merge_gap_ms=10).intervals == (
        (0, 1000),
        (1050, 5000),
    )
