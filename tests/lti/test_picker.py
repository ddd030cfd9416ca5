"""The deep-link picker as a teacher meets it after the editor's media button: their media and
not another's, search, pages, choosing one or several, Cancel, uploading through the picker's
own credential (no cookie), and every way the picker refuses: an expired or unknown launch,
another launch's token, a launch whose choice was sent, a learner."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from mediaobjects.context import AppContext
from mediaobjects.lti.models import LtiLaunch
from mediaobjects.media_objects import service as media
from tests.lti.helpers import login_of, refusal_text
from tests.support.api import Api
from tests.support.api import Person as ApiPerson
from tests.support.lti_platform import INSTRUCTOR, LEARNER, Browser, Person, Platform
from tests.support.media import fake_mp4

FILM = {"id": "ctx-film", "title": "Film Studies 101"}
HEADER = "X-LTI-Picker-Token"


@dataclass
class Teacher:
    api: ApiPerson
    lti: Person
    media: dict[str, str]  # title -> media_id


def _teacher(api: Api, name: str, sub: str, titles: tuple[str, ...]) -> Teacher:
    person = api.user(name)
    found = {}
    for title in titles:
        upload = api.upload("users/self", person, title, fake_mp4(), "video/mp4")
        found[title] = str(upload["media_entry_id"])
    return Teacher(person, Person(sub, name, login_of(api, person), [INSTRUCTOR]), found)


@pytest.fixture
def tess(api: Api) -> Teacher:
    return _teacher(api, "Tess Teacher", "sub-t", ("Lecture 1.mp4", "Lecture 2.mp4"))


@dataclass
class Picker:
    url: str
    html: str

    @property
    def listed(self) -> list[str]:
        """The media ids a person can choose, in the page's order."""
        return re.findall(r'name="media_id" value="([^"]+)"', self.html)

    def form_action(self, form_id: str) -> str:
        found = re.search(rf'<form id="{form_id}"[^>]* action="([^"]+)"', self.html)
        assert found is not None, form_id
        return unescape(found.group(1))

    @property
    def token(self) -> str:
        found = re.search(r'<meta name="lti-picker-token" content="([^"]+)">', self.html)
        assert found is not None
        return unescape(found.group(1))

    def data(self, name: str) -> str:
        found = re.search(rf'data-{name}="([^"]+)"', self.html)
        assert found is not None, name
        return unescape(found.group(1))

    @property
    def places(self) -> dict[str, str]:
        """Label -> value of the "Media of" choices."""
        select = self.html[self.html.index('<select id="place"') :]
        select = select[: select.index("</select>")]
        return {
            unescape(label): value
            for value, label in re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', select)
        }


def launch_picker(browser: Browser, person: Person, context: Any = FILM) -> str:
    response = browser.launch(person, message_type="LtiDeepLinkingRequest", context=context)
    assert response.status_code == 303, response.text
    return str(urlsplit(response.headers["location"]).path)


def open_picker(client: TestClient, url: str, **query: Any) -> Picker:
    response = client.get(url, params=query) if query else client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return Picker(url, response.text)


def test_the_picker_shows_the_teachers_media_and_not_anothers(
    api: Api, browser: Browser, client: TestClient, tess: Teacher
) -> None:
    stranger = _teacher(api, "Someone Else", "sub-x", ("Private.mp4",))
    url = launch_picker(browser, tess.lti)
    response = client.get(url)
    picker = Picker(url, response.text)
    # Newest first: what was just uploaded comes first.
    assert picker.listed == [tess.media["Lecture 2.mp4"], tess.media["Lecture 1.mp4"]]
    assert stranger.media["Private.mp4"] not in response.text
    text = unescape(response.text)
    assert "Private.mp4" not in text
    assert "as Tess Teacher from your LMS" in re.sub(r"<[^>]+>", "", text)
    # Each card: title, duration, state, captions.
    assert "Lecture 1.mp4" in text and "Waiting" in text and "Captions" in text
    # Several may be chosen here (the platform accepts several).
    assert picker.listed and 'type="checkbox" name="media_id"' in response.text
    # Framed by any LMS, scripts only from this site, no referrer, never cached.
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors" not in policy
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "no-store" in response.headers["cache-control"]
    # The picker token is in the page for its script, never in a URL.
    assert picker.token not in picker.data("upload-path")
    assert re.search(r'(href|src|action)="[^"]*' + re.escape(picker.token), response.text) is None
    # The other teacher's picker shows their media, not Tess's.
    other = open_picker(client, launch_picker(browser, stranger.lti))
    assert other.listed == [stranger.media["Private.mp4"]]


