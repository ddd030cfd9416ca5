"""Rate limits at the HTTP edge: who the caller is (the user when a token came with the
request, else the client address) and the checks the routes call before expensive or
sensitive work. The buckets themselves live in ``mediaobjects.ratelimit``."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from sqlalchemy.orm import Session

from mediaobjects.accounts.principal import Principal
from mediaobjects.context import AppContext
from mediaobjects.ratelimit import (
    CHECK_CAPTIONS,
    CREATE_TOKEN,
    DRAW_PICTURE,
    PUT_TRACKS,
    REQUEST_ASR,
)


def caller_key(request: Request, principal: Principal) -> str:
    """A user is one caller on every address; without a user, the address is the caller.

    The address is the connection's peer as the server sees it: behind a reverse proxy, the
    proxy's, unless the proxy is named in MEDIAOBJECTS_TRUSTED_PROXIES (then the client's,
    from its X-Forwarded-For: ``http.middleware.TrustedProxyHeaders``). The header is never
    read here, since any client can write it."""
    if principal.user_id is not None:
        return f"user:{principal.user_id}"
    host = request.client.host if request.client is not None else "unknown"
    return f"address:{host}"


def picture_admission(
    ctx: AppContext, request: Request, principal: Principal
) -> Callable[[], None]:
    """The check to run just before a picture is drawn (never when it is served from storage
    or memory): TooManyRequests when the caller drew too many lately."""
    caller = caller_key(request, principal)
    return lambda: ctx.limiter.hit(DRAW_PICTURE, caller)


def limit_token_creation(ctx: AppContext, request: Request, principal: Principal) -> None:
    """Before an access token is created: TooManyRequests past the caller's rate.

    Site admins are not counted (decision): provisioning gives every user a token, hundreds
    at a time for a class, and an admin may create users, enrollments and tokens for anyone
    anyway, so a limit would stop the installs' own scripts and protect nothing. The limit is
    for everyone else, whose stolen token must not mint others without end."""
    if principal.is_site_admin:
        return
    ctx.limiter.hit(CREATE_TOKEN, caller_key(request, principal))


def limit_track_put(ctx: AppContext, request: Request, principal: Principal) -> None:
    """Before a ``PUT .../media_tracks`` replaces tracks: TooManyRequests (429, Retry-After)
    past the caller's rate (MEDIAOBJECTS_RATE_LIMIT_TRACKS_*). Call it once per request at the
    start of the handler: after authentication (so the user, not the address, is counted) and
    before the tracks are parsed and validated, which is the expensive part."""
    ctx.limiter.hit(PUT_TRACKS, caller_key(request, principal))


def limit_asr_request(
    ctx: AppContext, request: Request, principal: Principal, session: Session
) -> None:
    """When a ``POST .../asr`` would queue a speech recognition job (not when it reuses a
    track already processing or just made): TooManyRequests past the caller's rate
    (MEDIAOBJECTS_RATE_LIMIT_ASR_*). Each run costs minutes of a worker's CPU, so a caller
    posting in a loop must not keep the workers busy. Counted in ``session``, the request's
    open write: the database store must not wait for a second write lock on SQLite."""
    ctx.limiter.hit(REQUEST_ASR, caller_key(request, principal), session=session)


def limit_caption_check(ctx: AppContext, request: Request, principal: Principal) -> None:
    """Before a ``POST .../caption_check`` reads its cues: TooManyRequests past the caller's
    rate (MEDIAOBJECTS_RATE_LIMIT_CAPTION_CHECK_*). A check writes nothing but costs as much
    CPU as validating a save, and an editor sends one as its cues change."""
    ctx.limiter.hit(CHECK_CAPTIONS, caller_key(request, principal))
