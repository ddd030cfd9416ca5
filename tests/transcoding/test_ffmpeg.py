"""Transcoding with the real ffmpeg: one process writes every rendition, outputs appear only
when complete, failures and timeouts leave nothing behind; posters and thumbnails."""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest

from mediaobjects.transcoding import (
    MediaRejected,
    TranscodeFailed,
    build_command,
    parse_ladder,
    plan,
    poster,
    probe,
    resize,
    run,
    transcode,
)
from mediaobjects.transcoding.ffmpeg import PLACEHOLDER_KINDS, placeholder
from tests.support.procs import is_gone, wait_for
from tests.transcoding.conftest import Clips, ffmpeg

SMALL = parse_ladder("video:120,240;audio:m4a,mp3")


def codecs(path: Path) -> dict[str, str]:
    return {s.codec_type: s.codec_name for s in probe(path).streams}


def counting_ffmpeg(tmp_path: Path, *, extra: str = "") -> tuple[str, Path]:
    """An ffmpeg wrapper that logs each call (and its pid) before running the real one."""
    log = tmp_path / "calls.log"
    script = tmp_path / "ffmpeg-wrapper"
    script.write_text(f'#!/bin/sh\nffmpeg {extra} "$@" &\necho $! >> {log}\nwait $!\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script), log


def test_one_process_writes_every_rendition(clips: Clips, tmp_path: Path) -> None:
    result = probe(clips.mp4)
    renditions = plan(result, SMALL)
    wrapper, log = counting_ffmpeg(tmp_path)
    outputs = transcode(clips.mp4, renditions, tmp_path / "out", result, ffmpeg=wrapper, timeout=60)
    assert len(log.read_text().split()) == 1
    by_name = {o.rendition.name: o for o in outputs}
    assert sorted(by_name) == ["120p", "240p"]
    for name, (width, height) in {"120p": (160, 120), "240p": (320, 240)}.items():
        out = by_name[name]
        assert out.path == tmp_path / "out" / f"{name}.mp4"
        assert (out.width, out.height) == (width, height)
        assert codecs(out.path) == {"video": "h264", "audio": "aac"}
        assert out.size == out.path.stat().st_size > 0
        assert out.bitrate is not None and out.bitrate > 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["120p.mp4", "240p.mp4"]


def test_command_reads_the_source_once_and_names_each_format(clips: Clips, tmp_path: Path) -> None:
    result = probe(clips.mp4)
    outs = [(r, tmp_path / f"t{i}") for i, r in enumerate(SMALL)]
    cmd = build_command(clips.mp4, outs, result)
    assert cmd.count("-i") == 1
    assert cmd.count("-filter_complex") == 1
    assert [cmd[i + 1] for i, a in enumerate(cmd) if a == "-f"] == ["mp4", "mp4", "ipod", "mp3"]


def test_video_with_audio_and_audio_renditions_in_one_pass(clips: Clips, tmp_path: Path) -> None:
    result = probe(clips.mp4)
    outputs = transcode(clips.mp4, list(SMALL), tmp_path, result, timeout=60)
    got = {o.rendition.name: codecs(o.path) for o in outputs}
    assert got == {
        "120p": {"video": "h264", "audio": "aac"},
        "240p": {"video": "h264", "audio": "aac"},
        "aac": {"audio": "aac"},
        "mp3": {"audio": "mp3"},
    }


def test_default_ladder_on_a_360p_source(clips: Clips, tmp_path: Path) -> None:
    result = probe(clips.mp4_360)
    outputs = transcode(clips.mp4_360, plan(result), tmp_path, result, timeout=60)
    assert [(o.rendition.name, o.width, o.height) for o in outputs] == [("360p", 640, 360)]
    assert probe(outputs[0].path).video is not None
    pix = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=pix_fmt",
         "-of", "csv=p=0", str(outputs[0].path)],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert pix == "yuv420p"


def test_video_without_audio_gets_no_audio_track(clips: Clips, tmp_path: Path) -> None:
    result = probe(clips.silent)
    outputs = transcode(clips.silent, plan(result, SMALL), tmp_path, result, timeout=60)
    assert [codecs(o.path) for o in outputs] == [{"video": "h264"}, {"video": "h264"}]


def test_audio_with_cover_art_becomes_audio_only(clips: Clips, tmp_path: Path) -> None:
    result = probe(clips.cover_mp3)
    outputs = transcode(clips.cover_mp3, plan(result), tmp_path, result, timeout=60)
    assert [(o.path.name, codecs(o.path)) for o in outputs] == [
        ("aac.m4a", {"audio": "aac"}),
        ("mp3.mp3", {"audio": "mp3"}),
    ]
    assert all(o.width is None and o.height is None for o in outputs)