def test_search_and_choosing_send_the_chosen_media_to_the_platform(
    browser: Browser, client: TestClient, platform: Platform, tess: Teacher
) -> None:
    url = launch_picker(browser, tess.lti)
    found = open_picker(client, url, search_term="lecture 2")
    assert found.listed == [tess.media["Lecture 2.mp4"]]
    assert "1 item matching “lecture 2”" in unescape(found.html)
    assert open_picker(client, url, search_term="nothing like it").listed == []
    # A one-letter search is refused beside the search box; the picker stays.
    short = client.get(url, params={"search_term": "L"})
    assert short.status_code == 400
    assert "2 or more characters is required" in unescape(short.text)
    assert 'id="picker-choice"' in short.text
    answer = client.post(found.form_action("picker-choice"), data={"media_id": found.listed})
    assert answer.status_code == 200, answer.text
    items = platform.receive_deep_link(client, answer.text)
    assert [(i["type"], i["custom"], i["title"]) for i in items] == [
        ("ltiResourceLink", {"media_id": tess.media["Lecture 2.mp4"]}, "Lecture 2.mp4")
    ]
    # Sent: the picker is done with.
    again = client.get(url)
    assert again.status_code == 403
    assert "sent already" in refusal_text(again)


def test_cancel_sends_the_platform_an_empty_response(
    browser: Browser, client: TestClient, platform: Platform, tess: Teacher
) -> None:
    picker = open_picker(client, launch_picker(browser, tess.lti))
    answer = client.post(picker.form_action("picker-cancel"), data={})
    assert platform.receive_deep_link(client, answer.text) == []


def test_one_choice_where_the_platform_accepts_one(
    browser: Browser, client: TestClient, platform: Platform, tess: Teacher
) -> None:
    platform.accept_multiple = False
    picker = open_picker(client, launch_picker(browser, tess.lti))
    assert 'type="radio" name="media_id"' in picker.html
    assert 'type="checkbox"' not in picker.html


def test_the_course_place_lists_the_courses_media(
    api: Api, browser: Browser, client: TestClient, tess: Teacher
) -> None:
    url = launch_picker(browser, tess.lti)
    places = open_picker(client, url).places
    assert list(places) == ["My media", "Film Studies 101"]
    course_id = places["Film Studies 101"].removeprefix("course-")
    # The launch made Tess the course's teacher: she may add to it through the API too.
    week = api.upload(f"courses/{course_id}", tess.api, "Week 1.mp4", fake_mp4(), "video/mp4")
    in_course = open_picker(client, url, place=places["Film Studies 101"])
    assert in_course.listed == [week["media_entry_id"]]
    assert "Film Studies 101”" in unescape(in_course.html)  # the upload goes there
    refused = client.get(url, params={"place": "course-999999"})
    assert refused.status_code == 400
    assert "place is not one of the picker's places" in refusal_text(refused)


def test_the_list_is_paged(api: Api, browser: Browser, client: TestClient) -> None:
    titles = tuple(f"Clip {n:02d}.mp4" for n in range(13))
    teacher = _teacher(api, "Many Clips", "sub-m", titles)
    url = launch_picker(browser, teacher.lti)
    first = open_picker(client, url, sort_by="title")
    assert first.listed == [teacher.media[t] for t in titles[:12]]
    assert "Page 1 of 2" in first.html
    next_page = re.search(r'<a href="([^"]+)" rel="next">', first.html)
    assert next_page is not None
    second = open_picker(client, unescape(next_page.group(1)))
    assert second.listed == [teacher.media[titles[12]]]


def _upload_through_picker(client: TestClient, picker: Picker, name: str) -> dict[str, Any]:
    step1 = client.post(
        picker.data("upload-path"),
        data={"name": name, "size": len(fake_mp4()), "content_type": "video/mp4"},
        headers={HEADER: picker.token},
    )
    assert step1.status_code == 200, step1.text
    ticket = step1.json()
    step2 = client.post(
        ticket["upload_url"],
        data=ticket["upload_params"],
        files={"file": (name, fake_mp4(), "video/mp4")},
    )
    assert step2.status_code == 201, step2.text
    return dict(step2.json())


def test_an_upload_through_the_picker_is_the_launching_users(
    api: Api,
    browser: Browser,
    client: TestClient,
    ctx: AppContext,
    platform: Platform,
    tess: Teacher,
) -> None:
    url = launch_picker(browser, tess.lti)
    picker = open_picker(client, url)
    # No cookie is involved: the picker's token alone authorises the upload.
    client.cookies.clear()
    stored = _upload_through_picker(client, picker, "Fresh take.mp4")
    media_id = stored["media_entry_id"]
    with ctx.read() as session:
        media_object = media.find_media_object(session, media_id)
        assert media_object is not None
        assert media_object.user_id == tess.api.id
        assert media_object.context_type == "User" and media_object.context_id == tess.api.id
    # Tess's own media, through the API too; the picker lists it and follows its processing.
    mine = api.ok("GET", "/api/v1/media_objects", tess.api)
    assert media_id in [m["media_id"] for m in mine]
    assert media_id in open_picker(client, url).listed
    followed = client.get(f"{url}/media/{media_id}", headers={HEADER: picker.token})
    assert followed.status_code == 200, followed.text
    assert followed.json()["media_id"] == media_id
    assert followed.json()["title"] == "Fresh take.mp4"
    answer = client.post(url, data={"media_id": media_id})
    items = platform.receive_deep_link(client, answer.text)
    assert [item["custom"]["media_id"] for item in items] == [media_id]


