"""Benchmark (issue 3): a course with 100,000 media objects, two tracks each.

Prints, from one run, the median latency of ``GET /api/v1/courses/:id/media_objects?per_page=100``
on page 1 and page 900, and of the same page assembled with raw sqlite3 queries + json.dumps in
this process (the baseline), with their ratios; then ``PUT .../media_tracks`` with 20 tracks of
500 cues each against parsing those 20 files alone. Targets: page 900 within 2x of page 1; the
endpoint within 3x of the raw query.

Usage: python bench/media_list.py [--objects N] [--repeat R]"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert
from support.seed import attachment_row, big_course, media_object_row, median_ms, track_row

from mediaobjects.app import create_app
from mediaobjects.captions import normalise_caption
from mediaobjects.files.models import Attachment
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks.models import MediaTrack
from mediaobjects.settings import Settings

TRACK = "WEBVTT\n\n00:00.000 --> 00:01.000\nHi"
SRT_CUE = "{n}\n00:{m:02d}:{s:02d},000 --> 00:{m:02d}:{s:02d},900\nLine {n} of the lecture\n"


def seed(settings: Settings, objects: int) -> tuple[int, str]:
    course = big_course(settings)
    now = datetime.now(UTC)
    batch = 5000
    with course.engine.begin() as conn:
        for start in range(0, objects, batch):
            atts, mos, tracks = [], [], []
            for i in range(start, min(objects, start + batch)):
                title = f"Lecture {i}"
                created = now - timedelta(seconds=objects - i)
                atts.append(attachment_row(course, i, title, created))
                mos.append(media_object_row(course, i, title, created))
                for locale in ("en", "fr"):
                    tracks.append(track_row(course, i, locale, TRACK, created))
            conn.execute(insert(Attachment), atts)
            conn.execute(insert(MediaObject), mos)
            conn.execute(insert(MediaTrack), tracks)
    course.ctx.close()
    course.engine.dispose()
    return course.course_id, course.token


def raw_page(db: Path, course_id: int, page: int, base: str) -> bytes:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT mo.id, mo.media_id, mo.title, mo.user_entered_title, mo.media_type, "
            "mo.created_at FROM media_objects mo JOIN attachments a ON a.media_entry_id = mo.media_id "
            "WHERE a.context_type = 'Course' AND a.context_id = ? AND a.workflow_state != 'deleted' "
            "AND mo.workflow_state = 'active' ORDER BY mo.title_sort_key, mo.id LIMIT 100 OFFSET ?",
            (course_id, (page - 1) * 100),
        ).fetchall()
        ids = [r[0] for r in rows]
        marks = ",".join("?" * len(ids))
        tracks: dict[int, list[dict[str, object]]] = {}
        for t in conn.execute(
            f"SELECT id, media_object_id, kind, locale, created_at, updated_at FROM media_tracks "
            f"WHERE media_object_id IN ({marks}) ORDER BY locale",
            ids,
        ):
            tracks.setdefault(t[1], []).append(
                {
                    "id": t[0],
                    "kind": t[2],
                    "locale": t[3],
                    "created_at": t[4],
                    "updated_at": t[5],
                    "url": f"{base}/media_objects/x/media_tracks/{t[0]}",
                }
            )
        body = [
            {
                "media_id": r[1],
                "title": r[3] or r[2] or "Untitled",
                "media_type": r[4],
                "created_at": r[5],
                "can_add_captions": True,
                "embedded_iframe_url": f"{base}/media_objects_iframe/{r[1]}",
                "media_tracks": tracks.get(r[0], []),
                "media_sources": [],
            }
            for r in rows
        ]
        return json.dumps(body).encode()
    finally:
        conn.close()


def srt_file(cues: int) -> str:
    return "\n".join(SRT_CUE.format(n=n + 1, m=(n // 60) % 60, s=n % 60) for n in range(cues))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mediaobjects-bench-"))
    settings = Settings(data_dir=tmp, secret_key="bench")  # type: ignore[arg-type]
    t0 = time.perf_counter()
    course_id, token = seed(settings, args.objects)
    print(
        f"seeded {args.objects} media objects with 2 tracks each in {time.perf_counter() - t0:.1f} s"
    )
    last = (args.objects + 99) // 100
    deep = min(900, last)
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {token}"}
    db = tmp / "mediaobjects.db"
    with TestClient(app) as client:
        url = f"/api/v1/courses/{course_id}/media_objects?per_page=100"

        def get(page: int) -> Callable[[], object]:
            def call() -> object:
                r = client.get(f"{url}&page={page}", headers=headers)
                assert r.status_code == 200 and len(r.json()) == 100, r.text[:200]
                return r

            return call

        p1 = median_ms(get(1), args.repeat)
        p900 = median_ms(get(deep), args.repeat)
        raw1 = median_ms(lambda: raw_page(db, course_id, 1, "http://testserver"), args.repeat)
        raw900 = median_ms(lambda: raw_page(db, course_id, deep, "http://testserver"), args.repeat)
        print(
            f"GET page 1:        {p1:8.1f} ms   raw sqlite3+json: {raw1:8.1f} ms   ratio {p1 / raw1:5.2f} (target <= 3)"
        )
        print(
            f"GET page {deep}:      {p900:8.1f} ms   raw sqlite3+json: {raw900:8.1f} ms   ratio {p900 / raw900:5.2f} (target <= 3)"
        )
        print(f"page {deep} / page 1: {p900 / p1:5.2f} (target <= 2)")

        files = [srt_file(500) for _ in range(20)]
        locales = [
            "en",
            "fr",
            "de",
            "es",
            "it",
            "pt",
            "nl",
            "sv",
            "da",
            "fi",
            "nb",
            "pl",
            "cs",
            "hu",
            "ro",
            "tr",
            "el",
            "ru",
            "ja",
            "ko",
        ]
        body = [{"locale": loc, "content": f} for loc, f in zip(locales, files, strict=True)]
        media_id = "m-bench" + f"{0:027d}"
        put_url = f"/api/v1/media_objects/{media_id}/media_tracks"

        def put() -> object:
            r = client.put(put_url, headers=headers, json=body)
            assert r.status_code == 200, r.text[:300]
            return r

        put_ms = median_ms(put, max(3, args.repeat // 3))
        parse_ms = median_ms(
            lambda: [normalise_caption(f) for f in files], max(3, args.repeat // 3)
        )
        print(
            f"PUT 20 tracks x 500 cues: {put_ms:8.1f} ms   parsing them alone: {parse_ms:8.1f} ms   ratio {put_ms / parse_ms:5.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
