"""canvasapi 3.6.0, unchanged, against a live server: it has no media-object helpers, so scripts
use its PaginatedList and requester directly — paging with per_page=100 and exclude[], tracks
with include[], and a form-encoded retitle."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from canvasapi import Canvas
from canvasapi.canvas_object import CanvasObject
from canvasapi.paginated_list import PaginatedList
from canvasapi.util import combine_kwargs

from tests.support.api import Api
from tests.support.live import live_server
from tests.support.media import fake_mp4
from tests.support.world import build_world

pytestmark = [
    pytest.mark.live,
    pytest.mark.filterwarnings("ignore:Canvas may respond unexpectedly:UserWarning"),
]
SRT = "1\n00:00:01,000 --> 00:00:02,000\nHello\n"


@pytest.fixture
def base_url(app: Any) -> Iterator[str]:
    with live_server(app) as url:
        yield url


def test_media_objects_with_canvasapi(api: Api, base_url: str) -> None:
    world = build_world(api)
    for n in range(2, 13):
        api.upload(f"courses/{world.course}", world.teacher, f"Lecture {n}.mp4", fake_mp4())
    canvas = Canvas(base_url, world.teacher.token)
    requester = canvas._Canvas__requester  # type: ignore[attr-defined]

    media = PaginatedList(
        CanvasObject,
        requester,
        "GET",
        f"courses/{world.course}/media_objects",
        _kwargs=combine_kwargs(exclude=["sources"], per_page=100),
    )
    listed = list(media)
    assert [m.title for m in listed] == [f"Lecture {n}.mp4" for n in range(1, 13)]
    assert all(not hasattr(m, "media_sources") for m in listed)
    assert all(m.media_tracks == [] for m in listed)

    small_pages = PaginatedList(
        CanvasObject,
        requester,
        "GET",
        f"courses/{world.course}/media_objects",
        _kwargs=combine_kwargs(exclude=["sources", "tracks"], per_page=5),
    )
    assert len(list(small_pages)) == 12

    # canvasapi's requester can only send JSON objects; the bare-array PUT goes through requests.
    r = requests.put(
        f"{base_url}/api/v1/media_objects/{world.media_id}/media_tracks",
        headers={"Authorization": f"Bearer {world.teacher.token}"},
        json=[{"locale": "en", "content": SRT}],
        timeout=10,
    )
    assert r.status_code == 200
    tracks = requester.request(
        "GET",
        f"media_objects/{world.media_id}/media_tracks",
        _kwargs=combine_kwargs(include=["content", "created_at"]),
    ).json()
    assert tracks[0]["locale"] == "en"
    assert tracks[0]["content"] == SRT
    assert "created_at" in tracks[0]

    renamed = requester.request(
        "PUT",
        f"media_objects/{world.media_id}",
        _kwargs=combine_kwargs(user_entered_title="Week 1: Introduction"),
    ).json()
    assert renamed["title"] == "Week 1: Introduction"
