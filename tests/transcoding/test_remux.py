"""Rewriting a browser-safe upload for playback at once: the same pictures and sound (copied,
never re-encoded), the index moved to the front, phones' GPS positions gone, the picture still
upright; written whole or not at all."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mediaobjects.transcoding import TranscodeFailed, probe
from mediaobjects.transcoding.ffmpeg import remux
from tests.transcoding.conftest import Clips, ffmpeg


def top_level_boxes(path: Path) -> list[str]:
    """The names of an MP4 file's top-level boxes, in file order."""
    names = []
    data = path.read_bytes()
    at = 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        name = data[at + 4 : at + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[at + 8 : at + 16], "big")
        names.append(name)
        if size < 8:
            break
        at += size
    return names


def packet_hashes(path: Path, stream: str) -> list[str]:
    """One checksum per packet of the first ``stream`` ("v" or "a"), as stored."""
    done = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", f"0:{stream}:0",
         "-c", "copy", "-f", "framemd5", "-"],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return [line.rsplit(",", 1)[1].strip() for line in done.stdout.decode().splitlines()
            if line and not line.startswith("#")]  # fmt: skip


def test_a_camera_file_gets_its_index_first_and_keeps_every_packet(
    clips: Clips, tmp_path: Path
) -> None:
    assert top_level_boxes(clips.mp4).index("moov") > top_level_boxes(clips.mp4).index("mdat")
    out = remux(clips.mp4, probe(clips.mp4), "mp4", tmp_path, timeout=60)
    assert out.path == tmp_path / "original.mp4"
    boxes = top_level_boxes(out.path)
    assert boxes.index("moov") < boxes.index("mdat")
    assert out.rendition.content_type == "video/mp4" and out.rendition.name == "original"
    assert (out.width, out.height) == (320, 240) and out.size == out.path.stat().st_size
    assert out.bitrate is not None and out.bitrate > 0
    for stream in ("v", "a"):
        assert packet_hashes(out.path, stream) == packet_hashes(clips.mp4, stream)
    assert [p.name for p in tmp_path.iterdir()] == ["original.mp4"]


def test_a_phone_video_loses_its_position_but_stays_upright(clips: Clips, tmp_path: Path) -> None:
    phone = tmp_path / "IMG_0001.MOV"
    ffmpeg("-i", str(clips.mp4), "-c", "copy", "-metadata:s:v:0", "rotate=90",
           "-metadata", "location=+48.8584+002.2945/", str(phone))  # fmt: skip
    assert b"+48.8584" in phone.read_bytes()
    out = remux(phone, probe(phone), "mp4", tmp_path / "out", timeout=60)
    assert b"+48.8584" not in out.path.read_bytes()
    made = probe(out.path)
    assert "mp4" in made.container and (made.width, made.height) == (240, 320)


@pytest.mark.parametrize(
    ("clip", "container", "codec"), [("m4a", "m4a", "aac"), ("mp3", "mp3", "mp3")]
)
def test_sound_files_and_their_cover_art(
    clips: Clips, tmp_path: Path, clip: str, container: str, codec: str
) -> None:
    source = getattr(clips, f"cover_{clip}")
    result = probe(source)
    assert any(s.attached_pic for s in result.streams)
    out = remux(source, result, container, tmp_path, timeout=60)
    assert out.path.name == f"original.{container}"
    made = probe(out.path)
    assert [s.codec_name for s in made.streams] == [codec]
    assert made.duration == pytest.approx(result.duration, abs=0.1)


def test_a_failure_leaves_nothing(clips: Clips, tmp_path: Path) -> None:
    with pytest.raises(TranscodeFailed):
        remux(clips.text, probe(clips.mp4), "mp4", tmp_path, timeout=60)
    assert list(tmp_path.iterdir()) == []
