"""The LTI tests' setting: a strict test platform (tests/support/lti_platform.py) whose key
set the tool fetches in process, and a TestClient on an https base URL, so that the login's
``Secure; SameSite=None`` cookie flows as in a browser framed by an LMS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mediaobjects.app import create_app
from mediaobjects.context import AppContext, build_context
from mediaobjects.settings import Settings
from mediaobjects.storage.local import LocalStorage
from tests.support.api import Api
from tests.support.lti_platform import TOOL, Browser, Platform


@pytest.fixture
def platform() -> Platform:
    return Platform()


@pytest.fixture
def ctx(settings: Settings, platform: Platform) -> Iterator[AppContext]:
    context = build_context(
        settings,
        storage=LocalStorage(settings.data_dir / "files"),
        lti_key_set_fetcher=platform.fetch,
    )
    yield context
    context.close()


@pytest.fixture
def app(ctx: AppContext) -> Any:
    return create_app(context=ctx)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, base_url=TOOL, raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def registered(api: Api, platform: Platform) -> dict[str, Any]:
    return dict(
        api.ok("POST", "/api/v1/accounts/self/lti_registrations", json=platform.registration())
    )


@pytest.fixture
def browser(client: TestClient, platform: Platform, registered: dict[str, Any]) -> Browser:
    return Browser(client, platform)
