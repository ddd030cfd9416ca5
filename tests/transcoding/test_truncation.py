"""Valid files that end unusually are not called truncated (a low frame rate, a variable frame
rate, cover art, a podcast's one still picture, long GOPs, an MP3 whose header guesses its
length), while files that really were cut off still are; and a header cannot understate a
file's length to slip under the duration limit."""

from __future__ import annotations

import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from mediaobjects.transcoding import FFmpegTranscoder, MediaRejected, probe, verify_decodable
from tests.transcoding.conftest import Clips, ffmpeg, truncate_half

H264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]  # with B-frames


@dataclass(frozen=True)
class Odd:
    one_fps: Path  # 320x240 H.264, 1 frame/s, 10 frames: the last one starts at 9 s
    one_fps_webm: Path  # the same in VP8/WebM, whose packets carry no duration
    slides: Path  # 2 s at 25 frames/s, then a picture every 4 s: variable frame rate
    podcast: Path  # 10 s of sound with a video stream of one still picture
    cover_mp3: Path  # 10 s MP3 with cover art
    cover_m4a: Path
    long_gop: Path  # 30 s, a keyframe every 600 frames, B-frames, with sound
    long_gop_silent: Path  # the same without sound
    long_gop_webm: Path  # VP8, keyframe every 600 frames, with alt-ref frames
    vbr_mp3: Path  # 6 s VBR MP3 without a Xing header: its header length is a guess
    understated: Path  # 10 s WebM whose header claims 1 s


@pytest.fixture(scope="session")
def odd(tmp_path_factory: pytest.TempPathFactory) -> Odd:
    d = tmp_path_factory.mktemp("odd")
    tone10 = ["-f", "lavfi", "-i", "sine=frequency=440:duration=10"]

    def make(name: str, *args: str) -> Path:
        ffmpeg(*args, str(d / name))
        return d / name

    one_fps = make("one-fps.mp4", "-f", "lavfi", "-i", "testsrc=duration=10:size=320x240:rate=1",
                   *H264)  # fmt: skip
    one_fps_webm = make(
        "one-fps.webm", "-f", "lavfi", "-i", "testsrc=duration=10:size=320x240:rate=1",
        "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8",
    )  # fmt: skip
    slides = make(
        "slides.mp4", "-filter_complex",
        "testsrc=rate=25:duration=2:size=320x240,format=yuv420p[a];"
        "testsrc=rate=1/4:duration=8:size=320x240,format=yuv420p[b];"
        "[a][b]concat=n=2:v=1:a=0", "-fps_mode", "vfr", *H264,
    )  # fmt: skip
    picture = make("picture.png", "-f", "lavfi", "-i", "testsrc=size=320x240", "-frames:v", "1")
    podcast = make("podcast.mkv", "-i", str(picture), *tone10, "-map", "0", "-map", "1",
                   *H264, "-c:a", "aac")  # fmt: skip
    mp3 = make("tone10.mp3", *tone10, "-c:a", "libmp3lame")
    m4a = make("tone10.m4a", *tone10, "-c:a", "aac")
    art = ["-map", "0", "-map", "1", "-c", "copy", "-disposition:v", "attached_pic"]
    cover_mp3 = make("cover10.mp3", "-i", str(mp3), "-i", str(picture), *art)
    cover_m4a = make("cover10.m4a", "-i", str(m4a), "-i", str(picture), *art)
    gop_src = ["-f", "lavfi", "-i", "testsrc=duration=30:size=320x240:rate=25"]
    gop = ["-g", "600", "-bf", "3"]
    long_gop = make("long-gop.mp4", *gop_src, "-f", "lavfi", "-i", "sine=duration=30",
                    *H264, *gop, "-c:a", "aac", "-shortest", "-movflags", "+faststart")  # fmt: skip
    long_gop_silent = make("long-gop-silent.mp4", *gop_src, *H264, *gop)
    long_gop_webm = make(
        "long-gop.webm", *gop_src, "-c:v", "libvpx", "-g", "600", "-auto-alt-ref", "1",
        "-lag-in-frames", "16", "-deadline", "realtime", "-cpu-used", "8",
    )  # fmt: skip
    vbr_mp3 = make(
        "vbr.mp3", "-filter_complex",
        "anullsrc=r=44100:cl=stereo:d=3[a];anoisesrc=d=3:r=44100,aformat=channel_layouts=stereo[b];"
        "[a][b]concat=n=2:v=0:a=1", "-c:a", "libmp3lame", "-q:a", "2", "-write_xing", "0",
    )  # fmt: skip
    ten = make("ten.webm", "-f", "lavfi", "-i", "testsrc=duration=10:size=160x120:rate=25",
               "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8")  # fmt: skip
    return Odd(
        one_fps=one_fps,
        one_fps_webm=one_fps_webm,
        slides=slides,
        podcast=podcast,
        cover_mp3=cover_mp3,
        cover_m4a=cover_m4a,
        long_gop=long_gop,
        long_gop_silent=long_gop_silent,
        long_gop_webm=long_gop_webm,
        vbr_mp3=vbr_mp3,
        understated=_claim_duration(ten, d / "understated.webm", milliseconds=1000.0),
    )


