"""Launches that succeed: who the launch is (matched or created), which course its context
becomes and with what enrollment, and where a resource or deep-linking launch leads."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from fastapi.testclient import TestClient

from mediaobjects.accounts import service as accounts
from mediaobjects.context import AppContext
from tests.lti.helpers import login_of, memberships, player_location, refusal_text, user_exists
from tests.support.api import Api
from tests.support.lti_platform import (
    DESIGNER,
    INSTRUCTOR,
    LEARNER,
    TA,
    Browser,
    Person,
    Platform,
    authorization_url,
)
from tests.support.media import fake_mp4

FILM = {"id": "ctx-film", "title": "Film Studies 101", "label": "FILM101"}


def _teacher_media(api: Api) -> tuple[Any, str, str]:
    """A teacher of an API-made course with a video in it: (person, login, media_id)."""
    teacher = api.user("Tess Teacher")
    course = api.course("Own course")
    api.enroll(course, teacher, "teacher")
    upload = api.upload(f"courses/{course}", teacher, "Lecture.mp4", fake_mp4(), "video/mp4")
    return teacher, login_of(api, teacher), str(upload["media_entry_id"])


def test_first_launch_creates_the_course_from_the_context_and_enrolls_by_role(
    browser: Browser, ctx: AppContext
) -> None:
    teacher = Person("sub-t", "Tess Teacher", "tess@lms.example.edu", [INSTRUCTOR])
    student = Person("sub-s", "Sam Student", "sam@lms.example.edu", [LEARNER])
    designer = Person("sub-d", "Dee Designer", "dee@lms.example.edu", [DESIGNER])
    assistant = Person("sub-a", "Ada Assistant", "ada@lms.example.edu", [INSTRUCTOR, TA])
    for person in (teacher, student, designer, assistant):
        response = browser.launch(person, context=FILM)
        assert response.status_code == 200, response.text
        assert f"signed in from your LMS as {person.name}" in response.text
    # Nobody had an account here: each is a new user keyed by (registration, sub).
    assert memberships(ctx, "lti-1-sub-t") == {"Film Studies 101": ("TeacherEnrollment",)}
    assert memberships(ctx, "lti-1-sub-s") == {"Film Studies 101": ("StudentEnrollment",)}
    assert memberships(ctx, "lti-1-sub-d") == {"Film Studies 101": ("DesignerEnrollment",)}
    assert memberships(ctx, "lti-1-sub-a") == {"Film Studies 101": ("TaEnrollment",)}


def test_the_same_context_is_the_same_course_and_roles_are_refreshed_each_launch(
    browser: Browser, ctx: AppContext
) -> None:
    person = Person("sub-1", "Pat Person", "pat@lms.example.edu", [INSTRUCTOR])
    assert browser.launch(person, context=FILM).status_code == 200
    person.roles = [LEARNER]
    assert browser.launch(person, context=FILM).status_code == 200
    # One course, and the teacher's rights are gone.
    assert memberships(ctx, "lti-1-sub-1") == {"Film Studies 101": ("StudentEnrollment",)}


def test_a_name_or_title_changed_in_the_platform_follows_on_the_next_launch(
    api: Api, browser: Browser, ctx: AppContext
) -> None:
    person = Person("sub-r", "Robin Old", "robin@lms.example.edu", [INSTRUCTOR])
    assert browser.launch(person, context=FILM).status_code == 200
    person.name = "Robin New"
    retitled = {**FILM, "title": "Film Studies 101 (Spring)"}
    again = browser.launch(person, context=retitled)
    assert "signed in from your LMS as Robin New" in again.text
    assert memberships(ctx, "lti-1-sub-r") == {"Film Studies 101 (Spring)": ("TeacherEnrollment",)}
    with ctx.read() as session:
        user = accounts.find_user_by_login(session, "lti-1-sub-r")
        assert user is not None and (user.name, user.sortable_name) == ("Robin New", "New, Robin")
    # A user matched to an existing account keeps the name that account has here.
    existing = api.user("Kept Name")
    matched = Person("sub-k", "Platform Name", login_of(api, existing), [LEARNER])
    for _ in range(2):
        assert browser.launch(matched, context=FILM).status_code == 200
    assert api.ok("GET", f"/api/v1/users/{existing.id}")["name"] == "Kept Name"


def test_a_launch_is_matched_to_the_existing_user_by_email(
    api: Api, browser: Browser, ctx: AppContext
) -> None:
    existing = api.user("Existing Person")
    login = login_of(api, existing)
    person = Person("sub-x", "Existing Person", login, [LEARNER])
    assert browser.launch(person, context=FILM).status_code == 200
    assert memberships(ctx, login) == {"Film Studies 101": ("StudentEnrollment",)}
    # Afterwards the platform's user is that user by (registration, sub), whatever the email.
    person.email = "changed@lms.example.edu"
    person.roles = [INSTRUCTOR]
    assert browser.launch(person, context=FILM).status_code == 200
    assert memberships(ctx, login) == {"Film Studies 101": ("TeacherEnrollment",)}
    assert not user_exists(ctx, "changed@lms.example.edu")


def test_no_match_makes_a_user_keyed_by_sub_that_other_platforms_cannot_claim(
    api: Api, browser: Browser, ctx: AppContext, client: TestClient
) -> None:
    person = Person("sub-new", "New Person", "new@lms.example.edu", [LEARNER])
    assert browser.launch(person, context=FILM).status_code == 200
    assert memberships(ctx, "lti-1-sub-new") == {"Film Studies 101": ("StudentEnrollment",)}
    assert not user_exists(ctx, "new@lms.example.edu")
    # Another school on the same hosted LMS sends the same address: a user of its own.
    other = Platform(client_id="another-school")
    api.ok("POST", "/api/v1/accounts/self/lti_registrations", json=other.registration())
    ctx.lti_key_sets.fetcher = lambda url, timeout: (
        other if url == other.key_set_url else browser.platform
    ).fetch(url, timeout)
    impostor = Person("sub-other", "New Person", "new@lms.example.edu", [INSTRUCTOR])
    assert Browser(client, other).launch(impostor, context=FILM).status_code == 200
    assert memberships(ctx, "lti-1-sub-new") == {"Film Studies 101": ("StudentEnrollment",)}
    assert memberships(ctx, "lti-2-sub-other") == {"Film Studies 101": ("TeacherEnrollment",)}


def test_a_user_made_by_one_platforms_launch_is_never_matched_by_another(
    api: Api, browser: Browser, ctx: AppContext, client: TestClient
) -> None:
    """The login a launch makes (``lti-<registration>-<sub>``) is a login like any other: a
    second school on the same hosted LMS whose admin sets a user's email to it would
    otherwise launch as the first school's user, with their media and courses."""
    person = Person("sub-victim", "Vic Victim", "vic@lms.example.edu", [INSTRUCTOR])
    assert browser.launch(person, context=FILM).status_code == 200
    other = Platform(client_id="another-school")
    api.ok("POST", "/api/v1/accounts/self/lti_registrations", json=other.registration())
    ctx.lti_key_sets.fetcher = lambda url, timeout: (
        other if url == other.key_set_url else browser.platform
    ).fetch(url, timeout)
    impostor = Person("sub-impostor", "Vic Victim", "LTI-1-sub-victim", [INSTRUCTOR])
    elsewhere = {"id": "ctx-elsewhere", "title": "Elsewhere 1"}
    assert Browser(client, other).launch(impostor, context=elsewhere).status_code == 200
    assert memberships(ctx, "lti-1-sub-victim") == {"Film Studies 101": ("TeacherEnrollment",)}
    assert memberships(ctx, "lti-2-sub-impostor") == {"Elsewhere 1": ("TeacherEnrollment",)}
    # The platform that made the user cannot reach another of its users by the claim either.
    sibling = Person("sub-sibling", "Sib", "lti-1-sub-victim", [LEARNER])
    assert browser.launch(sibling, context=elsewhere).status_code == 200
    assert memberships(ctx, "lti-1-sub-sibling") == {"Elsewhere 1": ("StudentEnrollment",)}


