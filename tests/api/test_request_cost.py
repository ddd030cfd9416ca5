"""How many SQL statements the hot read paths send, for a course page with an embedded video
(player page, sources, tracks, info, lists, users/self). Each count is what the data needs;
a change that adds a round trip fails here. "Cold": the caller's token was not seen in the
last few seconds; "warm": it was (the principal cache), and signed URLs were just delivered
(the delivery cache) — the usual case while a class opens the same page.

Also the caches' promises: revocation through the API and writes in this process take effect
at once; what another process changes is seen within the time-to-live."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import update
from sqlalchemy.orm import sessionmaker

from mediaobjects.accounts.models import AccessToken
from mediaobjects.accounts.principal_cache import PrincipalCache
from mediaobjects.context import AppContext
from mediaobjects.delivery_cache import DeliveryCache
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks.models import MediaTrack
from tests.support.api import Api
from tests.support.clips import make_video
from tests.support.clock import Clock
from tests.support.statements import counting
from tests.support.world import World, build_world

SRT = "1\n00:00:00,000 --> 00:00:00,900\nHello there\n"
PAGE = 10


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=1, size="160x120")


@pytest.fixture
def world(api: Api, clip: Path) -> World:
    """A course page: a transcoded lecture with an English track, among ten media files."""
    world = build_world(api)
    lecture = api.upload(
        f"courses/{world.course}", world.teacher, "Lecture.mp4", clip.read_bytes(), "video/mp4"
    )
    api.ok(
        "PUT",
        f"/api/v1/media_objects/{lecture['media_entry_id']}/media_tracks",
        world.teacher,
        json=[{"locale": "en", "content": SRT}],
    )
    for n in range(PAGE - 2):  # with build_world's own file: ten media files in the course
        api.upload(
            f"courses/{world.course}", world.teacher, f"Clip {n}.mp4", b"\0" * 64, "video/mp4"
        )
    api.ctx.jobs.run_pending_now()
    world.file = lecture
    return world


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _info(world: World) -> dict[str, Any]:
    return dict(world.api.ok("GET", f"/media_objects/{world.media_id}/info", world.student))


def _count(world: World, path: str, who: Any, *, warm: bool) -> int:
    api = world.api
    # Once before, so that the token's last-used time (a write once in ten minutes) is fresh.
    assert api.request("GET", path, who).status_code == 200
    if not warm:
        api.ctx.principals.clear()
        api.ctx.deliveries.clear()
    with counting(api.ctx.engine) as statements:
        response = api.request("GET", path, who)
    assert response.status_code == 200, (path, response.status_code, response.text)
    print(f"{path}: {statements.count}\n{statements}")
    return statements.count


# (cold, warm) statement counts of each hot path, for a student of the course.
#   token + user + site-admin flag: 1 query, none within the principal cache's TTL;
#   media object with its default file (which read access follows): 1;
#   the caller's roles in the course: 1; tracks: 1; sources: 1.
STUDENT_PATHS = {
    "users/self": (lambda w: "/api/v1/users/self", 1, 0),
    "info": (lambda w: f"/media_objects/{w.media_id}/info", 5, 4),
    "attachment info": (lambda w: f"/media_attachments/{w.attachment_id}/info", 5, 4),
    "track list": (lambda w: f"/api/v1/media_objects/{w.media_id}/media_tracks", 4, 3),
    "player page": (lambda w: f"/media_objects_iframe/{w.media_id}", 5, 4),
    "attachment player page": (lambda w: f"/media_attachments_iframe/{w.attachment_id}", 5, 4),
    # the course with the caller's roles in it; the page (ids chosen over the narrow sort
    # keys, with the total) with its media objects and their files; their tracks; sources
    "list page of ten": (
        lambda w: f"/api/v1/courses/{w.course}/media_objects?per_page={PAGE}",
        5,
        4,
    ),
}


@pytest.mark.parametrize("name", STUDENT_PATHS)
def test_hot_paths_make_the_round_trips_their_data_needs(world: World, name: str) -> None:
    path_of, cold, warm = STUDENT_PATHS[name]
    path = path_of(world)
    assert (
        _count(world, path, world.student, warm=False),
        _count(world, path, world.student, warm=True),
    ) == (cold, warm)


def test_the_embedded_player_page_needs_three_queries_and_no_token(world: World) -> None:
    # media object, sources, tracks: what the page shows.
    page = _path(_info(world)["embedded_iframe_url"])
    assert _count(world, page, None, warm=False) == 3
    assert _count(world, page, None, warm=True) == 3


def test_signed_sources_and_tracks_need_no_database_while_a_class_watches(world: World) -> None:
    info = _info(world)
    source = _path(info["media_sources"][0]["url"])
    track = _path(info["media_tracks"][0]["url"])
    # The first request reads what the URL delivers (source with its media object; media
    # object and track); every later one within the TTL, with or without a token, reads none.
    assert _count(world, source, None, warm=False) == 1
    assert _count(world, track, None, warm=False) == 2
    for who in (None, world.student, world.outsider):
        assert _count(world, source, who, warm=True) == 0
        assert _count(world, track, who, warm=True) == 0


def test_a_valid_verifier_is_enough_even_beside_a_bad_token(world: World) -> None:
    track = _path(_info(world)["media_tracks"][0]["url"])
    bad = {"Authorization": "Bearer 1~not-a-token"}
    world.api.ctx.deliveries.clear()
    for _ in range(2):  # from the database, then from the cache: the same answer
        response = world.api.client.get(track, headers=bad)
        assert response.status_code == 200
        assert "Hello there" in response.text


def test_a_replaced_track_and_a_deleted_media_are_seen_at_once_here(world: World) -> None:
    api = world.api
    info = _info(world)
    track, source = info["media_tracks"][0]["url"], info["media_sources"][0]["url"]
    assert "Hello there" in api.client.get(_path(track)).text
    api.ok(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        json=[{"locale": "en", "content": SRT.replace("Hello there", "Good morning")}],
    )
    fresh = _info(world)["media_tracks"][0]["url"]
    assert "Good morning" in api.client.get(_path(fresh)).text
    assert api.client.head(_path(source)).status_code == 200
    # Media deleted by this process (no route deletes media yet: the pipeline's write).
    with api.ctx.write() as session:
        session.execute(update(MediaObject).values(workflow_state="deleted"))
    assert api.client.head(_path(source)).status_code == 404
    assert api.client.get(_path(fresh)).status_code == 401


def _other_process(ctx: AppContext) -> sessionmaker[Any]:
    """Sessions of "another process": same database, none of this process's cache wiring."""
    return sessionmaker(bind=ctx.engine, expire_on_commit=False)


