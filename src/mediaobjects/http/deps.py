"""FastAPI dependencies: the app context, the request's read-only session, the authenticated
principal, and Canvas parameters.

How a request uses the database: reads happen in the request's read-only session
(``DbSession``); writes open ``ctx.write()`` in the handler, after authorisation and after the
body was read, so that no write lock (SQLite) or pooled connection (PostgreSQL) is held while
a client sends its body. Routes with a body authorise in a dependency of their decorator
(``dependencies=[Depends(...)]``, which FastAPI runs before the handler's own dependencies)
that calls :func:`authorized`; the body readers refuse to run before it (``http.body``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from mediaobjects.accounts import authentication
from mediaobjects.accounts.principal import ANONYMOUS, Principal
from mediaobjects.context import AppContext
from mediaobjects.db.engine import unit_of_work
from mediaobjects.errors import InvalidToken
from mediaobjects.http.body import allow_body
from mediaobjects.http.params import Params, query_params, read_params

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_ctx(request: Request) -> AppContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, AppContext)
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


def get_session(ctx: Ctx) -> Iterator[Session]:
    with unit_of_work(ctx.reader) as session:
        yield session


# The request's read-only session (opened lazily: no connection until the first query).
DbSession = Annotated[Session, Depends(get_session, scope="function")]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            return value.strip()
    token = request.query_params.get("access_token")
    return token if token is not None else None


def _authenticate(session: Session, ctx: AppContext, raw: str) -> Principal:
    token = authentication.authenticate_token(session, raw)
    if authentication.needs_last_used_refresh(token):
        # Once in ten minutes per token; its own short write, never the request's.
        with ctx.write() as writer:
            authentication.touch_token(writer, token.id)
    return authentication.principal_for_token(session, token)


def get_principal(request: Request, ctx: Ctx, session: DbSession) -> Principal:
    raw = bearer_token(request)
    if raw is None:
        header = request.headers.get("authorization")
        if header is not None and request.url.path.startswith("/api/"):
            # An Authorization header we cannot use is a bad token, not anonymity.
            raise InvalidToken()
        return ANONYMOUS
    if request.method in SAFE_METHODS:
        # Reads share the request's session: one connection for the whole request.
        return _authenticate(session, ctx, raw)
    # Writes: a short unit of its own, so that nothing is held while the body arrives.
    with ctx.read() as own:
        return _authenticate(own, ctx, raw)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def authorized(request: Request, ctx: AppContext, check: Callable[[Session], object]) -> None:
    """Runs a service's permission check in a short read-only unit of work; once it passed,
    the request's body may be read. For the decorator dependencies of routes with a body."""
    with ctx.read() as session:
        check(session)
    allow_body(request)


def get_query(request: Request) -> Params:
    return query_params(request)


# The query string only: routes without a body.
QueryParams = Annotated[Params, Depends(get_query)]


async def get_body_params(request: Request) -> Params:
    ctx = get_ctx(request)
    return await read_params(request, ctx.settings.max_request_body_bytes)


# Query string and form/JSON body, at most MEDIAOBJECTS_MAX_REQUEST_BODY_BYTES; only after
# the route's authorisation dependency.
BodyParams = Annotated[Params, Depends(get_body_params)]
