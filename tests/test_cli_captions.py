"""``mediaobjects captions export|import`` as an operator runs them: an export imports back
unchanged, an edited file is the one change (a version with reason ``import``, by the acting
user), refused files are named with their reason and make the exit status 1, ``--as`` acts with
that user's rights, and the progress bar shows on a terminal only."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Any

import pytest

from mediaobjects.cli import main
from mediaobjects.settings import Settings
from tests.support.api import Api, Person
from tests.support.world import World, build_world

EN = "1\n00:00:01,000 --> 00:00:02,500\nHello\n"
FR = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000 align:start\nBonjour\n"
EDITED = "1\n00:00:01,000 --> 00:00:02,500\nHello again\n"


@pytest.fixture
def world(api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> World:
    # The command reads the settings from the environment, as an operator's shell gives them.
    monkeypatch.setenv("MEDIAOBJECTS_DATA_DIR", str(settings.data_dir))
    assert settings.database_url is not None
    monkeypatch.setenv("MEDIAOBJECTS_DATABASE_URL", settings.database_url.get_secret_value())
    world = build_world(api)
    api.ok(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        json=[{"locale": "en", "content": EN}, {"locale": "fr", "content": FR}],
    )
    return world


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out.splitlines(), err


def login_of(world: World, person: Person) -> str:
    return str(world.api.ok("GET", f"/api/v1/users/{person.id}")["login_id"])


def versions(world: World, locale: str) -> list[dict[str, Any]]:
    base = f"/api/v1/media_objects/{world.media_id}/media_tracks"
    track = next(t for t in world.api.ok("GET", base, world.teacher) if t["locale"] == locale)
    return list(world.api.ok("GET", f"{base}/{track['id']}/versions", world.teacher))


def test_export_then_import_changes_nothing(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    status, lines, err = run(capsys, "captions", "export", "--course", str(world.course), str(out))
    assert status == 0, err
    assert sorted(p.name for p in out.iterdir()) == [
        "Lecture 1.mp4.en.vtt",
        "Lecture 1.mp4.fr.vtt",
        "manifest.csv",
    ]
    rows = list(csv.DictReader(io.StringIO((out / "manifest.csv").read_text())))
    assert {(r["media_id"], r["locale"], r["file"]) for r in rows} == {
        (world.media_id, "en", "Lecture 1.mp4.en.vtt"),
        (world.media_id, "fr", "Lecture 1.mp4.fr.vtt"),
    }
    assert "2 tracks of 1 media written" in err
    before = (len(versions(world, "en")), len(versions(world, "fr")))
    for extra in (["--dry-run"], []):
        status, lines, err = run(
            capsys, "captions", "import", "--course", str(world.course), str(out), *extra
        )
        assert status == 0, err
        assert lines == [
            f"unchanged Lecture 1.mp4.en.vtt: {world.media_id} en",
            f"unchanged Lecture 1.mp4.fr.vtt: {world.media_id} fr",
        ]
    assert (len(versions(world, "en")), len(versions(world, "fr"))) == before


def test_an_edited_file_is_the_one_change_and_a_version_by_the_acting_user(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    course = str(world.course)
    assert (
        run(capsys, "captions", "export", "--course", course, "--format", "srt", str(out))[0] == 0
    )
    (out / "Lecture 1.mp4.en.srt").write_text(EDITED)

    status, lines, _ = run(capsys, "captions", "import", "--course", course, str(out), "--dry-run")
    assert status == 0
    assert f"would change Lecture 1.mp4.en.srt: {world.media_id} en (updated)" in lines
    assert versions(world, "en")[0]["reason"] == "api"

    teacher = login_of(world, world.teacher)
    status, lines, err = run(
        capsys, "captions", "import", "--course", course, str(out), "--as", teacher
    )
    assert status == 0, err
    assert lines == [
        f"changed Lecture 1.mp4.en.srt: {world.media_id} en (updated)",
        f"unchanged Lecture 1.mp4.fr.srt: {world.media_id} fr",
    ]
    assert "changed 1, unchanged 1, refused 0" in err
    newest = versions(world, "en")[0]
    assert (newest["reason"], newest["user_id"]) == ("import", world.teacher.id)
    assert versions(world, "fr")[0]["reason"] == "api"


def test_without_as_the_import_acts_as_the_site_admin(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Lecture 1.mp4.de.srt").write_text(EN)
    status, lines, _ = run(
        capsys, "captions", "import", "--course", str(world.course), str(tmp_path)
    )
    assert (status, lines) == (0, [f"changed Lecture 1.mp4.de.srt: {world.media_id} de (added)"])
    assert versions(world, "de")[0]["user_id"] == world.api.admin.id


def test_refused_files_are_named_with_why_and_the_exit_status_is_1(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Nothing like it.en.srt").write_text(EN)
    (tmp_path / "Lecture 1.mp4.es.srt").write_text("no captions here\n")
    (tmp_path / "Lecture 1.mp4.de.srt").write_text(EN)
    status, lines, err = run(
        capsys, "captions", "import", "--course", str(world.course), str(tmp_path)
    )
    assert status == 1
    assert lines[0] == f"changed Lecture 1.mp4.de.srt: {world.media_id} de (added)"
    assert lines[1].startswith("refused   Lecture 1.mp4.es.srt: no timing found")
    assert lines[2] == (
        'refused   Nothing like it.en.srt: no media titled "Nothing like it" in this course '
        "(and no row in manifest.csv)"
    )
    assert "changed 1, unchanged 0, refused 2" in err


def test_a_student_may_not_and_an_unknown_course_or_user_is_said_so(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    course = str(world.course)
    student = login_of(world, world.student)
    status, lines, err = run(
        capsys, "captions", "export", "--course", course, str(tmp_path / "x"), "--as", student
    )
    assert (status, lines) == (1, [])
    assert "may not manage this course's captions" in err
    assert not (tmp_path / "x").exists()
    status, _, err = run(capsys, "captions", "import", "--course", "999999", str(tmp_path))
    assert status == 1 and "no such course" in err
    status, _, err = run(
        capsys, "captions", "import", "--course", course, str(tmp_path), "--as", "nobody"
    )
    assert status == 1 and 'no user has the login "nobody"' in err
    status, _, err = run(
        capsys, "captions", "import", "--course", course, str(tmp_path / "missing")
    )
    assert status == 1 and "is not a directory" in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_shows_on_a_terminal_only(
    world: World,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "out"
    course = str(world.course)
    status, lines, err = run(capsys, "captions", "export", "--course", course, str(out))
    assert status == 0 and "\x1b[" not in "".join(lines) + err and "exporting" not in err

    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(["captions", "import", "--course", course, str(out)]) == 0
    shown = terminal.getvalue()
    assert "importing" in shown and "\x1b[" in shown
    assert f"unchanged Lecture 1.mp4.en.vtt: {world.media_id} en" in shown