def test_what_another_process_changes_is_seen_within_the_ttl(world: World) -> None:
    api, ctx = world.api, world.api.ctx
    clock = Clock()
    ctx.deliveries = DeliveryCache(10, clock=clock)
    track = _path(_info(world)["media_tracks"][0]["url"])
    assert "Hello there" in api.client.get(track).text
    with _other_process(ctx).begin() as session:
        session.execute(
            update(MediaTrack).values(webvtt_content="WEBVTT\n\n00:00.000 --> 00:00.900\nChanged\n")
        )
    clock.advance(9)
    assert "Hello there" in api.client.get(track).text  # remembered, as documented
    clock.advance(1)
    assert "Changed" in api.client.get(track).text


def test_a_token_revoked_through_the_api_stops_at_once(world: World) -> None:
    api = world.api
    created = api.ok(
        "POST",
        f"/api/v1/users/{world.student.id}/tokens",
        world.student,
        data={"token[purpose]": "script"},
    )
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert api.client.get("/api/v1/users/self", headers=headers).status_code == 200
    api.ok("DELETE", f"/api/v1/users/{world.student.id}/tokens/{created['id']}", world.student)
    assert api.client.get("/api/v1/users/self", headers=headers).status_code == 401


def test_a_token_revoked_by_another_process_stops_within_the_ttl(world: World) -> None:
    api, ctx = world.api, world.api.ctx
    clock = Clock()
    ctx.principals = PrincipalCache(10, clock=clock)
    assert api.request("GET", "/api/v1/users/self", world.student).status_code == 200
    with _other_process(ctx).begin() as session:
        session.execute(update(AccessToken).values(workflow_state="deleted"))
    clock.advance(9)
    assert api.request("GET", "/api/v1/users/self", world.student).status_code == 200
    clock.advance(1)
    response = api.request("GET", "/api/v1/users/self", world.student)
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "Revoked access token."


def test_without_caches_every_request_asks_the_database(world: World) -> None:
    ctx = world.api.ctx
    ctx.principals = PrincipalCache(0)
    ctx.deliveries = DeliveryCache(0)
    track = _path(_info(world)["media_tracks"][0]["url"])
    assert _count(world, "/api/v1/users/self", world.student, warm=True) == 1
    assert _count(world, track, None, warm=True) == 2
