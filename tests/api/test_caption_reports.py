"""The course and account caption reports over HTTP: a seeded course with media whose captions
are missing, failing (overlapping cues: an error in every profile) and passing, as JSON and CSV;
the rows follow track writes, track deletes, media deletes and processing; status filter,
sorting, Link pagination; who may read them; CSV injection defused."""

from __future__ import annotations

import argparse
import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from mediaobjects.caption_reports import summaries
from mediaobjects.caption_reports.models import CaptionSummary
from mediaobjects.cli_summaries import cmd_summarize_captions
from mediaobjects.files.models import Attachment
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.settings import Settings
from tests.support.api import Api, Person
from tests.support.media import fake_mp4

# Ten seconds of media: the good captions cover 9.5 s of it (95%), with short lines, readable
# rates and durations between 2 and 7 s, which every profile accepts.
DURATION = 10.0
GOOD = (
    "1\n00:00:00,000 --> 00:00:05,000\nWelcome to the lecture.\n\n"
    "2\n00:00:05,000 --> 00:00:09,500\nToday: light and shadow.\n"
)
# The second cue starts before the first ends: an overlap, an error in every profile.
OVERLAPPING = (
    "1\n00:00:00,000 --> 00:00:05,000\nWelcome to the lecture.\n\n"
    "2\n00:00:04,000 --> 00:00:09,500\nToday: light and shadow.\n"
)
# No error, but only the first half of the media has captions: below the default profile's
# 90% coverage, while netflix names no minimum.
HALF = "1\n00:00:00,000 --> 00:00:05,000\nWelcome to the lecture.\n"


@dataclass
class Course:
    api: Api
    id: int
    teacher: Person
    ta: Person
    student: Person
    observer: Person
    media: dict[str, str]  # title -> media_id
    files: dict[str, int]  # title -> attachment id

    @property
    def url(self) -> str:
        return f"/api/v1/courses/{self.id}/caption_report"


def upload(api: Api, course_id: int, who: Person, title: str) -> dict[str, Any]:
    return api.upload(f"courses/{course_id}", who, title, fake_mp4(), "video/mp4")


def set_duration(api: Api, media_id: str, seconds: float) -> None:
    """What processing does when it finishes: the duration is known, the summaries follow."""
    with api.ctx.write() as session:
        media_object = session.scalars(
            select(MediaObject).where(MediaObject.media_id == media_id)
        ).one()
        media_object.duration = seconds
        summaries.refresh_media(session, media_object.id)


def put_tracks(api: Api, who: Person, media_id: str, tracks: list[dict[str, Any]]) -> Any:
    r = api.request("PUT", f"/api/v1/media_objects/{media_id}/media_tracks", who, json=tracks)
    assert r.status_code == 200, r.text
    return r.json()


def captions(content: str, locale: str = "en", kind: str = "captions") -> dict[str, str]:
    return {"locale": locale, "kind": kind, "content": content}


def make_course(api: Api, name: str = "Optics") -> Course:
    course_id = api.course(name)
    people = {role: api.user(f"{name} {role}") for role in ("teacher", "ta", "student", "observer")}
    for role, person in people.items():
        api.enroll(course_id, person, role)
    media: dict[str, str] = {}
    files: dict[str, int] = {}
    for title in ("Alpha.mp4", "Bravo.mp4", "Charlie.mp4"):
        file = upload(api, course_id, people["teacher"], title)
        media[title] = file["media_entry_id"]
        files[title] = file["id"]
        set_duration(api, media[title], DURATION)
    put_tracks(api, people["teacher"], media["Bravo.mp4"], [captions(OVERLAPPING)])
    put_tracks(api, people["teacher"], media["Charlie.mp4"], [captions(GOOD)])
    return Course(api=api, id=course_id, media=media, files=files, **people)


@pytest.fixture
def course(api: Api) -> Course:
    return make_course(api)


def report(course: Course, query: str = "", who: Person | None = None) -> list[dict[str, Any]]:
    rows = course.api.ok("GET", course.url + query, who or course.teacher)
    assert isinstance(rows, list)
    return rows


def by_title(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["title"]: row for row in rows}


