"""A private Redis server for the rate-limit stores' tests (tests/support/redis.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    from tests.support.redis import running_redis

    with running_redis() as url:
        yield url
