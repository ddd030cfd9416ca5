"""Upload limits: the exact sentences a teacher reads when a file is too long or too large."""

from __future__ import annotations

import pytest

from mediaobjects.transcoding import MediaRejected, ProbeResult, StreamInfo, check_limits, probe
from mediaobjects.transcoding.probe import format_duration
from tests.transcoding.conftest import Clips

UHD = 3840 * 2160


def video(width: int, height: int, duration: float, rotation: int = 0) -> ProbeResult:
    stream = StreamInfo(0, "video", "h264", width=width, height=height, rotation=rotation)
    return ProbeResult(duration=duration, container="mov,mp4", bit_rate=None, streams=(stream,))


def audio(duration: float) -> ProbeResult:
    stream = StreamInfo(0, "audio", "mp3", sample_rate=44100, channels=2)
    return ProbeResult(duration=duration, container="mp3", bit_rate=None, streams=(stream,))


def test_too_long_video() -> None:
    with pytest.raises(MediaRejected) as info:
        check_limits(video(1280, 720, 7 * 3600 + 12 * 60), max_duration=6 * 3600, max_pixels=UHD)
    assert info.value.reason == "The video is 7 h 12 min long; the limit is 6 h."


def test_too_long_audio() -> None:
    with pytest.raises(MediaRejected) as info:
        check_limits(audio(125), max_duration=90, max_pixels=UHD)
    assert info.value.reason == "The audio is 2 min 5 s long; the limit is 1 min 30 s."


def test_too_many_pixels() -> None:
    with pytest.raises(MediaRejected) as info:
        check_limits(video(7680, 4320, 10), max_duration=3600, max_pixels=UHD)
    assert info.value.reason == "The video is 7680×4320; the limit is 3840×2160 pixels."


def test_pixel_limit_that_is_not_16_by_9_is_given_as_a_count() -> None:
    with pytest.raises(MediaRejected) as info:
        check_limits(video(1000, 1000, 10), max_duration=3600, max_pixels=500_000)
    assert info.value.reason == "The video is 1000×1000; the limit is 500,000 pixels."


def test_at_the_limits_is_accepted() -> None:
    check_limits(video(3840, 2160, 6 * 3600), max_duration=6 * 3600, max_pixels=UHD)
    check_limits(audio(10 * 3600), max_duration=10 * 3600, max_pixels=1)


def test_rotated_phone_video_reports_its_displayed_size() -> None:
    result = video(1920, 1080, 10, rotation=-90)
    assert (result.width, result.height) == (1080, 1920)


def test_real_clip_against_tiny_limits(clips: Clips) -> None:
    result = probe(clips.mp4)
    with pytest.raises(MediaRejected) as info:
        check_limits(result, max_duration=1, max_pixels=UHD)
    assert info.value.reason == "The video is 2 s long; the limit is 1 s."
    with pytest.raises(MediaRejected) as info:
        check_limits(result, max_duration=60, max_pixels=320 * 240 - 1)
    assert info.value.reason == "The video is 320×240; the limit is 76,799 pixels."
    check_limits(result, max_duration=60, max_pixels=320 * 240)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.4, "0.4 s"),
        (42, "42 s"),
        (60, "1 min"),
        (185, "3 min 5 s"),
        (3600, "1 h"),
        (25920, "7 h 12 min"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
