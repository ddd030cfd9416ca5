"""FastAPI dependencies: the app context, the request's read-only session, the authenticated
principal, and Canvas parameters.

How a request uses the database: reads happen in the request's read-only session
(``DbSession``); writes open ``ctx.write()`` in the handler, after authorisation and after the
body was read, so that no write lock (SQLite) or pooled connection (PostgreSQL) is held while
a client sends its body. Routes with a body authorise in a dependency of their decorator
(``dependencies=[Depends(...)]``, which FastAPI runs before the handler's own dependencies)
that calls :func:`authorized`; the body readers refuse to run before it (``http.body``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from mediaobjects.accounts import authentication
from mediaobjects.accounts.principal import ANONYMOUS, Principal
from mediaobjects.context import AppContext
from mediaobjects.errors import InvalidToken
from mediaobjects.http.body import allow_body
from mediaobjects.http.params import Params, query_params, read_params
from mediaobjects.http.session_cookie import (
    SAFE_METHODS,
    check_csrf_header,
    cookie_principal,
    session_cookie,
)


def get_ctx(request: Request) -> AppContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, AppContext)
    return ctx


async def _ctx(request: Request) -> AppContext:
    # Dependencies that do no I/O are async: a sync one costs a hop to the thread pool each.
    return get_ctx(request)


Ctx = Annotated[AppContext, Depends(_ctx)]


async def get_session(ctx: Ctx) -> AsyncIterator[Session]:
    # Opening a session does no I/O (the connection comes with the first query), so it
    # happens on the event loop. Nothing is committed: this session only reads, and closing
    # it rolls back. On SQLite that is a few microseconds on a local file, cheaper than the
    # hop to a thread (0.25 ms a request, measured here); a server's round trip is not.
    session = ctx.reader()
    try:
        yield session
    finally:
        if session.in_transaction() and ctx.engine.dialect.name != "sqlite":
            await run_in_threadpool(session.close)
        else:
            session.close()


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


def _authenticate(ctx: AppContext, raw: str, session: Session | None) -> Principal:
    """The principal of token ``raw``: from the principal cache when it was seen in the last
    few seconds, else from one query (in ``session``, or a short unit of its own)."""
    now = authentication.now()
    digest = authentication.digest_token(raw)
    auth = ctx.principals.get(digest, now)
    if auth is None:
        if session is not None:
            auth = authentication.authenticate(session, raw, now)
        else:
            with ctx.read() as own:
                auth = authentication.authenticate(own, raw, now)
        ctx.principals.put(digest, auth)
    if auth.needs_last_used_refresh(now):
        # Once in ten minutes per token; its own short write, never the request's.
        with ctx.write() as writer:
            authentication.touch_token(writer, auth.token_id, now)
        ctx.principals.refresh(digest, auth.used_at(now))
    return auth.principal


def resolve_principal(request: Request, ctx: AppContext, session: Session | None) -> Principal:
    raw = bearer_token(request)
    if raw is None:
        header = request.headers.get("authorization")
        if header is not None and request.url.path.startswith("/api/"):
            # An Authorization header we cannot use is a bad token, not anonymity.
            raise InvalidToken()
        return _cookie_principal(request, ctx, session)
    # Reads share the request's session: one connection for the whole request. Writes look
    # the token up in a short unit of their own, so that nothing is held while a body arrives.
    return _authenticate(ctx, raw, session if request.method in SAFE_METHODS else None)


def _cookie_principal(request: Request, ctx: AppContext, session: Session | None) -> Principal:
    """A browser signed in at /login: its session cookie, when no token came. A cookie that
    leads nowhere is anonymity. A state-changing request needs the session's CSRF token too,
    so that another site cannot make the browser post with its cookie (403 otherwise)."""
    if session_cookie(request) is None:
        return ANONYMOUS
    principal = cookie_principal(request, ctx, session if request.method in SAFE_METHODS else None)
    if principal is None:
        return ANONYMOUS
    check_csrf_header(request, ctx)
    return principal


def _known_principal(request: Request, ctx: AppContext) -> Principal | None:
    """The principal when no I/O is needed to know it (anonymous, or a token seen in the
    last few seconds whose last-used time is fresh); None otherwise."""
    raw = bearer_token(request)
    if raw is None:
        if session_cookie(request) is not None:
            return None  # a web session: looked up in the database
        return resolve_principal(request, ctx, None)  # anonymous, or a bad header: no I/O
    at = authentication.now()
    auth = ctx.principals.get(authentication.digest_token(raw), at)
    if auth is None or auth.needs_last_used_refresh(at):
        return None
    return auth.principal


async def get_principal(request: Request, ctx: Ctx, session: DbSession) -> Principal:
    # Most requests of a page load find their token in the principal cache: answered on the
    # event loop. Otherwise the look-up (a query, perhaps a write) goes to the thread pool.
    known = _known_principal(request, ctx)
    if known is not None:
        return known
    return await run_in_threadpool(resolve_principal, request, ctx, session)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


class LazyPrincipal:
    """The caller, looked up only when asked: on routes where a signed verifier may already
    prove the right to read, a request carrying one needs no token lookup at all."""

    def __init__(self, request: Request, ctx: AppContext, session: Session) -> None:
        self._request, self._ctx, self._session = request, ctx, session
        self._principal: Principal | None = None

    def __call__(self) -> Principal:
        if self._principal is None:
            self._principal = resolve_principal(self._request, self._ctx, self._session)
        return self._principal

    def beside_verifier(self) -> Principal:
        """The caller of a request whose verifier proved the right to read: a token that is
        no good changes nothing then (anonymous), as when the answer came from a cache."""
        try:
            return self()
        except InvalidToken:
            return ANONYMOUS


async def get_lazy_principal(request: Request, ctx: Ctx, session: DbSession) -> LazyPrincipal:
    return LazyPrincipal(request, ctx, session)


Caller = Annotated[LazyPrincipal, Depends(get_lazy_principal)]


def authorized(request: Request, ctx: AppContext, check: Callable[[Session], object]) -> None:
    """Runs a service's permission check in a short read-only unit of work; once it passed,
    the request's body may be read. For the decorator dependencies of routes with a body."""
    with ctx.read() as session:
        check(session)
    allow_body(request)


async def get_query(request: Request) -> Params:
    return query_params(request)


# The query string only: routes without a body.
QueryParams = Annotated[Params, Depends(get_query)]


async def get_body_params(request: Request) -> Params:
    ctx = get_ctx(request)
    return await read_params(request, ctx.settings.max_request_body_bytes)


# Query string and form/JSON body, at most MEDIAOBJECTS_MAX_REQUEST_BODY_BYTES; only after
# the route's authorisation dependency.
BodyParams = Annotated[Params, Depends(get_body_params)]
