"""Benchmark (issue 16, "Playable at once"): how long after its job starts a browser-safe
upload is listed as a playable source, beside the full ladder.

A camera-like 1080p30 H.264 High + AAC recording (bench/transcode.py's ``make_source``: about
15 Mbit/s, moov at the end, as cameras and phones write it; one minute of it repeated) is put in local storage as an
uploaded file, and the real job (``process_media``) runs on it with the real ffmpeg
transcoder. The transcoder's ``transcode`` (the ladder) notes the moment it is called: by then
the job has probed the file, copied it with its index first, stored the copy and committed it
as the "original" source; the bench checks that row is there. Target: <= 10 s for a 10-minute
upload. With ``--ladder`` the ladder then runs and its time is printed too (about 3.6 minutes
on 2 cores for 10 minutes of 1080p, shared/notes/streaming.md); without, the job stops there.

Usage: python bench/first_playable.py [--duration S] [--source FILE] [--ladder] [--keep DIR]"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from support.seed import attachment_row, big_course, media_object_row
from transcode import make_source

from mediaobjects.files.models import Attachment
from mediaobjects.media_objects.models import MediaObject, MediaSource
from mediaobjects.media_objects.pipeline import Pipeline, store_file
from mediaobjects.media_objects.processing import process_media
from mediaobjects.settings import Settings
from mediaobjects.transcoding import FFmpegTranscoder, browser_safety

TARGET = 10.0


class StopAfterOriginal(Exception):
    """Ends the job where the ladder would start (without ``--ladder``)."""


class Watched:
    """The real transcoder; notes when each step the job takes before the ladder ends."""

    def __init__(self, real: FFmpegTranscoder, run_ladder: bool) -> None:
        self.real = real
        self.run_ladder = run_ladder
        self.marks: dict[str, float] = {}

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

    def transcode(self, *args: Any, **kwargs: Any) -> Any:
        self.marks["listed"] = time.perf_counter()
        if not self.run_ladder:
            raise StopAfterOriginal
        made = self.real.transcode(*args, **kwargs)
        self.marks["ladder"] = time.perf_counter()
        return made


def make_long_source(path: Path, duration: int, work: Path) -> None:
    """``make_source``'s camera-like minute, repeated (stream copy) to ``duration`` seconds:
    the same file to read as an encoded one, for a tenth of the encoding time."""
    minute = work / "minute.mp4"
    make_source(minute, min(60, duration), "veryfast")
    loops = max(0, -(-duration // 60) - 1)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-stream_loop", str(loops), "-i", str(minute),
         "-t", str(duration), "-c", "copy", str(path)],
        check=True,
    )  # fmt: skip
    minute.unlink()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=600)
    parser.add_argument("--source", type=Path, help="reuse this clip instead of generating one")
    parser.add_argument("--ladder", action="store_true", help="run the ladder after it, too")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-first-playable-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        source = args.source or work / f"camera-{args.duration}s-1080p.mp4"
        if not source.exists():
            t0 = time.perf_counter()
            make_long_source(source, args.duration, work)
            print(
                f"generated {args.duration} s 1080p camera-like source in "
                f"{time.perf_counter() - t0:.1f} s"
            )
        real = FFmpegTranscoder(timeout=3 * 3600)
        safety = browser_safety(real.probe(source))
        print(
            f"source: {source.stat().st_size / 1e9:.2f} GB; browser-safe: {safety.safe} "
            f"{list(safety.reasons)}; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f}"
        )
        settings = Settings(
            data_dir=work / "data",
            database_url=f"sqlite:///{work / 'bench.db'}",
            secret_key="bench-secret",  # type: ignore[arg-type]
        )
        course = big_course(settings, with_jobs=False)
        ctx = course.ctx
        key = "attachments/bench/0"
        store_file(ctx.storage, key, source)
        now = datetime.now(UTC)
        with ctx.write() as session:
            row = attachment_row(course, 0, "Lecture", now) | {"storage_key": key}
            session.execute(insert(Attachment), [row])
            session.execute(insert(MediaObject), [media_object_row(course, 0, "Lecture", now)])
        watched = Watched(real, args.ladder)
        pipeline = Pipeline(
            write=ctx.write,
            storage=ctx.storage,
            transcoder=watched,  # type: ignore[arg-type]
            workdir=work / "scratch",
            read=ctx.read,
        )
        media_id = "m-bench" + "0" * 27
        started = time.perf_counter()
        state = "stopped"
        with contextlib.suppress(StopAfterOriginal):
            state = process_media(pipeline, media_id)
        with ctx.read() as session:
            mo_id = session.scalars(
                select(MediaObject.id).where(MediaObject.media_id == media_id)
            ).one()
            listed_row = list(
                session.scalars(
                    select(MediaSource).where(
                        MediaSource.media_object_id == mo_id, MediaSource.is_original
                    )
                )
            )
            listed = [(s.content_type, s.size) for s in listed_row]
        marks = {k: v - started for k, v in watched.marks.items()}
        if not listed_row or "listed" not in marks:
            print("the original was not listed before the ladder", file=sys.stderr)
            return 1
        print(
            f"time to first playable source: {marks['listed']:.2f} s (target <= {TARGET:g} s): "
            f"probe + read-through {marks['probed']:.2f} s, copy with index first "
            f"{marks['remuxed'] - marks['probed']:.2f} s, store + commit "
            f"{marks['listed'] - marks['remuxed']:.2f} s; listed as "
            f"{listed[0][0]}, {listed[0][1] / 1e9:.2f} GB"
        )
        if args.ladder:
            print(
                f"full ladder: {marks['ladder'] - marks['listed']:.1f} s more; job ended "
                f"{state} at {time.perf_counter() - started:.1f} s"
            )
        ctx.close()
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
