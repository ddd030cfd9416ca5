"""ASGI middleware at the edge: absolute-form request targets (``GET http://host/api/v1/...``,
which urllib3 2.x sends when a client follows a Link header) are served like origin-form ones,
as RFC 9112 §3.2.2 requires; forwarded headers are believed from trusted proxies only."""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send


class AbsoluteFormTargets:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope.get("path", "")
            if path.startswith(("http://", "https://")):
                parts = urlsplit(path)
                scope = dict(scope)
                scope["path"] = parts.path or "/"
                scope["raw_path"] = (parts.path or "/").encode("latin-1")
                if parts.query and not scope.get("query_string"):
                    scope["query_string"] = parts.query.encode("latin-1")
        await self.app(scope, receive, send)


class TrustedProxyHeaders:
    """``X-Forwarded-For``, ``-Proto`` and ``-Host`` from the reverse proxies named in
    ``MEDIAOBJECTS_TRUSTED_PROXIES`` set the client address, scheme and Host the app sees (so
    URLs and rate limits follow the real client). From any other peer they are ignored: anyone
    can send them."""

    def __init__(self, app: ASGIApp, trusted: Sequence[IPv4Network | IPv6Network]) -> None:
        self.app = app
        self.trusted = list(trusted)

    def _is_trusted(self, host: str | None) -> bool:
        if host is None:
            return False
        try:
            address = ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.trusted:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        if not self._is_trusted(client[0] if client else None):
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        scope = dict(scope)
        proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1").split(",")[0].strip()
        if proto in ("http", "https"):
            scope["scheme"] = proto
        forwarded_host = headers.get(b"x-forwarded-host", b"").split(b",")[0].strip()
        if forwarded_host:
            scope["headers"] = [
                (k, v) for k, v in scope.get("headers", []) if k.lower() != b"host"
            ] + [(b"host", forwarded_host)]
        hops = headers.get(b"x-forwarded-for", b"").decode("latin-1").split(",")
        # The nearest address that is not one of our proxies is the client.
        for hop in reversed([h.strip() for h in hops if h.strip()]):
            if not self._is_trusted(hop):
                try:
                    ip_address(hop)
                except ValueError:
                    break
                port = client[1] if client else 0
                scope["client"] = (hop, port)
                break
        await self.app(scope, receive, send)
