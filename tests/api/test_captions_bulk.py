"""Bulk caption export and import of a course over HTTP (``.../captions.zip``): an export
imports back changing nothing in every readable format, an edited file changes exactly its
track (a version with reason ``import``), files that match nothing are refused with a reason,
hostile ZIPs are refused whole with nothing stored, and only the course's caption managers
may export or import."""

from __future__ import annotations

import csv
import io
import os
import stat
import struct
import threading
import warnings
import zipfile
from typing import Any

import pytest
from sqlalchemy import select

from mediaobjects.context import AppContext
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks.models import MediaTrack
from mediaobjects.settings import Settings
from tests.support.api import Api, Person
from tests.support.media import fake_mp4
from tests.support.world import World, build_world

EN = "1\n00:00:01,000 --> 00:00:02,500\nHello <i>there</i>\n\n2\n00:00:03,000 --> 00:00:04,000\nSecond & last\n"
FR = (
    "WEBVTT\n\n00:00:01.000 --> 00:00:02.000 line:10% align:start\nBonjour\n\n"
    "00:00:02.500 --> 00:00:03.000\nÀ bientôt\n"
)
SEMINAR = "1\n00:00:05,000 --> 00:00:06,000\nSeminar words\n"
EDITED = "1\n00:00:01,000 --> 00:00:02,500\nHello again\n"
ROUND_TRIP_FORMATS = ["vtt", "srt", "ttml", "dfxp", "sbv", "scc", "sami"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Small limits, so that each hostile archive reaches its own limit quickly.
    return settings.model_copy(
        update={
            "max_captions_zip_entries": 20,
            "max_captions_zip_uncompressed_bytes": 1024 * 1024,
            "max_captions_zip_bytes": 2 * 1024 * 1024,
        }
    )


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


@pytest.fixture
def course_media(world: World) -> dict[str, str]:
    """Three media in the course: two titled "Lecture 1.mp4", one "Seminar"; with tracks."""
    api = world.api
    second = api.upload(f"courses/{world.course}", world.teacher, "b.mp4", fake_mp4(), "video/mp4")
    third = api.upload(f"courses/{world.course}", world.teacher, "c.mp4", fake_mp4(), "video/mp4")
    media = {
        "first": world.media_id,
        "second": str(second["media_entry_id"]),
        "seminar": str(third["media_entry_id"]),
    }
    retitle(world, media["second"], "Lecture 1.mp4")
    retitle(world, media["seminar"], "Seminar")
    put_tracks(
        world, media["first"], [{"locale": "en", "content": EN}, {"locale": "fr", "content": FR}]
    )
    put_tracks(world, media["second"], [{"locale": "en", "content": EN, "kind": "captions"}])
    return media


def retitle(world: World, media_id: str, title: str) -> None:
    world.api.ok(
        "PUT",
        f"/api/v1/media_objects/{media_id}",
        world.teacher,
        data={"user_entered_title": title},
    )


def put_tracks(world: World, media_id: str, body: list[dict[str, str]]) -> None:
    world.api.ok("PUT", f"/api/v1/media_objects/{media_id}/media_tracks", world.teacher, json=body)


def tracks_of(world: World, media_id: str) -> dict[str, dict[str, Any]]:
    listed = world.api.ok(
        "GET",
        f"/api/v1/media_objects/{media_id}/media_tracks?include[]=content",
        world.teacher,
    )
    return {t["locale"]: t for t in listed}


def versions_of(world: World, media_id: str, track_id: int) -> list[dict[str, Any]]:
    url = f"/api/v1/media_objects/{media_id}/media_tracks/{track_id}/versions?per_page=100"
    return list(world.api.ok("GET", url, world.teacher))


def everything(world: World, media: dict[str, str]) -> dict[str, Any]:
    """Every track's content and version count: what an import must leave alone."""
    state: dict[str, Any] = {}
    for name, media_id in media.items():
        for locale, track in tracks_of(world, media_id).items():
            state[f"{name}.{locale}"] = (
                track["content"],
                track["kind"],
                len(versions_of(world, media_id, track["id"])),
            )
    return state


def export(world: World, query: str = "", who: Person | None = None) -> Any:
    url = f"/api/v1/courses/{world.course}/captions.zip{query}"
    return world.api.request("GET", url, who or world.teacher)


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def make_zip(entries: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate names we mean to send
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in entries:
                archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def post_zip(world: World, data: bytes, query: str = "", who: Person | None = None) -> Any:
    url = f"/api/v1/courses/{world.course}/captions.zip{query}"
    files = {"file": ("captions.zip", data, "application/zip")}
    return world.api.request("POST", url, who or world.teacher, files=files)


def manifest_rows(files: dict[str, bytes]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files["manifest.csv"].decode("utf-8"))))


