"""Upload limits: the exact sentences a teacher reads when a file is too long or too large, and
a picture too large is refused before anything decodes it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mediaobjects.transcoding import (
    FFmpegTranscoder,
    MediaRejected,
    ProbeResult,
    StreamInfo,
    TranscodeFailed,
    check_limits,
    probe,
)
from mediaobjects.transcoding.probe import format_duration
from tests.transcoding.conftest import Clips, ffmpeg

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


@pytest.fixture(scope="session")
def huge(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An 8000×8000 H.264 video of 0.2 s (about 190 KB): in MP4, whose headers give the
    picture size, and in MPEG-TS, whose headers do not."""
    d = tmp_path_factory.mktemp("huge")
    mp4, ts = d / "huge.mp4", d / "huge.ts"
    ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=8000x8000:r=25:d=0.2",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(mp4))  # fmt: skip
    ffmpeg("-i", str(mp4), "-c", "copy", str(ts))
    return {"mp4": mp4, "ts": ts}


@pytest.mark.parametrize("kind", ["mp4", "ts"])
def test_a_huge_picture_is_refused_with_its_size(huge: dict[str, Path], kind: str) -> None:
    with pytest.raises(MediaRejected) as info:
        FFmpegTranscoder().probe(huge[kind])
    assert info.value.reason == "The video is 8000×8000; the limit is 3840×2160 pixels."


PEAK_OF_TOOLS = (
    "import resource, sys\n"
    "from pathlib import Path\n"
    "from mediaobjects.transcoding import FFmpegTranscoder, MediaRejected\n"
    "try:\n"
    "    FFmpegTranscoder().probe(Path(sys.argv[1]))\n"
    "except MediaRejected as exc:\n"
    "    print(exc.reason)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def peak_kib(cmd: list[str]) -> tuple[str, int]:
    """What ``cmd`` printed, and the largest resident size (KiB) of any tool it started."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env, timeout=120)
    *said, peak = done.stdout.strip().splitlines()
    return "\n".join(said), int(peak)


@pytest.mark.parametrize("kind", ["mp4", "ts"])
def test_refusing_a_huge_picture_decodes_nothing_of_it(huge: dict[str, Path], kind: str) -> None:
    said, peak = peak_kib([sys.executable, "-c", PEAK_OF_TOOLS, str(huge[kind])])
    assert said == "The video is 8000×8000; the limit is 3840×2160 pixels."
    # Reading the headers takes what ffprobe takes for any file (about 55 MB here); decoding
    # even one 8000×8000 picture takes 96 MB more, and ffprobe decodes a few by default.
    assert peak < 120 * 1024
    plain = "import resource, subprocess, sys\n" + (
        "subprocess.run(['ffprobe', '-v', 'quiet', '-show_streams', sys.argv[1]], check=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    _, decoding = peak_kib([sys.executable, "-c", plain, str(huge[kind])])
    assert decoding > 150 * 1024  # what the check above would have caught


def test_a_decoder_refuses_a_picture_larger_than_its_headers_said(
    huge: dict[str, Path], tmp_path: Path
) -> None:
    # As if the MPEG-TS headers had claimed 320×240: ffmpeg's decoder is capped as well.
    lying = video(320, 240, 0.2)
    with pytest.raises(TranscodeFailed):
        FFmpegTranscoder().transcode(huge["ts"], lying, tmp_path, timeout=60)
    assert [p.name for p in tmp_path.iterdir()] == []


def test_a_picture_size_only_decoding_tells_is_read_within_the_limit(
    clips: Clips, tmp_path: Path
) -> None:
    # H.264 in MPEG-TS: the headers carry no size, so the first frames are decoded (capped).
    ts = tmp_path / "clip.ts"
    ffmpeg("-i", str(clips.mp4), "-c", "copy", str(ts))
    result = FFmpegTranscoder(max_pixels=320 * 240).probe(ts)
    assert (result.width, result.height) == (320, 240)
    with pytest.raises(MediaRejected) as info:
        FFmpegTranscoder(max_pixels=320 * 240 - 1).probe(ts)
    assert info.value.reason == "The video is 320×240; the limit is 76,799 pixels."