def test_portrait_source_keeps_its_orientation(clips: Clips, tmp_path: Path) -> None:
    result = probe(clips.portrait)
    (out,) = transcode(clips.portrait, plan(result), tmp_path, result, timeout=60)
    assert (out.rendition.name, out.width, out.height) == ("240p", 240, 320)


def test_a_phone_video_stored_sideways_comes_out_upright(clips: Clips, tmp_path: Path) -> None:
    # Phones store the camera's landscape picture and a 90° turn to show it portrait.
    phone = tmp_path / "IMG_0002.MOV"
    ffmpeg("-i", str(clips.mp4), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(phone))
    result = probe(phone)
    assert (result.width, result.height) == (240, 320)
    (out,) = transcode(phone, plan(result), tmp_path / "out", result, timeout=60)
    assert (out.rendition.name, out.width, out.height) == ("240p", 240, 320)


def keyframe_times(path: Path) -> list[float]:
    """When each keyframe of the first video stream is shown, read back with ffprobe."""
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0",
         "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return [
        float(time_)
        for time_, flags in (line.split(",")[:2] for line in done.stdout.split())
        if "K" in flags
    ]


def test_every_rendition_has_a_keyframe_every_two_seconds_at_the_same_instants(
    tmp_path: Path,
) -> None:
    # The source's own keyframes are 10 s apart (a camera's GOP is its own business).
    source = tmp_path / "long-gop.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=duration=7:size=320x240:rate=30",
           "-c:v", "libx264", "-preset", "ultrafast", "-g", "300", "-pix_fmt", "yuv420p",
           str(source))  # fmt: skip
    assert keyframe_times(source) == [0.0]
    result = probe(source)
    outputs = transcode(source, plan(result, SMALL), tmp_path / "out", result, timeout=60)
    assert [o.rendition.name for o in outputs] == ["120p", "240p"]
    times = [keyframe_times(output.path) for output in outputs]
    # The renditions are fragmented MP4s, which carry no edit list: the picture starts after
    # x264's B-frame delay (2 frames here), the same in every rendition.
    first = times[0][0]
    assert 0 <= first <= 0.1
    for found in times:
        assert found == pytest.approx([first + t for t in (0.0, 2.0, 4.0, 6.0)], abs=0.001)


def test_readers_never_see_a_partial_final_file(clips: Clips, tmp_path: Path) -> None:
    result = probe(clips.mp4)
    workdir = tmp_path / "out"
    workdir.mkdir()
    seen: list[tuple[str, int]] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            for entry in os.scandir(workdir):
                with contextlib.suppress(FileNotFoundError):  # renamed since listed
                    seen.append((entry.name, entry.stat().st_size))
            time.sleep(0.002)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        outputs = transcode(clips.mp4, list(SMALL), workdir, result, timeout=60)
    finally:
        done.set()
        watcher.join()
    final_sizes = {o.path.name: o.size for o in outputs}
    assert any(name.endswith(".part") for name, _ in seen), "the watcher saw no temporary file"
    for name, size in seen:
        if not name.endswith(".part"):
            assert size == final_sizes[name], f"{name} was visible at {size} bytes"


def test_timeout_kills_ffmpeg_and_leaves_nothing(clips: Clips, tmp_path: Path) -> None:
    result = probe(clips.mp4)
    log, pid_file = tmp_path / "exits.log", tmp_path / "ffmpeg.pid"
    # A wrapper that runs ffmpeg in a child, as a shell script installed as ffmpeg would.
    # -re -stream_loop 30 makes ffmpeg read the 2 s clip 31 times at playback speed, so on its
    # own it runs for over a minute; each process writes a line to the log when it exits by
    # itself. Only the kill of the whole process group leaves the log empty.
    wrapper = tmp_path / "ffmpeg-wrapper"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'( ffmpeg -re -stream_loop 30 "$@" & echo $! > {pid_file}; wait $!; '
        f"echo child exited >> {log} ) &\n"
        f"wait $!\necho wrapper exited >> {log}\n"
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    workdir = tmp_path / "out"
    with pytest.raises(TranscodeFailed, match="took longer than 2 s"):
        transcode(clips.mp4, list(SMALL), workdir, result, ffmpeg=str(wrapper), timeout=2)
    assert list(workdir.iterdir()) == []
    # transcode() returns only once every holder of ffmpeg's output pipes has gone.
    assert not log.exists(), log.read_text()
    pid = int(pid_file.read_text().strip())
    # The wrapper's grandchild ffmpeg was in the killed process group. It closes its pipes
    # before the kernel marks it a zombie, so it may still show as running for a moment after
    # transcode() returned (seen under load): it must be gone within seconds, where on its own
    # it would run for over a minute.
    wait_for(lambda: is_gone(pid), "the killed grandchild ffmpeg's exit", timeout=10)