# ---- export ----------------------------------------------------------------------------------


def test_export_names_files_by_title_and_locale_with_a_manifest(
    world: World, course_media: dict[str, str]
) -> None:
    response = export(world, "?format=srt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    files = unzip(response.content)
    first, second = course_media["first"], course_media["second"]
    # Two media share a title: the media id tells their files apart.
    assert sorted(files) == sorted(
        [
            f"Lecture 1.mp4 [{first}].en.srt",
            f"Lecture 1.mp4 [{first}].fr.srt",
            f"Lecture 1.mp4 [{second}].en.srt",
            "manifest.csv",
        ]
    )
    assert files[f"Lecture 1.mp4 [{first}].en.srt"].decode() == EN
    rows = manifest_rows(files)
    assert list(rows[0]) == ["media_id", "attachment", "title", "locale", "kind", "file"]
    by_file = {row["file"]: row for row in rows}
    assert by_file[f"Lecture 1.mp4 [{second}].en.srt"]["media_id"] == second
    assert by_file[f"Lecture 1.mp4 [{second}].en.srt"]["kind"] == "captions"
    assert by_file[f"Lecture 1.mp4 [{first}].fr.srt"]["title"] == "Lecture 1.mp4"
    assert by_file[f"Lecture 1.mp4 [{first}].fr.srt"]["attachment"] == str(world.attachment_id)


def test_export_default_is_webvtt_as_served(world: World, course_media: dict[str, str]) -> None:
    files = unzip(export(world).content)
    served = world.api.request(
        "GET",
        f"/media_objects/{course_media['first']}/media_tracks/{tracks_of(world, course_media['first'])['fr']['id']}",
        world.teacher,
    ).content
    assert files[f"Lecture 1.mp4 [{course_media['first']}].fr.vtt"] == served


def test_export_of_an_unknown_format_is_400(world: World, course_media: dict[str, str]) -> None:
    response = export(world, "?format=docx")
    assert response.status_code == 400
    assert "format must be one of" in response.text


# ---- round trip ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ROUND_TRIP_FORMATS)
def test_export_then_import_changes_nothing(
    world: World, course_media: dict[str, str], fmt: str
) -> None:
    before = everything(world, course_media)
    data = export(world, f"?format={fmt}").content
    for query in ("?dry_run=true", "?dry_run=false"):
        response = post_zip(world, data, query)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["changed"] == [] and body["refused"] == [], body
        assert len(body["unchanged"]) == 3
        assert body["dry_run"] is (query == "?dry_run=true")
    assert everything(world, course_media) == before


def test_manifest_cells_cannot_become_formulas_and_still_import(
    world: World, course_media: dict[str, str]
) -> None:
    title = '=HYPERLINK("http://example.invalid/?"&A1,"Click")'
    retitle(world, course_media["seminar"], title)
    put_tracks(world, course_media["seminar"], [{"locale": "en", "content": SEMINAR}])
    files = unzip(export(world).content)
    rows = manifest_rows(files)
    row = next(r for r in rows if r["media_id"] == course_media["seminar"])
    assert row["title"] == "'" + title
    assert row["file"].startswith("'=") and row["file"][1:] in files
    cells = [cell for r in rows for cell in r.values()]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))]
    # The apostrophe is taken off again: the export imports back unchanged, and a file known
    # only by its manifest row (its name matches no title) still finds its media.
    body = post_zip(world, export(world).content).json()
    assert body["changed"] == [] and body["refused"] == [], body
    manifest = f"file,media_id,locale\r\n'-renamed.de.srt,{course_media['seminar']},de\r\n"
    data = make_zip([("manifest.csv", manifest.encode()), ("-renamed.de.srt", SEMINAR.encode())])
    body = post_zip(world, data).json()
    assert body["refused"] == [], body
    assert [(c["file"], c["media_id"]) for c in body["changed"]] == [
        ("-renamed.de.srt", course_media["seminar"])
    ]
    assert "de" in tracks_of(world, course_media["seminar"])


