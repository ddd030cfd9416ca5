"""The platforms' public keys (their JWKS at ``key_set_url``), fetched with a short timeout and
kept per registration in this process's memory for a while. A token naming a ``kid`` the
cached set lacks makes one refetch (platforms such as D2L rotate about hourly), at most once per
MEDIAOBJECTS_LTI_KEY_SET_REFETCH_SECONDS per registration, so a stream of forged kids cannot
make us fetch on every request.

Fetching is a small interface (``KeySetFetcher``): the service uses HTTP, the tests' platform
answers in process."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

# A key set is a handful of keys; anything far larger is not one.
MAX_KEY_SET_BYTES = 256 * 1024
MAX_KEYS = 50


class KeySetUnavailable(Exception):
    """The platform's key set could not be fetched or read; the message says why."""


class KeySetFetcher(Protocol):
    def __call__(self, url: str, timeout: float) -> bytes:
        """The body at ``url``; KeySetUnavailable when it cannot be had."""
        ...


def _may_follow(origin: str, target: str) -> bool:
    """Whether a redirect from ``origin`` to ``target`` is followed: to https, or within the
    same scheme, host and port (a loopback trial platform over http). Never to plain http
    elsewhere (another host of our network: a cloud's metadata address, an internal
    service) nor to ftp, which urllib would follow."""
    try:
        old, new = urlsplit(origin), urlsplit(target)
        same = (old.scheme, old.hostname, old.port) == (new.scheme, new.hostname, new.port)
    except ValueError:
        return False
    return new.scheme == "https" or (new.scheme == "http" and same)


class _PlatformRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if not _may_follow(req.full_url, newurl):
            fp.close()
            raise KeySetUnavailable(
                f"it redirects to {newurl[:200]!r}; only https redirects are followed"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_PlatformRedirects)


def fetch_over_http(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(  # noqa: S310 -- https (or loopback http) by registration rules
        url, headers={"Accept": "application/json"}
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            body: bytes = response.read(MAX_KEY_SET_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise KeySetUnavailable(str(exc)) from exc
    if len(body) > MAX_KEY_SET_BYTES:
        raise KeySetUnavailable(f"larger than {MAX_KEY_SET_BYTES} bytes")
    return body


def parse_key_set(body: bytes) -> dict[str, dict[str, Any]]:
    """The RSA signing keys of a JWKS by kid."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise KeySetUnavailable("not JSON") from exc
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list):
        raise KeySetUnavailable("no keys in it")
    found: dict[str, dict[str, Any]] = {}
    for key in keys[:MAX_KEYS]:
        if not isinstance(key, dict) or key.get("kty") != "RSA":
            continue
        kid = key.get("kid")
        if isinstance(kid, str) and kid and key.get("use", "sig") == "sig":
            found[kid] = key
    return found


@dataclass
class _Entry:
    keys: dict[str, dict[str, Any]]
    fetched_at: float


@dataclass
class KeySetCache:
    fetcher: KeySetFetcher = fetch_over_http
    timeout: float = 5.0
    ttl: float = 300.0
    refetch_interval: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _entries: dict[tuple[int, str], _Entry] = field(default_factory=dict)
    # The last failed fetch of each key set (when, why): not tried again within the refetch
    # interval, or every launch posted while a platform is down (anyone can start a login)
    # would fetch again, each holding a request thread for up to the timeout.
    _failures: dict[tuple[int, str], tuple[float, str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _fetch(self, key: tuple[int, str]) -> _Entry:
        with self._lock:
            failed = self._failures.get(key)
        if failed is not None and self.clock() - failed[0] < self.refetch_interval:
            raise KeySetUnavailable(f"{failed[1]}; tried again after a while")
        try:
            entry = _Entry(parse_key_set(self.fetcher(key[1], self.timeout)), self.clock())
        except KeySetUnavailable as exc:
            with self._lock:
                self._failures[key] = (self.clock(), str(exc))
            raise
        with self._lock:
            self._entries[key] = entry
            self._failures.pop(key, None)
        return entry

    def _due(self, entry: _Entry, kid: str, now: float) -> bool:
        age = now - entry.fetched_at
        # An unknown kid: the platform may have rotated since; refetched, rate-limited.
        return age >= self.ttl or (kid not in entry.keys and age >= self.refetch_interval)

    def key_for(self, registration_id: int, url: str, kid: str) -> dict[str, Any] | None:
        """The platform's key ``kid`` as a JWK; None when the platform does not publish it
        (even after the one refetch allowed). KeySetUnavailable when it cannot be fetched."""
        # Keyed by URL too: an admin changing key_set_url takes effect at once.
        key = (registration_id, url)
        with self._lock:
            entry = self._entries.get(key)
        now = self.clock()
        if entry is None or self._due(entry, kid, now):
            entry = self._fetch(key)
        return entry.keys.get(kid)

    def forget(self, registration_id: int) -> None:
        with self._lock:
            for key in [k for k in self._entries if k[0] == registration_id]:
                del self._entries[key]
            for key in [k for k in self._failures if k[0] == registration_id]:
                del self._failures[key]
