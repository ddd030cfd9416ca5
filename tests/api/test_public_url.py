"""Absolute URLs behind proxies and caches: with ``MEDIAOBJECTS_PUBLIC_URL`` every URL the API
hands out starts with it, whatever Host header a client (or a cache's client) sent; forwarded
headers are believed from ``MEDIAOBJECTS_TRUSTED_PROXIES`` only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mediaobjects.app import create_app
from mediaobjects.context import build_context
from mediaobjects.settings import Settings
from mediaobjects.storage.local import LocalStorage
from tests.support.api import Api
from tests.support.world import World, build_world

SRT = "1\n00:00:01,000 --> 00:00:02,000\nHi\n"
HOSTILE = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}


def _urls(world: World, headers: dict[str, str]) -> list[str]:
    """Every absolute URL a teacher's client gets back, asked with ``headers``."""
    api = world.api
    auth = {**world.teacher.headers, **headers}
    info = api.client.get(f"/media_objects/{world.media_id}/info", headers=auth).json()
    listing = api.client.get(
        f"/api/v1/courses/{world.course}/media_objects?per_page=1", headers=auth
    )
    step1 = api.client.post(
        f"/api/v1/courses/{world.course}/files", headers=auth, data={"name": "a.txt", "size": 1}
    ).json()
    found = [
        info["embedded_iframe_url"],
        *(t["url"] for t in info["media_tracks"]),
        step1["upload_url"],
    ]
    found += [part.split(">")[0].lstrip("<") for part in listing.headers["link"].split(",")]
    file = api.client.get(f"/api/v1/files/{world.attachment_id}", headers=auth).json()
    found.append(file["url"])
    return found


@contextmanager
def _client(settings: Settings, client_address: str) -> Iterator[tuple[TestClient, Any]]:
    ctx = build_context(settings, storage=LocalStorage(settings.data_dir / "files"))
    try:
        with TestClient(create_app(context=ctx), client=(client_address, 40000)) as client:
            yield client, ctx
    finally:
        ctx.close()


def _world(client: TestClient, ctx: Any) -> World:
    api = Api(client, ctx)
    world = build_world(api)
    api.ok(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        json=[{"locale": "en", "content": SRT}],
    )
    return world


def test_public_url_prefixes_every_url_whatever_the_host_header(settings: Settings) -> None:
    configured = settings.model_copy(update={"public_url": "https://media.example.edu"})
    with _client(configured, "127.0.0.1") as (client, ctx):
        world = _world(client, ctx)
        assert all(u.startswith("https://media.example.edu/") for u in _urls(world, HOSTILE))
        # Served under a path by a proxy that strips it: the path leads every URL.
        ctx.settings = settings.model_copy(update={"public_url": "https://media.example.edu/lms/"})
        urls = _urls(world, HOSTILE)
        assert len(urls) >= 7
        for url in urls:
            assert url.startswith("https://media.example.edu/lms/"), url
        assert "evil" not in " ".join(urls)


def test_without_a_public_url_urls_follow_the_host_but_not_untrusted_forwarding(
    settings: Settings,
) -> None:
    with _client(settings, "203.0.113.9") as (client, ctx):
        world = _world(client, ctx)
        urls = _urls(world, {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"})
        for url in urls:
            assert url.startswith("http://testserver/"), url


def test_a_trusted_proxy_sets_scheme_host_and_client(settings: Settings) -> None:
    trusted = settings.model_copy(update={"trusted_proxies": "127.0.0.1, 10.0.0.0/8"})
    with _client(trusted, "10.1.2.3") as (client, ctx):
        world = _world(client, ctx)
        forwarded = {
            "X-Forwarded-Host": "media.example.edu",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "198.51.100.7, 10.0.0.5",
        }
        for url in _urls(world, forwarded):
            assert url.startswith("https://media.example.edu/"), url


@pytest.mark.parametrize(
    "value", ["media.example.edu", "ftp://x", "https://u:p@x", "https://x/?q=1", "https://"]
)
def test_a_public_url_that_is_not_a_plain_http_url_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="public_url"):
        Settings(public_url=value)


def test_trusted_proxies_must_be_addresses() -> None:
    with pytest.raises(ValueError, match="trusted_proxies"):
        Settings(trusted_proxies="10.0.0.0/8, proxy.example")
