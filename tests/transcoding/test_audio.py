"""Speech audio for the recognisers: the first audio stream, 16 kHz mono 16-bit PCM, of the
whole recording; nothing for media without sound; the usual failures."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from mediaobjects.transcoding import FFmpegTranscoder, ToolTimedOut, TranscodeFailed
from mediaobjects.transcoding.audio import extract_speech_audio
from tests.support.clips import make_spoken
from tests.transcoding.conftest import Clips


def loud_ms(wav: Path, threshold: int = 1000) -> list[int]:
    """The starts of each 100 ms window of ``wav`` holding a sample above ``threshold``."""
    with wave.open(str(wav), "rb") as reader:
        frames = reader.readframes(reader.getnframes())
        rate = reader.getframerate()
    samples = memoryview(frames).cast("h")
    window = rate // 10
    return [
        start * 100 // window
        for start in range(0, len(samples), window)
        if max(abs(s) for s in samples[start : start + window]) > threshold
    ]


@pytest.mark.parametrize("ext", ["mp4", "m4a", "mp3"])
def test_the_speech_audio_is_16_khz_mono_pcm_of_the_whole_recording(
    tmp_path: Path, ext: str
) -> None:
    # Sound from 1 s to 2 s of a 3 s recording.
    source = make_spoken(tmp_path / f"talk.{ext}", [(1, 2)], seconds=3, video=ext == "mp4")
    out = FFmpegTranscoder().extract_speech_audio(source, tmp_path / "speech.wav")
    assert out == tmp_path / "speech.wav"
    with wave.open(str(out), "rb") as reader:
        assert reader.getframerate() == 16000
        assert reader.getnchannels() == 1
        assert reader.getsampwidth() == 2
        assert reader.getnframes() / 16000 == pytest.approx(3, abs=0.1)
    loud = loud_ms(out)
    # The tone's windows, give or take the codec's edges.
    assert 900 <= loud[0] <= 1100 and 1800 <= loud[-1] <= 2000, loud
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"talk.{ext}", "speech.wav"])


def test_a_video_without_sound_has_no_speech_audio(clips: Clips, tmp_path: Path) -> None:
    assert FFmpegTranscoder().extract_speech_audio(clips.silent, tmp_path / "s.wav") is None
    assert list(tmp_path.iterdir()) == []


def test_a_file_ffmpeg_cannot_read_fails_with_the_reason_and_leaves_nothing(
    clips: Clips, tmp_path: Path
) -> None:
    with pytest.raises(TranscodeFailed, match="ffmpeg exited with status"):
        FFmpegTranscoder().extract_speech_audio(clips.text, tmp_path / "s.wav")
    assert list(tmp_path.iterdir()) == []


def test_no_time_left_is_a_timeout(clips: Clips, tmp_path: Path) -> None:
    with pytest.raises(ToolTimedOut):
        extract_speech_audio(clips.mp4, tmp_path / "s.wav", timeout=0)
    with pytest.raises(ToolTimedOut):
        FFmpegTranscoder(timeout=0.001).extract_speech_audio(clips.mp4, tmp_path / "s.wav")
