"""Request bodies are read only after the caller was authorised, and never past a total limit.

A route's authorisation dependency calls :func:`allow_body` once the service has said yes;
every body reader here refuses to start before that (a programming error, caught by the test
that sends every route an anonymous body). So an anonymous caller or a student cannot make the
server read, buffer or parse megabytes it will refuse anyway, and no database transaction is
open while a slow client trickles its body in."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from fastapi import Request

from mediaobjects.errors import PayloadTooLarge
from mediaobjects.numbers import decimal_digits

_ALLOWED = "mediaobjects_body_allowed"


class BodyReadBeforeAuthorisation(RuntimeError):
    """A route read its body before its authorisation dependency ran."""


def allow_body(request: Request) -> None:
    """Marks the request as authorised: its body may now be read."""
    setattr(request.state, _ALLOWED, True)


def body_allowed(request: Request) -> bool:
    return bool(getattr(request.state, _ALLOWED, False))


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than {limit} bytes.")


def check_declared_length(request: Request, limit: int) -> None:
    """413 at once when Content-Length already says the body is over ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        size = decimal_digits(declared.strip())
        if size is not None and size > limit:
            raise too_large(limit)


async def limited_stream(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    """The body's chunks, raising 413 as soon as more than ``limit`` bytes arrived."""
    if not body_allowed(request):
        raise BodyReadBeforeAuthorisation(request.url.path)
    check_declared_length(request, limit)
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise too_large(limit)
        yield chunk


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, at most ``limit`` bytes (else 413)."""
    chunks = [chunk async for chunk in limited_stream(request, limit)]
    return b"".join(chunks)
