"""The pages' Jinja2 environment (autoescaped: every value a user typed is escaped), their
static files with content-hashed URLs, and the headers every page carries: a strict
Content-Security-Policy (scripts and styles from /static/ only, no inline script or style),
nosniff, no referrer, no caching of pages that show a user's data."""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files as resource_files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

_STATIC = resource_files("mediaobjects.web").joinpath("static")
# Only plain file names, and those of vendor/ (third-party code checked in as published, whose
# names carry dots: hls.light.min.mjs): nothing the URL says can walk out of the static
# directory, and nothing but CSS, scripts and SVG is served (not vendor/'s LICENSE notes).
_STATIC_NAME = re.compile(r"(?:vendor/)?[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9_-]+)*\.(?:css|js|mjs|svg)")
# Module scripts run only when served with a JavaScript type: set here, not left to the
# system's MIME table.
_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    # The first 16 hex digits of the body's SHA-256: the ``v`` of its URL, and its ETag.
    digest: str
    content_type: str


@cache
def asset(name: str) -> Asset | None:
    """A static file by name, read once per process (they ship with the package)."""
    if not _STATIC_NAME.fullmatch(name):
        return None
    resource = _STATIC.joinpath(name)
    if not resource.is_file():
        return None
    body = resource.read_bytes()
    suffix = name[name.rindex(".") :]
    content_type = _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Asset(body, hashlib.sha256(body).hexdigest()[:16], content_type)


def static_url(name: str) -> str:
    """``/static/NAME?v=DIGEST``: the URL changes whenever the file does, so browsers may
    keep it for a year (see ``web.static``)."""
    found = asset(name)
    if found is None:
        raise LookupError(f"no static file {name}")
    return f"/static/{name}?v={found.digest}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("mediaobjects.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static_url"] = static_url
    return env


def render(template: str, **values: Any) -> str:
    return environment().get_template(template).render(**values)


def page_headers(
    service_origins: tuple[str, ...] = (), *, frame_self: bool = False
) -> dict[str, str]:
    """Headers of every page. ``service_origins``: where the URLs the API hands out point
    besides this origin (the configured public URL, when it differs): thumbnails, uploads.
    ``frame_self``: the page frames this service's own pages (the media page's player);
    every other page may frame nothing."""
    own = " ".join(("'self'", *service_origins))
    frames = "frame-src 'self'; " if frame_self else ""
    policy = (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        f"img-src {own}; media-src 'self'; connect-src {own}; {frames}form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "private, no-store",
    }
