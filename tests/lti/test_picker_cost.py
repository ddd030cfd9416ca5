"""The picker page's cost: the statements it sends do not grow with the media it lists (a
page of twelve costs what a page of one does: 8 statements, measured)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.lti.helpers import login_of
from tests.lti.test_picker import launch_picker, open_picker
from tests.support.api import Api
from tests.support.lti_platform import INSTRUCTOR, Browser, Person
from tests.support.media import fake_mp4
from tests.support.statements import counting


def test_the_picker_page_costs_the_same_for_one_media_and_a_full_page(
    api: Api, browser: Browser, client: TestClient
) -> None:
    who = api.user("Tess Teacher")
    person = Person("sub-t", "Tess Teacher", login_of(api, who), [INSTRUCTOR])
    url = launch_picker(browser, person)
    counts = []
    for wanted in (1, 12):
        for n in range(len(open_picker(client, url).listed), wanted):
            api.upload("users/self", who, f"Clip {n}.mp4", fake_mp4(), "video/mp4")
        with counting(api.ctx.engine) as statements:
            picker = open_picker(client, url)
        assert len(picker.listed) == wanted
        counts.append(statements.count)
    assert counts[0] == counts[1], counts
    assert counts[1] <= 10, f"{counts}\n{statements}"
