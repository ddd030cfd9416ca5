"""The answer to a deep-linking launch, as the strict platform receives it: signed with the
tool's published key, the platform's data echoed, one ltiResourceLink per media with its
media_id and iframe; the media then plays for the course's learners."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.lti.helpers import login_of, player_location, refusal_text
from tests.support.api import Api
from tests.support.lti_platform import INSTRUCTOR, LEARNER, Browser, Person, Platform
from tests.support.media import fake_mp4

FILM = {"id": "ctx-film", "title": "Film Studies 101"}


@pytest.fixture
def teacher_media(api: Api) -> tuple[Person, list[str]]:
    """A teacher with two videos of their own, and the platform's view of them."""
    teacher = api.user("Tess Teacher")
    media_ids = []
    for title in ("Lecture 1.mp4", "Lecture 2.mp4"):
        upload = api.upload("users/self", teacher, title, fake_mp4(), "video/mp4")
        media_ids.append(str(upload["media_entry_id"]))
    return Person("sub-t", "Tess Teacher", login_of(api, teacher), [INSTRUCTOR]), media_ids


def _picker(browser: Browser, person: Person) -> str:
    response = browser.launch(person, message_type="LtiDeepLinkingRequest", context=FILM)
    assert response.status_code == 303
    return str(response.headers["location"])


def test_chosen_media_go_back_to_the_platform_and_play_for_learners(
    browser: Browser, client: TestClient, platform: Platform, teacher_media: Any
) -> None:
    teacher, media_ids = teacher_media
    picker = _picker(browser, teacher)
    answer = client.post(picker, data={"media_id": media_ids})
    assert answer.status_code == 200, answer.text
    items = platform.receive_deep_link(client, answer.text)
    assert [item["custom"] for item in items] == [{"media_id": m} for m in media_ids]
    for item in items:
        assert item["type"] == "ltiResourceLink"
        assert item["url"] == "https://testserver/lti/launch"
        assert item["iframe"] == {"width": 640, "height": 360}
    assert [item["title"] for item in items] == ["Lecture 1.mp4", "Lecture 2.mp4"]
    # The course's learners may now watch them, from this course.
    student = Person("sub-s", "Sam Student", "sam@lms.example.edu", [LEARNER])
    response = browser.launch(student, context=FILM, custom={"media_id": media_ids[0]})
    player_location(response, media_ids[0])


def test_a_response_is_sent_once_and_a_replay_is_rejected_by_the_platform(
    browser: Browser, client: TestClient, platform: Platform, teacher_media: Any
) -> None:
    teacher, media_ids = teacher_media
    picker = _picker(browser, teacher)
    answer = client.post(picker, data={"media_id": media_ids[0]})
    platform.receive_deep_link(client, answer.text)
    with pytest.raises(AssertionError, match="replayed"):
        platform.receive_deep_link(client, answer.text)
    again = client.post(picker, data={"media_id": media_ids[0]})
    assert again.status_code == 403
    assert "sent already" in refusal_text(again)


def test_media_the_user_may_not_see_is_refused_and_the_launch_stays_usable(
    api: Api, browser: Browser, client: TestClient, platform: Platform, teacher_media: Any
) -> None:
    teacher, media_ids = teacher_media
    stranger = api.user("Someone Else")
    theirs = api.upload("users/self", stranger, "Private.mp4", fake_mp4(), "video/mp4")
    picker = _picker(browser, teacher)
    refused = client.post(picker, data={"media_id": [media_ids[0], theirs["media_entry_id"]]})
    assert refused.status_code == 403
    assert "may not use the media" in refusal_text(refused)
    assert client.post(picker, data={"media_id": "m-nothing"}).status_code == 404
    answer = client.post(picker, data={"media_id": media_ids[0]})
    assert len(platform.receive_deep_link(client, answer.text)) == 1


def test_cancelling_answers_with_no_items(
    browser: Browser, client: TestClient, platform: Platform, teacher_media: Any
) -> None:
    teacher, _ = teacher_media
    answer = client.post(_picker(browser, teacher), data={})
    assert platform.receive_deep_link(client, answer.text) == []


def test_one_media_where_the_platform_accepts_one(
    browser: Browser, client: TestClient, platform: Platform, teacher_media: Any
) -> None:
    teacher, media_ids = teacher_media
    platform.accept_multiple = False
    picker = _picker(browser, teacher)
    response = client.post(picker, data={"media_id": media_ids})
    assert response.status_code == 400
    assert "accepts one media" in refusal_text(response)


def test_an_unknown_launch_is_404(client: TestClient, registered: Any) -> None:
    response = client.post("/lti/deep-link/made-up", data={"media_id": "m-x"})
    assert response.status_code == 404
    refusal_text(response)


def test_a_learners_choice_is_only_their_own_media(
    api: Api, browser: Browser, client: TestClient, platform: Platform
) -> None:
    """A student may embed media in a discussion post (Canvas offers the editor's button to
    students). Their own media then plays for the class; media they may watch only as a
    student of another course stays that course's: a learner cannot choose it (a teacher's
    choice may, as the instructor rule says)."""
    student = api.user("Sam Student")
    teacher = api.user("Tess Teacher")
    other_course = api.course("Private Seminar")
    api.enroll(other_course, teacher, "teacher")
    api.enroll(other_course, student, "student")
    seminar = api.upload(f"courses/{other_course}", teacher, "Seminar.mp4", fake_mp4(), "video/mp4")
    own = api.upload("users/self", student, "My Essay.mp4", fake_mp4(), "video/mp4")
    learner = Person("sub-s", "Sam Student", login_of(api, student), [LEARNER])
    seminar_id, own_id = str(seminar["media_entry_id"]), str(own["media_entry_id"])
    picker = _picker(browser, learner)
    refused = client.post(picker, data={"media_id": [seminar_id, own_id]})
    assert refused.status_code == 403
    assert "media of your own" in refusal_text(refused)
    # Nothing was used up: the same launch then sends their own.
    answer = client.post(picker, data={"media_id": [own_id]})
    items = platform.receive_deep_link(client, answer.text)
    assert [item["custom"]["media_id"] for item in items] == [own_id]
    classmate = Person("sub-c", "Cam Classmate", "cam@lms.example.edu", [LEARNER])
    player_location(browser.launch(classmate, context=FILM, custom={"media_id": own_id}), own_id)
    denied = browser.launch(classmate, context=FILM, custom={"media_id": seminar_id})
    assert denied.status_code == 403
    assert "not linked into this course" in refusal_text(denied)