def _claim_duration(src: Path, dst: Path, *, milliseconds: float) -> Path:
    """A copy of the WebM ``src`` whose Segment Info says it lasts ``milliseconds``."""
    data = bytearray(src.read_bytes())
    at = data.find(b"\x44\x89\x88")  # the Duration element, an 8-byte float
    assert at > 0, "no Duration element"
    data[at + 3 : at + 11] = struct.pack(">d", milliseconds)
    dst.write_bytes(bytes(data))
    return dst


def header_duration(path: Path) -> float:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(done.stdout.strip())


VALID = [
    ("one_fps", 10.0),
    ("one_fps_webm", 10.0),
    ("slides", None),
    ("podcast", 10.0),
    ("cover_mp3", 10.0),
    ("cover_m4a", 10.0),
    ("long_gop", 30.0),
    ("long_gop_silent", 30.0),
    ("long_gop_webm", 30.0),
]


@pytest.mark.parametrize(("name", "seconds"), VALID)
def test_valid_files_that_end_unusually_are_accepted_with_their_length(
    odd: Odd, name: str, seconds: float | None
) -> None:
    path = getattr(odd, name)
    result = FFmpegTranscoder().probe(path)
    expected = header_duration(path) if seconds is None else seconds
    assert result.duration == pytest.approx(expected, abs=0.1)


def test_one_frame_per_second_reads_to_its_end(odd: Odd) -> None:
    # The clip: ffmpeg's progress said 7 s of 10 s (the last packet's decoding time).
    assert verify_decodable(odd.one_fps, duration=10.0) == pytest.approx(10.0, abs=0.05)


def test_slides_are_as_long_as_their_last_picture_lasts(odd: Odd) -> None:
    # 25 frames/s for 2 s, then pictures at 2 s and 6 s: the last one starts 4 s before the end.
    result = probe(odd.slides)
    assert result.duration > 5.5
    measured = verify_decodable(odd.slides, duration=result.duration)
    assert measured is not None and measured >= result.duration - 0.1


def test_an_mp3_whose_header_guesses_its_length_gets_its_real_length(odd: Odd) -> None:
    # The guess (from the bitrate of the silent start) is more than twice the real length.
    guessed = probe(odd.vbr_mp3)
    assert guessed.duration_estimated and guessed.duration > 10
    result = FFmpegTranscoder().probe(odd.vbr_mp3)
    assert result.duration == pytest.approx(6.0, abs=0.1)
    assert not result.duration_estimated


def test_a_header_cannot_understate_the_length(odd: Odd) -> None:
    assert probe(odd.understated).duration == pytest.approx(1.0, abs=0.01)
    assert FFmpegTranscoder().probe(odd.understated).duration == pytest.approx(10.0, abs=0.1)
    with pytest.raises(MediaRejected) as info:
        FFmpegTranscoder(max_duration=5).probe(odd.understated)
    assert info.value.reason == "The video is 10 s long; the limit is 5 s."


@pytest.mark.parametrize("name", ["long_gop", "long_gop_webm", "one_fps", "cover_mp3"])
def test_the_same_files_cut_in_half_are_still_refused(odd: Odd, tmp_path: Path, name: str) -> None:
    source = getattr(odd, name)
    cut = truncate_half(source, tmp_path / f"cut{source.suffix}")
    with pytest.raises(MediaRejected) as info:
        FFmpegTranscoder().probe(cut)
    assert info.value.reason.startswith("The file is truncated or damaged: ")


def test_cut_files_of_the_shared_clips_are_still_refused(clips: Clips) -> None:
    for cut in (clips.truncated_end, clips.truncated_faststart, clips.truncated_mp3):
        with pytest.raises(MediaRejected) as info:
            FFmpegTranscoder().probe(cut)
        assert info.value.reason.startswith("The file is truncated or damaged: "), cut