def test_the_pickers_calls_need_this_launchs_token(
    api: Api, browser: Browser, client: TestClient, tess: Teacher
) -> None:
    stranger = _teacher(api, "Someone Else", "sub-x", ("Private.mp4",))
    mine = open_picker(client, launch_picker(browser, tess.lti))
    theirs = open_picker(client, launch_picker(browser, stranger.lti))
    upload = {"name": "x.mp4", "size": "10", "content_type": "video/mp4"}
    for headers in ({}, {HEADER: "1.forged"}, {HEADER: theirs.token}):
        response = client.post(mine.data("upload-path"), data=upload, headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.json()["errors"][0]["message"]
    # Another's media cannot be followed through my picker, even with my token.
    other = client.get(
        f"{mine.url}/media/{stranger.media['Private.mp4']}", headers={HEADER: mine.token}
    )
    assert other.status_code == 403
    # A token of the right launch on another launch's path is refused too.
    crossed = client.get(
        f"{theirs.url}/media/{stranger.media['Private.mp4']}", headers={HEADER: mine.token}
    )
    assert crossed.status_code == 401


def _expire(ctx: AppContext, url: str) -> None:
    launch_id = url.rsplit("/", 1)[1]
    with ctx.write() as session:
        launch = session.get(LtiLaunch, launch_id)
        assert launch is not None
        launch.expires_at = datetime.now(UTC) - timedelta(seconds=1)


def test_an_expired_or_unknown_launch_is_a_clear_404(
    browser: Browser, client: TestClient, ctx: AppContext, tess: Teacher
) -> None:
    url = launch_picker(browser, tess.lti)
    picker = open_picker(client, url)
    _expire(ctx, url)
    for path in (url, "/lti/deep-link/made-up", "/lti/deep-link/" + "x" * 300):
        response = client.get(path)
        assert response.status_code == 404
        assert "unknown or has expired; open the tool again from the LMS" in refusal_text(response)
    late = client.post(
        picker.data("upload-path"),
        data={"name": "x.mp4", "size": "10"},
        headers={HEADER: picker.token},
    )
    assert late.status_code == 404
    assert "expired" in late.json()["errors"][0]["message"]


def test_a_student_in_a_course_picks_only_from_their_own_media(
    api: Api,
    browser: Browser,
    client: TestClient,
    platform: Platform,
    tess: Teacher,
    ctx: AppContext,
) -> None:
    # A student embedding their own recording in a discussion post (Canvas offers the
    # editor's button to students): their media, and nothing of the course's or others'.
    sam = _teacher(api, "Sam Student", "sub-s", ("My answer.mp4",))
    sam.lti.roles = [LEARNER]
    url = launch_picker(browser, sam.lti)
    picker = open_picker(client, url)
    assert picker.listed == [sam.media["My answer.mp4"]]
    assert list(picker.places) == ["My media"]
    assert "you may add media of your own" in unescape(picker.html)
    # Another place is not theirs to list, even asked for by hand.
    other = client.get(url, params={"place": "course-1"})
    assert other.status_code == 400
    # A hand-made post of media they did not make is refused, and uses nothing up...
    refused = client.post(url, data={"media_id": tess.media["Lecture 1.mp4"]})
    assert refused.status_code == 403
    # ...their own goes back to the platform, and plays for the class.
    answer = client.post(url, data={"media_id": sam.media["My answer.mp4"]})
    items = platform.receive_deep_link(client, answer.text)
    assert [item["custom"]["media_id"] for item in items] == [sam.media["My answer.mp4"]]


def test_a_student_may_cancel(browser: Browser, client: TestClient, platform: Platform) -> None:
    student = Person("sub-c", "Cam Student", "cam@lms.example.edu", [LEARNER])
    url = launch_picker(browser, student)
    picker = open_picker(client, url)
    assert picker.listed == []
    assert picker.form_action("picker-cancel") == url
    answer = client.post(url, data={})
    assert platform.receive_deep_link(client, answer.text) == []


def test_a_learner_outside_any_course_picks_from_their_own_media(
    api: Api, browser: Browser, client: TestClient, platform: Platform
) -> None:
    learner = _teacher(api, "Lee Learner", "sub-l", ("My talk.mp4",))
    learner.lti.roles = [LEARNER]
    picker = open_picker(client, launch_picker(browser, learner.lti, context=None))
    assert picker.listed == [learner.media["My talk.mp4"]]
    assert list(picker.places) == ["My media"]
    answer = client.post(picker.url, data={"media_id": picker.listed})
    assert len(platform.receive_deep_link(client, answer.text)) == 1
