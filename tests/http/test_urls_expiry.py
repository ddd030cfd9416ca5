"""Signed URLs expire on a step of up to a minute (a 360th of the TTL), so that the requests of
a class within one step get the same URLs: one signature each, and the same URL for the same
bytes in every browser cache. A URL never lives longer than the TTL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mediaobjects.http.urls import expiry


def test_requests_within_a_minute_share_an_expiry_no_later_than_the_ttl() -> None:
    ttl = 6 * 3600
    start = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
    times = [start + timedelta(seconds=s) for s in range(60)]
    assert {expiry(t, ttl) for t in times} == {start + timedelta(seconds=ttl)}
    later = start + timedelta(seconds=60)
    assert expiry(later, ttl) == later + timedelta(seconds=ttl)
    for t in times:
        assert t + timedelta(seconds=ttl - 60) < expiry(t, ttl) <= t + timedelta(seconds=ttl)


def test_a_short_ttl_keeps_whole_seconds() -> None:
    now = datetime(2026, 11, 30, 12, 0, 0, 500_000, tzinfo=UTC)
    assert expiry(now, 3) == datetime(2026, 11, 30, 12, 0, 3, tzinfo=UTC)