def test_legacy_tracks_today_s_rules_refuse_come_back_unchanged(
    world: World, course_media: dict[str, str], ctx: AppContext
) -> None:
    """A track imported from Canvas with a legacy locale and text that is not captions can
    only be exported as WebVTT (as stored); importing it back is no change, not a refusal."""
    with ctx.write() as session:
        mo = session.scalars(
            select(MediaObject).where(MediaObject.media_id == course_media["seminar"])
        ).one()
        session.add(
            MediaTrack(
                media_object_id=mo.id,
                attachment_id=mo.attachment_id,
                locale="zh_CN",
                kind="subtitles",
                content="not captions at all",
            )
        )
    before = everything(world, course_media)
    response = export(world, "?format=srt")
    files = unzip(response.content)
    assert files["Seminar.zh_CN.vtt"] == b"not captions at all"
    body = post_zip(world, response.content).json()
    assert body["refused"] == [] and body["changed"] == []
    assert {
        "file": "Seminar.zh_CN.vtt",
        "media_id": course_media["seminar"],
        "locale": "zh_CN",
    } in body["unchanged"]
    assert everything(world, course_media) == before


def test_editing_one_file_changes_exactly_that_track_as_an_import_version(
    world: World, course_media: dict[str, str]
) -> None:
    before = everything(world, course_media)
    files = unzip(export(world, "?format=srt").content)
    name = f"Lecture 1.mp4 [{course_media['second']}].en.srt"
    files[name] = EDITED.encode()
    data = make_zip(list(files.items()))

    dry = post_zip(world, data, "?dry_run=true").json()
    assert dry["changed"] == [
        {"file": name, "media_id": course_media["second"], "locale": "en", "action": "updated"}
    ]
    assert everything(world, course_media) == before

    real = post_zip(world, data).json()
    assert real["changed"] == dry["changed"] and len(real["unchanged"]) == 2
    after = everything(world, course_media)
    assert {k for k in after if after[k] != before[k]} == {"second.en"}
    track = tracks_of(world, course_media["second"])["en"]
    assert track["content"] == EDITED and track["kind"] == "captions"
    newest = versions_of(world, course_media["second"], track["id"])[0]
    assert newest["reason"] == "import" and newest["user_id"] == world.teacher.id


def test_files_are_matched_by_name_without_a_manifest(
    world: World, course_media: dict[str, str]
) -> None:
    data = make_zip([("Seminar.de.srt", SEMINAR.encode()), ("seminar.EN.vtt", FR.encode())])
    body = post_zip(world, data).json()
    assert sorted((c["file"], c["locale"], c["action"]) for c in body["changed"]) == [
        ("Seminar.de.srt", "de", "added"),
        ("seminar.EN.vtt", "en", "added"),
    ]
    tracks = tracks_of(world, course_media["seminar"])
    assert tracks["de"]["content"] == SEMINAR and tracks["de"]["kind"] == "subtitles"


