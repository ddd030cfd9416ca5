"""Two instances of the app on one database (SQLite or PostgreSQL, whichever the suite runs
on), as two server processes or machines behind a load balancer: a rate limit counted by one
holds on the other, for access tokens and for failed sign-ins (per login and per address), with
the default store and with Redis. With ``MEDIAOBJECTS_RATE_LIMIT_STORE=memory`` each process
counts alone, as docs/settings.md says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import SecretStr

from mediaobjects.app import create_app
from mediaobjects.context import AppContext, build_context
from mediaobjects.ratelimit.database import DatabaseRateLimiter
from mediaobjects.ratelimit.redis_buckets import RedisRateLimiter
from mediaobjects.settings import Settings
from mediaobjects.storage.local import LocalStorage
from tests.support.api import Api, Person

PASSWORD = "correct horse battery staple"
# Bursts small enough to reach; rates so slow that nothing comes back during a test (the
# stores use the database's or Redis's own clock here).
LIMITS = {
    "rate_limit_token_per_minute": 0.01,
    "rate_limit_token_burst": 3,
    "rate_limit_sign_in_login_per_minute": 0.01,
    "rate_limit_sign_in_login_burst": 3,
    "rate_limit_sign_in_address_per_minute": 0.01,
    "rate_limit_sign_in_address_burst": 5,
}


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    from tests.support.redis import running_redis

    with running_redis() as url:
        yield url


@pytest.fixture(params=["auto", "redis", "memory"])
def two(request: pytest.FixtureRequest, settings: Settings) -> Iterator[tuple[Api, Api]]:
    """Two apps sharing the database (and the files), each with its own context: connections,
    caches and rate-limit store client, as separate processes have."""
    update: dict[str, Any] = {**LIMITS, "rate_limit_store": request.param}
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        redis.Redis.from_url(url).flushdb()
        update["queue_url"] = SecretStr(url)
    shared = settings.model_copy(update=update)
    contexts: list[AppContext] = []
    clients: list[TestClient] = []
    for _ in range(2):
        ctx = build_context(
            shared, storage=LocalStorage(shared.data_dir / "files"), with_jobs=False
        )
        contexts.append(ctx)
        clients.append(TestClient(create_app(context=ctx), follow_redirects=False))
    expected = {"auto": DatabaseRateLimiter, "redis": RedisRateLimiter}.get(request.param)
    if expected is not None:
        assert all(isinstance(ctx.limiter, expected) for ctx in contexts)
    try:
        for client in clients:
            client.__enter__()
        yield Api(clients[0], contexts[0]), Api(clients[1], contexts[1])
    finally:
        for client in clients:
            client.__exit__(None, None, None)
        for ctx in contexts:
            ctx.close()


def _shared(two: tuple[Api, Api]) -> bool:
    return two[0].ctx.settings.rate_limit_store != "memory"


def _new_token(api: Api, user: Person) -> int:
    r = api.request("POST", f"/api/v1/users/{user.id}/tokens", user, data={"token[purpose]": "x"})
    return r.status_code


def test_token_creation_is_limited_across_both_processes(two: tuple[Api, Api]) -> None:
    a, b = two
    user = a.user()  # its own first token is made by the admin, who is not counted
    assert [_new_token(api, user) for api in (a, b, a)] == [200, 200, 200]
    if not _shared(two):
        assert [_new_token(api, user) for api in (b, b, a, a)] == [200, 200, 200, 429]
        return
    for api in (b, a):
        r = api.request(
            "POST", f"/api/v1/users/{user.id}/tokens", user, data={"token[purpose]": "x"}
        )
        assert r.status_code == 429, r.text
        assert int(r.headers["retry-after"]) > 3600
        assert r.json()["errors"][0]["message"].startswith("Too many access tokens created")


def _user_with_password(api: Api, login: str) -> None:
    api.ok(
        "POST",
        "/api/v1/accounts/self/users",
        data={
            "user[name]": "Grace Hopper",
            "pseudonym[unique_id]": login,
            "pseudonym[password]": PASSWORD,
        },
    )


def _sign_in(api: Api, login: str, password: str) -> int:
    r = api.client.post("/login", data={"unique_id": login, "password": password})
    return r.status_code


def test_failed_sign_ins_for_one_login_are_limited_across_both(two: tuple[Api, Api]) -> None:
    a, b = two
    _user_with_password(a, "grace@example.edu")
    assert [_sign_in(api, "grace@example.edu", "guess") for api in (a, b, a)] == [401] * 3
    if not _shared(two):
        assert _sign_in(b, "grace@example.edu", PASSWORD) == 303  # b counted one failure
        return
    # Even the right password waits now, on either process.
    assert _sign_in(b, "grace@example.edu", PASSWORD) == 429
    assert _sign_in(a, "GRACE@example.edu", PASSWORD) == 429


def test_failed_sign_ins_from_one_address_are_limited_across_both(two: tuple[Api, Api]) -> None:
    a, b = two
    _user_with_password(a, "ada@example.edu")
    logins = [f"nobody{n}@example.edu" for n in range(5)]
    assert [_sign_in((a, b)[n % 2], login, "guess") for n, login in enumerate(logins)] == [401] * 5
    if not _shared(two):
        assert _sign_in(a, "ada@example.edu", PASSWORD) == 303
        return
    assert _sign_in(a, "ada@example.edu", PASSWORD) == 429
    assert _sign_in(b, "ada@example.edu", PASSWORD) == 429
