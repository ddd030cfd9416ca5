"""FastAPI dependencies: the app context, one database session per request (the request owns
the unit of work), the authenticated principal, and Canvas parameters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from mediaobjects.accounts import service as accounts
from mediaobjects.accounts.principal import ANONYMOUS, Principal
from mediaobjects.context import AppContext
from mediaobjects.db.engine import unit_of_work
from mediaobjects.errors import InvalidToken
from mediaobjects.http.params import Params, parse_params

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_ctx(request: Request) -> AppContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, AppContext)
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


def get_session(request: Request, ctx: Ctx) -> Iterator[Session]:
    factory = ctx.reader if request.method in SAFE_METHODS else ctx.writer
    with unit_of_work(factory) as session:
        yield session


# scope="function": the commit happens before the response is sent, so a failed commit
# becomes an error response instead of a success the client would wrongly believe.
DbSession = Annotated[Session, Depends(get_session, scope="function")]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            return value.strip()
    token = request.query_params.get("access_token")
    return token if token is not None else None


def get_principal(request: Request, session: DbSession, ctx: Ctx) -> Principal:
    raw = bearer_token(request)
    if raw is None:
        header = request.headers.get("authorization")
        if header is not None and request.url.path.startswith("/api/"):
            # An Authorization header we cannot use is a bad token, not anonymity.
            raise InvalidToken()
        return ANONYMOUS
    token = accounts.authenticate_token(session, raw)
    if accounts.needs_last_used_refresh(token):
        if request.method in SAFE_METHODS:
            # Read requests hold a read-only session; this small write gets its own.
            with ctx.write() as writer:
                accounts.touch_token(writer, token.id)
        else:
            # A writer session already holds SQLite's write lock: a second writer would wait
            # for it forever, so the touch joins the request's own transaction.
            accounts.touch_token(session, token.id)
    return accounts.principal_for_token(session, token)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_params(request: Request) -> Params:
    ctx = request.app.state.ctx
    assert isinstance(ctx, AppContext)
    return await parse_params(request, ctx.settings.max_request_body_bytes)


CanvasParams = Annotated[Params, Depends(get_params)]
