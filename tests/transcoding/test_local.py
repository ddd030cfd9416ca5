"""FFmpegTranscoder, the Transcoder backend: the whole pipeline an upload goes through."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from mediaobjects.transcoding import (
    FFmpegTranscoder,
    MediaRejected,
    ToolMissing,
    Transcoder,
    parse_ladder,
)
from tests.transcoding.conftest import Clips
from tests.transcoding.test_ffmpeg import luma, probe_size


def test_has_every_method_of_the_transcoder_protocol() -> None:
    # What the pipeline calls, as the Protocol declares it: same names, parameters, kinds and
    # defaults (mypy checks the types; this fails when a method is missing or drifts).
    def shape(method: object) -> list[tuple[str, object, object]]:
        params = inspect.signature(method).parameters.values()  # type: ignore[arg-type]
        return [(p.name, p.kind, p.default) for p in params]

    declared = {
        name: member
        for name, member in vars(Transcoder).items()
        if inspect.isfunction(member) and not name.startswith("_")
    }
    assert {"probe", "check_limits", "plan", "transcode", "poster", "resize"} <= set(declared)
    for name, method in declared.items():
        implemented = getattr(FFmpegTranscoder, name, None)
        assert callable(implemented), f"FFmpegTranscoder has no {name}()"
        assert shape(implemented) == shape(method), name


def test_check_tools_passes_here() -> None:
    FFmpegTranscoder().check_tools()


@pytest.mark.parametrize("which", ["ffmpeg", "ffprobe"])
def test_check_tools_names_what_is_missing(which: str) -> None:
    backend = FFmpegTranscoder(**{which: f"/nonexistent/{which}"})  # type: ignore[arg-type]
    with pytest.raises(ToolMissing) as info:
        backend.check_tools()
    assert f"/nonexistent/{which}" in info.value.reason
    assert "apt-get install ffmpeg" in info.value.reason


def test_probe_rejects_a_file_cut_after_its_index(clips: Clips) -> None:
    with pytest.raises(MediaRejected, match="^The file is truncated or damaged: "):
        FFmpegTranscoder().probe(clips.truncated_faststart)


def test_upload_pipeline_for_a_video(clips: Clips, tmp_path: Path) -> None:
    backend = FFmpegTranscoder(ladder=parse_ladder("video:120,240,720;audio:m4a"))
    result = backend.probe(clips.mp4)
    backend.check_limits(result)
    outputs = backend.transcode(clips.mp4, result, tmp_path)
    assert [(o.rendition.name, o.height) for o in outputs] == [("120p", 120), ("240p", 240)]
    image = backend.poster(clips.mp4, result, tmp_path / "poster.jpg")
    assert image is not None and probe_size(image) == (320, 240)


def test_limits_come_from_the_backend(clips: Clips) -> None:
    backend = FFmpegTranscoder(max_duration=1.5, max_pixels=10**6)
    with pytest.raises(MediaRejected, match="limit is 1 s"):
        backend.check_limits(backend.probe(clips.mp4))


def test_poster_at_ten_percent(clips: Clips, tmp_path: Path) -> None:
    backend = FFmpegTranscoder()
    image = backend.poster(clips.ramp, backend.probe(clips.ramp), tmp_path / "poster.jpg")
    assert image is not None and 12 < luma(image) < 28


def test_audio_has_no_poster(clips: Clips, tmp_path: Path) -> None:
    backend = FFmpegTranscoder()
    assert (
        backend.poster(clips.cover_m4a, backend.probe(clips.cover_m4a), tmp_path / "p.jpg") is None
    )
    assert list(tmp_path.iterdir()) == []


def test_thumbnails_are_made_once(clips: Clips, tmp_path: Path) -> None:
    out = tmp_path / "thumbnail.jpg"
    made = FFmpegTranscoder().resize(clips.jpeg, out, width=50, height=None)
    assert probe_size(made) == (50, 38)
    before = made.stat().st_mtime_ns
    # A backend that cannot run ffmpeg still answers: the cached file is returned as is.
    again = FFmpegTranscoder(ffmpeg="/nonexistent/ffmpeg").resize(
        clips.jpeg, out, width=50, height=None
    )
    assert again == out and out.stat().st_mtime_ns == before
