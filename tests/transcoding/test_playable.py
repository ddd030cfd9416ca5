"""The browser-safe rule on real files of each kind, made by ffmpeg and read by the probe the
pipeline runs: which uploads can be offered as they are, and the reason a teacher reads for
each that cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediaobjects.transcoding import ProbeResult, StreamInfo, probe
from mediaobjects.transcoding.playable import ISO_CONTAINER, browser_safety
from tests.transcoding.conftest import ffmpeg

PICTURE = ["-f", "lavfi", "-i", "testsrc=duration=1:size=160x120:rate=25"]
TONE = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1"]
X264 = ["-c:v", "libx264", "-preset", "ultrafast"]
AAC = ["-c:a", "aac", "-shortest"]

# name -> ffmpeg arguments after the inputs (the output name's extension picks the container)
SOURCES: dict[str, list[str]] = {
    "h264.mp4": [*X264, "-pix_fmt", "yuv420p", *AAC],
    "h264.mov": [*X264, "-pix_fmt", "yuv420p", *AAC],
    "h264.mkv": [*X264, "-pix_fmt", "yuv420p", *AAC],
    "silent.mp4": [*X264, "-pix_fmt", "yuv420p", "-an"],
    "mp3-sound.mp4": [*X264, "-pix_fmt", "yuv420p", "-c:a", "libmp3lame", "-shortest"],
    "hevc.mp4": ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
                 "-pix_fmt", "yuv420p", "-tag:v", "hvc1", *AAC],
    "prores.mov": ["-c:v", "prores_ks", "-profile:v", "0", "-c:a", "pcm_s16le", "-shortest"],
    "ac3.mp4": [*X264, "-pix_fmt", "yuv420p", "-c:a", "ac3", "-shortest"],
    "10bit.mp4": [*X264, "-pix_fmt", "yuv420p10le", *AAC],
    "422.mp4": [*X264, "-pix_fmt", "yuv422p", *AAC],
    "interlaced.mp4": [*X264, "-pix_fmt", "yuv420p", "-flags", "+ildct+ilme",
                       "-x264opts", "tff=1", *AAC],
    "pq.mp4": [*X264, "-pix_fmt", "yuv420p", "-color_primaries", "bt2020",
               "-colorspace", "bt2020nc", "-color_trc", "smpte2084", *AAC],
}  # fmt: skip
SOUNDS: dict[str, list[str]] = {
    "tone.m4a": ["-c:a", "aac"],
    "tone.mp3": ["-c:a", "libmp3lame"],
    "tone.wav": [],
    "tone.ogg": ["-c:a", "libvorbis"],
}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("kinds")
    out = {}
    for name, args in SOURCES.items():
        inputs = PICTURE if "-an" in args else [*PICTURE, *TONE]
        ffmpeg(*inputs, *args, str(d / name))
        out[name] = d / name
    for name, args in SOUNDS.items():
        ffmpeg(*TONE, *args, str(d / name))
        out[name] = d / name
    return out


@pytest.mark.parametrize(
    ("name", "container"),
    [
        ("h264.mp4", "mp4"),
        ("h264.mov", "mp4"),
        ("silent.mp4", "mp4"),
        ("mp3-sound.mp4", "mp4"),
        ("tone.m4a", "m4a"),
        ("tone.mp3", "mp3"),
    ],
)
def test_plays_as_uploaded(made: dict[str, Path], name: str, container: str) -> None:
    verdict = browser_safety(probe(made[name]))
    assert verdict.safe and verdict.reasons == ()
    assert verdict.container == container


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("h264.mkv", ["Matroska", "Safari", "only MP4 and MOV files play"]),
        ("hevc.mp4", ["HEVC", "sound with a black picture"]),
        ("prores.mov", ["ProRes", "sound with a black picture"]),
        ("ac3.mp4", ["AC-3", "picture plays without sound"]),
        ("10bit.mp4", ["10-bit", "Safari"]),
        ("422.mp4", ["4:2:2", "Safari"]),
        ("interlaced.mp4", ["interlaced", "stripes"]),
        ("pq.mp4", ["HDR (PQ)", "washed out"]),
        ("tone.wav", ["WAV files", "only MP3, M4A and MP4"]),
        ("tone.ogg", ["Ogg files", "only MP3, M4A and MP4"]),
    ],
)
def test_is_refused_with_the_reason(made: dict[str, Path], name: str, says: list[str]) -> None:
    verdict = browser_safety(probe(made[name]))
    assert not verdict.safe and verdict.container is None
    text = " ".join(verdict.reasons)
    for words in says:
        assert words in text, (words, verdict.reasons)


def test_each_problem_is_one_reason(made: dict[str, Path]) -> None:
    # H.264 in MKV is fine but for its container; ProRes in MOV also brings PCM sound.
    assert len(browser_safety(probe(made["h264.mkv"])).reasons) == 1
    prores = browser_safety(probe(made["prores.mov"])).reasons
    assert len(prores) == 2 and "Uncompressed (PCM) sound" in prores[1]


def _video(**fields: object) -> ProbeResult:
    stream = StreamInfo(0, "video", "h264", width=640, height=360, **fields)  # type: ignore[arg-type]
    return ProbeResult(10.0, ISO_CONTAINER, None, (stream,))


def test_a_decoded_picture_format_counts_where_the_profile_said_nothing() -> None:
    # A second probe pass decodes frames (H.264 in MPEG-TS): then pix_fmt is known.
    assert browser_safety(_video(profile="High", pix_fmt="yuvj420p")).safe
    assert browser_safety(_video(profile=None, pix_fmt=None)).safe
    gray = browser_safety(_video(profile="High", pix_fmt="gray"))
    assert not gray.safe and "gray" in gray.reasons[0]
    baseline = browser_safety(_video(profile="Baseline"))
    assert not baseline.safe and "Baseline profile" in baseline.reasons[0]
    assert browser_safety(_video(field_order="progressive", color_transfer="bt709")).safe
    assert "HLG" in browser_safety(_video(color_transfer="arib-std-b67")).reasons[0]
    bottom_first = browser_safety(_video(field_order="bb"))
    assert "interlaced" in bottom_first.reasons[0]