def statuses(rows: list[dict[str, Any]]) -> dict[str, str]:
    return {row["title"]: row["status"] for row in rows}


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# ---- rows and statuses --------------------------------------------------------------------------


def test_each_media_object_gets_a_row_with_its_caption_status(course: Course) -> None:
    rows = report(course)
    assert [row["title"] for row in rows] == ["Alpha.mp4", "Bravo.mp4", "Charlie.mp4"]
    alpha, bravo, charlie = rows
    assert alpha["status"] == "missing"
    assert (alpha["locales"], alpha["kinds"], alpha["track_id"]) == ([], [], None)
    assert (alpha["errors"], alpha["coverage"], alpha["meets_profile"]) == (None, None, None)
    assert bravo["status"] == "failing" and bravo["meets_profile"] is False
    assert bravo["errors"] >= 1
    assert charlie["status"] == "passing" and charlie["meets_profile"] is True
    assert charlie["errors"] == 0 and charlie["coverage"] == pytest.approx(0.95)
    for row in (bravo, charlie):
        assert (row["locales"], row["kinds"]) == (["en"], ["captions"])
        assert (row["track_locale"], row["track_kind"]) == ("en", "captions")
    for title, row in by_title(rows).items():
        assert row["media_id"] == course.media[title]
        assert row["duration"] == DURATION
        assert row["processing_state"] == "pending"
        assert row["media_type"] is None or isinstance(row["media_type"], str)


def test_new_content_changes_the_row_at_once(course: Course) -> None:
    api, teacher = course.api, course.teacher
    put_tracks(api, teacher, course.media["Bravo.mp4"], [captions(GOOD)])
    put_tracks(api, teacher, course.media["Charlie.mp4"], [captions(OVERLAPPING)])
    rows = by_title(report(course))
    assert rows["Bravo.mp4"]["status"] == "passing" and rows["Bravo.mp4"]["errors"] == 0
    assert rows["Charlie.mp4"]["status"] == "failing" and rows["Charlie.mp4"]["errors"] >= 1


def test_a_deleted_track_leaves_the_media_missing_captions(course: Course) -> None:
    api, teacher = course.api, course.teacher
    media_id = course.media["Charlie.mp4"]
    track_id = by_title(report(course))["Charlie.mp4"]["track_id"]
    r = api.request("DELETE", f"/media_objects/{media_id}/media_tracks/{track_id}", teacher)
    assert r.status_code == 200
    row = by_title(report(course))["Charlie.mp4"]
    assert (row["status"], row["track_id"], row["locales"]) == ("missing", None, [])
    with api.ctx.read() as session:
        left = session.scalar(select(func.count()).where(CaptionSummary.track_id == track_id))
    assert left == 0


def test_deleted_media_leaves_the_report(course: Course) -> None:
    api = course.api
    tracks = {title: row["track_id"] for title, row in by_title(report(course)).items()}
    r = api.request("DELETE", f"/api/v1/files/{course.files['Charlie.mp4']}", course.teacher)
    assert r.status_code == 200
    assert list(statuses(report(course))) == ["Alpha.mp4", "Bravo.mp4"]
    # Once the media is released its summaries go too; the others' stay.
    api.ctx.jobs.run_pending_now()
    with api.ctx.read() as session:
        kept = session.scalars(select(CaptionSummary.track_id).distinct()).all()
    assert kept == [tracks["Bravo.mp4"]]


def test_the_best_track_speaks_for_the_row(course: Course) -> None:
    api, teacher = course.api, course.teacher
    media_id = course.media["Bravo.mp4"]
    put_tracks(
        api,
        teacher,
        media_id,
        [
            captions(OVERLAPPING, "en"),
            captions(GOOD, "fr", "subtitles"),
            captions(GOOD, "de", "chapters"),
        ],
    )
    row = by_title(report(course))["Bravo.mp4"]
    assert row["status"] == "passing"
    assert (row["track_locale"], row["track_kind"]) == ("fr", "subtitles")
    assert row["locales"] == ["de", "en", "fr"]
    assert row["kinds"] == ["captions", "chapters", "subtitles"]
    # Asked for English only, the English track is the one judged.
    row = by_title(report(course, "?locale=en"))["Bravo.mp4"]
    assert (row["status"], row["track_locale"]) == ("failing", "en")
    # Chapters are no captions: German is missing.
    assert by_title(report(course, "?locale=de"))["Bravo.mp4"]["status"] == "missing"


