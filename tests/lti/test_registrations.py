"""The registration API (site admins only) and its command-line twin: what is stored, what is
refused with which 400, and who may do it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mediaobjects.cli import main
from mediaobjects.settings import Settings
from tests.support.api import Api
from tests.support.lti_platform import Platform

URL = "/api/v1/accounts/self/lti_registrations"


def test_a_site_admin_registers_lists_shows_changes_and_deletes_a_platform(
    api: Api, platform: Platform
) -> None:
    created = api.ok("POST", URL, json=platform.registration(deployment_ids=["1:a", "2:b", "1:a"]))
    assert created["issuer"] == platform.issuer
    assert created["client_id"] == platform.client_id
    assert created["key_set_url"] == platform.key_set_url
    assert created["deployment_ids"] == ["1:a", "2:b"]
    assert created["user_match_claim"] == "email"
    assert api.ok("GET", URL) == [created]
    assert api.ok("GET", f"{URL}/{created['id']}") == created
    changed = api.ok(
        "PUT",
        f"{URL}/{created['id']}",
        json={"deployment_ids": ["3:c"], "user_match_claim": "preferred_username"},
    )
    assert changed["deployment_ids"] == ["3:c"]
    assert changed["user_match_claim"] == "preferred_username"
    assert changed["issuer"] == platform.issuer
    deleted = api.ok("DELETE", f"{URL}/{created['id']}")
    assert deleted["id"] == created["id"]
    assert api.ok("GET", URL) == []
    assert api.request("GET", f"{URL}/{created['id']}", api.admin).status_code == 404


def test_form_bodies_work_too(api: Api, platform: Platform) -> None:
    form = {k: v for k, v in platform.registration().items() if k != "deployment_ids"}
    form["deployment_ids[]"] = ["1:a", "2:b"]
    created = api.ok("POST", URL, data=form)
    assert created["deployment_ids"] == ["1:a", "2:b"]


def test_one_issuer_may_have_many_client_ids_but_each_pair_once(
    api: Api, platform: Platform
) -> None:
    api.ok("POST", URL, json=platform.registration())
    api.ok("POST", URL, json=platform.registration(client_id="another-school"))
    again = api.request("POST", URL, api.admin, json=platform.registration())
    assert again.status_code == 409
    assert again.json()["errors"][0]["error_code"] == "taken"
    second = api.ok("GET", URL)[1]
    clash = api.request("PUT", f"{URL}/{second['id']}", api.admin, json={"client_id": "42"})
    assert clash.status_code == 200
    clash = api.request(
        "PUT", f"{URL}/{second['id']}", api.admin, json={"client_id": platform.client_id}
    )
    assert clash.status_code == 409


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"issuer": None}, "issuer", "issuer is required"),
        ({"client_id": "  "}, "client_id", "client_id must not be blank"),
        ({"key_set_url": "http://lms.example.edu/jwks"}, "key_set_url", "must be an https URL"),
        ({"auth_login_url": "ftp://lms.example.edu/x"}, "auth_login_url", "must be an https URL"),
        ({"auth_token_url": "not a url"}, "auth_token_url", "must not contain spaces"),
        ({"auth_login_url": "https://u:p@lms.example.edu/"}, "auth_login_url", "user name"),
        ({"issuer": "https://lms.example.edu/#x"}, "issuer", "must not have a fragment"),
        ({"deployment_ids": ["ok", ""]}, "deployment_ids", "deployment id must not be blank"),
        ({"deployment_ids": [{"a": 1}]}, "deployment_ids", "must be a string"),
        ({"user_match_claim": "email address"}, "user_match_claim", "must be a claim name"),
        ({"key_set_url": "https://" + "a" * 2100 + ".edu"}, "key_set_url", "at most 2048"),
    ],
)
def test_invalid_registrations_are_400_naming_the_field(
    api: Api, platform: Platform, change: dict[str, Any], field: str, words: str
) -> None:
    body = {k: v for k, v in platform.registration(**change).items() if v is not None}
    response = api.request("POST", URL, api.admin, json=body)
    assert response.status_code == 400, response.text
    errors = response.json()["errors"]
    assert any(e["field"] == field and words in e["message"] for e in errors), errors
    assert api.ok("GET", URL) == []


def test_http_is_allowed_for_a_platform_on_this_machine(api: Api) -> None:
    local = Platform(issuer="http://localhost:8080")
    local.key_set_url = "http://127.0.0.1:8080/mod/lti/certs.php"
    created = api.ok("POST", URL, json=local.registration())
    assert created["key_set_url"] == "http://127.0.0.1:8080/mod/lti/certs.php"


def test_only_site_admins_may_register(api: Api, platform: Platform) -> None:
    teacher = api.user("Tess Teacher")
    body = platform.registration()
    assert api.request("POST", URL, teacher, json=body).status_code == 403
    assert api.request("GET", URL, teacher).status_code == 403
    assert api.request("POST", URL, None, json=body).status_code == 401
    assert api.request("GET", URL, None).status_code == 401
    created = api.ok("POST", URL, json=body)
    assert api.request("DELETE", f"{URL}/{created['id']}", teacher).status_code == 403
    assert api.request("PUT", f"{URL}/{created['id']}", teacher, json={}).status_code == 403
    assert api.ok("GET", URL) == [created]


def test_the_command_line_registers_lists_and_rotates(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("MEDIAOBJECTS_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("MEDIAOBJECTS_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setenv("MEDIAOBJECTS_SECRET_KEY", "test-secret-key")
    platform = Platform()
    args = [
        "lti",
        "register",
        "--issuer",
        platform.issuer,
        "--client-id",
        platform.client_id,
        "--auth-login-url",
        platform.auth_login_url,
        "--auth-token-url",
        platform.auth_token_url,
        "--key-set-url",
        platform.key_set_url,
        "--deployment-id",
        "1:a",
        "--deployment-id",
        "2:b",
    ]
    assert main(args) == 0
    assert "registered platform 1" in capsys.readouterr().out
    assert main(args) == 1
    assert "issuer and client_id exists" in capsys.readouterr().err
    bad = [*args[:-4], "--key-set-url", "http://lms.example.edu/jwks"]
    bad[bad.index("--client-id") + 1] = "other"
    assert main(bad) == 1
    assert "must be an https URL" in capsys.readouterr().err
    assert main(["lti", "list"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[1].split("\t") == ["1", platform.issuer, platform.client_id, "1:a,2:b", "email"]
    assert len(listing) == 2
    assert main(["lti", "rotate-keys"]) == 0
    first = dict(line.split("\t")[::-1] for line in capsys.readouterr().out.splitlines())
    # Keys are made on first use, then rotated at once.
    assert sorted(first.values()) == ["current", "next", "retired"]
    assert main(["lti", "rotate-keys"]) == 0
    second = dict(line.split("\t")[::-1] for line in capsys.readouterr().out.splitlines())
    # The next key became current, the current one retired.
    old_next = next(kid for kid, state in first.items() if state == "next")
    old_current = next(kid for kid, state in first.items() if state == "current")
    assert second[old_next] == "current"
    assert second[old_current] == "retired"
    assert sorted(second.values()) == ["current", "next", "retired"]
    # The key retired before is no longer published.
    assert set(first) & set(second) == {old_next, old_current}
