"""The early stream of the single pass (transcoding.live): the lowest video rung is also written
as 6 s HLS fMP4 segments, each handed over while ffmpeg is still running; what they add up to
plays as the rendition does, keyframe first; a failing sink stops the stream, not the ladder;
paths the tee muxer cannot take get no stream; the renditions are the same either way."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mediaobjects.transcoding import FFmpegTranscoder, LiveSegment, parse_ladder
from mediaobjects.transcoding.live import LiveWatcher, can_stream_into
from tests.support.clips import ffmpeg

SECONDS = 14


def probe_stream(path: Path) -> dict[str, Any]:
    """Height, codecs and duration of a media file (or of pieces joined into one)."""
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,height:format=duration",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    data = json.loads(done.stdout)
    heights = [s["height"] for s in data["streams"] if "height" in s]
    return {
        "height": heights[0] if heights else None,
        "codecs": {s["codec_name"] for s in data["streams"]},
        "duration": float(data["format"]["duration"]),
    }


def keyframe_times(path: Path) -> list[float]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-skip_frame", "nokey",
         "-show_entries", "frame=pts_time", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return [float(line.strip(",")) for line in done.stdout.split()]


@pytest.fixture(scope="module")
def hevc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clips") / "phone.mkv"
    subprocess.run(
        [ffmpeg(), "-v", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=duration={SECONDS}:size=640x360:rate=25",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={SECONDS}",
         "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
         "-c:a", "ac3", "-shortest", str(path)],
        check=True, timeout=120,
    )  # fmt: skip
    return path


@pytest.fixture
def transcoder() -> FFmpegTranscoder:
    return FFmpegTranscoder(ladder=parse_ladder("video:144,240;audio:m4a"))


def test_the_lowest_rung_streams_segment_by_segment_while_the_pass_runs(
    transcoder: FFmpegTranscoder, hevc: Path, tmp_path: Path
) -> None:
    result = transcoder.probe(hevc)
    workdir = tmp_path / "work"
    handed: list[tuple[LiveSegment, bytes, bool]] = []

    def sink(segment: LiveSegment) -> None:
        # Copied now: the directory is ffmpeg's. Whether its playlist has ended yet tells
        # whether ffmpeg was still writing.
        data = segment.init.read_bytes() if not handed else b""
        data += segment.path.read_bytes()
        ended = "#EXT-X-ENDLIST" in (segment.init.parent / "index.m3u8").read_text()
        handed.append((segment, data, ended))

    outputs = transcoder.transcode(hevc, result, workdir, live=sink)
    segments = [segment for segment, _, _ in handed]
    assert [s.sequence for s in segments] == [0, 1, 2]
    assert [s.duration for s in segments] == [6.0, 6.0, 2.0]
    # The first handed over while ffmpeg was still writing; the last ends with it.
    assert handed[0][2] is False and handed[-1][2] is True
    joined = tmp_path / "joined.mp4"
    joined.write_bytes(b"".join(data for _, data, _ in handed))
    probed = probe_stream(joined)
    assert probed["height"] == 144 and probed["codecs"] == {"h264", "aac"}
    assert probed["duration"] == pytest.approx(SECONDS, abs=0.1)
    # Every segment starts on a keyframe (every 2 s, as in the renditions).
    # (Times after the first: B-frames delay presentation by a frame or two.)
    keys = keyframe_times(joined)
    assert [t - keys[0] for t in keys[::3]] == pytest.approx([0.0, 6.0, 12.0], abs=0.05)
    # The rendition itself is unchanged: the same stream, whole.
    lowest = next(o for o in outputs if o.rendition.name == "144p")
    assert lowest.height == 144 and lowest.fragments is not None
    assert probe_stream(lowest.path)["duration"] == pytest.approx(SECONDS, abs=0.1)


def test_a_failing_sink_stops_the_stream_not_the_ladder(
    transcoder: FFmpegTranscoder, hevc: Path, tmp_path: Path
) -> None:
    calls: list[int] = []

    def sink(segment: LiveSegment) -> None:
        calls.append(segment.sequence)
        raise OSError("storage is down")

    outputs = transcoder.transcode(hevc, transcoder.probe(hevc), tmp_path / "w", live=sink)
    assert calls == [0]
    assert sorted(o.rendition.name for o in outputs) == ["144p", "240p"]
    assert all(o.path.exists() for o in outputs)


def test_paths_the_tee_muxer_cannot_take_get_no_stream(
    transcoder: FFmpegTranscoder, hevc: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert can_stream_into(tmp_path / "a-b_c.d/e+f")
    for odd in ("with space", "co:lon", "pi|pe", "br[ack]et", "quo'te", "back\\slash", "é"):
        assert not can_stream_into(tmp_path / odd)
    calls: list[int] = []
    workdir = tmp_path / "odd dir:[x]"
    outputs = transcoder.transcode(
        hevc, transcoder.probe(hevc), workdir, live=lambda s: calls.append(s.sequence)
    )
    assert calls == [] and len(outputs) == 2
    assert "no early stream" in caplog.text  # the administrator is told why


def test_the_watcher_hands_over_only_what_the_playlist_lists_in_full(tmp_path: Path) -> None:
    got: list[LiveSegment] = []
    watcher = LiveWatcher(tmp_path, got.append)
    watcher.on_line(b"progress=continue")  # no playlist yet
    playlist = tmp_path / "index.m3u8"
    head = '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-MAP:URI="init.mp4"\n'
    playlist.write_text(head + "#EXTINF:6.000000,\n0.m4s\n#EXTINF:6.0")
    watcher.on_line(b"frame=12")  # not the end of a report: nothing read
    assert got == []
    watcher.on_line(b"progress=continue")
    assert [(s.sequence, s.duration, s.path.name) for s in got] == [(0, 6.0, "0.m4s")]
    playlist.write_text(
        head + "#EXTINF:6.000000,\n0.m4s\n#EXTINF:6.000000,\n1.m4s\n"
        "#EXTINF:2.5,\n../../etc/passwd\n#EXTINF:1,\n3.m4s\n"
    )
    watcher.poll()
    watcher.poll()
    # Each once, in order; a name it never asked ffmpeg for ends what it trusts.
    assert [(s.sequence, s.path.name) for s in got] == [(0, "0.m4s"), (1, "1.m4s")]
    assert all(s.init == tmp_path / "init.mp4" for s in got)
