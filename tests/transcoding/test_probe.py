"""Probing: what each kind of upload reports, and every way an upload is rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediaobjects.transcoding import (
    FFmpegTranscoder,
    MediaRejected,
    ToolMissing,
    probe,
    verify_decodable,
)
from mediaobjects.transcoding.probe import NO_STREAMS, NOT_MEDIA, STILL_IMAGE
from tests.transcoding.conftest import Clips, ffmpeg


def test_mp4_reports_container_duration_streams_and_size(clips: Clips) -> None:
    result = probe(clips.mp4)
    assert result.media_type == "video"
    assert "mp4" in result.container
    assert result.duration == pytest.approx(2.0, abs=0.1)
    assert (result.width, result.height) == (320, 240)
    assert result.bit_rate is not None and result.bit_rate > 0
    assert result.video is not None and result.video.codec_name == "h264"
    assert result.audio is not None and result.audio.codec_name == "aac"
    assert result.audio.sample_rate == 44100 and result.audio.channels == 1


def test_webm(clips: Clips) -> None:
    result = probe(clips.webm)
    assert "webm" in result.container
    assert result.video is not None and result.video.codec_name == "vp8"
    assert result.audio is not None and result.audio.codec_name == "opus"
    assert (result.width, result.height) == (160, 120)


@pytest.mark.parametrize(
    ("name", "container", "codec"),
    [("mp3", "mp3", "mp3"), ("m4a", "mp4", "aac"), ("wav", "wav", "pcm_s16le")],
)
def test_audio_files(clips: Clips, name: str, container: str, codec: str) -> None:
    result = probe(getattr(clips, name))
    assert result.media_type == "audio"
    assert container in result.container
    assert result.video is None and result.width is None and result.height is None
    assert result.audio is not None and result.audio.codec_name == codec
    assert result.duration == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize("name", ["cover_mp3", "cover_m4a"])
def test_cover_art_does_not_make_audio_a_video(clips: Clips, name: str) -> None:
    result = probe(getattr(clips, name))
    assert result.media_type == "audio"
    assert result.video is None
    pictures = [s for s in result.streams if s.codec_type == "video"]
    assert len(pictures) == 1 and pictures[0].attached_pic


def test_video_without_audio(clips: Clips) -> None:
    result = probe(clips.silent)
    assert result.media_type == "video"
    assert result.audio is None


def test_browser_recording_without_a_duration_is_measured(clips: Clips) -> None:
    result = probe(clips.recording)
    assert result.media_type == "video"
    assert result.duration == pytest.approx(1.0, abs=0.1)


def test_text_file_is_rejected(clips: Clips) -> None:
    with pytest.raises(MediaRejected) as info:
        probe(clips.text)
    assert info.value.reason == NOT_MEDIA


def test_text_file_named_like_a_video_is_rejected(clips: Clips, tmp_path: Path) -> None:
    fake = tmp_path / "lecture.mp4"
    fake.write_bytes(clips.text.read_bytes())
    with pytest.raises(MediaRejected) as info:
        probe(fake)
    assert info.value.reason == NOT_MEDIA


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(MediaRejected) as info:
        probe(empty)
    assert info.value.reason == NOT_MEDIA


def test_still_image_is_rejected(clips: Clips) -> None:
    with pytest.raises(MediaRejected) as info:
        probe(clips.jpeg)
    assert info.value.reason == STILL_IMAGE


def test_file_with_only_subtitles_has_no_media_stream(clips: Clips, tmp_path: Path) -> None:
    srt = tmp_path / "cues.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nHello\n")
    mkv = tmp_path / "subs.mkv"
    ffmpeg("-i", str(srt), "-c", "copy", str(mkv))
    with pytest.raises(MediaRejected) as info:
        probe(mkv)
    assert info.value.reason == NO_STREAMS


def test_mp4_cut_before_its_index_is_rejected_as_truncated(clips: Clips) -> None:
    with pytest.raises(MediaRejected) as info:
        probe(clips.truncated_end)
    assert info.value.reason.startswith("The file is truncated or damaged: ")


def test_faststart_mp4_cut_in_half_passes_probe_but_not_verify(clips: Clips) -> None:
    # ffprobe reads the intact index and believes the header; only reading the data tells.
    result = probe(clips.truncated_faststart)
    with pytest.raises(MediaRejected) as info:
        verify_decodable(clips.truncated_faststart, duration=result.duration)
    assert info.value.reason.startswith("The file is truncated or damaged: ")


def test_mp3_cut_in_half_is_caught_by_its_length(clips: Clips) -> None:
    result = probe(clips.truncated_mp3)  # the header-based estimate still says 2 s
    with pytest.raises(MediaRejected) as info:
        verify_decodable(clips.truncated_mp3, duration=result.duration)
    assert "stops after" in info.value.reason


@pytest.mark.parametrize("name", ["mp4", "faststart", "webm", "mp3", "m4a", "wav", "cover_mp3"])
def test_whole_files_verify(clips: Clips, name: str) -> None:
    path = getattr(clips, name)
    verify_decodable(path, duration=probe(path).duration)


def test_missing_ffprobe_names_the_package(clips: Clips) -> None:
    with pytest.raises(ToolMissing) as info:
        probe(clips.mp4, ffprobe="/nonexistent/ffprobe")
    assert "/nonexistent/ffprobe" in info.value.reason
    assert "apt-get install ffmpeg" in info.value.reason


@pytest.mark.parametrize(
    "script",
    [
        "#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:2,\n{url}\n#EXT-X-ENDLIST\n",
        "ffconcat version 1.0\nfile {url}\n",
    ],
    ids=["hls playlist", "concat script"],
)
def test_a_file_naming_other_files_is_not_media(clips: Clips, tmp_path: Path, script: str) -> None:
    # Transcoded, it would put another file of the server (say, another course's rendition)
    # into the uploader's video.
    upload = tmp_path / "upload"
    upload.write_text(script.format(url=f"file:{clips.mp4}"))
    with pytest.raises(MediaRejected) as info:
        FFmpegTranscoder().probe(upload)
    assert info.value.reason == NOT_MEDIA
