"""uw-restclients-canvas 1.2.31, unchanged, against a live server on loopback: it pages through
a course's media objects by following our Link headers (with urllib3's absolute-form request
targets) and parses nested tracks, timestamps included."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from commonconf.proxy import ConfProxy

from tests.support.api import Api
from tests.support.live import live_server
from tests.support.media import fake_mp4
from tests.support.world import build_world

pytestmark = pytest.mark.live
SRT = "1\n00:00:01,000 --> 00:00:02,000\nHello\n"


class _Settings:
    """commonconf backend for tests: uw_canvas reads its settings through commonconf."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def get(self, key: str) -> Any:
        # AttributeError makes commonconf fall back to the caller's default.
        if key not in self.values:
            raise AttributeError(key)
        return self.values[key]


@pytest.fixture
def uw_settings() -> Iterator[dict[str, Any]]:
    values: dict[str, Any] = {
        "RESTCLIENTS_CANVAS_DAO_CLASS": "Live",
        "RESTCLIENTS_CANVAS_POOL_SIZE": 2,
    }
    previous = ConfProxy.backend
    ConfProxy.backend = _Settings(values)  # type: ignore[assignment]
    try:
        yield values
    finally:
        ConfProxy.backend = previous


def test_media_objects_by_course_across_pages(
    api: Api, app: Any, uw_settings: dict[str, Any]
) -> None:
    from uw_canvas.media_objects import MediaObjects

    world = build_world(api)
    for n in range(2, 6):
        api.upload(f"courses/{world.course}", world.teacher, f"Lecture {n}.mp4", fake_mp4())
    api.ok(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        json=[{"locale": "en", "content": SRT}, {"locale": "fr", "content": SRT}],
    )
    with live_server(app) as base:
        uw_settings["RESTCLIENTS_CANVAS_HOST"] = base
        uw_settings["RESTCLIENTS_CANVAS_OAUTH_BEARER"] = world.student.token
        client = MediaObjects(per_page=2)
        objects = client.get_media_objects_by_course_id(world.course)
    assert [o.title for o in objects] == [f"Lecture {n}.mp4" for n in range(1, 6)]
    first = objects[0]
    assert first.media_id == world.media_id
    assert [t.locale for t in first.media_tracks] == ["en", "fr"]
    assert first.media_tracks[0].created_at is not None
    # No worker runs here, so nothing is transcoded: uw_canvas must cope with no sources.
    assert first.media_sources == []
