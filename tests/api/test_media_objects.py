"""The media object routes over HTTP: listing (scope, sort, search, pagination and Link),
retitle, register and info — Canvas cases of canvas-media-api.md §4 by number, adapted where
decisions.md differs (the decision is named)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select, update

from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_objects.sorting import display_title_key
from tests.support.api import Api, Person
from tests.support.media import fake_mp4
from tests.support.world import World, build_world


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


def set_titles(api: Api, media_id: str, title: str | None, user_title: str | None = None) -> None:
    with api.ctx.write() as session:
        session.execute(
            update(MediaObject)
            .where(MediaObject.media_id == media_id)
            .values(
                title=title,
                user_entered_title=user_title,
                title_sort_key=display_title_key(user_title, title),
            )
        )


def upload_mine(api: Api, who: Person, name: str) -> str:
    return str(api.upload("users/self", who, name, fake_mp4())["media_entry_id"])


# ---- list: shape and scope ------------------------------------------------------------------------


def test_case_62_user_media_objects_shape(api: Api) -> None:
    me = api.user()
    untitled = upload_mine(api, me, "a.mp4")
    set_titles(api, untitled, None)
    titled = upload_mine(api, me, "b.mp3")
    set_titles(api, titled, "The Title")
    renamed = upload_mine(api, me, "c.mp4")
    set_titles(api, renamed, None, "User Title")
    body = api.ok("GET", "/api/v1/media_objects", me)
    assert [o["title"] for o in body] == ["The Title", "User Title", "Untitled"]
    for obj in body:
        assert obj["can_add_captions"] is True
        assert obj["media_tracks"] == []
        assert (
            obj["embedded_iframe_url"].split("?verifier=")[0]
            == f"http://testserver/media_objects_iframe/{obj['media_id']}"
        )
        assert obj["created_at"].endswith("Z")
        # Nothing is transcoded yet (no worker runs in these tests): no sources.
        assert obj["media_sources"] == []
        assert obj["processing_state"] == "pending" and obj["processing_error"] is None
    # D14: user_entered_title is emitted beside title.
    assert body[1]["user_entered_title"] == "User Title"


def test_case_63_other_users_media_is_not_listed(api: Api) -> None:
    alice, bob = api.user(), api.user()
    upload_mine(api, alice, "a.mp4")
    assert api.ok("GET", "/api/v1/media_objects", bob) == []


def test_case_64_65_exclude_sources_and_tracks(api: Api) -> None:
    me = api.user()
    upload_mine(api, me, "a.mp4")
    no_sources = api.ok("GET", "/api/v1/media_objects?exclude[]=sources", me)[0]
    assert "media_sources" not in no_sources and "media_tracks" in no_sources
    no_tracks = api.ok("GET", "/api/v1/media_objects?exclude%5B%5D=tracks", me)[0]
    assert "media_tracks" not in no_tracks and "media_sources" in no_tracks
    # D6: the other encodings real clients send.
    neither = api.ok("GET", "/api/v1/media_objects?exclude=sources,tracks", me)[0]
    assert "media_tracks" not in neither and "media_sources" not in neither
    repeated = api.ok("GET", "/api/v1/media_objects?exclude=sources&exclude=tracks", me)[0]
    assert "media_tracks" not in repeated and "media_sources" not in repeated


def test_case_66_course_media_regardless_of_creator(world: World) -> None:
    api = world.api
    api.upload(f"courses/{world.course}", world.ta, "second.mp4", fake_mp4())
    body = api.ok(
        "GET",
        f"/api/v1/courses/{world.course}/media_objects?exclude[]=sources&exclude[]=tracks",
        world.designer,
    )
    assert len(body) == 2


def test_case_67_68_pagination(world: World) -> None:
    api = world.api
    for name in ("b.mp4", "c.mp4"):
        api.upload(f"courses/{world.course}", world.teacher, name, fake_mp4())
    url = f"/api/v1/courses/{world.course}/media_objects?per_page=2"
    first = api.request("GET", url, world.student)
    assert [o["title"] for o in first.json()] == ["b.mp4", "c.mp4"]
    second = api.ok("GET", url + "&page=2", world.student)
    assert [o["title"] for o in second] == ["Lecture 1.mp4"]
    assert api.ok("GET", url + "&page=3", world.student) == []


def test_case_69_unknown_course_is_404(world: World) -> None:
    r = world.api.request("GET", "/api/v1/courses/171717/media_objects", world.teacher)
    assert r.status_code == 404


def test_case_70_user_list_excludes_course_media(world: World) -> None:
    api = world.api
    upload_mine(api, world.teacher, "BBB.mp4")
    titles = [o["title"] for o in api.ok("GET", "/api/v1/media_objects", world.teacher)]
    assert titles == ["BBB.mp4"]


def test_case_71_group_media_only(world: World) -> None:
    api = world.api
    group = api.group(world.course, world.student)
    api.upload(f"groups/{group}", world.student, "group.mp4", fake_mp4())
    upload_mine(api, world.student, "mine.mp4")
    titles = [
        o["title"] for o in api.ok("GET", f"/api/v1/groups/{group}/media_objects", world.student)
    ]
    assert titles == ["group.mp4"]


def test_case_72_73_sorting(api: Api) -> None:
    me = api.user()
    for name in ("ZZZ", "YYY", "XXX"):
        upload_mine(api, me, name + ".mp4")
    asc = api.ok("GET", "/api/v1/media_objects?sort=title&order=asc", me)
    assert [o["title"] for o in asc] == ["XXX.mp4", "YYY.mp4", "ZZZ.mp4"]
    newest = api.ok("GET", "/api/v1/media_objects?sort=created_at&order=desc", me)
    assert [o["title"] for o in newest] == ["XXX.mp4", "YYY.mp4", "ZZZ.mp4"]
    oldest = api.ok("GET", "/api/v1/media_objects?sort=created_atasc", me)
    assert [o["title"] for o in oldest] == ["ZZZ.mp4", "YYY.mp4", "XXX.mp4"]


def test_title_sort_is_natural_and_case_insensitive(api: Api) -> None:
    me = api.user()
    for name in ("Lecture 10", "lecture 2", "Lecture 1", "apple"):
        upload_mine(api, me, name)
    body = api.ok("GET", "/api/v1/media_objects?per_page=100", me)
    assert [o["title"] for o in body] == ["apple", "Lecture 1", "lecture 2", "Lecture 10"]


def test_case_74_75_search_and_sort_by_displayed_title(api: Api) -> None:
    me = api.user()
    ids = {name: upload_mine(api, me, name) for name in ("AAA", "YYY", "CCC")}
    set_titles(api, ids["AAA"], "AAA", "ZZZ")
    set_titles(api, ids["CCC"], "CCC", "XXX")
    sorted_titles = [o["title"] for o in api.ok("GET", "/api/v1/media_objects?sort=title", me)]
    assert sorted_titles == ["XXX", "YYY", "ZZZ"]
    # D10: the search looks at the displayed title, so the renamed object is found by its new name.
    assert [o["title"] for o in api.ok("GET", "/api/v1/media_objects?search_term=zz", me)] == [
        "ZZZ"
    ]
    assert api.ok("GET", "/api/v1/media_objects?search_term=yy", me)[0]["title"] == "YYY"


def test_case_76_media_attachments_route_is_the_same_list(world: World) -> None:
    api = world.api
    a = api.ok("GET", f"/api/v1/courses/{world.course}/media_objects", world.student)
    b = api.ok("GET", f"/api/v1/courses/{world.course}/media_attachments", world.student)
    assert [o["media_id"] for o in a] == [o["media_id"] for o in b]


def test_case_77_short_search_term_is_400(api: Api) -> None:
    me = api.user()
    r = api.request("GET", "/api/v1/media_objects?search_term=Y", me)
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "search_term"
    assert r.json()["errors"][0]["message"] == "2 or more characters is required"


def test_case_78_anonymous_list_is_401(api: Api) -> None:
    assert api.client.get("/api/v1/media_objects").status_code == 401


def test_case_79_link_header_with_d11(api: Api) -> None:
    me = api.user()
    for n in range(25):
        upload_mine(api, me, f"clip {n}.mp4")
    r = api.request("GET", "/api/v1/media_objects?per_page=10&exclude[]=sources&page=2", me)
    link = r.headers["link"]
    rels = re.findall(r'<([^>]+)>; rel="(\w+)"', link)
    assert [rel for _, rel in rels] == ["current", "next", "prev", "first", "last"]
    assert ", " not in link
    urls = dict((rel, url) for url, rel in rels)
    assert urls["last"].startswith("http://testserver/api/v1/media_objects?")
    assert "exclude%5B%5D=sources" in urls["next"]
    assert urls["next"].endswith("page=3&per_page=10")
    assert urls["last"].endswith("page=3&per_page=10")


def test_bad_sort_is_400_and_bad_page_is_404(api: Api) -> None:
    me = api.user()
    r = api.request("GET", "/api/v1/media_objects?sort=bogus", me)
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "sort"
    assert api.request("GET", "/api/v1/media_objects?page=0", me).status_code == 404
    assert api.request("GET", "/api/v1/media_objects?page=x", me).status_code == 404


def test_per_page_is_clamped(api: Api) -> None:
    me = api.user()
    upload_mine(api, me, "a.mp4")
    r = api.request("GET", "/api/v1/media_objects?per_page=1000", me)
    assert "per_page=100" in r.headers["link"]


def test_unrelated_user_cannot_list_course_media(world: World) -> None:
    r = world.api.request("GET", f"/api/v1/courses/{world.course}/media_objects", world.outsider)
    assert r.status_code == 403


def test_deleted_media_is_not_listed_d16(world: World) -> None:
    api = world.api
    with api.ctx.write() as session:
        session.execute(update(MediaObject).values(workflow_state="deleted"))
    assert api.ok("GET", f"/api/v1/courses/{world.course}/media_objects", world.teacher) == []
    r = api.request("GET", f"/media_objects/{world.media_id}/info", world.teacher)
    assert r.status_code == 404


def test_string_ids_d17(world: World) -> None:
    api = world.api
    api.ok(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        json=[{"locale": "en", "content": "1\n00:00:01,000 --> 00:00:02,000\nHi\n"}],
    )
    accept = {"Accept": "application/json+canvas-string-ids"}
    tracks = api.request(
        "GET", f"/api/v1/media_objects/{world.media_id}/media_tracks", world.teacher, headers=accept
    ).json()
    assert isinstance(tracks[0]["id"], str)
    assert tracks[0]["media_object_id"].isdigit() and tracks[0]["user_id"] == str(world.teacher.id)
    listed = api.request(
        "GET", f"/api/v1/courses/{world.course}/media_objects", world.teacher, headers=accept
    ).json()
    assert isinstance(listed[0]["media_tracks"][0]["id"], str)
    plain = api.ok("GET", f"/api/v1/media_objects/{world.media_id}/media_tracks", world.teacher)
    assert isinstance(plain[0]["id"], int)


# ---- retitle --------------------------------------------------------------------------------------


def test_case_83_retitle_unknown_media_is_404_d3(world: World) -> None:
    r = world.api.request(
        "PUT", "/api/v1/media_objects/0_nothere?user_entered_title=x", world.teacher
    )
    assert r.status_code == 404
    assert (
        world.api.client.put("/api/v1/media_objects/0_nothere?user_entered_title=x").status_code
        == 401
    )


def test_case_84_retitle_by_someone_else_is_403(world: World) -> None:
    r = world.api.request(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}",
        world.student,
        data={"user_entered_title": "mine now"},
    )
    assert r.status_code == 403
    assert r.json()["status"] == "unauthorized"


def test_case_85_retitle_logged_out_is_401(world: World) -> None:
    r = world.api.client.put(
        f"/api/v1/media_objects/{world.media_id}", data={"user_entered_title": "x"}
    )
    assert r.status_code == 401


@pytest.mark.parametrize("how", ["query", "form", "json"])
def test_case_86_owner_retitles_any_encoding(world: World, how: str) -> None:
    api = world.api
    url = f"/api/v1/media_objects/{world.media_id}"
    if how == "query":
        r = api.request("PUT", url + "?user_entered_title=new%20title", world.teacher, json={})
    elif how == "form":
        r = api.request("PUT", url, world.teacher, data={"user_entered_title": "new title"})
    else:
        r = api.request("PUT", url, world.teacher, json={"user_entered_title": "new title"})
    assert r.status_code == 200
    body = r.json()
    assert body["title"] == "new title"
    assert "media_sources" not in body and "media_tracks" not in body


def test_d12_colleague_teacher_may_retitle(world: World) -> None:
    r = world.api.request(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}",
        world.ta,
        data={"user_entered_title": "By the TA"},
    )
    assert r.status_code == 200
    assert r.json()["title"] == "By the TA"


def test_case_87_retitle_through_attachment(world: World) -> None:
    api = world.api
    url = f"/api/v1/media_attachments/{world.attachment_id}"
    assert (
        api.request("PUT", url, world.outsider, data={"user_entered_title": "x"}).status_code == 403
    )
    r = api.request("PUT", url, world.designer, data={"user_entered_title": "Renamed"})
    assert r.status_code == 200
    assert (
        r.json()["embedded_iframe_url"]
        .split("?")[0]
        .endswith(f"/media_objects_iframe/{world.media_id}")
    )
    info = api.ok("GET", f"/media_objects/{world.media_id}/info", world.student)
    assert info["title"] == "Renamed"


def test_case_88_blank_title_is_400_with_canvas_body(world: World) -> None:
    r = world.api.request(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}",
        world.teacher,
        data={"user_entered_title": "  "},
    )
    assert r.status_code == 400
    assert r.json() == {"message": "The user_entered_title parameter must have a value"}
    missing = world.api.request("PUT", f"/api/v1/media_objects/{world.media_id}", world.teacher)
    assert missing.status_code == 400


def test_case_91_titles_are_truncated(world: World) -> None:
    r = world.api.request(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}",
        world.teacher,
        json={"user_entered_title": "x" * 300},
    )
    assert r.json()["title"] == "x" * 252 + "..."


# ---- register -------------------------------------------------------------------------------------


def register(api: Api, who: Person, **body: Any) -> Any:
    return api.request("POST", "/api/v1/media_objects", who, json=body)


def test_case_90_92_93_register_new(world: World) -> None:
    api = world.api
    r = register(
        api,
        world.student,
        id="0_abcdefgh",
        type="video",
        context_code=f"user_{world.student.id}",
        title="My recording",
    )
    assert r.status_code == 200
    body = r.json()
    mo = body["media_object"]
    assert mo["media_id"] == "0_abcdefgh"
    assert mo["title"] == "My recording"
    assert mo["media_type"] == "video"
    assert mo["user_id"] == world.student.id
    assert isinstance(mo["uuid"], str) and mo["uuid"]
    assert (
        body["embedded_iframe_url"]
        .split("?")[0]
        .endswith(f"/media_attachments_iframe/{mo['attachment_id']}")
    )
    info = api.ok("GET", "/media_objects/0_abcdefgh/info", world.student)
    assert info["title"] == "My recording"
    assert info["media_sources"] == []


def test_case_89_reregistering_updates_without_new_row(world: World) -> None:
    api = world.api
    code = f"user_{world.teacher.id}"
    register(api, world.teacher, id="0_x1", type="audio", context_code=code, title="original title")
    r = register(api, world.teacher, id="0_x1", type="audio", context_code=code, title="new title")
    assert r.status_code == 200
    assert r.json()["media_object"]["title"] == "new title"
    with api.ctx.read() as session:
        assert (
            len(list(session.scalars(select(MediaObject).where(MediaObject.media_id == "0_x1"))))
            == 1
        )


def test_d15_reregistering_someone_elses_media_is_403(world: World) -> None:
    api = world.api
    r = register(
        api,
        world.student,
        id=world.media_id,
        type="video",
        context_code=f"course_{world.course}",
        title="stolen",
    )
    assert r.status_code == 403
    with api.ctx.read() as session:
        mo = session.scalars(
            select(MediaObject).where(MediaObject.media_id == world.media_id)
        ).one()
    assert mo.user_id == world.teacher.id and mo.title == "Lecture 1.mp4"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "video", "context_code": "course_1"}, "id"),
        ({"id": "0_a", "context_code": "course_1"}, "type"),
        ({"id": "0_a", "type": "video"}, "context_code"),
        ({"id": "bad id!", "type": "video", "context_code": "course_1"}, "id"),
        ({"id": ".", "type": "video", "context_code": "course_1"}, "id"),
        ({"id": "..", "type": "video", "context_code": "course_1"}, "id"),
        ({"id": "0_a", "type": "text/html", "context_code": "course_1"}, "type"),
        ({"id": "0_a", "type": "video", "context_code": "planet_1"}, "context_code"),
        ({"id": "0_a", "type": "video", "context_code": "course_99999"}, "context_code"),
    ],
)
def test_register_rejections_name_the_field_d6(
    world: World, body: dict[str, str], field: str
) -> None:
    r = register(world.api, world.teacher, **body)
    assert r.status_code == 400
    assert field in [e["field"] for e in r.json()["errors"]]
    with world.api.ctx.read() as session:
        assert (
            session.scalars(
                select(MediaObject).where(MediaObject.media_id == body.get("id", "0_a"))
            ).first()
            is None
        )


def test_register_in_a_course_one_cannot_read_is_403(world: World) -> None:
    r = register(
        world.api, world.outsider, id="0_b", type="video", context_code=f"course_{world.course}"
    )
    assert r.status_code == 403


def test_register_through_media_attachments_route(world: World) -> None:
    r = world.api.request(
        "POST",
        "/api/v1/media_attachments",
        world.teacher,
        data={"id": "0_form", "type": "audio", "context_code": f"course_{world.course}"},
    )
    assert r.status_code == 200
    assert r.json()["media_object"]["media_type"] == "audio"


# ---- info -----------------------------------------------------------------------------------------


def test_case_81_info_json(world: World) -> None:
    body = world.api.ok("GET", f"/media_objects/{world.media_id}/info", world.student)
    assert body["media_id"] == world.media_id
    assert body["can_add_captions"] is False
    assert body["title"] == "Lecture 1.mp4"
    assert body["media_type"] == "video"
    assert body["media_tracks"] == []


def test_case_82_attachment_info_access(world: World) -> None:
    api = world.api
    url = f"/media_attachments/{world.attachment_id}/info"
    assert api.request("GET", url, world.student).status_code == 200
    assert api.request("GET", url, world.outsider).status_code == 403
    assert api.client.get(url).status_code == 401


def test_info_of_unknown_media_d3(world: World) -> None:
    assert world.api.request("GET", "/media_objects/0_nope/info", world.teacher).status_code == 404
    assert world.api.client.get("/media_objects/0_nope/info").status_code == 401
    assert world.api.request("GET", "/media_attachments/abc/info", world.teacher).status_code == 404


def test_info_with_access_token_query(world: World) -> None:
    r = world.api.client.get(
        f"/media_objects/{world.media_id}/info?access_token={world.student.token}"
    )
    assert r.status_code == 200


def test_case_100_attachment_serializer_rights(world: World) -> None:
    api = world.api
    teacher_view = api.ok("GET", f"/media_attachments/{world.attachment_id}/info", world.teacher)
    assert teacher_view["can_add_captions"] is True
    assert (
        teacher_view["embedded_iframe_url"]
        .split("?")[0]
        .endswith(f"/media_attachments_iframe/{world.attachment_id}")
    )
    student_view = api.ok("GET", f"/media_attachments/{world.attachment_id}/info", world.student)
    assert student_view["can_add_captions"] is False