def test_a_language_covers_its_regional_tracks(course: Course) -> None:
    put_tracks(course.api, course.teacher, course.media["Alpha.mp4"], [captions(GOOD, "en-GB")])
    assert by_title(report(course, "?locale=en"))["Alpha.mp4"]["status"] == "passing"
    assert by_title(report(course, "?locale=EN-gb"))["Alpha.mp4"]["status"] == "passing"
    assert by_title(report(course, "?locale=en-US"))["Alpha.mp4"]["status"] == "missing"
    assert set(statuses(report(course, "?locale=fr")).values()) == {"missing"}


def test_the_profile_decides_what_passes(course: Course) -> None:
    put_tracks(course.api, course.teacher, course.media["Alpha.mp4"], [captions(HALF)])
    default = by_title(report(course))["Alpha.mp4"]
    assert default["coverage"] == pytest.approx(0.5)
    assert (default["status"], default["errors"]) == ("failing", 0)
    netflix = by_title(report(course, "?profile=netflix"))["Alpha.mp4"]
    assert netflix["status"] == "passing"


def test_processing_the_media_rechecks_its_captions(course: Course) -> None:
    # Cues up to 9.5 s pass on ten seconds of media; once processing finds four seconds,
    # they run past the end (an error).
    media_id = course.media["Charlie.mp4"]
    set_duration(course.api, media_id, 4.0)
    row = by_title(report(course))["Charlie.mp4"]
    assert row["status"] == "failing" and row["errors"] >= 1 and row["duration"] == 4.0


def test_the_report_lists_exactly_the_media_list(course: Course) -> None:
    api = course.api
    hidden = upload(api, course.id, course.teacher, "Delta.mp4")
    with api.ctx.write() as session:
        session.execute(update(Attachment).where(Attachment.id == hidden["id"]).values(hidden=True))
    # A copy of a course file: one media object, listed once.
    folder = api.ok("GET", f"/api/v1/courses/{course.id}/folders/root", course.teacher)
    api.ok(
        "POST",
        f"/api/v1/folders/{folder['id']}/copy_file",
        course.teacher,
        data={"source_file_id": course.files["Alpha.mp4"], "on_duplicate": "rename"},
    )
    other = api.course("Elsewhere")
    api.enroll(other, course.teacher, "teacher")
    upload(api, other, course.teacher, "Elsewhere.mp4")
    for who in (course.teacher, course.ta, api.admin):
        listed = api.ok("GET", f"/api/v1/courses/{course.id}/media_objects?per_page=100", who)
        reported = report(course, "?per_page=100", who)
        assert [r["media_id"] for r in reported] == [m["media_id"] for m in listed]
        assert len(reported) == 4


# ---- filter, sort, pages ------------------------------------------------------------------------


def test_status_filter(course: Course) -> None:
    assert list(statuses(report(course, "?status=missing"))) == ["Alpha.mp4"]
    both = report(course, "?status=missing&status=passing")
    assert list(statuses(both)) == ["Alpha.mp4", "Charlie.mp4"]
    assert list(statuses(report(course, "?status[]=failing"))) == ["Bravo.mp4"]
    assert list(statuses(report(course, "?status=failing,passing"))) == ["Bravo.mp4", "Charlie.mp4"]


def test_sorting(course: Course) -> None:
    def order(query: str) -> list[str]:
        return [row["title"] for row in report(course, query)]

    assert order("?sort=status") == ["Alpha.mp4", "Bravo.mp4", "Charlie.mp4"]
    assert order("?sort=status&order=desc") == ["Charlie.mp4", "Bravo.mp4", "Alpha.mp4"]
    assert order("?sort=title&order=desc") == ["Charlie.mp4", "Bravo.mp4", "Alpha.mp4"]
    # Unknown numbers (no captions: no errors, no coverage) come last either way.
    assert order("?sort=errors&order=desc") == ["Bravo.mp4", "Charlie.mp4", "Alpha.mp4"]
    assert order("?sort=errors") == ["Charlie.mp4", "Bravo.mp4", "Alpha.mp4"]
    assert order("?sort=coverage")[-1] == "Alpha.mp4"
    set_duration(course.api, course.media["Alpha.mp4"], 99.0)
    assert order("?sort=duration&order=desc")[0] == "Alpha.mp4"
    assert order("?sort=created_at") == ["Alpha.mp4", "Bravo.mp4", "Charlie.mp4"]


