"""``GET /health``, ``GET /ready`` and ``GET /metrics``: for load balancers, orchestrators and
Prometheus, not for API clients (so not in the OpenAPI description; docs/api.md, "Operations",
documents them). None needs an access token or counts against a rate limit, and none shows a
setting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from mediaobjects.context import AppContext
from mediaobjects.errors import Forbidden, NotFound, Unauthenticated
from mediaobjects.http.deps import get_ctx
from mediaobjects.observability.access import MetricsAccess, Verdict
from mediaobjects.observability.metrics import CONTENT_TYPE, QueueDepth
from mediaobjects.observability.readiness import Check, Readiness, run_with_timeout

router = APIRouter(tags=["operations"], include_in_schema=False)

# What a load balancer is told to wait before asking again.
RETRY_AFTER_SECONDS = 5
STORAGE_PROBE_KEY = "readiness/probe"


@dataclass
class Operations:
    readiness: Readiness
    access: MetricsAccess


def operations_for(ctx: AppContext) -> Operations:
    settings = ctx.settings
    checks: dict[str, Check] = {
        "database": lambda: _ping_database(ctx),
        # A missing object is a normal answer: what matters is that the store answered.
        "storage": lambda: ctx.storage.exists(STORAGE_PROBE_KEY),
    }
    jobs = ctx.jobs
    if jobs is not None:
        checks["queue"] = jobs.ping
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    return Operations(
        Readiness(checks, settings.ready_timeout_seconds),
        MetricsAccess(token or None, settings.metrics_networks()),
    )


def _ping_database(ctx: AppContext) -> None:
    with ctx.engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")


def install_operations(app: FastAPI, ctx: AppContext) -> None:
    app.state.operations = operations_for(ctx)
    app.include_router(router)


def _operations(request: Request) -> Operations:
    operations = request.app.state.operations
    assert isinstance(operations, Operations)
    return operations


@router.get("/health")
async def health() -> JSONResponse:
    """The process is alive and answering; nothing else is checked."""
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    checks = await run_in_threadpool(_operations(request).readiness.check)
    failed = [name for name, status in checks.items() if status != "ok"]
    headers = {"Cache-Control": "no-store"}
    if not failed:
        return JSONResponse({"status": "ready", "checks": checks}, headers=headers)
    headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    message = "Not ready: " + ", ".join(f"the {name} is {checks[name]}" for name in failed) + "."
    body = {
        "status": "unavailable",
        "checks": checks,
        "errors": [{"message": message, "error_code": "not_ready"}],
    }
    return JSONResponse(body, status_code=503, headers=headers)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    operations = _operations(request)
    client = request.client.host if request.client else None
    verdict = operations.access.judge(client, request.headers.get("authorization"))
    if verdict is Verdict.DISABLED:
        raise NotFound()
    if verdict is Verdict.WRONG_ADDRESS:
        raise Forbidden("Metrics are not served to this address.")
    if verdict is Verdict.NO_TOKEN:
        raise Unauthenticated("The metrics token is required (Authorization: Bearer).")
    ctx = get_ctx(request)
    body = await run_in_threadpool(ctx.metrics.render, _depth_reader(ctx, operations))
    return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


def _depth_reader(
    ctx: AppContext, operations: Operations
) -> Callable[[], QueueDepth | None] | None:
    jobs = ctx.jobs
    if jobs is None:
        return None
    timeout = operations.readiness.timeout

    def read() -> QueueDepth | None:
        return run_with_timeout(jobs.depth, timeout)

    return read
