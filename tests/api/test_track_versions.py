"""Track versions over HTTP: every write (PUT, create, restore) is kept with who, when and how;
the list is newest first and paginated; a version can be restored (itself a new version);
deleted tracks stay listed and restorable for the retention period, then a chore removes them;
the rights are those of writing the track; concurrent writers lose no version."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mediaobjects.context import AppContext
from mediaobjects.media_tracks.tasks import expired_versions_chore
from tests.support.api import Api, Person
from tests.support.clock import Clock
from tests.support.world import World, build_world


def srt(text: str, start: str = "00:00:01,000", end: str = "00:00:02,000") -> str:
    return f"1\n{start} --> {end}\n{text}\n"


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


def tracks_url(world: World) -> str:
    return f"/api/v1/media_objects/{world.media_id}/media_tracks"


def put(world: World, body: Any, who: Person | None = None) -> Any:
    return world.api.request("PUT", tracks_url(world), who or world.teacher, json=body)


def track_id(world: World, locale: str = "en") -> int:
    listed = world.api.ok("GET", tracks_url(world), world.teacher)
    return next(t["id"] for t in listed if t["locale"] == locale)


def versions(world: World, tid: int, query: str = "", who: Person | None = None) -> Any:
    url = f"{tracks_url(world)}/{tid}/versions{query}"
    return world.api.request("GET", url, who or world.teacher)


def served(world: World, tid: int) -> str:
    url = f"/media_objects/{world.media_id}/media_tracks/{tid}"
    return world.api.request("GET", url, world.teacher).text


# ---- history ---------------------------------------------------------------------------------


def test_every_write_is_a_version_newest_first_with_who_and_how(world: World) -> None:
    assert put(world, [{"locale": "en", "content": srt("one")}]).status_code == 200
    tid = track_id(world)
    form = {"locale": "en", "content": srt("two")}
    world.api.ok("POST", f"/media_objects/{world.media_id}/media_tracks", world.teacher, data=form)
    assert put(world, [{"locale": "en", "content": srt("three")}]).status_code == 200

    listed = versions(world, tid, "?include[]=content")
    assert listed.status_code == 200
    body = listed.json()
    assert [v["content"] for v in body] == [srt("three"), srt("two"), srt("one")]
    assert [v["reason"] for v in body] == ["api", "create", "api"]
    assert {v["user_id"] for v in body} == {world.teacher.id}
    assert set(body[0]) == {"id", "created_at", "user_id", "reason", "content"}
    assert body[0]["id"] > body[1]["id"] > body[2]["id"]
    # Without include[] no caption text is sent.
    assert set(versions(world, tid).json()[0]) == {"id", "created_at", "user_id", "reason"}


def test_writing_back_the_same_content_adds_no_version(world: World) -> None:
    put(world, [{"locale": "en", "content": srt("one")}, {"locale": "fr", "content": srt("un")}])
    # A client that sends every track back on each save, having changed only French.
    put(world, [{"locale": "en", "content": srt("one")}, {"locale": "fr", "content": srt("deux")}])
    assert len(versions(world, track_id(world, "en")).json()) == 1
    assert len(versions(world, track_id(world, "fr")).json()) == 2


@pytest.mark.parametrize(
    "query",
    ["?include[]=content", "?include=content", '?include=["content"]', "?include[0]=content"],
)
def test_include_content_is_read_in_every_array_encoding(world: World, query: str) -> None:
    put(world, [{"locale": "en", "content": srt("one")}])
    body = versions(world, track_id(world), query).json()
    assert body[0]["content"] == srt("one")


def test_versions_are_paginated_with_canvas_links(world: World) -> None:
    for n in range(5):
        put(world, [{"locale": "en", "content": srt(f"take {n}")}])
    tid = track_id(world)
    first = versions(world, tid, "?per_page=2&include[]=content")
    assert [v["content"] for v in first.json()] == [srt("take 4"), srt("take 3")]
    link = first.headers["link"]
    assert 'rel="next"' in link and "page=2&per_page=2" in link and 'rel="last"' in link
    assert "page=3&per_page=2" in link
    last = versions(world, tid, "?per_page=2&page=3&include[]=content")
    assert [v["content"] for v in last.json()] == [srt("take 0")]
    assert versions(world, tid, "?page=0").status_code == 404
    # Far past the end (beyond what the database's OFFSET holds): an empty page, as Canvas.
    far = versions(world, tid, "?page=99999999999999999999")
    assert far.status_code == 200 and far.json() == []


def test_a_version_is_restored_through_validation_and_recorded(world: World) -> None:
    put(world, [{"locale": "en", "content": srt("good")}])
    put(world, [{"locale": "en", "content": srt("typo")}])
    tid = track_id(world)
    oldest = versions(world, tid).json()[-1]["id"]
    url = f"{tracks_url(world)}/{tid}/versions/{oldest}/restore"
    restored = world.api.request("POST", url, world.teacher)
    assert restored.status_code == 200
    assert restored.json()["id"] == tid
    assert "good" in served(world, tid)
    body = versions(world, tid, "?include[]=content").json()
    assert [(v["reason"], v["content"]) for v in body] == [
        ("restore", srt("good")),
        ("api", srt("typo")),
        ("api", srt("good")),
    ]


def test_restoring_a_version_of_another_track_or_an_unknown_one_is_404(world: World) -> None:
    put(world, [{"locale": "en", "content": srt("en")}, {"locale": "fr", "content": srt("fr")}])
    en, fr = track_id(world, "en"), track_id(world, "fr")
    fr_version = versions(world, fr).json()[0]["id"]
    for version in (fr_version, 999_999, "abc"):
        url = f"{tracks_url(world)}/{en}/versions/{version}/restore"
        r = world.api.request("POST", url, world.teacher)
        assert r.status_code == 404
        assert r.json()["errors"]
    assert "en" in served(world, en)


def test_a_restored_version_that_fails_todays_validation_is_422(world: World) -> None:
    put(world, [{"locale": "en", "content": srt("fine")}])
    tid = track_id(world)
    # A version stored leniently long ago (Canvas import) that strict validation refuses.
    with world.api.ctx.write() as session:
        from mediaobjects.media_tracks.models import TrackVersion

        legacy = TrackVersion(
            track_id=tid,
            media_object_id=versions_media_object_id(world),
            locale="en",
            kind="subtitles",
            content="WEBVTT garbage\n\nnot a cue",
            reason="initial",
        )
        session.add(legacy)
        session.flush()
        legacy_id = legacy.id
    r = world.api.request(
        "POST", f"{tracks_url(world)}/{tid}/versions/{legacy_id}/restore", world.teacher
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "content"
    assert "fine" in served(world, tid)


def versions_media_object_id(world: World) -> int:
    listed = world.api.ok("GET", tracks_url(world), world.teacher)
    return int(listed[0]["media_object_id"])


# ---- rights ----------------------------------------------------------------------------------


def test_rights_are_those_of_writing_the_track(world: World) -> None:
    put(world, [{"locale": "en", "content": srt("one")}])
    tid = track_id(world)
    version = versions(world, tid).json()[0]["id"]
    list_url = f"{tracks_url(world)}/{tid}/versions"
    restore_url = f"{list_url}/{version}/restore"
    deleted_url = f"/api/v1/media_objects/{world.media_id}/deleted_tracks"
    for method, url in (("GET", list_url), ("POST", restore_url), ("GET", deleted_url)):
        anonymous = world.api.request(method, url)
        assert anonymous.status_code == 401
        assert anonymous.json()["errors"][0]["message"] == "user authorization required"
        for who in (world.student, world.outsider, world.observer):
            refused = world.api.request(method, url, who)
            assert refused.status_code == 403, (method, url, who)
            assert refused.json()["status"] == "unauthorized"
        assert world.api.request(method, url, world.teacher).status_code == 200
    # Unknown media, track or attachment: 404.
    for url in (
        f"/api/v1/media_objects/m-unknown/media_tracks/{tid}/versions",
        f"{tracks_url(world)}/999999/versions",
        f"/api/v1/media_attachments/999999/media_tracks/{tid}/versions",
        "/api/v1/media_objects/m-unknown/deleted_tracks",
    ):
        assert world.api.request("GET", url, world.teacher).status_code == 404


def test_the_attachment_routes_show_the_same_history(world: World) -> None:
    route = f"/api/v1/media_attachments/{world.attachment_id}/media_tracks"
    world.api.ok("PUT", route, world.teacher, json=[{"locale": "en", "content": srt("one")}])
    world.api.ok("PUT", route, world.teacher, json=[{"locale": "en", "content": srt("two")}])
    tid = track_id(world)
    body = world.api.ok("GET", f"{route}/{tid}/versions?include[]=content", world.teacher)
    assert [v["content"] for v in body] == [srt("two"), srt("one")]
    restored = world.api.ok(
        "POST", f"{route}/{tid}/versions/{body[1]['id']}/restore", world.teacher
    )
    assert restored["id"] == tid
    assert "one" in served(world, tid)
    assert world.api.request("GET", f"{route}/{tid}/versions", world.student).status_code == 403


def test_through_a_copy_the_inherited_tracks_history_needs_the_originals_rights(
    world: World, api: Api
) -> None:
    put(world, [{"locale": "en", "content": srt("teacher's")}])
    tid = track_id(world)
    # A student copies the video into their own files: they may write the copy's tracks but
    # not the teacher's.
    student_folder = api.ok("GET", f"/api/v1/users/{world.student.id}/folders/root", world.student)
    copy = api.ok(
        "POST",
        f"/api/v1/folders/{student_folder['id']}/copy_file",
        world.student,
        data={"source_file_id": world.attachment_id},
    )
    route = f"/api/v1/media_attachments/{copy['id']}/media_tracks/{tid}"
    refused = api.request("GET", f"{route}/versions", world.student)
    assert refused.status_code == 403
    assert "original" in refused.json()["errors"][0]["message"]
    assert (
        api.request("POST", f"{route}/retime", world.student, json={"offset_ms": 1}).status_code
        == 403
    )
    assert "teacher's" in served(world, tid)


# ---- deleted tracks --------------------------------------------------------------------------


def deleted(world: World, who: Person | None = None) -> Any:
    url = f"/api/v1/media_objects/{world.media_id}/deleted_tracks"
    return world.api.request("GET", url, who or world.teacher)


def test_a_put_that_drops_a_locale_can_be_undone(world: World) -> None:
    put(world, [{"locale": "en", "content": srt("en 1")}, {"locale": "fr", "content": srt("fr")}])
    put(world, [{"locale": "en", "content": srt("en 2")}, {"locale": "fr"}])
    fr = track_id(world, "fr")
    fr_versions = [v["id"] for v in versions(world, fr).json()]
    # The mistaken PUT: French omitted.
    assert put(world, [{"locale": "en"}]).status_code == 200
    assert [t["locale"] for t in world.api.ok("GET", tracks_url(world), world.teacher)] == ["en"]
    assert versions(world, fr).status_code == 404

    listed = deleted(world).json()
    assert len(listed) == 1
    gone = listed[0]
    assert (gone["id"], gone["locale"], gone["kind"]) == (fr, "fr", "subtitles")
    assert gone["deleted_by"] == world.teacher.id
    assert gone["version_ids"] == fr_versions
    deleted_at = datetime.fromisoformat(gone["deleted_at"].replace("Z", "+00:00"))
    assert abs(deleted_at - datetime.now(UTC)) < timedelta(minutes=5)

    restored = world.api.request(
        "POST",
        f"/api/v1/media_objects/{world.media_id}/deleted_tracks/{fr}/restore",
        world.teacher,
    )
    assert restored.status_code == 200
    new_id = restored.json()["id"]
    assert restored.json()["locale"] == "fr"
    assert "fr" in served(world, new_id)
    assert deleted(world).json() == []
    # The history came back with it, plus the restore.
    history = versions(world, new_id).json()
    assert [v["reason"] for v in history] == ["restore", *(["api"] * len(fr_versions))]


def test_a_deleted_track_is_restored_with_a_chosen_version_and_delete_is_kept_too(
    world: World,
) -> None:
    put(world, [{"locale": "en", "content": srt("first")}])
    put(world, [{"locale": "en", "content": srt("second")}])
    tid = track_id(world)
    url = f"/media_objects/{world.media_id}/media_tracks/{tid}"
    assert world.api.request("DELETE", url, world.teacher).status_code == 200
    gone = deleted(world).json()[0]
    oldest = gone["version_ids"][-1]
    restored = world.api.ok(
        "POST",
        f"/api/v1/media_objects/{world.media_id}/deleted_tracks/{tid}/versions/{oldest}/restore",
        world.teacher,
    )
    assert "first" in served(world, restored["id"])


def test_restoring_a_deleted_track_whose_locale_exists_again_is_422(world: World) -> None:
    put(world, [{"locale": "en", "content": srt("old")}])
    old = track_id(world)
    put(world, [])
    put(world, [{"locale": "en", "content": srt("new")}])
    r = world.api.request(
        "POST",
        f"/api/v1/media_objects/{world.media_id}/deleted_tracks/{old}/restore",
        world.teacher,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["error_code"] == "taken"
    assert "new" in served(world, track_id(world))


def test_deleted_tracks_rights_and_unknown_ids(world: World) -> None:
    put(world, [{"locale": "en", "content": srt("x")}, {"locale": "fr", "content": srt("y")}])
    tid = track_id(world)
    fr_version = versions(world, track_id(world, "fr")).json()[0]["id"]
    put(world, [{"locale": "fr"}])
    url = f"/api/v1/media_objects/{world.media_id}/deleted_tracks/{tid}/restore"
    assert world.api.request("POST", url).status_code == 401
    assert world.api.request("POST", url, world.student).status_code == 403
    assert deleted(world, world.student).status_code == 403
    unknown = f"/api/v1/media_objects/{world.media_id}/deleted_tracks/999999/restore"
    assert world.api.request("POST", unknown, world.teacher).status_code == 404
    # A version of another (live) track is not one of this deleted track's.
    wrong = f"/api/v1/media_objects/{world.media_id}/deleted_tracks/{tid}/versions/{fr_version}"
    assert world.api.request("POST", f"{wrong}/restore", world.teacher).status_code == 404
    assert [d["id"] for d in deleted(world).json()] == [tid]


def test_the_attachment_route_lists_and_restores_its_deleted_tracks(world: World) -> None:
    route = f"/api/v1/media_attachments/{world.attachment_id}"
    world.api.ok(
        "PUT", f"{route}/media_tracks", world.teacher, json=[{"locale": "de", "content": srt("de")}]
    )
    tid = track_id(world, "de")
    world.api.ok("PUT", f"{route}/media_tracks", world.teacher, json=[])
    listed = world.api.ok("GET", f"{route}/deleted_tracks", world.teacher)
    assert [d["id"] for d in listed] == [tid]
    restored = world.api.ok("POST", f"{route}/deleted_tracks/{tid}/restore", world.teacher)
    assert restored["locale"] == "de"
    version = versions(world, restored["id"]).json()[-1]["id"]
    world.api.ok("PUT", f"{route}/media_tracks", world.teacher, json=[])
    world.api.ok(
        "POST", f"{route}/deleted_tracks/{restored['id']}/versions/{version}/restore", world.teacher
    )
    assert world.api.ok("GET", f"{route}/deleted_tracks", world.teacher) == []


def test_deleted_tracks_expire_after_the_retention_period(world: World, ctx: AppContext) -> None:
    put(world, [{"locale": "en", "content": srt("en")}])
    tid = track_id(world)
    put(world, [])
    clock = Clock(datetime.now(UTC).timestamp())
    chore = expired_versions_chore(
        ctx.write,
        ctx.settings.track_version_retention_days,
        lambda: datetime.fromtimestamp(clock(), UTC),
    )
    clock.advance(29 * 86400)
    assert chore() == 0
    assert [d["id"] for d in deleted(world).json()] == [tid]
    clock.advance(2 * 86400)
    assert chore() == 1
    assert deleted(world).json() == []
    url = f"/api/v1/media_objects/{world.media_id}/deleted_tracks/{tid}/restore"
    assert world.api.request("POST", url, world.teacher).status_code == 404


def test_versions_of_live_tracks_never_expire(world: World, ctx: AppContext) -> None:
    put(world, [{"locale": "en", "content": srt("one")}])
    put(world, [{"locale": "en", "content": srt("two")}])
    far = datetime.now(UTC) + timedelta(days=3650)
    assert expired_versions_chore(ctx.write, 30, lambda: far)() == 0
    assert len(versions(world, track_id(world)).json()) == 2


# ---- concurrency -----------------------------------------------------------------------------


def test_concurrent_writers_lose_no_version(world: World) -> None:
    put(world, [{"locale": "en", "content": srt("start")}])
    tid = track_id(world)
    writers = 8
    barrier = threading.Barrier(writers)

    def write(n: int) -> int:
        barrier.wait(timeout=60)
        return put(world, [{"locale": "en", "content": srt(f"writer {n}")}]).status_code

    with ThreadPoolExecutor(writers) as pool:
        codes = list(pool.map(write, range(writers)))
    assert codes == [200] * writers
    body = versions(world, tid, "?per_page=100&include[]=content").json()
    contents = [v["content"] for v in body]
    assert sorted(contents[:-1]) == sorted(srt(f"writer {n}") for n in range(writers))
    assert contents[-1] == srt("start")
    # The newest version is what the track holds now.
    assert served(world, tid).endswith(contents[0].split("\n")[2])


# ---- tracks older than versions --------------------------------------------------------------


def test_tracks_stored_before_versions_existed_start_with_their_content(
    world: World, ctx: AppContext
) -> None:
    from alembic import command

    from mediaobjects.db.migrate import alembic_config

    put(world, [{"locale": "en", "content": srt("from before")}])
    tid = track_id(world)
    # Back to the schema without versions and forward again: the migration's backfill.
    with ctx.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0001")
    with ctx.engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    body = versions(world, tid, "?include[]=content").json()
    assert [(v["reason"], v["content"], v["user_id"]) for v in body] == [
        ("initial", srt("from before"), world.teacher.id)
    ]
    put(world, [{"locale": "en", "content": srt("after")}])
    assert [v["reason"] for v in versions(world, tid).json()] == ["api", "initial"]


def test_a_track_stored_without_versions_keeps_its_content_on_the_next_write(
    world: World, ctx: AppContext
) -> None:
    from sqlalchemy import delete

    from mediaobjects.media_tracks.models import TrackVersion

    put(world, [{"locale": "en", "content": srt("imported")}])
    tid = track_id(world)
    with ctx.write() as session:
        session.execute(delete(TrackVersion))
    put(world, [{"locale": "en", "content": srt("edited")}])
    body = versions(world, tid, "?include[]=content").json()
    assert [(v["reason"], v["content"]) for v in body] == [
        ("api", srt("edited")),
        ("initial", srt("imported")),
    ]


def test_consuming_jobs_runs_the_expiry_chore(world: World, ctx: AppContext) -> None:
    import time

    from sqlalchemy import func, select, update

    from mediaobjects.media_tracks.models import TrackVersion

    put(world, [{"locale": "en", "content": srt("en")}, {"locale": "fr", "content": srt("fr")}])
    put(world, [{"locale": "fr"}])
    long_ago = datetime.now(UTC) - timedelta(days=31)
    with ctx.write() as session:
        session.execute(
            update(TrackVersion)
            .where(TrackVersion.deleted_at.is_not(None))
            .values(deleted_at=long_ago)
        )

    def left() -> int:
        with ctx.read() as session:
            return int(session.scalar(select(func.count()).select_from(TrackVersion)) or 0)

    assert left() == 2
    assert ctx.jobs is not None
    ctx.jobs.start_in_process(1)
    try:
        deadline = time.monotonic() + 30
        while left() != 1 and time.monotonic() < deadline:
            time.sleep(0.05)  # polling for the evidence, with a generous deadline
    finally:
        ctx.jobs.stop()
    assert left() == 1
    assert [t["locale"] for t in world.api.ok("GET", tracks_url(world), world.teacher)] == ["fr"]


def test_a_track_made_after_the_newest_was_deleted_has_its_own_history(world: World) -> None:
    # SQLite hands out the id of a deleted newest row again unless told not to; versions are
    # keyed by track id and outlive the track, so the two histories would mix.
    put(world, [{"locale": "en", "content": srt("en")}, {"locale": "fr", "content": srt("fr")}])
    fr = track_id(world, "fr")
    put(world, [{"locale": "en"}])
    put(world, [{"locale": "en"}, {"locale": "de", "content": srt("de")}])
    de = track_id(world, "de")
    assert de != fr
    assert [v["content"] for v in versions(world, de, "?include[]=content").json()] == [srt("de")]
    assert [d["id"] for d in deleted(world).json()] == [fr]
