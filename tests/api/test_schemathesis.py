"""schemathesis over the app's own OpenAPI description: generated requests to every operation,
as an authenticated teacher of a course with media and tracks, never get a 5xx, and every
response matches the documented status codes, content types and schemas.

(schemathesis's pytest plugin does not run under pytest 9 here, so the operations are driven
with hypothesis directly; the checks are schemathesis's own.)"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import CHECKS

from mediaobjects.app import create_app
from mediaobjects.settings import Settings
from tests.support.api import Api
from tests.support.world import build_world

SRT = "1\n00:00:01,000 --> 00:00:02,000\nHello\n"
CHECK_NAMES = ["status_code_conformance", "content_type_conformance", "response_schema_conformance"]


def _operations() -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(Settings()))
    return [result.ok() for result in schema.get_all_operations()]


OPERATIONS = _operations()


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method.upper()} {op.path}")
def test_no_5xx_and_responses_match_schema(operation: Any, app: Any, api: Api) -> None:
    world = build_world(api)
    api.ok(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        json=[{"locale": "en", "content": SRT}],
    )
    live = schemathesis.openapi.from_asgi("/openapi.json", app)
    bound = live[operation.path][operation.method.upper()]
    checks = [check for name in CHECK_NAMES for check in CHECKS.get_by_names([name])]
    headers = {"Authorization": f"Bearer {world.teacher.token}"}

    @given(case=bound.as_strategy())
    @settings(
        max_examples=12,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, (case.method, case.formatted_path, response.text)
        case.validate_response(response, checks=checks)

    run()
