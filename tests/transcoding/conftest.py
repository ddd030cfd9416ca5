"""Short clips generated once per session with ffmpeg's lavfi sources (nothing binary is
committed). The whole directory fails, loudly, when ffmpeg or ffprobe is missing."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

MISSING = (
    "ffmpeg/ffprobe are not installed; the transcoding tests need them: apt-get install ffmpeg"
)


@pytest.fixture(scope="session", autouse=True)
def _require_ffmpeg() -> None:
    missing = [exe for exe in ("ffmpeg", "ffprobe") if shutil.which(exe) is None]
    if missing:
        pytest.fail(f"{MISSING} (missing: {', '.join(missing)})", pytrace=False)


def ffmpeg(*args: str) -> None:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y", *args],
        check=True,
        timeout=60,
    )


def truncate_half(src: Path, dst: Path) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


@dataclass(frozen=True)
class Clips:
    mp4: Path  # 320x240 H.264 + AAC, 2 s, index at the end
    mp4_360: Path  # 640x360 H.264 + AAC, 1 s
    faststart: Path  # like mp4 with the index first
    webm: Path  # VP8 + Opus
    mp3: Path
    m4a: Path
    wav: Path
    cover_mp3: Path  # MP3 with an attached picture
    cover_m4a: Path
    silent: Path  # video without an audio stream
    recording: Path  # WebM streamed to a pipe: no duration in its header
    portrait: Path  # 240x320
    ramp: Path  # brightness rises with time, for the poster position
    text: Path
    jpeg: Path
    truncated_end: Path  # mp4 cut in half: index lost
    truncated_faststart: Path  # faststart mp4 cut in half: index intact, data lost
    truncated_mp3: Path


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Clips:
    d = tmp_path_factory.mktemp("clips")
    tone = ["-f", "lavfi", "-i", "sine=frequency=440:duration=2"]
    h264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]

    def video(name: str, size: str, *extra: str, duration: float = 2) -> Path:
        out = d / name
        src = f"testsrc=duration={duration}:size={size}:rate=25"
        ffmpeg("-f", "lavfi", "-i", src, *extra, str(out))
        return out

    mp4 = video("clip.mp4", "320x240", *tone, *h264, "-c:a", "aac", "-shortest")
    faststart = video(
        "fast.mp4", "320x240", *tone, *h264, "-c:a", "aac", "-shortest", "-movflags", "+faststart"
    )
    mp4_360 = video("clip360.mp4", "640x360", *tone, *h264, "-c:a", "aac", "-shortest", duration=1)
    webm = video(
        "clip.webm", "160x120", *tone, "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8",
        "-c:a", "libopus", "-shortest", duration=1,
    )  # fmt: skip
    silent = video("silent.mp4", "320x240", *h264, duration=1)
    recording = d / "recording.webm"
    with recording.open("wb") as sink:
        # Written to a pipe, as a browser's MediaRecorder does: no duration in the header.
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi",
             "-i", "testsrc=duration=1:size=160x120:rate=25", "-c:v", "libvpx",
             "-deadline", "realtime", "-cpu-used", "8", "-f", "webm", "pipe:1"],
            stdout=sink, check=True, timeout=60,
        )  # fmt: skip
    portrait = video(
        "portrait.mp4", "240x320", *tone, *h264, "-c:a", "aac", "-shortest", duration=1
    )
    ramp = d / "ramp.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "color=black:size=64x48:rate=25:duration=2,format=yuv420p,"
        "geq=lum='16+80*T':cb=128:cr=128", *h264, str(ramp),
    )  # fmt: skip
    mp3, m4a, wav = d / "tone.mp3", d / "tone.m4a", d / "tone.wav"
    ffmpeg(*tone, "-c:a", "libmp3lame", str(mp3))
    ffmpeg(*tone, "-c:a", "aac", str(m4a))
    ffmpeg(*tone, str(wav))
    jpeg = d / "cover.jpg"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=200x150", "-frames:v", "1", str(jpeg))
    cover_mp3, cover_m4a = d / "cover.mp3", d / "cover.m4a"
    art = ["-map", "0", "-map", "1", "-c", "copy", "-disposition:v", "attached_pic"]
    ffmpeg("-i", str(mp3), "-i", str(jpeg), *art, "-id3v2_version", "3", str(cover_mp3))
    ffmpeg("-i", str(m4a), "-i", str(jpeg), *art, str(cover_m4a))
    text = d / "notes.txt"
    text.write_text("These are my lecture notes.\nNot a video at all.\n")
    return Clips(
        mp4=mp4,
        mp4_360=mp4_360,
        faststart=faststart,
        webm=webm,
        mp3=mp3,
        m4a=m4a,
        wav=wav,
        cover_mp3=cover_mp3,
        cover_m4a=cover_m4a,
        silent=silent,
        recording=recording,
        portrait=portrait,
        ramp=ramp,
        text=text,
        jpeg=jpeg,
        truncated_end=truncate_half(mp4, d / "cut.mp4"),
        truncated_faststart=truncate_half(faststart, d / "cut-fast.mp4"),
        truncated_mp3=truncate_half(mp3, d / "cut.mp3"),
    )