def test_a_site_admin_is_never_matched_by_a_claim(
    api: Api, browser: Browser, ctx: AppContext
) -> None:
    admin_login = login_of(api, api.admin)
    person = Person("sub-evil", "Not The Admin", admin_login, [INSTRUCTOR])
    assert browser.launch(person, context=FILM).status_code == 200
    assert memberships(ctx, admin_login) == {}
    assert memberships(ctx, "lti-1-sub-evil") == {"Film Studies 101": ("TeacherEnrollment",)}


def test_user_match_claim_none_never_matches(
    api: Api, browser: Browser, ctx: AppContext, registered: dict[str, Any]
) -> None:
    api.ok(
        "PUT",
        f"/api/v1/accounts/self/lti_registrations/{registered['id']}",
        json={"user_match_claim": "none"},
    )
    existing = api.user("Existing Person")
    login = login_of(api, existing)
    assert browser.launch(Person("sub-y", "E", login, [LEARNER]), context=FILM).status_code == 200
    assert memberships(ctx, login) == {}


def test_the_owner_launching_a_media_link_gets_the_player(
    api: Api, browser: Browser, client: TestClient
) -> None:
    _, login, media_id = _teacher_media(api)
    person = Person("sub-t", "Tess Teacher", login, [INSTRUCTOR])
    response = browser.launch(person, context=FILM, custom={"media_id": media_id})
    location = player_location(response, media_id)
    # The player opens with that verifier alone: no cookie of ours is needed in the frame.
    player = TestClient(client.app, base_url="https://testserver").get(location)
    assert player.status_code == 200
    assert "Lecture" in player.text