def test_other_writers_get_in_between_the_files_of_an_import(
    world: World, course_media: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each file is stored in its own transaction: while the import works on its second file,
    # a write elsewhere (here a new title) goes through at once instead of waiting behind the
    # whole import (SQLite has one write lock; ten large files held it past the busy timeout).
    from mediaobjects.media_tracks import bulk

    original = bulk._import_one
    seen: list[str] = []
    written: list[bool] = []

    def import_one(*args: Any, **kwargs: Any) -> Any:
        incoming = args[2]
        seen.append(incoming.name)
        if len(seen) == 2:
            result: list[bool] = []

            def write() -> None:
                with world.api.ctx.write() as session:
                    mo = session.scalars(
                        select(MediaObject).where(MediaObject.media_id == course_media["first"])
                    ).one()
                    mo.user_entered_title = "Written during the import"
                result.append(True)

            worker = threading.Thread(target=write)
            worker.start()
            worker.join(timeout=10)
            written.append(bool(result))
        return original(*args, **kwargs)

    monkeypatch.setattr(bulk, "_import_one", import_one)
    data = make_zip([("Seminar.de.srt", SEMINAR.encode()), ("Seminar.fr.srt", SEMINAR.encode())])
    body = post_zip(world, data).json()
    assert sorted(c["file"] for c in body["changed"]) == ["Seminar.de.srt", "Seminar.fr.srt"]
    assert written == [True]
    assert set(tracks_of(world, course_media["seminar"])) >= {"de", "fr"}


def test_refused_files_say_why_and_the_others_are_imported(
    world: World, course_media: dict[str, str]
) -> None:
    before = everything(world, course_media)
    manifest = (
        "media_id,attachment,title,locale,kind,file\r\nm-nowhere,,Gone,en,subtitles,gone.en.srt\r\n"
    )
    data = make_zip(
        [
            ("manifest.csv", manifest.encode()),
            ("gone.en.srt", SEMINAR.encode()),
            ("Unknown title.en.srt", SEMINAR.encode()),
            ("Seminar.not a locale!.srt", SEMINAR.encode()),
            ("Lecture 1.mp4.en.srt", SEMINAR.encode()),
            ("Seminar.es.srt", b"this is not a caption file\n"),
            ("Seminar.it.srt", "caf\xe9".encode("latin-1")),
            ("notes", b"x"),
            ("Seminar.de.srt", SEMINAR.encode()),
        ]
    )
    response = post_zip(world, data)
    assert response.status_code == 200
    body = response.json()
    reasons = {r["file"]: r["reason"] for r in body["refused"]}
    assert "m-nowhere" in reasons["gone.en.srt"] and "not in this course" in reasons["gone.en.srt"]
    assert 'no media titled "Unknown title"' in reasons["Unknown title.en.srt"]
    assert "is not a locale" in reasons["Seminar.not a locale!.srt"]
    assert "several media are titled" in reasons["Lecture 1.mp4.en.srt"]
    assert "no timing found" in reasons["Seminar.es.srt"]
    assert "not UTF-8" in reasons["Seminar.it.srt"]
    assert "<title>.<locale>.<extension>" in reasons["notes"]
    assert [c["file"] for c in body["changed"]] == ["Seminar.de.srt"]
    after = everything(world, course_media)
    assert {k for k in after if k not in before} == {"seminar.de"}
    assert {k: after[k] for k in before} == before


def test_two_files_for_one_track_refuse_the_second(
    world: World, course_media: dict[str, str]
) -> None:
    data = make_zip([("Seminar.de.srt", SEMINAR.encode()), ("Seminar.de.vtt", FR.encode())])
    body = post_zip(world, data).json()
    assert [c["file"] for c in body["changed"]] == ["Seminar.de.srt"]
    assert "Seminar.de.srt of this import already sets" in body["refused"][0]["reason"]


def test_a_nested_zip_is_refused_not_expanded(world: World, course_media: dict[str, str]) -> None:
    inner = make_zip([("Seminar.de.srt", SEMINAR.encode())])
    data = make_zip([("inner.zip", inner), ("Seminar.fr.srt", SEMINAR.encode())])
    body = post_zip(world, data).json()
    assert body["refused"] == [
        {"file": "inner.zip", "reason": "is a ZIP inside the ZIP: nested archives are not expanded"}
    ]
    assert "de" not in tracks_of(world, course_media["seminar"])


# ---- hostile archives ------------------------------------------------------------------------


def _symlink() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("Seminar.xx.srt")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _encrypted() -> bytes:
    data = bytearray(make_zip([("Seminar.fr.srt", SEMINAR.encode())]))
    # zipfile writes no encrypted entries: the "encrypted" flag is set in both headers.
    data[6] |= 0x1
    data[data.index(b"PK\x01\x02") + 8] |= 0x1
    return bytes(data)


def _non_utf8_name() -> bytes:
    data = make_zip([("Seminar.de.srt", SEMINAR.encode()), ("cafX.en.srt", SEMINAR.encode())])
    # The name in the local header and the central directory, in Latin-1 without the UTF-8 flag.
    return data.replace(b"cafX.en.srt", b"caf\xe9.en.srt")


def _bad_utf8_flagged() -> bytes:
    data = make_zip([("Seminar.de.srt", SEMINAR.encode()), ("cafés.en.srt", SEMINAR.encode())])
    return data.replace("cafés".encode(), b"caf\xff\xfes")


def _corrupt_data() -> bytes:
    data = bytearray(make_zip([("Seminar.de.srt", SEMINAR.encode() * 20)]))
    # A byte of the compressed data (after the 30-byte local header and the name).
    data[30 + len("Seminar.de.srt") + 5] ^= 0xFF
    return bytes(data)


def _bomb() -> bytes:
    # 2 MB of zeros deflate to about 2 KB: a ratio of about 1000.
    return make_zip([("Seminar.de.srt", SEMINAR.encode()), ("Seminar.fr.srt", bytes(2_000_000))])


def _too_much_in_all() -> bytes:
    # Incompressible, each under the per-file limit, together over the 1 MiB total.
    return make_zip(
        [("Seminar.de.srt", SEMINAR.encode())]
        + [(f"Seminar.x{n}.srt", os.urandom(400_000)) for n in range(3)]
    )


def _entry_count_lies() -> bytes:
    # 21 entries, the end record claiming 1: zipfile would parse the whole directory first.
    data = bytearray(make_zip([(f"Seminar.x{n}.srt", b"x") for n in range(21)]))
    end = data.rindex(b"PK\x05\x06")
    data[end + 8 : end + 12] = struct.pack("<2H", 1, 1)
    return bytes(data)


def _zip64_locator() -> bytes:
    # A ZIP64 locator before the end record: zipfile would take its counts and sizes instead.
    data = make_zip([("Seminar.de.srt", SEMINAR.encode())])
    end = data.rindex(b"PK\x05\x06")
    return data[:end] + b"PK\x06\x07" + bytes(16) + data[end:]


HOSTILE: dict[str, tuple[Any, int, str]] = {
    "dot-dot": (lambda: make_zip([("../Seminar.fr.srt", SEMINAR.encode())]), 422, "'..'"),
    "dot-dot-inside": (lambda: make_zip([("a/../../Seminar.fr.srt", b"x")]), 422, "'..'"),
    "absolute": (lambda: make_zip([("/etc/Seminar.fr.srt", b"x")]), 422, "absolute"),
    "drive-letter": (lambda: make_zip([("C:/Seminar.fr.srt", b"x")]), 422, "drive letter"),
    "backslash": (lambda: make_zip([("sub\\Seminar.fr.srt", b"x")]), 422, "backslash"),
    "control-char": (lambda: make_zip([("Semi\x07nar.fr.srt", b"x")]), 422, "control"),
    "symlink": (lambda: make_zip([(_symlink(), b"/etc/passwd")]), 422, "symbolic link"),
    "encrypted": (_encrypted, 422, "encrypted"),
    "duplicate": (
        lambda: make_zip([("Seminar.fr.srt", b"x"), ("dir/seminar.FR.srt", b"y")]),
        422,
        "same file name",
    ),
    "non-utf8-name": (_non_utf8_name, 422, "not flagged as UTF-8"),
    "bad-utf8-name": (_bad_utf8_flagged, 422, "not UTF-8"),
    "too-many-entries": (
        lambda: make_zip([(f"Seminar.x{n}.srt", b"x") for n in range(21)]),
        422,
        "at most 20",
    ),
    "entry-count-lies": (_entry_count_lies, 422, "more than 20 entries"),
    "zip64-locator": (_zip64_locator, 422, "ZIP64"),
    "not-a-zip": (lambda: b"this is not a zip at all" * 10, 422, "not a ZIP"),
    "truncated": (lambda: make_zip([("Seminar.fr.srt", SEMINAR.encode())])[:-30], 422, "ZIP"),
    "corrupt-data": (_corrupt_data, 422, "damaged"),
    "bomb": (_bomb, 422, "zip bomb"),
    "too-much-in-all": (_too_much_in_all, 413, "1048576 bytes in all"),
    "too-large-upload": (lambda: os.urandom(2 * 1024 * 1024 + 1), 413, "upload limit"),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_zip_is_refused_and_nothing_is_stored(
    world: World, course_media: dict[str, str], kind: str
) -> None:
    make, status, words = HOSTILE[kind]
    before = everything(world, course_media)
    for query in ("?dry_run=true", ""):
        response = post_zip(world, make(), query)
        assert response.status_code == status, response.text
        assert words in response.json()["errors"][0]["message"], response.text
    assert everything(world, course_media) == before


def test_a_request_without_the_file_part_is_400(world: World, course_media: dict[str, str]) -> None:
    url = f"/api/v1/courses/{world.course}/captions.zip"
    response = world.api.request("POST", url, world.teacher, data={"other": "x"})
    assert response.status_code == 400


@pytest.mark.parametrize("length", [257, 5000])
def test_a_multipart_boundary_longer_than_the_parser_takes_is_400(
    world: World, course_media: dict[str, str], length: int
) -> None:
    # RFC 2046 allows 70 characters; python-multipart refuses more than 256 (it was a 500).
    boundary = "b" * length
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.zip"\r\n\r\n'
    ).encode() + make_zip([("Seminar.de.srt", SEMINAR.encode())])
    body += f"\r\n--{boundary}--\r\n".encode()
    response = world.api.request(
        "POST",
        f"/api/v1/courses/{world.course}/captions.zip",
        world.teacher,
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 400, response.text
    assert "boundary" in response.json()["errors"][0]["message"]
    assert "de" not in tracks_of(world, course_media["seminar"])


def test_a_dry_run_that_is_not_a_boolean_is_400(world: World, course_media: dict[str, str]) -> None:
    response = post_zip(world, make_zip([("Seminar.de.srt", SEMINAR.encode())]), "?dry_run=maybe")
    assert response.status_code == 400
    assert "de" not in tracks_of(world, course_media["seminar"])


# ---- rights ----------------------------------------------------------------------------------


def test_anonymous_callers_get_401(world: World, course_media: dict[str, str]) -> None:
    assert (
        world.api.request("GET", f"/api/v1/courses/{world.course}/captions.zip").status_code == 401
    )
    data = make_zip([("Seminar.de.srt", SEMINAR.encode())])
    url = f"/api/v1/courses/{world.course}/captions.zip"
    response = world.api.client.post(url, files={"file": ("c.zip", data, "application/zip")})
    assert response.status_code == 401
    assert "de" not in tracks_of(world, course_media["seminar"])


@pytest.mark.parametrize("role", ["student", "observer", "outsider"])
def test_students_observers_and_strangers_may_neither_export_nor_import(
    world: World, course_media: dict[str, str], role: str
) -> None:
    who = getattr(world, role)
    expected = 403
    assert export(world, who=who).status_code == expected
    data = make_zip([("Seminar.de.srt", SEMINAR.encode())])
    assert post_zip(world, data, who=who).status_code == expected
    assert "de" not in tracks_of(world, course_media["seminar"])


def test_a_student_is_refused_before_the_body_is_read(
    world: World, course_media: dict[str, str]
) -> None:
    url = f"/api/v1/courses/{world.course}/captions.zip"
    headers = {
        **world.student.headers,
        "Content-Type": "multipart/form-data; boundary=x",
        "Content-Length": str(10**12),
    }
    response = world.api.client.post(url, headers=headers, content=b"--x--\r\n")
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["ta", "designer"])
def test_tas_and_designers_may_export_and_import(
    world: World, course_media: dict[str, str], role: str
) -> None:
    who = getattr(world, role)
    assert export(world, who=who).status_code == 200
    body = post_zip(world, make_zip([("Seminar.de.srt", SEMINAR.encode())]), who=who).json()
    assert [c["file"] for c in body["changed"]] == ["Seminar.de.srt"]


def test_media_whose_captions_belong_to_another_course_are_refused_per_file(
    world: World, course_media: dict[str, str]
) -> None:
    """A file copied into a course keeps the original's media: its captions are changed only
    by someone with the rights on the original (here a teacher of the copy's course only)."""
    course, _copy = world.copy_to_new_course()
    other = world.api.user("Second Teacher")
    world.api.enroll(course, other, "teacher")
    files = unzip(world.api.request("GET", f"/api/v1/courses/{course}/captions.zip", other).content)
    assert sorted(files) == ["Lecture 1.mp4.en.vtt", "Lecture 1.mp4.fr.vtt", "manifest.csv"]
    files["Lecture 1.mp4.en.vtt"] = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nChanged\n"
    url = f"/api/v1/courses/{course}/captions.zip"
    body = world.api.request(
        "POST",
        url,
        other,
        files={"file": ("c.zip", make_zip(list(files.items())), "application/zip")},
    ).json()
    assert body["refused"] == [
        {
            "file": "Lecture 1.mp4.en.vtt",
            "reason": f"you may not change the captions of media {world.media_id}",
        }
    ]
    assert tracks_of(world, world.media_id)["en"]["content"] == EN