def test_pages_carry_link_headers_with_the_filters(course: Course) -> None:
    api = course.api
    r = api.request("GET", course.url + "?sort=status&per_page=2", course.teacher)
    assert r.status_code == 200
    assert [row["title"] for row in r.json()] == ["Alpha.mp4", "Bravo.mp4"]
    links = {
        part.split('rel="')[1].rstrip('"'): part.split(">")[0].lstrip("<")
        for part in r.headers["link"].split(",")
    }
    assert set(links) == {"current", "next", "first", "last"}
    assert links["next"].endswith("/caption_report?sort=status&page=2&per_page=2")
    page2 = api.request("GET", links["next"], course.teacher)
    assert [row["title"] for row in page2.json()] == ["Charlie.mp4"]
    assert 'rel="prev"' in page2.headers["link"]
    past = api.request("GET", course.url + "?page=9", course.teacher)
    assert past.status_code == 200 and past.json() == []
    assert 'page=1&per_page=10>; rel="last"' in past.headers["link"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?profile=strict", "profile"),
        ("?sort=size", "sort"),
        ("?order=sideways", "order"),
        ("?status=fine", "status"),
        ("?locale=not a locale", "locale"),
    ],
)
def test_bad_parameters_are_400_naming_the_field(course: Course, query: str, field: str) -> None:
    r = course.api.request("GET", course.url + query, course.teacher)
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == field


def test_a_page_that_is_no_page_is_404(course: Course) -> None:
    for page in ("0", "-1", "x"):
        r = course.api.request("GET", course.url + f"?page={page}", course.teacher)
        assert r.status_code == 404


# ---- CSV -------------------------------------------------------------------------------------------


def test_csv_has_every_row_the_json_pages_have(course: Course) -> None:
    api = course.api
    by_suffix = api.request("GET", course.url + ".csv?per_page=1", course.teacher)
    by_accept = api.request(
        "GET", course.url + "?per_page=1", course.teacher, headers={"Accept": "text/csv"}
    )
    for r in (by_suffix, by_accept):
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/csv; charset=utf-8"
        assert r.headers["content-disposition"].startswith("attachment; filename=")
        assert r.text.startswith("media_id,title,media_type,duration,processing_state,")
        assert "\r\n" in r.text
    assert by_suffix.text == by_accept.text
    rows = read_csv(by_suffix.text)
    json_rows = report(course, "?per_page=100")
    assert [row["media_id"] for row in rows] == [row["media_id"] for row in json_rows]
    charlie = rows[2]
    assert (charlie["status"], charlie["meets_profile"], charlie["locales"]) == (
        "passing",
        "true",
        "en",
    )
    assert float(charlie["coverage"]) == pytest.approx(0.95)
    assert (rows[0]["status"], rows[0]["errors"], rows[0]["track_id"]) == ("missing", "", "")


def test_csv_follows_filters_sort_and_changes(course: Course) -> None:
    api = course.api
    put_tracks(api, course.teacher, course.media["Bravo.mp4"], [captions(GOOD)])
    r = api.request("GET", course.url + ".csv?status=passing&sort=title&order=desc", course.teacher)
    assert [row["title"] for row in read_csv(r.text)] == ["Charlie.mp4", "Bravo.mp4"]


@pytest.mark.parametrize("title", ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)"])
def test_csv_cells_cannot_become_formulas(course: Course, title: str) -> None:
    api = course.api
    media_id = course.media["Alpha.mp4"]
    r = api.request(
        "PUT",
        f"/api/v1/media_objects/{media_id}",
        course.teacher,
        data={"user_entered_title": title},
    )
    assert r.status_code == 200
    assert by_title(report(course))[title]["media_id"] == media_id  # JSON keeps it as it is
    rows = read_csv(api.request("GET", course.url + ".csv", course.teacher).text)
    assert {row["title"] for row in rows} == {"'" + title, "Bravo.mp4", "Charlie.mp4"}