def test_a_learner_may_not_open_media_never_linked_into_the_course(
    api: Api, browser: Browser
) -> None:
    _, _, media_id = _teacher_media(api)
    student = Person("sub-s", "Sam Student", "sam@lms.example.edu", [LEARNER])
    response = browser.launch(student, context=FILM, custom={"media_id": media_id})
    assert response.status_code == 403
    assert "not linked into this course" in refusal_text(response)


def test_an_instructor_launch_links_the_media_for_the_courses_learners(
    api: Api, browser: Browser
) -> None:
    _, _, media_id = _teacher_media(api)
    # Another instructor of the LMS course (who cannot read the media here) places the link.
    instructor = Person("sub-i", "Ian Instructor", "ian@lms.example.edu", [INSTRUCTOR])
    player_location(
        browser.launch(instructor, context=FILM, custom={"media_id": media_id}), media_id
    )
    student = Person("sub-s", "Sam Student", "sam@lms.example.edu", [LEARNER])
    response = browser.launch(student, context=FILM, custom={"media_id": media_id})
    player_location(response, media_id)
    # Only from that course: the same learner in another course is refused.
    other = {"id": "ctx-other", "title": "Other"}
    response = browser.launch(student, context=other, custom={"media_id": media_id})
    assert response.status_code == 403


def test_links_survive_course_copy_through_the_context_history(api: Api, browser: Browser) -> None:
    _, _, media_id = _teacher_media(api)
    instructor = Person("sub-i", "Ian Instructor", "ian@lms.example.edu", [INSTRUCTOR])
    player_location(
        browser.launch(instructor, context=FILM, custom={"media_id": media_id}), media_id
    )
    student = Person("sub-s", "Sam Student", "sam@lms.example.edu", [LEARNER])
    copy = {"id": "ctx-film-2027", "title": "Film Studies 101 (2027)"}
    # Canvas's $Context.id.history: the contexts the course was copied from, newest first.
    history = {"media_id": media_id, "context_history": "ctx-film-2026, ctx-film"}
    player_location(browser.launch(student, context=copy, custom=history), media_id)
    # Canvas sends the variable itself when the course is no copy: that links nothing.
    unsubstituted = {"media_id": media_id, "context_history": "$Context.id.history"}
    response = browser.launch(student, context=copy, custom=unsubstituted)
    assert response.status_code == 403


def test_a_launch_for_media_that_does_not_exist_is_404(browser: Browser) -> None:
    person = Person("sub-t", "Tess Teacher", "tess@lms.example.edu", [INSTRUCTOR])
    response = browser.launch(person, context=FILM, custom={"media_id": "m-nothing"})
    assert response.status_code == 404
    assert "no longer exists" in refusal_text(response)


def test_a_deep_linking_launch_leads_to_the_picker_page(
    browser: Browser, client: TestClient
) -> None:
    person = Person("sub-t", "Tess Teacher", "tess@lms.example.edu", [INSTRUCTOR])
    response = browser.launch(person, message_type="LtiDeepLinkingRequest", context=FILM)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("https://testserver/lti/deep-link/")
    page = client.get(location)
    assert page.status_code == 200
    assert "Choose media" in page.text
    missing = client.get("/lti/deep-link/not-a-launch")
    assert missing.status_code == 404
    assert "unknown or has expired" in refusal_text(missing)


