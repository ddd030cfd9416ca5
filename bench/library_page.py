"""Benchmark (issue 13): the library page of a course with 1,000 media objects (two caption
tracks each) beside one with 10.

Prints for each course the median server time (in-process, through the whole app) of its first
page, its last page and a search, and the page weight: the HTML, and the CSS and scripts a first
visit also loads (later visits load none: their URLs are content-hashed and cached for a year),
raw and gzipped. The page shows 24 items, so its weight does not grow with the course; its time
should grow little.

Usage: python bench/library_page.py [--repeat R]"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert
from support.seed import attachment_row, big_course, media_object_row, median_ms, track_row

from mediaobjects.app import create_app
from mediaobjects.files.models import Attachment
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks.models import MediaTrack
from mediaobjects.settings import Settings

TRACK = "WEBVTT\n\n00:00.000 --> 00:01.000\nHi"


def seed(settings: Settings, objects: int) -> tuple[int, str]:
    course = big_course(settings)
    now = datetime.now(UTC)
    with course.engine.begin() as conn:
        atts, mos, tracks = [], [], []
        for i in range(objects):
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


def measure(objects: int, repeat: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="mediaobjects-bench-library-"))
    settings = Settings(data_dir=tmp, secret_key="bench")  # type: ignore[arg-type]
    course_id, token = seed(settings, objects)
    app = create_app(settings)
    with TestClient(app) as client:
        # Signed in as a browser is: a session cookie from /login (here with the token).
        signed = client.post("/login", data={"access_token": token}, follow_redirects=False)
        assert signed.status_code == 303, signed.text[:300]
        url = f"/courses/{course_id}/media"
        last = max(1, (objects + 23) // 24)

        def get(query: str) -> str:
            response = client.get(url + query)
            assert response.status_code == 200, response.text[:300]
            return response.text

        first_ms = median_ms(lambda: get(""), repeat)
        last_ms = median_ms(lambda: get(f"?page={last}" if last > 1 else ""), repeat)
        search_ms = median_ms(lambda: get("?search_term=Lecture+9"), repeat)
        html = get("").encode()
        assets = b"".join(
            client.get(path).content
            for path in re.findall(r'(?:href|src)="(/static/[^"]+)"', html.decode())
        )
        cards = html.count(b'class="card"')
        print(
            f"{objects:5d} media: page 1 {first_ms:6.1f} ms, page {last} {last_ms:6.1f} ms, "
            f"search {search_ms:6.1f} ms; {cards} cards; HTML {len(html) / 1024:5.1f} KiB "
            f"({len(gzip.compress(html)) / 1024:4.1f} gzipped), CSS+JS {len(assets) / 1024:4.1f} "
            f"KiB ({len(gzip.compress(assets)) / 1024:4.1f} gzipped, first visit only)"
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    started = time.perf_counter()
    for objects in (10, 1000):
        measure(objects, args.repeat)
    print(f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