# ---- who may read it -------------------------------------------------------------------------------


def test_who_may_read_a_course_report(course: Course) -> None:
    api = course.api
    outsider_teacher = api.user("Other teacher")
    api.enroll(api.course("Other course"), outsider_teacher, "teacher")
    for suffix in ("", ".csv"):
        url = course.url + suffix
        assert api.request("GET", url).status_code == 401
        for who in (course.student, course.observer, outsider_teacher):
            r = api.request("GET", url, who)
            assert r.status_code == 403, (who, suffix)
            assert r.json()["status"] == "unauthorized"
        for who in (course.teacher, course.ta, api.admin):
            assert api.request("GET", url, who).status_code == 200
    assert api.request("GET", "/api/v1/courses/999999/caption_report").status_code == 401
    r = api.request("GET", "/api/v1/courses/999999/caption_report", course.teacher)
    assert r.status_code == 404


def test_a_student_learns_nothing_from_bad_parameters(course: Course) -> None:
    for query in ("?profile=nope", "?locale=" + "x" * 500, "?sort=size", "?page=0"):
        r = course.api.request("GET", course.url + query, course.student)
        assert r.status_code == 403, query
    long_locale = course.api.request("GET", course.url + "?locale=" + "x" * 500, course.teacher)
    assert long_locale.status_code == 400


def test_who_may_read_the_account_report(course: Course) -> None:
    api = course.api
    url = "/api/v1/accounts/self/caption_report"
    assert api.request("GET", url).status_code == 401
    assert api.request("GET", url + ".csv").status_code == 401
    for who in (course.teacher, course.student):
        assert api.request("GET", url, who).status_code == 403
        assert api.request("GET", url + ".csv", who).status_code == 403
    assert api.request("GET", "/api/v1/accounts/2/caption_report", api.admin).status_code == 404
    assert api.request("GET", "/api/v1/accounts/1/caption_report", api.admin).status_code == 200


# ---- account report ------------------------------------------------------------------------------


def test_account_report_counts_each_course(course: Course) -> None:
    api = course.api
    second = make_course(api, "Acoustics")
    put_tracks(api, second.teacher, second.media["Alpha.mp4"], [captions(GOOD)])
    set_duration(api, second.media["Alpha.mp4"], 30.0)  # now 9.5 s of 30: failing
    empty = api.course("Empty course")
    rows = api.ok("GET", "/api/v1/accounts/self/caption_report")
    found = {row["course_name"]: row for row in rows}
    assert [row["course_name"] for row in rows] == ["Acoustics", "Empty course", "Optics"]
    assert found["Optics"] == {
        "course_id": course.id,
        "course_name": "Optics",
        "media_count": 3,
        "captioned_count": 2,
        "passing_count": 1,
        "duration": 30.0,
        "captioned_duration": 20.0,
    }
    acoustics = found["Acoustics"]
    assert (acoustics["media_count"], acoustics["captioned_count"]) == (3, 3)
    assert acoustics["passing_count"] == 1
    assert (acoustics["duration"], acoustics["captioned_duration"]) == (50.0, 50.0)
    assert found["Empty course"]["course_id"] == empty
    assert found["Empty course"]["media_count"] == 0
    assert found["Empty course"]["duration"] == 0
    # netflix asks no coverage: the 30-second media passes there.
    netflix = {
        r["course_name"]: r
        for r in api.ok("GET", "/api/v1/accounts/self/caption_report?profile=netflix")
    }
    assert netflix["Acoustics"]["passing_count"] == 2


def test_account_report_pages_and_csv(course: Course) -> None:
    api = course.api
    for name in ("B course", "C course", "=1+1 course"):
        api.course(name)
    r = api.request("GET", "/api/v1/accounts/self/caption_report?per_page=2", api.admin)
    assert [row["course_name"] for row in r.json()] == ["=1+1 course", "B course"]
    assert 'rel="next"' in r.headers["link"]
    text = api.request("GET", "/api/v1/accounts/self/caption_report.csv", api.admin).text
    rows = read_csv(text)
    names = ["'=1+1 course", "B course", "C course", "Optics"]
    assert [row["course_name"] for row in rows] == names
    assert rows[3]["media_count"] == "3" and rows[3]["passing_count"] == "1"
    accept = api.request(
        "GET", "/api/v1/accounts/self/caption_report", api.admin, headers={"Accept": "text/csv"}
    )
    assert accept.text == text