def test_the_login_cookie_is_for_frames_and_is_cleared_by_the_launch(
    browser: Browser, platform: Platform
) -> None:
    person = Person("sub-t", "Tess Teacher", "tess@lms.example.edu", [INSTRUCTOR])
    started = browser.client.post(
        "/lti/login",
        data={
            "iss": platform.issuer,
            "login_hint": person.sub,
            "target_link_uri": "https://testserver/lti/launch",
            "client_id": platform.client_id,
        },
        follow_redirects=False,
    )
    cookie = started.headers["set-cookie"]
    for attribute in ("Secure", "SameSite=None", "Partitioned", "HttpOnly", "Path=/lti;"):
        assert attribute in cookie
    query = platform.authorize(authorization_url(started), person.sub)
    claims = platform.claims(person, query["nonce"], context=FILM)
    done = browser.post_launch(platform.sign(claims), query["state"])
    assert done.status_code == 200
    assert "Max-Age=0" in done.headers["set-cookie"]


# What a browser sends following the landing page's link (a page of this origin, in the
# LMS's frame).
FROM_LANDING_PAGE = {"Sec-Fetch-Site": "same-origin"}


def _new_tab_link(page: str) -> str:
    found = re.search(r'<a href="([^"]+)" target="_blank" rel="noopener">', page)
    assert found is not None, page
    return unescape(found.group(1))


def test_course_navigation_opens_the_course_media_signed_in_in_a_new_tab(
    browser: Browser, client: TestClient, app: Any
) -> None:
    person = Person("sub-t", "Tess Teacher", "tess@lms.example.edu", [INSTRUCTOR])
    landing = browser.launch(person, context=FILM)
    assert landing.status_code == 200
    assert "Open the media of Film Studies 101 in a tab of its own" in unescape(landing.text)
    link = _new_tab_link(landing.text)
    # The new tab: a first-party browser context of its own, opened from the landing page.
    with TestClient(app, base_url="https://testserver", headers=FROM_LANDING_PAGE) as tab:
        opened = tab.get(link, follow_redirects=False)
        assert opened.status_code == 303
        assert re.fullmatch(r"/courses/\d+/media", opened.headers["location"])
        assert "mediaobjects_session=" in opened.headers["set-cookie"]
        library = tab.get(opened.headers["location"])
        assert library.status_code == 200
        assert "Film Studies 101" in library.text
        # The link is used once.
        again = tab.get(link, follow_redirects=False)
        assert again.status_code == 403
        assert "used already" in refusal_text(again)


def test_user_navigation_opens_the_users_own_media(browser: Browser, app: Any) -> None:
    person = Person("sub-t", "Tess Teacher", "tess@lms.example.edu", [INSTRUCTOR])
    landing = browser.launch(person)
    assert "Open your media" in unescape(landing.text)
    with TestClient(app, base_url="https://testserver", headers=FROM_LANDING_PAGE) as tab:
        opened = tab.get(_new_tab_link(landing.text), follow_redirects=False)
        assert opened.headers["location"] == "/users/self/media"
        assert tab.get("/users/self/media").status_code == 200


def test_an_open_link_from_anywhere_else_asks_before_signing_in(
    api: Api, browser: Browser, app: Any
) -> None:
    """Login CSRF: an attacker's own navigation launch gives them a fresh open link; sent to
    a victim's browser from another site (a link, a script navigating, an e-mail), it must
    not sign the victim in as the attacker, nor sign them out."""
    attacker = Person("sub-m", "Mallory", "mallory@lms.example.edu", [INSTRUCTOR])
    link = _new_tab_link(browser.launch(attacker, context=FILM).text)
    victim = api.user("Victor Victim")
    with TestClient(app, base_url="https://testserver") as tab:
        signed = tab.post("/login", data={"access_token": victim.token}, follow_redirects=False)
        assert signed.status_code == 303
        for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "none"}, {}):
            asked = tab.get(link, headers=headers, follow_redirects=False)
            assert asked.status_code == 200
            assert "set-cookie" not in asked.headers
            text = unescape(asked.text)
            assert "signs you in to mediaobjects as Mallory" in text
            assert "Whoever is signed in to mediaobjects in this browser now is signed out" in text
            assert "frame-ancestors 'none'" in asked.headers["content-security-policy"]
            assert re.search(r'<form method="post" action="/lti/open/[^"]+">', asked.text)
        # Another site's form posting the button's request: refused, nothing used.
        forged = tab.post(link, headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False)
        assert forged.status_code == 403
        assert "set-cookie" not in forged.headers
        assert "Victor Victim" in tab.get("/users/self/media").text
        # The button, pressed on that page: signed in as the link's user.
        pressed = tab.post(link, headers=FROM_LANDING_PAGE, follow_redirects=False)
        assert pressed.status_code == 303
        assert "Mallory" in tab.get(pressed.headers["location"]).text
