"""Passwords through the Canvas user and login APIs: ``pseudonym[password]`` when a site admin
creates a user, ``PUT /api/v1/accounts/self/logins/:id`` with ``login[password]`` afterwards.
Stored as argon2id hashes, never returned; limits refuse a password before any hashing; a new
password signs every browser of the user out."""

from __future__ import annotations

import httpx2 as httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from mediaobjects.accounts.models import User
from tests.support.api import Api, Person

PASSWORD = "correct horse battery staple"


def _create(api: Api, login: str, password: str) -> httpx.Response:
    return api.request(
        "POST",
        "/api/v1/accounts/self/users",
        api.admin,
        data={
            "user[name]": "Ada Lovelace",
            "pseudonym[unique_id]": login,
            "pseudonym[password]": password,
        },
    )


def _signs_in(api: Api, login: str, password: str) -> bool:
    browser = TestClient(api.client.app, follow_redirects=False)
    r = browser.post("/login", data={"unique_id": login, "password": password})
    assert r.status_code in (303, 401), r.text
    return r.status_code == 303


def _stored_hash(api: Api, user_id: int) -> str | None:
    with api.ctx.read() as session:
        return session.scalars(select(User.password_hash).where(User.id == user_id)).one()


def test_a_password_given_at_creation_is_stored_as_argon2id(api: Api) -> None:
    r = _create(api, "ada@example.edu", PASSWORD)
    assert r.status_code == 200
    body = r.json()
    assert PASSWORD not in str(body) and "password" not in body
    stored = _stored_hash(api, body["id"])
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
    assert _signs_in(api, "ada@example.edu", PASSWORD)
    assert not _signs_in(api, "ada@example.edu", PASSWORD.upper())


def test_a_short_password_is_refused_and_no_user_made(api: Api) -> None:
    r = _create(api, "ada@example.edu", "short")
    assert r.status_code == 400
    error = r.json()["errors"][0]
    assert error["field"] == "pseudonym[password]" and error["error_code"] == "too_short"
    assert "short" not in error["message"].replace("too_short", "").replace("at least", "")
    assert not _signs_in(api, "ada@example.edu", "short")
    again = _create(api, "ada@example.edu", PASSWORD)
    assert again.status_code == 200


def test_a_megabyte_password_is_a_400_that_does_not_echo_it(api: Api) -> None:
    huge = "p" * 1_000_000
    r = _create(api, "ada@example.edu", huge)
    assert r.status_code == 400
    assert r.json()["errors"][0]["error_code"] == "too_long"
    assert "p" * 300 not in r.text


def test_an_admin_sets_anyones_password(api: Api) -> None:
    person = api.user("Pat")
    r = api.request(
        "PUT",
        f"/api/v1/accounts/self/logins/{person.id}",
        api.admin,
        data={"login[password]": PASSWORD},
    )
    assert r.status_code == 200
    login = r.json()
    assert login["id"] == person.id and login["user_id"] == person.id
    assert login["account_id"] == 1 and "password" not in login
    assert _signs_in(api, login["unique_id"], PASSWORD)


def _own(api: Api, person: Person, **data: str) -> httpx.Response:
    return api.request("PUT", f"/api/v1/accounts/1/logins/{person.id}", person, data=data)


def test_users_change_their_own_password_giving_the_old_one(api: Api) -> None:
    person = api.user("Pat")
    login = api.ok("GET", "/api/v1/users/self", person)["login_id"]
    # No password yet: nothing to confirm.
    assert _own(api, person, **{"login[password]": PASSWORD}).status_code == 200
    missing = _own(api, person, **{"login[password]": "a new passphrase"})
    wrong = _own(
        api, person, **{"login[password]": "a new passphrase", "login[old_password]": "guess!!!"}
    )
    for r in (missing, wrong):
        assert r.status_code == 400
        assert r.json()["errors"][0]["field"] == "login[old_password]"
    assert _signs_in(api, login, PASSWORD)
    ok = _own(
        api, person, **{"login[password]": "a new passphrase", "login[old_password]": PASSWORD}
    )
    assert ok.status_code == 200
    assert _signs_in(api, login, "a new passphrase")
    assert not _signs_in(api, login, PASSWORD)


def test_nobody_sets_someone_elses_password(api: Api) -> None:
    pat, sam = api.user("Pat"), api.user("Sam")
    r = api.request(
        "PUT", f"/api/v1/accounts/self/logins/{sam.id}", pat, data={"login[password]": PASSWORD}
    )
    assert r.status_code == 403
    assert _stored_hash(api, sam.id) is None
    anonymous = api.client.put(
        f"/api/v1/accounts/self/logins/{sam.id}", data={"login[password]": PASSWORD}
    )
    assert anonymous.status_code == 401


def test_unknown_logins_and_accounts_are_404_and_missing_password_400(api: Api) -> None:
    for url in ("/api/v1/accounts/self/logins/999999", "/api/v1/accounts/2/logins/1"):
        r = api.request("PUT", url, api.admin, data={"login[password]": PASSWORD})
        assert r.status_code == 404, url
    r = api.request("PUT", f"/api/v1/accounts/self/logins/{api.admin.id}", api.admin, data={})
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "login[password]"


def test_a_new_password_signs_every_browser_out(api: Api) -> None:
    r = _create(api, "ada@example.edu", PASSWORD)
    user_id = r.json()["id"]
    browser = TestClient(api.client.app, follow_redirects=False)
    browser.post("/login", data={"unique_id": "ada@example.edu", "password": PASSWORD})
    assert browser.get("/api/v1/users/self").status_code == 200
    api.ok("PUT", f"/api/v1/accounts/self/logins/{user_id}", data={"login[password]": "n3w pass!"})
    assert browser.get("/api/v1/users/self").status_code == 401
