"""Benchmark (issue 11): the course caption report against the media list of the same course.

Seeds a course with N media objects (default 1,000) of 10 minutes each: two thirds with an
English caption track of 200 cues and a French subtitle track, every fifth of those with
overlapping cues (failing), the last third without captions (missing). Summaries are computed
as the service computes them on a write (``caption_reports.summaries.refresh_media``), and the
time that takes is printed. Then, in-process through the ASGI app as bench/media_list.py does,
the median latency of:

- ``GET /api/v1/courses/:id/media_objects?per_page=100`` (the baseline, measured in this run),
- ``GET /api/v1/courses/:id/caption_report?per_page=100``, by title and by status with a
  status filter, and the ratio to the baseline (target: within 2x),
- ``GET /api/v1/courses/:id/caption_report.csv`` (every row; no page-sized baseline, printed
  per row beside the list's cost per row).

Usage: python bench/caption_report.py [--objects N] [--repeat R]"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from support.seed import attachment_row, big_course, media_object_row, median_ms, track_row

from mediaobjects.app import create_app
from mediaobjects.caption_reports import summaries
from mediaobjects.files.models import Attachment
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks.models import MediaTrack
from mediaobjects.settings import Settings

TARGET = 2.0
CUES = 200
DURATION = 600.0  # seconds: 200 cues of 2.5 s every 3 s cover 500 s of 600


def vtt(cues: int, overlapping: bool) -> str:
    lines = ["WEBVTT", ""]
    for n in range(cues):
        start = n * 3000
        end = start + (3500 if overlapping and n % 10 == 0 else 2500)
        lines += [f"{_ts(start)} --> {_ts(end)}", f"Line {n} of today's lecture on optics", ""]
    return "\n".join(lines)


def _ts(ms: int) -> str:
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def seed(settings: Settings, objects: int) -> tuple[int, str]:
    course = big_course(settings, "Optics", "OPT", with_jobs=False)
    engine, ctx = course.engine, course.ctx
    good, bad = vtt(CUES, False), vtt(CUES, True)
    now = datetime.now(UTC)
    atts, mos, tracks = [], [], []
    for i in range(objects):
        title = f"Lecture {i}"
        created = now - timedelta(seconds=objects - i)
        atts.append(attachment_row(course, i, title, created))
        mos.append(
            media_object_row(course, i, title, created, processing_state="ready", duration=DURATION)
        )
        if i % 3 == 2:
            continue  # missing
        content = bad if i % 5 == 0 else good
        for locale, kind in (("en", "captions"), ("fr", "subtitles")):
            tracks.append(track_row(course, i, locale, content, created, kind))
    with engine.begin() as conn:
        conn.execute(insert(Attachment), atts)
        conn.execute(insert(MediaObject), mos)
        conn.execute(insert(MediaTrack), tracks)
    t0 = time.perf_counter()
    with ctx.write() as session:
        ids = list(session.scalars(select(MediaObject.id)))
        summarised = sum(summaries.refresh_media(session, i) for i in ids)
    elapsed = time.perf_counter() - t0
    print(
        f"summaries of {summarised} tracks x 4 profiles ({CUES} cues each): {elapsed:.1f} s, "
        f"{elapsed / max(summarised, 1) * 1000:.1f} ms a track (the cost a track write adds)"
    )
    ctx.close()
    engine.dispose()
    return course.course_id, course.token


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mediaobjects-bench-"))
    settings = Settings(data_dir=tmp, secret_key="bench")  # type: ignore[arg-type]
    course_id, token = seed(settings, args.objects)
    headers = {"Authorization": f"Bearer {token}"}
    base = f"/api/v1/courses/{course_id}"
    with TestClient(create_app(settings)) as client:

        def get(path: str, rows: int | None = None) -> Callable[[], object]:
            def call() -> object:
                r = client.get(path, headers=headers)
                assert r.status_code == 200, r.text[:300]
                if rows is not None:
                    assert len(r.json()) == rows, len(r.json())
                return r

            return call

        page = min(100, args.objects)
        listed = median_ms(get(f"{base}/media_objects?per_page=100", page), args.repeat)
        print(f"media list, page of {page}:                 {listed:8.1f} ms   (baseline)")
        for name, query in (
            ("by title", "?per_page=100"),
            (
                "missing+failing by status",
                "?per_page=100&status=missing&status=failing&sort=status",
            ),
            ("by errors, desc, profile dcmp", "?per_page=100&sort=errors&order=desc&profile=dcmp"),
        ):
            ms = median_ms(get(f"{base}/caption_report{query}"), args.repeat)
            print(
                f"caption report {name:<28} {ms:8.1f} ms   ratio {ms / listed:5.2f} "
                f"(target <= {TARGET:g})"
            )
        csv_ms = median_ms(get(f"{base}/caption_report.csv"), max(3, args.repeat // 3))
        print(
            f"caption report CSV, all {args.objects} rows:        {csv_ms:8.1f} ms   "
            f"{csv_ms / args.objects * 1000:.0f} us a row; the list: "
            f"{listed / page * 1000:.0f} us a row"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
