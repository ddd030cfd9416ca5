"""``/static/NAME``: the pages' CSS and ES modules.

Cache choice: content-hashed URLs. Pages link ``/static/NAME?v=DIGEST``; a request whose ``v``
is the file's current digest is answered with ``max-age`` of a year and ``immutable``, so a
library page loads its CSS and script with no request at all after the first visit, and a new
release (a new digest, so a new URL) is fetched at once. Any other request (no ``v``, an old
one) is answered with ``no-cache`` and the digest as ETag, revalidated with If-None-Match.
ETag + revalidation alone would cost a round trip per file on every page view."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from mediaobjects.errors import NotFound
from mediaobjects.web.templating import asset

router = APIRouter(include_in_schema=False)

YEAR = 365 * 24 * 3600


@router.get("/static/{name:path}")
def static_file(name: str, request: Request, v: str | None = None) -> Response:
    found = asset(name)
    if found is None:
        raise NotFound()
    etag = f'"{found.digest}"'
    headers = {
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": (
            f"public, max-age={YEAR}, immutable" if v == found.digest else "public, no-cache"
        ),
    }
    match = request.headers.get("if-none-match", "")
    if etag in [part.strip() for part in match.split(",")] or match.strip() == "*":
        return Response(status_code=304, headers=headers)
    return Response(found.body, media_type=found.content_type, headers=headers)
