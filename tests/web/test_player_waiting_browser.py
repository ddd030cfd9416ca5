"""The player page of media with nothing to play yet, in a real browser (Debian's chromium;
never `playwright install`): it shows the player by itself once something plays, whatever the
media is called."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from mediaobjects.media_objects import repository as repo
from mediaobjects.media_objects.live import SegmentPublisher
from mediaobjects.transcoding import LiveSegment
from tests.support.api import Api
from tests.support.browser import chromium
from tests.support.live import live_server
from tests.support.world import build_world
from tests.web.test_player_hls_browser import Viewer

pytestmark = pytest.mark.live


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    with chromium(tmp_path / "browser-home") as instance:
        yield instance


# A title that the page's own marker is part of: the page it waits for names it too.
@pytest.mark.parametrize("title", ["Lecture 1.mp4", "How data-waiting works.mp4"])
def test_the_waiting_page_shows_the_player_once_the_early_stream_starts(
    app: Any, api: Api, browser: Any, tmp_path: Path, title: str
) -> None:
    world = build_world(api, title=title)
    with live_server(app) as base:
        response = requests.get(
            f"{base}/media_objects/{world.media_id}/info", headers=world.student.headers, timeout=30
        )
        body = response.json()
        assert body["hls_url"] is None and body["media_sources"] == []
        viewer = Viewer(browser, size=(640, 360))
        try:
            viewer.page.goto(body["embedded_iframe_url"])
            assert "still being processed" in viewer.page.locator("[role=status]").inner_text()
            # The first segment of the early stream is published (stand-in bytes: the page only
            # has to show the player).
            with api.ctx.pipeline.write() as session:
                media_object = repo.get_by_media_id(session, world.media_id)
                assert media_object is not None
                media_object.processing_state = "processing"
                media_object_id = media_object.id
            init, segment = tmp_path / "init.mp4", tmp_path / "0.m4s"
            init.write_bytes(b"init")
            segment.write_bytes(b"segment")
            SegmentPublisher(api.ctx.pipeline, world.media_id, media_object_id)(
                LiveSegment(0, segment, 6.0, init)
            )
            viewer.page.locator("video#media[data-hls-url]").wait_for(timeout=30000)
            assert viewer.refused == []
        finally:
            viewer.close()
