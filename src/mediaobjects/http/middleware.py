"""ASGI middleware at the edge: absolute-form request targets (``GET http://host/api/v1/...``,
which urllib3 2.x sends when a client follows a Link header) are served like origin-form ones,
as RFC 9112 §3.2.2 requires."""

from __future__ import annotations

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