def test_ffmpeg_failure_reports_its_stderr_and_leaves_nothing(clips: Clips, tmp_path: Path) -> None:
    result = probe(clips.mp4)
    workdir = tmp_path / "out"
    fake_source = tmp_path / "gone.mp4"
    with pytest.raises(TranscodeFailed) as info:
        transcode(fake_source, list(SMALL), workdir, result, timeout=60)
    assert "No such file or directory" in info.value.detail
    # What an uploader may read names no path of the server's.
    assert str(tmp_path) not in info.value.reason
    assert list(workdir.iterdir()) == []


def test_run_reports_exit_status() -> None:
    with pytest.raises(TranscodeFailed, match=r"exited with status \d+: .*nosuchfilter"):
        run(
            ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "nosuchfilter", "-f", "null", "-"],
            timeout=30,
        )


def luma(image: Path) -> float:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(image), "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return sum(raw) / len(raw)


def test_poster_is_taken_where_asked(clips: Clips, tmp_path: Path) -> None:
    # The ramp clip's brightness is 16 + 80 t (video range): 10% of 2 s is about 19 in JPEG's
    # full range, the first frame 0 and the middle 93.
    out = poster(clips.ramp, 0.2, tmp_path / "poster.jpg")
    assert image_info(out)[0] == "mjpeg"
    assert 12 < luma(out) < 28
    assert luma(poster(clips.ramp, 1.0, tmp_path / "mid.jpg")) > 80


def test_poster_width(clips: Clips, tmp_path: Path) -> None:
    out = poster(clips.mp4, 0.2, tmp_path / "p.jpg", width=160)
    assert (probe_size(out)) == (160, 120)


def test_audio_only_source_has_no_poster(clips: Clips, tmp_path: Path) -> None:
    with pytest.raises(MediaRejected, match="no picture"):
        poster(clips.cover_mp3, 0.2, tmp_path / "p.jpg")
    assert list(tmp_path.iterdir()) == []


def image_info(image: Path) -> tuple[str, int, int]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", str(image)],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    codec, width, height = out.split(",")
    return codec, int(width), int(height)


def probe_size(image: Path) -> tuple[int, int]:
    return image_info(image)[1:]


def test_resize_keeps_the_aspect_ratio(clips: Clips, tmp_path: Path) -> None:
    # clips.jpeg is 200x150.
    assert probe_size(resize(clips.jpeg, 40, None, tmp_path / "w.jpg")) == (40, 30)
    assert probe_size(resize(clips.jpeg, None, 60, tmp_path / "h.jpg")) == (80, 60)
    assert probe_size(resize(clips.jpeg, 100, 30, tmp_path / "box.jpg")) == (40, 30)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["box.jpg", "h.jpg", "w.jpg"]


@pytest.mark.parametrize(("width", "height"), [(0, None), (None, 2001), (None, None), (-5, 10)])
def test_resize_bounds(clips: Clips, tmp_path: Path, width: int | None, height: int | None) -> None:
    with pytest.raises(ValueError):
        resize(clips.jpeg, width, height, tmp_path / "x.jpg")


def test_placeholders_are_jpegs_of_the_asked_size_one_per_kind(tmp_path: Path) -> None:
    made = {}
    for kind in PLACEHOLDER_KINDS:
        out = placeholder(kind, 120, 68, tmp_path / f"{kind}.jpg")
        assert out.read_bytes()[:2] == b"\xff\xd8"  # JPEG
        done = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0",
             str(out)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert done.stdout.strip() == "120,68"
        made[kind] = out.read_bytes()
    assert len(set(made.values())) == len(PLACEHOLDER_KINDS)  # each says something else
    for width, height in ((1, 1), (1, 9), (2000, 1)):
        assert placeholder("audio", width, height, tmp_path / "edge.jpg").stat().st_size > 0
    with pytest.raises(ValueError, match="Unknown placeholder"):
        placeholder("video", 120, 68, tmp_path / "x.jpg")
    with pytest.raises(ValueError, match="between 1 and 2000"):
        placeholder("audio", 2001, 68, tmp_path / "x.jpg")
    assert not (tmp_path / "x.jpg").exists()
