"""Video renditions are fragmented MP4s with one index at the front: one file serves a plain
<video src> and HLS byte ranges. The layout read back (header, fragments, codecs) is checked
against the bytes themselves and against ffprobe; other files are told apart."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mediaobjects.transcoding import parse_ladder, plan, probe, transcode
from mediaobjects.transcoding.fmp4 import NotFragmented, read_fragment_index
from tests.transcoding.conftest import Clips, ffmpeg
from tests.transcoding.test_ffmpeg import keyframe_times
from tests.transcoding.test_remux import top_level_boxes

LADDER = parse_ladder("video:120,240;audio:m4a")


def box_at(data: bytes, offset: int) -> tuple[str, int]:
    return data[offset + 4 : offset + 8].decode("latin-1"), int.from_bytes(
        data[offset : offset + 4], "big"
    )


def profile_and_level(path: Path) -> tuple[str, int]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0",
         "-show_entries", "stream=profile,level", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    profile, level = done.stdout.strip().split(",")
    return profile, int(level)


def test_video_renditions_are_fragmented_with_one_index_and_the_layout_reads_back(
    tmp_path: Path,
) -> None:
    source = tmp_path / "lecture.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=duration=7:size=320x240:rate=30",
           "-f", "lavfi", "-i", "sine=duration=7", "-c:v", "libx264", "-preset", "ultrafast",
           "-g", "300", "-pix_fmt", "yuv420p", "-c:a", "aac", str(source))  # fmt: skip
    result = probe(source)
    outputs = transcode(source, plan(result, LADDER), tmp_path / "out", result, timeout=120)
    assert [o.rendition.name for o in outputs] == ["120p", "240p"]
    for output in outputs:
        index = output.fragments
        assert index is not None
        data = output.path.read_bytes()
        boxes = top_level_boxes(output.path)
        # Header, then the one index (a sidx per track), then the fragments: no mdat before
        # the index, so a browser reads the front and knows where everything is.
        assert boxes[:2] == ["ftyp", "moov"] and boxes[2:4] == ["sidx", "sidx"]
        assert boxes[4] == "moof"
        # The header a player loads first: ftyp and moov, ending where the index says.
        ftyp, ftyp_size = box_at(data, 0)
        assert ftyp == "ftyp"
        assert box_at(data, ftyp_size) == ("moov", index.header_size - ftyp_size)
        # Every fragment is a moof and its mdat, back to back to the end of the media.
        for fragment, following in zip(index.fragments, index.fragments[1:], strict=False):
            assert fragment.offset + fragment.size == following.offset
        for fragment in index.fragments:
            kind, size = box_at(data, fragment.offset)
            assert kind == "moof"
            assert box_at(data, fragment.offset + size) == ("mdat", fragment.size - size)
        # One fragment per keyframe, every 2 s (fragments start on the decoding clock; ffprobe
        # shows each keyframe after the B-frame delay).
        starts = [f.start for f in index.fragments]
        assert starts == pytest.approx([0, 2, 4, 6], abs=0.05)
        keyframes = keyframe_times(output.path)
        assert [k - keyframes[0] for k in keyframes] == pytest.approx(starts, abs=0.05)
        assert index.duration == pytest.approx(7, abs=0.1)
        # The codec names players are told (CODECS) come from the stream itself.
        profile, level = profile_and_level(output.path)
        assert profile == "High"
        assert index.codecs == (f"avc1.6400{level:02x}", "mp4a.40.2")
    # It still plays as a file: ffprobe reads the whole duration.
    assert probe(outputs[1].path).duration == pytest.approx(7, abs=0.1)


def test_audio_renditions_and_ordinary_mp4s_have_no_fragment_index(
    clips: Clips, tmp_path: Path
) -> None:
    result = probe(clips.mp4)
    outputs = transcode(
        clips.mp4, plan(result, parse_ladder("video:120;audio:m4a")), tmp_path, result, timeout=60
    )
    assert outputs[0].fragments is not None
    m4a = transcode(
        clips.mp4, [r for r in LADDER if r.kind == "audio"], tmp_path / "a", result, timeout=60
    )
    assert m4a[0].fragments is None
    # A rendition made before (a faststart MP4): not fragmented, not an error.
    with pytest.raises(NotFragmented):
        read_fragment_index(clips.mp4)


def test_a_cut_short_file_is_not_read_as_fragments(tmp_path: Path, clips: Clips) -> None:
    result = probe(clips.mp4)
    (output,) = transcode(
        clips.mp4, plan(result, parse_ladder("video:120;audio:m4a")), tmp_path, result, timeout=60
    )
    data = output.path.read_bytes()
    for cut in (10, 40, len(data) // 2, len(data) - 3):
        broken = tmp_path / f"cut-{cut}.mp4"
        broken.write_bytes(data[:cut])
        with pytest.raises(NotFragmented):
            read_fragment_index(broken)
