"""Benchmark (issue 16, "Playable at once"): how long after its job starts an upload can be
played, beside the full ladder, for a browser-safe upload and for one that is not.

Two camera-like 1080p30 recordings, moov at the end as cameras and phones write them (one
minute of each repeated, stream copy): H.264 High + AAC at about 15 Mbit/s (bench/transcode.py's
``make_source``), and HEVC (x265, closed 2 s GOPs, tagged hvc1 as phones tag it) + AAC at
about 10 Mbit/s. Each is put in local storage as an uploaded file and the real job
(``process_media``) runs on it with the real ffmpeg transcoder:

- browser-safe (H.264): the transcoder's ``transcode`` (the ladder) notes the moment it is
  called: by then the job has probed the file, copied it with its index first, stored the copy
  and committed it as the "original" source; the bench checks that row is there. Target:
  <= 10 s for a 10-minute upload. Baseline: ffmpeg alone copying the file with its index first.
- HEVC: the original is not offered, and the ladder's single pass tees its lowest rung into
  6 s HLS segments (the early stream); the sink the job hands to ``transcode`` is wrapped to
  note when the first segment has been stored and its ``media_live_segments`` row committed
  (from then on live.m3u8 lists a segment a player can fetch); the bench checks that row is
  there. Target: <= 15 s. Baseline: ffmpeg alone writing only the 360p rung (the lowest of the
  default ladder, the same command ``build_command`` makes for it, early stream included) from
  its start to the first segment in its playlist, polled every 20 ms.

Without ``--ladder`` each job stops at the moment measured (ffmpeg is killed); with it, the
ladder runs to the end and its time is printed too (about 3.6 minutes on 2 cores for
10 minutes of 1080p H.264, shared/notes/streaming.md). The sources are generated in the work
directory (``--keep DIR`` keeps them for the next run: the HEVC minute takes a few minutes of
x265 on 2 cores) unless given.

Usage: python bench/first_playable.py [--duration S] [--case safe|hevc|both] [--ladder]
                                      [--source FILE] [--hevc-source FILE] [--keep DIR]"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from support.seed import BigCourse, attachment_row, big_course, media_id_of, media_object_row
from transcode import make_source

from mediaobjects.files.models import Attachment
from mediaobjects.media_objects.models import MediaLiveSegment, MediaObject, MediaSource
from mediaobjects.media_objects.pipeline import Pipeline, store_file
from mediaobjects.media_objects.processing import process_media
from mediaobjects.settings import Settings
from mediaobjects.transcoding import (
    FFmpegTranscoder,
    LiveSegment,
    LiveSink,
    browser_safety,
    build_command,
)
from mediaobjects.transcoding.live import LiveWatcher

TARGET_SAFE = 10.0
TARGET_HEVC = 15.0


class StopJob(BaseException):
    """Ends the job at the moment measured (without ``--ladder``). A BaseException: the early
    stream's watcher stops calling a sink that raises an Exception but lets the ladder go on;
    this one goes through it, ffmpeg is killed and the job unwinds."""


@dataclass
class Watched:
    """The real transcoder; notes when the job reaches each step, and when the early stream's
    first segment has been published."""

    real: FFmpegTranscoder
    run_ladder: bool
    marks: dict[str, float] = field(default_factory=dict)
    segments: int = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def probe(self, *args: Any, **kwargs: Any) -> Any:
        found = self.real.probe(*args, **kwargs)
        self.marks["probed"] = time.perf_counter()
        return found

    def remux(self, *args: Any, **kwargs: Any) -> Any:
        made = self.real.remux(*args, **kwargs)
        self.marks["remuxed"] = time.perf_counter()
        return made

    def transcode(self, *args: Any, live: LiveSink | None = None, **kwargs: Any) -> Any:
        self.marks["ladder_start"] = time.perf_counter()
        if live is None and not self.run_ladder:
            raise StopJob
        made = self.real.transcode(
            *args, live=None if live is None else self._watch(live), **kwargs
        )
        self.marks["ladder"] = time.perf_counter()
        return made

    def _watch(self, publish: LiveSink) -> LiveSink:
        def sink(segment: LiveSegment) -> None:
            publish(segment)  # stored, and its row committed
            self.segments += 1
            if segment.sequence == 0:
                self.marks["segment"] = time.perf_counter()
                if not self.run_ladder:
                    raise StopJob

        return sink


def make_hevc_source(path: Path, duration: int) -> None:
    """A camera-like HEVC recording: 1080p30 Main, 2 s closed GOPs (a loop seam then needs no
    picture from before it), about 10 Mbit/s as phones record 1080p30 HEVC, tagged hvc1 (as
    Apple's are), stereo AAC, moov at the end. x265 superfast: about 2 CPU seconds per second
    of it here."""
    x265 = "log-level=error:keyint=60:min-keyint=60:open-gop=0:vbv-maxrate=14000:vbv-bufsize=20000"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=duration={duration}:size=1920x1080:rate=30",
         "-f", "lavfi", "-i", f"sine=duration={duration}:frequency=440",
         "-c:v", "libx265", "-preset", "superfast", "-pix_fmt", "yuv420p", "-b:v", "10M",
         "-x265-params", x265, "-tag:v", "hvc1",
         "-c:a", "aac", "-ac", "2", "-shortest", str(path)],
        check=True,
    )  # fmt: skip


def make_long_source(path: Path, duration: int, work: Path, hevc: bool) -> None:
    """A camera-like minute, repeated (stream copy) to ``duration`` seconds: the same file to
    read as an encoded one, for a tenth of the encoding time."""
    minute = work / "minute.mp4"
    if hevc:
        make_hevc_source(minute, min(60, duration))
    else:
        make_source(minute, min(60, duration), "veryfast")
    loops = max(0, -(-duration // 60) - 1)
    tag = ["-tag:v", "hvc1"] if hevc else []
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-stream_loop", str(loops), "-i", str(minute),
         "-t", str(duration), "-c", "copy", *tag, str(path)],
        check=True,
    )  # fmt: skip
    minute.unlink()


def source_for(given: Path | None, work: Path, duration: int, hevc: bool) -> Path:
    name = f"camera-{'hevc-' if hevc else ''}{duration}s-1080p.mp4"
    source = given or work / name
    if not source.exists():
        t0 = time.perf_counter()
        make_long_source(source, duration, work, hevc)
        print(
            f"generated {duration} s 1080p camera-like {'HEVC' if hevc else 'H.264'} source in "
            f"{time.perf_counter() - t0:.1f} s"
        )
    return source


def copy_alone(source: Path, work: Path) -> float:
    """Baseline of the browser-safe case: ffmpeg alone copying the file with its index first
    (what the job's remux does, without probing, storing or committing)."""
    out = work / "alone-original.mp4"
    t0 = time.perf_counter()
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source), "-map", "0:v:0",
         "-map", "0:a:0", "-c", "copy", "-movflags", "+faststart", str(out)],
        check=True,
    )  # fmt: skip
    took = time.perf_counter() - t0
    out.unlink()
    return took


