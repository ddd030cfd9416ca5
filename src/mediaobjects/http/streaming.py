"""Serves stored bytes over HTTP the way media players need: one byte range (206), 416 past
the end, ETag with If-None-Match (304) and If-Range, HEAD, and — with object storage — a 302 to
a presigned URL so that the bucket serves the bytes itself. Used for files, media sources,
posters and thumbnails."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from mediaobjects.context import AppContext
from mediaobjects.http.conditional import not_modified, quoted, range_applies
from mediaobjects.http.ranges import RangeNotSatisfiable, parse_range

# Types a browser may render inline from our origin without running script in it.
INLINE_SAFE = ("audio/", "video/", "image/png", "image/jpeg", "image/gif", "image/webp", "text/vtt")


def is_inline_safe(content_type: str) -> bool:
    return content_type.startswith(INLINE_SAFE)


def stream_stored(
    request: Request,
    ctx: AppContext,
    *,
    key: str,
    size: int,
    etag_value: str,
    content_type: str,
    filename: str,
    cache_control: str = "private, max-age=0, must-revalidate",
) -> Response:
    inline = is_inline_safe(content_type)
    presigned = ctx.storage.presigned_url(
        key,
        expires_in=ctx.settings.signed_url_ttl_seconds,
        content_type=content_type,
        filename=None if inline else filename,
    )
    if presigned is not None:
        # Object storage serves the bytes (and Range requests) itself; we only authorise.
        return Response(
            status_code=302, headers={"Location": presigned, "Cache-Control": "private, no-store"}
        )
    etag = quoted(etag_value)
    kind = "inline" if inline else "attachment"
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Content-Disposition": f"{kind}; filename*=UTF-8''{quote(filename, safe='')}",
        # User-uploaded bytes must never run as a page of ours.
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'; media-src 'self'",
        "Cache-Control": cache_control,
    }
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    range_header = request.headers.get("range") if range_applies(request, etag) else None
    try:
        byte_range = parse_range(range_header, size)
    except RangeNotSatisfiable:
        headers["Content-Range"] = f"bytes */{size}"
        return Response(status_code=416, headers=headers)
    status = 200
    start, end = 0, size - 1
    if byte_range is not None:
        status = 206
        start, end = byte_range.start, byte_range.end
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(max(0, end - start + 1))
    if request.method == "HEAD" or size == 0:
        return Response(status_code=status, headers=headers, media_type=content_type)
    body = ctx.storage.read_range(key, start, end)
    return _ClosingStreamingResponse(
        body, status_code=status, headers=headers, media_type=content_type
    )


class _ClosingStreamingResponse(StreamingResponse):
    """Closes the storage stream (its open file) when the response ends for any reason. When a
    player aborts a Range request, Starlette stops iterating without closing the iterator, and
    the file would stay open until garbage collection."""

    def __init__(self, chunks: Iterator[bytes], **kwargs: Any) -> None:
        super().__init__(chunks, **kwargs)
        self._chunks = chunks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # No thread is inside next() here: a cancelled run_sync waits for it to return.
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()
