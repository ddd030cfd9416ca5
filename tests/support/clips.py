"""Short media made by ffmpeg's lavfi sources for the tests (never committed binaries)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def ffmpeg() -> str:
    found = shutil.which("ffmpeg")
    if found is None:
        raise RuntimeError(
            "ffmpeg is missing: apt-get install -y ffmpeg (make test does it as root)"
        )
    return found


def make_video(
    path: Path, *, seconds: float = 2, size: str = "320x240", audio: bool = True
) -> Path:
    cmd = [
        ffmpeg(),
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc=duration={seconds}:size={size}:rate=25",
    ]
    if audio:
        cmd += [
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={seconds}",
            "-shortest",
            "-c:a",
            "aac",
        ]
    cmd += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", str(path)]
    subprocess.run(cmd, check=True, timeout=120)
    return path


def make_audio(path: Path, *, seconds: float = 2) -> Path:
    subprocess.run(
        [
            ffmpeg(),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=330:duration={seconds}",
            "-c:a",
            "libmp3lame",
            str(path),
        ],
        check=True,
        timeout=120,
    )
    return path


def jpeg_size(data: bytes) -> tuple[int, int]:
    """The width and height of a JPEG, as ffprobe reads them."""
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0",
         "-f", "image2pipe", "-i", "pipe:0"],
        input=data, capture_output=True, check=True,
    )  # fmt: skip
    width, height = done.stdout.decode().strip().split(",")
    return int(width), int(height)


def make_spoken(
    path: Path,
    sounds: list[tuple[float, float]],
    *,
    seconds: float,
    video: bool = True,
    amplitude: float = 0.5,
) -> Path:
    """A clip whose audio is a tone during each ``(start, end)`` of ``sounds`` (seconds) and
    digital silence elsewhere: speech where we know it is. With ``video``, an H.264 MP4 with
    a test picture; else whatever audio ``path``'s extension names."""
    on = "+".join(f"between(t,{start},{end})" for start, end in sounds) or "0"
    tone = f"aevalsrc='{amplitude}*sin(2*PI*440*t)*gt({on},0)':s=44100:d={seconds}"
    cmd = [ffmpeg(), "-v", "error", "-y"]
    if video:
        cmd += ["-f", "lavfi", "-i", f"testsrc=duration={seconds}:size=160x120:rate=25"]
    cmd += ["-f", "lavfi", "-i", tone]
    if video:
        cmd += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", "-c:a", "aac"]
    cmd.append(str(path))
    subprocess.run(cmd, check=True, timeout=120)
    return path
