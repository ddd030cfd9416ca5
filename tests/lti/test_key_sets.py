"""The platforms' key sets as the tool reads and keeps them: only RSA signing keys, garbage
refused with a reason, kept for the TTL, fetched again once for an unknown kid (rate-limited),
and a platform that does not answer is a clear failure, not a hang."""

from __future__ import annotations

import json
import socket

import pytest

from mediaobjects.lti.key_sets import KeySetCache, KeySetUnavailable, fetch_over_http, parse_key_set


def _jwks(*kids: str) -> bytes:
    return json.dumps(
        {"keys": [{"kty": "RSA", "kid": k, "n": "x", "e": "AQAB"} for k in kids]}
    ).encode()


def test_only_rsa_signing_keys_with_a_kid_are_kept() -> None:
    body = json.dumps(
        {
            "keys": [
                {"kty": "RSA", "kid": "a", "n": "x", "e": "AQAB"},
                {"kty": "RSA", "kid": "enc", "use": "enc", "n": "x", "e": "AQAB"},
                {"kty": "EC", "kid": "ec", "crv": "P-256"},
                {"kty": "RSA", "n": "x", "e": "AQAB"},
                "not a key",
            ]
        }
    ).encode()
    assert list(parse_key_set(body)) == ["a"]


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"keys": 3}', b"[" * 100_000])
def test_garbage_key_sets_are_refused(body: bytes) -> None:
    with pytest.raises(KeySetUnavailable):
        parse_key_set(body)


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_kept_for_the_ttl_and_refetched_once_for_an_unknown_kid() -> None:
    served = [_jwks("a")]
    fetched: list[str] = []

    def fetch(url: str, timeout: float) -> bytes:
        fetched.append(url)
        return served[-1]

    clock = _Clock()
    cache = KeySetCache(fetcher=fetch, ttl=300, refetch_interval=30, clock=clock)
    assert cache.key_for(1, "https://lms/jwks", "a") is not None
    clock.now += 100
    assert cache.key_for(1, "https://lms/jwks", "a") is not None
    assert len(fetched) == 1
    served.append(_jwks("a", "b"))
    # Within the refetch interval an unknown kid fetches nothing...
    clock.now += 10
    cache.refetch_interval = 200
    assert cache.key_for(1, "https://lms/jwks", "b") is None
    assert len(fetched) == 1
    # ...after it, once.
    cache.refetch_interval = 30
    assert cache.key_for(1, "https://lms/jwks", "b") is not None
    assert len(fetched) == 2
    # Past the TTL, again; each registration (and URL) has its own entry.
    clock.now += 301
    cache.key_for(1, "https://lms/jwks", "a")
    cache.key_for(2, "https://lms/jwks", "a")
    assert len(fetched) == 4


def test_a_platform_that_does_not_answer_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port any more: refused at once.
    with pytest.raises(KeySetUnavailable):
        fetch_over_http(f"http://127.0.0.1:{port}/jwks", timeout=2)