def first_segment_alone(real: FFmpegTranscoder, source: Path, work: Path) -> tuple[float, str]:
    """Baseline of the HEVC case: ffmpeg alone writing only the lowest rung (and its early
    stream), from its start to the first segment its playlist lists."""
    result = real.probe(source)
    lowest = min((r for r in real.plan(result) if r.kind == "video"), key=lambda r: r.height or 0)
    live_dir = work / "alone-live"
    shutil.rmtree(live_dir, ignore_errors=True)
    live_dir.mkdir(parents=True)
    out = work / f"alone-{lowest.filename}"
    cmd = build_command(source, [(lowest, out)], result, live=(lowest.name, live_dir))
    seen: list[float] = []
    watcher = LiveWatcher(live_dir, lambda _segment: seen.append(time.perf_counter()))
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        while not seen and proc.poll() is None:
            time.sleep(0.02)
            watcher.poll()
        watcher.poll()
    finally:
        proc.kill()
        proc.wait()
    shutil.rmtree(live_dir, ignore_errors=True)
    out.unlink(missing_ok=True)
    if not seen:
        raise RuntimeError(f"ffmpeg alone wrote no segment (exit {proc.returncode})")
    return seen[0] - t0, lowest.name


@dataclass
class Job:
    watched: Watched
    started: float
    ended: float
    state: str
    media_object_id: int

    def mark(self, name: str) -> float:
        return self.watched.marks[name] - self.started


def run_job(
    course: BigCourse, i: int, source: Path, real: FFmpegTranscoder, work: Path, run_ladder: bool
) -> Job:
    """Upload ``source`` as course file ``i`` of media object ``i`` and run its job."""
    ctx = course.ctx
    key = f"attachments/bench/{i}"
    store_file(ctx.storage, key, source)
    now = datetime.now(UTC)
    with ctx.write() as session:
        row = attachment_row(course, i, f"Lecture {i}", now) | {"storage_key": key}
        session.execute(insert(Attachment), [row])
        session.execute(insert(MediaObject), [media_object_row(course, i, f"Lecture {i}", now)])
    watched = Watched(real, run_ladder)
    pipeline = Pipeline(
        write=ctx.write,
        storage=ctx.storage,
        transcoder=watched,  # type: ignore[arg-type]
        workdir=work / "scratch",
        read=ctx.read,
    )
    state = "stopped"
    started = time.perf_counter()
    with contextlib.suppress(StopJob):
        state = process_media(pipeline, media_id_of(i))
    ended = time.perf_counter()
    with ctx.read() as session:
        mo_id = session.scalars(
            select(MediaObject.id).where(MediaObject.media_id == media_id_of(i))
        ).one()
    return Job(watched, started, ended, state, mo_id)


