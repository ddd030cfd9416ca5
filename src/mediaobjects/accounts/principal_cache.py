"""Who a token stands for, remembered for a few seconds (``MEDIAOBJECTS_PRINCIPAL_CACHE_SECONDS``)
so that the requests of a page load — player, sources, tracks, info — do not each look the
token up. A token revoked through the API is forgotten at once by the process that revoked it;
other processes (``serve --workers``) and changes made elsewhere (a new site admin) take
effect within the time-to-live. Expiry is checked on every hit, so no token outlives its
``expires_at``. Keyed by the token's digest, never the token itself; bounded in size."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from mediaobjects.accounts.authentication import Authenticated
from mediaobjects.ttlcache import TtlCache


class PrincipalCache:
    def __init__(self, ttl_seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._cache: TtlCache[str, Authenticated] = TtlCache(ttl_seconds, clock=clock)

    def get(self, digest: str, now: datetime) -> Authenticated | None:
        """The cached authentication for ``digest``, if fresh and the token not expired."""
        auth = self._cache.get(digest)
        if auth is not None and auth.expired(now):
            self._cache.discard(digest)
            return None
        return auth

    def put(self, digest: str, auth: Authenticated) -> None:
        self._cache.put(digest, auth)

    def refresh(self, digest: str, auth: Authenticated) -> None:
        """A new record (a new last-used time) for a cached token, which keeps its age."""
        self._cache.replace(digest, auth)

    def forget_token(self, token_id: int) -> None:
        self._cache.discard_where(lambda auth: auth.token_id == token_id)

    def clear(self) -> None:
        self._cache.clear()
