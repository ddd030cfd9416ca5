"""Home and the library pages over HTTP: sign-in redirect, what each role sees (the same media
the API lists them, caption status badges only for those who may read the caption report),
search, sort, pagination, escaping, the Content-Security-Policy and static file caching."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from mediaobjects.http.session_cookie import COOKIE_NAME, csrf_token_for
from tests.api.test_caption_reports import make_course, report
from tests.support.api import Api, Person
from tests.support.media import fake_mp4
from tests.support.world import build_world

SRT = "1\n00:00:00,000 --> 00:00:02,000\nHello\n"


def page(client: TestClient, url: str, who: Person | None, **kw: object) -> object:
    """GET ``url`` as ``who`` signed in through /login (with their access token: the password
    form is test_sign_in's), or as a visitor."""
    client.cookies.clear()
    if who is not None:
        signed = client.post("/login", data={"access_token": who.token}, follow_redirects=False)
        assert signed.status_code == 303, signed.text
    return client.get(url, follow_redirects=False, **kw)  # type: ignore[arg-type]


def titles(html: str) -> list[str]:
    return [unescape(t) for t in re.findall(r'<h[23] class="card-title"><a [^>]*>(.*?)</a>', html)]


def badges(html: str) -> list[str]:
    return re.findall(r'<p class="badge badge-(\w+)">', html)


@pytest.mark.parametrize(
    "url", ["/", "/courses/1/media", "/groups/1/media", "/users/self/media?sort_by=newest"]
)
def test_a_visitor_who_is_not_signed_in_is_sent_to_login(client: TestClient, url: str) -> None:
    response = page(client, url, None)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert response.headers["location"].endswith(url.replace("?", "%3F").replace("=", "%3D"))


def test_an_unknown_session_in_the_cookie_is_not_signed_in(client: TestClient) -> None:
    client.cookies.set(COOKIE_NAME, "not-a-session")
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303


def test_home_lists_courses_groups_and_own_media(api: Api, client: TestClient) -> None:
    world = build_world(api)
    other = api.course("<b>Other</b> course")
    api.enroll(other, world.student, "student")
    api.group(world.course, world.student)
    api.upload("users/self", world.student, "My essay.mp4", fake_mp4(), "video/mp4")
    response = page(client, "/", world.student)
    assert response.status_code == 200
    html = response.text
    assert f'href="/courses/{world.course}/media">Film Studies</a>' in html
    # Names are escaped: no markup from users reaches the page.
    assert "&lt;b&gt;Other&lt;/b&gt; course" in html and "<b>Other" not in html
    assert re.search(r'href="/groups/\d+/media">G — Film Studies</a>', html)
    assert titles(html) == ["My essay.mp4"]
    # The outsider belongs nowhere.
    html = page(client, "/", world.outsider).text
    assert "You are not enrolled in any course." in html
    assert "Film Studies" not in html


def test_home_names_each_groups_course(api: Api, client: TestClient) -> None:
    world = build_world(api)
    biology = api.course("Biology 101")
    api.enroll(biology, world.student, "student")
    for course in (world.course, biology):
        category = api.ok(
            "POST", f"/api/v1/courses/{course}/group_categories", data={"name": "Study"}
        )
        group = api.ok(
            "POST",
            f"/api/v1/group_categories/{category['id']}/groups",
            data={"name": "Study group 1"},
        )
        api.ok(
            "POST", f"/api/v1/groups/{group['id']}/memberships", data={"user_id": world.student.id}
        )
    # A group of the account itself belongs to no course: its name alone.
    category = api.ok("POST", "/api/v1/accounts/self/group_categories", data={"name": "Clubs"})
    club = api.ok(
        "POST", f"/api/v1/group_categories/{category['id']}/groups", data={"name": "Film club"}
    )
    api.ok("POST", f"/api/v1/groups/{club['id']}/memberships", data={"user_id": world.student.id})
    html = page(client, "/", world.student).text
    section = html[html.index('id="groups-heading"') :]
    groups = [unescape(g) for g in re.findall(r'href="/groups/\d+/media">(.*?)</a>', section)]
    assert groups == ["Film club", "Study group 1 — Biology 101", "Study group 1 — Film Studies"]


def test_pages_carry_the_sessions_csrf_token_and_a_sign_out_button(
    api: Api, client: TestClient
) -> None:
    world = build_world(api)
    html = page(client, f"/courses/{world.course}/media", world.teacher).text
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert meta is not None
    token = meta.group(1)
    assert token == csrf_token_for(api.ctx, client.cookies[COOKIE_NAME])
    form = re.search(
        r'<form class="sign-out" method="post" action="/logout">(.*?)</form>', html, re.S
    )
    assert form is not None
    assert f'name="authenticity_token" value="{token}"' in form.group(1)
    # The page's token is what the API asks of the cookie for the upload's first step.
    step = {"name": "a.mp4", "size": "10", "content_type": "video/mp4"}
    url = f"/api/v1/courses/{world.course}/files"
    assert client.post(url, data=step).status_code == 403
    r = client.post(url, data=step, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and "upload_url" in r.json()
    # The header's button signs out: the pages send the browser to /login again.
    r = client.post("/logout", data={"authenticity_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_every_page_has_a_strict_policy_and_landmarks(api: Api, client: TestClient) -> None:
    world = build_world(api)
    for url in ("/", f"/courses/{world.course}/media", "/users/self/media"):
        response = page(client, url, world.teacher)
        assert response.status_code == 200, url
        policy = response.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "style-src 'self';" in policy
        assert "unsafe-inline" not in policy and "default-src 'none'" in policy
        assert response.headers["cache-control"] == "private, no-store"
        html = response.text
        # No inline script or style for the policy to refuse.
        assert "<style" not in html and " style=" not in html
        assert all('src="' in s for s in re.findall(r"<script[^>]*>", html))
        assert '<html lang="en">' in html
        assert '<a class="skip-link" href="#main">' in html
        for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
            assert landmark in html, (url, landmark)


def test_library_shows_what_the_api_lists_with_badges_for_teachers_only(
    api: Api, client: TestClient
) -> None:
    world = build_world(api)
    captioned = api.upload(
        f"courses/{world.course}", world.teacher, "Lecture 2.mp4", fake_mp4(), "video/mp4"
    )
    api.ok(
        "PUT",
        f"/api/v1/media_objects/{captioned['media_entry_id']}/media_tracks",
        world.teacher,
        json=[{"locale": "fr", "kind": "captions", "content": SRT}],
    )
    api.ctx.jobs.run_pending_now()
    listed = api.ok("GET", f"/api/v1/courses/{world.course}/media_objects", world.student)
    url = f"/courses/{world.course}/media"
    html = page(client, url, world.student).text
    assert titles(html) == [m["title"] for m in listed] == ["Lecture 1.mp4", "Lecture 2.mp4"]
    assert "French" in html
    # The caption report is for those who manage the course's files: students get no badge.
    assert badges(html) == []
    html = page(client, url, world.teacher).text
    statuses = badges(html)
    assert statuses[0] == "missing" and statuses[1] in ("passing", "failing")
    assert len(statuses) == 2
    # The outsider is refused, as the API refuses them.
    assert page(client, url, world.outsider).status_code == 403
    assert page(client, "/courses/999999/media", world.teacher).status_code == 404


def test_search_sort_view_and_pagination(api: Api, client: TestClient) -> None:
    world = build_world(api)
    for n in range(2, 27):
        api.upload(
            f"courses/{world.course}", world.teacher, f"Lecture {n}.mp4", fake_mp4(), "video/mp4"
        )
    url = f"/courses/{world.course}/media"
    first = page(client, url, world.teacher).text
    assert len(titles(first)) == 24
    assert titles(first)[:3] == ["Lecture 1.mp4", "Lecture 2.mp4", "Lecture 3.mp4"]
    assert "Page 1 of 2" in first
    next_link = unescape(re.search(r'<a href="([^"]+)" rel="next">', first).group(1))
    second = page(client, next_link, world.teacher).text
    assert titles(second) == ["Lecture 25.mp4", "Lecture 26.mp4"]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    newest = page(client, url + "?sort_by=newest", world.teacher).text
    assert titles(newest)[0] == "Lecture 26.mp4"
    found = page(client, url + "?search_term=ture+1&view=list", world.teacher).text
    assert titles(found) == [
        f"Lecture {n}.mp4" for n in (1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19)
    ]
    assert '<ul class="media list"' in found
    # The toggle keeps the search; the Grid link drops only the view.
    assert f'href="/courses/{world.course}/media?search_term=ture+1"' in found
    short = page(client, url + "?search_term=x", world.teacher)
    assert short.status_code == 400
    assert "2 or more characters is required" in short.text


def test_static_files_have_long_cache_on_hashed_urls(api: Api, client: TestClient) -> None:
    world = build_world(api)
    html = page(client, f"/courses/{world.course}/media", world.teacher).text
    css = re.search(r'href="(/static/app\.css\?v=[0-9a-f]{16})"', html).group(1)
    js = re.search(r'src="(/static/library\.js\?v=[0-9a-f]{16})"', html).group(1)
    response = client.get(css)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get(js).headers["content-type"].startswith("text/javascript")
    # Without the current digest: revalidated by ETag.
    plain = client.get("/static/app.css")
    assert plain.headers["cache-control"] == "public, no-cache"
    again = client.get("/static/app.css", headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert client.get("/static/..%2Fpages.py").status_code == 404
    assert client.get("/static/nothing.css").status_code == 404


def test_badges_are_the_caption_reports_statuses(api: Api, client: TestClient) -> None:
    course = make_course(api)
    expected = {row["title"]: row["status"] for row in report(course)}
    assert expected == {"Alpha.mp4": "missing", "Bravo.mp4": "failing", "Charlie.mp4": "passing"}
    html = page(client, f"/courses/{course.id}/media", course.teacher).text
    assert dict(zip(titles(html), badges(html), strict=True)) == expected
    assert "Captions need work" in html and "Captions pass" in html
    # The observer reads the course's media, but not its report.
    html = page(client, f"/courses/{course.id}/media", course.observer).text
    assert titles(html) == list(expected) and badges(html) == []


def test_the_upload_form_is_only_for_those_who_may_upload(api: Api, client: TestClient) -> None:
    world = build_world(api)
    url = f"/courses/{world.course}/media"
    html = page(client, url, world.teacher).text
    assert f'data-upload-path="/api/v1/courses/{world.course}/files"' in html
    assert "/static/upload.js?v=" in html
    html = page(client, url, world.student).text
    assert "upload-form" not in html and "upload.js" not in html
    html = page(client, "/users/self/media", world.student).text
    assert 'data-upload-path="/api/v1/users/self/files"' in html


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("?page=0", 404),
        ("?page=-3", 404),
        ("?page=abc", 404),
        ("?page=" + "9" * 2000, 404),
        ("?page=99999999999999999999", 200),
        ("?search_term=%00%00", 400),
        ("?search_term=" + "a" * 5000, 200),
        ("?sort_by=%3Cscript%3E&view=%3Cscript%3E", 200),
        ("?per_page=1000", 200),
    ],
)
def test_odd_parameters_get_a_page_never_a_5xx(
    api: Api, client: TestClient, query: str, status: int
) -> None:
    world = build_world(api)
    response = page(client, f"/courses/{world.course}/media{query}", world.teacher)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "<script>" not in response.text


@pytest.mark.parametrize("ref", ["abc", "0", "-1", "1" * 400, "%00"])
def test_a_course_that_is_no_course_is_an_html_404(api: Api, client: TestClient, ref: str) -> None:
    world = build_world(api)
    response = page(client, f"/courses/{ref}/media", world.teacher)
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.text


def test_group_library_for_members_and_course_staff(api: Api, client: TestClient) -> None:
    world = build_world(api)
    group = api.group(world.course, world.student)
    api.upload(f"groups/{group}", world.student, "Group project.mp4", fake_mp4(), "video/mp4")
    url = f"/groups/{group}/media"
    listed = api.ok("GET", f"/api/v1/groups/{group}/media_objects", world.student)
    html = page(client, url, world.student).text
    assert titles(html) == [m["title"] for m in listed] == ["Group project.mp4"]
    assert "<h1>G</h1>" in html
    # Members manage the group's files: they see its caption status and may upload.
    assert badges(html) == ["missing"]
    assert f'data-upload-path="/api/v1/groups/{group}/files"' in html
    # The course's teacher sees the group's media; someone outside the course does not, and
    # the API says the same to each.
    assert titles(page(client, url, world.teacher).text) == ["Group project.mp4"]
    assert page(client, url, world.outsider).status_code == 403
    api_url = f"/api/v1/groups/{group}/media_objects"
    assert api.request("GET", api_url, world.outsider).status_code == 403