def report_safe(job: Job, course: BigCourse, baseline: float, run_ladder: bool) -> bool:
    with course.ctx.read() as session:
        listed = list(
            session.scalars(
                select(MediaSource).where(
                    MediaSource.media_object_id == job.media_object_id, MediaSource.is_original
                )
            )
        )
    if not listed or "ladder_start" not in job.watched.marks:
        print("browser-safe: the original was not listed before the ladder", file=sys.stderr)
        return False
    at = job.mark("ladder_start")
    print(
        f"browser-safe: time to first playable source {at:.2f} s (target <= {TARGET_SAFE:g} s) "
        f"vs ffmpeg alone copying it with its index first {baseline:.2f} s: probe + read-through "
        f"{job.mark('probed'):.2f} s, copy with index first "
        f"{job.mark('remuxed') - job.mark('probed'):.2f} s, store + commit "
        f"{at - job.mark('remuxed'):.2f} s; listed as {listed[0].content_type}, "
        f"{listed[0].size / 1e9:.2f} GB"
    )
    if run_ladder:
        print(
            f"browser-safe: full ladder {job.mark('ladder') - at:.1f} s more; job ended "
            f"{job.state} at {job.ended - job.started:.1f} s"
        )
    return True


def report_hevc(job: Job, course: BigCourse, baseline: tuple[float, str], run_ladder: bool) -> bool:
    with course.ctx.read() as session:
        first = session.scalars(
            select(MediaLiveSegment).where(
                MediaLiveSegment.media_object_id == job.media_object_id,
                MediaLiveSegment.sequence == 0,
            )
        ).one_or_none()
        original = session.scalars(
            select(MediaSource.id).where(
                MediaSource.media_object_id == job.media_object_id, MediaSource.is_original
            )
        ).first()
    if "segment" not in job.watched.marks or (first is None and not run_ladder):
        print("HEVC: no early-stream segment was listed", file=sys.stderr)
        return False
    at = job.mark("segment")
    start = job.mark("ladder_start")
    duration = f"{first.duration:.2f} s" if first is not None else "retired since"
    print(
        f"HEVC: time to first early-stream segment {at:.2f} s (target <= {TARGET_HEVC:g} s) "
        f"vs ffmpeg alone to its first segment of the {baseline[1]} rung {baseline[0]:.2f} s: "
        f"probe + read-through {job.mark('probed'):.2f} s, not offered as it is "
        f"{start - job.mark('probed'):.2f} s (original listed: {original is not None}), ladder "
        f"start to segment 0 stored and listed {at - start:.2f} s; segment 0 is {duration}"
    )
    if run_ladder:
        print(
            f"HEVC: full ladder {job.mark('ladder') - start:.1f} s (early stream: "
            f"{job.watched.segments} segments); job ended {job.state} at "
            f"{job.ended - job.started:.1f} s"
        )
    return True


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=600)
    parser.add_argument("--case", choices=("safe", "hevc", "both"), default="both")
    parser.add_argument(
        "--source", type=Path, help="reuse this H.264 clip instead of generating one"
    )
    parser.add_argument("--hevc-source", type=Path, help="reuse this HEVC clip, likewise")
    parser.add_argument("--ladder", action="store_true", help="run the ladder after it, too")
    parser.add_argument(
        "--keep", type=Path, help="work in this directory and keep it (and the sources)"
    )
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-first-playable-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        cases: list[tuple[str, Path]] = []
        if args.case in ("safe", "both"):
            cases.append(("safe", source_for(args.source, work, args.duration, hevc=False)))
        if args.case in ("hevc", "both"):
            cases.append(("hevc", source_for(args.hevc_source, work, args.duration, hevc=True)))
        real = FFmpegTranscoder(timeout=3 * 3600)
        for name, source in cases:
            result = real.probe(source)
            safety = browser_safety(result)
            print(
                f"{name} source: {source.stat().st_size / 1e9:.2f} GB, "
                f"{(result.bit_rate or 0) / 1e6:.1f} Mbit/s; browser-safe: {safety.safe} "
                f"{list(safety.reasons)}"
            )
        run_dir = work / "run"
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir()
        settings = Settings(
            data_dir=run_dir / "data",
            database_url=f"sqlite:///{run_dir / 'bench.db'}",
            secret_key="bench-secret",  # type: ignore[arg-type]
        )
        course = big_course(settings, with_jobs=False)
        ok = True
        for i, (name, source) in enumerate(cases):
            # The baseline first, then the job: both read a file just read (page cache).
            print(f"{name}: {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f} before it")
            if name == "safe":
                copied = copy_alone(source, run_dir)
                job = run_job(course, i, source, real, run_dir, args.ladder)
                ok = report_safe(job, course, copied, args.ladder) and ok
            else:
                first = first_segment_alone(real, source, run_dir)
                job = run_job(course, i, source, real, run_dir, args.ladder)
                ok = report_hevc(job, course, first, args.ladder) and ok
        course.ctx.close()
        shutil.rmtree(run_dir, ignore_errors=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