# ---- summaries for existing data, and processing ---------------------------------------------


def test_summarize_captions_fills_summaries_of_earlier_tracks(
    course: Course, settings: Settings
) -> None:
    api = course.api
    with api.ctx.write() as session:
        session.execute(delete(CaptionSummary))
    # Tracks stored before the summaries existed: known to be there, not yet judged.
    rows = by_title(report(course))
    assert rows["Charlie.mp4"]["status"] == "failing"
    assert rows["Charlie.mp4"]["errors"] is None
    assert cmd_summarize_captions(settings, argparse.Namespace(missing=True)) == 0
    assert statuses(report(course)) == {
        "Alpha.mp4": "missing",
        "Bravo.mp4": "failing",
        "Charlie.mp4": "passing",
    }
    judged = report(course)
    assert by_title(judged)["Charlie.mp4"]["coverage"] == pytest.approx(0.95)
    # Run again over everything, it changes nothing.
    assert cmd_summarize_captions(settings, argparse.Namespace(missing=False)) == 0
    assert report(course) == judged


def test_upgrading_judges_and_indexes_the_tracks_already_stored(course: Course) -> None:
    from alembic import command

    from mediaobjects.db.migrate import alembic_config

    before = report(course)
    search = f"/api/v1/courses/{course.id}/caption_search?q=lecture"
    found = course.api.ok("GET", search, course.teacher)
    assert sorted(row["title"] for row in found) == ["Bravo.mp4", "Charlie.mp4"]
    # Back to the schema without summaries and forward again: the migration's own summaries.
    with course.api.ctx.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0003")
    with course.api.ctx.engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    assert statuses(report(course)) == {
        "Alpha.mp4": "missing",
        "Bravo.mp4": "failing",
        "Charlie.mp4": "passing",
    }
    assert report(course) == before
    # Migration 0005 indexed them again for transcript search (on both databases).
    assert course.api.ok("GET", search, course.teacher) == found


def test_processing_finds_the_duration_and_the_captions_are_judged_again(
    course: Course, tmp_path: Path
) -> None:
    from tests.support.clips import make_video

    api = course.api
    clip = make_video(tmp_path / "clip.mp4", seconds=2, size="160x120")
    file = api.upload(
        f"courses/{course.id}", course.teacher, "Echo.mp4", clip.read_bytes(), "video/mp4"
    )
    # Ten seconds of captions for a clip not yet processed: nothing to hold them against.
    put_tracks(api, course.teacher, file["media_entry_id"], [captions(GOOD)])
    row = by_title(report(course))["Echo.mp4"]
    assert (row["duration"], row["coverage"], row["errors"]) == (None, None, 0)
    api.ctx.jobs.run_pending_now()
    row = by_title(report(course))["Echo.mp4"]
    assert row["processing_state"] == "ready"
    assert row["duration"] == pytest.approx(2.0, abs=0.1)
    # The second cue starts after the clip's end: out of the media, an error.
    assert row["status"] == "failing" and row["errors"] >= 1


def test_responses_match_the_published_schema(course: Course, app: Any) -> None:
    # Every caption report route, JSON and CSV, with rows of each status, held to its OpenAPI
    # description by schemathesis's checks.
    from tests.api.test_schemathesis import _Walk

    call = _Walk(app, course.api)
    where = {"course_id": course.id}
    account = {"account_id": "self"}
    template = "/api/v1/courses/{course_id}/caption_report"
    assert len(call.json("GET", template, course.teacher, path=where)) == 3
    call("GET", template, course.teacher, path=where, headers={"Accept": "text/csv"})
    call("GET", template + ".csv", course.teacher, path=where)
    call("GET", "/api/v1/accounts/{account_id}/caption_report", course.api.admin, path=account)
    call("GET", "/api/v1/accounts/{account_id}/caption_report.csv", course.api.admin, path=account)
    assert len(call.seen) == 4
