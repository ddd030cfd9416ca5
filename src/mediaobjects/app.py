"""Builds the FastAPI application: wiring only, no rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from mediaobjects.accounts.routes import router as accounts_router
from mediaobjects.caption_reports.routes import router as caption_reports_router
from mediaobjects.context import AppContext, build_context
from mediaobjects.files.routes import router as files_router
from mediaobjects.http.errors import install_error_handlers
from mediaobjects.http.middleware import AbsoluteFormTargets, TrustedProxyHeaders
from mediaobjects.lti.picker_routes import router as lti_picker_router
from mediaobjects.lti.routes import router as lti_registrations_router
from mediaobjects.lti.tool_routes import router as lti_tool_router
from mediaobjects.media_objects.delivery import router as delivery_router
from mediaobjects.media_objects.hls import router as hls_router
from mediaobjects.media_objects.routes import router as media_objects_router
from mediaobjects.media_settings.routes import router as media_settings_router
from mediaobjects.media_tracks.asr_routes import router as auto_captions_router
from mediaobjects.media_tracks.bulk_routes import router as captions_bulk_router
from mediaobjects.media_tracks.editing_routes import router as caption_editing_router
from mediaobjects.media_tracks.history_routes import router as track_history_router
from mediaobjects.media_tracks.quality_routes import router as track_quality_router
from mediaobjects.media_tracks.routes import router as media_tracks_router
from mediaobjects.observability.middleware import RequestIds, RequestMetrics
from mediaobjects.observability.routes import install_operations
from mediaobjects.settings import Settings
from mediaobjects.storage.interfaces import Storage
from mediaobjects.transcoding import Transcoder
from mediaobjects.transcripts.routes import router as transcripts_router
from mediaobjects.web.editor import router as editor_router
from mediaobjects.web.media_page import router as media_page_router
from mediaobjects.web.pages import router as pages_router
from mediaobjects.web.routes import router as web_router
from mediaobjects.web.sign_in import install_sign_in_redirect
from mediaobjects.web.sign_in import router as sign_in_router
from mediaobjects.web.static import router as static_router

# The routes whose request bodies count as uploads in flight (metrics).
UPLOAD_ROUTES = ("/files_api/uploads/{nonce}",)


def create_app(
    settings: Settings | None = None,
    *,
    storage: Storage | None = None,
    context: AppContext | None = None,
    transcoder: Transcoder | None = None,
    consume_jobs: bool = True,
) -> FastAPI:
    """The app for ``settings``. Tests pass their own storage, transcoder or a whole context.
    ``consume_jobs=False``: never consume the job queue (one of several server processes of
    ``mediaobjects serve --workers N``, whose parent consumes)."""
    ctx = context or build_context(settings or Settings(), storage=storage, transcoder=transcoder)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The default install consumes its SQLite job queue inside the server: nothing else
        # to start. A context handed in (tests, the worker) is run by its owner.
        consuming = consume_jobs and context is None and ctx.settings.workers > 0
        jobs = ctx.jobs if consuming else None
        if jobs is not None:
            # Consuming also runs the chores, such as removing temporary files of crashes.
            jobs.start_in_process(ctx.settings.workers)
        try:
            yield
        finally:
            if jobs is not None:
                # After uvicorn let requests in flight finish: running jobs get their own bound,
                # then are handed back.
                jobs.stop(timeout=ctx.settings.job_shutdown_seconds)
            if context is None:
                ctx.close()

    app = FastAPI(
        title="mediaobjects",
        summary="The Canvas LMS Media Objects API, self-hosted.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    install_sign_in_redirect(app)
    # Added first, so it runs innermost: the router inside it has matched the route template
    # by the time a response starts.
    app.add_middleware(RequestMetrics, metrics=ctx.metrics, upload_routes=UPLOAD_ROUTES)
    app.add_middleware(AbsoluteFormTargets)
    # Added last, so it runs first: everything after it sees the real client and scheme.
    app.add_middleware(TrustedProxyHeaders, trusted=ctx.settings.trusted_proxy_networks())
    # Outermost of all: the request id is set before anything logs, and a proxy's own id is
    # believed only when the peer itself is a trusted proxy.
    app.add_middleware(RequestIds, trusted=ctx.settings.trusted_proxy_networks())
    install_operations(app, ctx)
    app.include_router(accounts_router)
    app.include_router(files_router)
    app.include_router(media_objects_router)
    app.include_router(media_tracks_router)
    app.include_router(track_history_router)
    app.include_router(track_quality_router)
    app.include_router(caption_editing_router)
    app.include_router(auto_captions_router)
    app.include_router(transcripts_router)
    app.include_router(captions_bulk_router)
    app.include_router(caption_reports_router)
    app.include_router(media_settings_router)
    app.include_router(delivery_router)
    app.include_router(hls_router)
    app.include_router(web_router)
    app.include_router(sign_in_router)
    app.include_router(static_router)
    app.include_router(pages_router)
    app.include_router(editor_router)
    app.include_router(media_page_router)
    app.include_router(lti_registrations_router)
    app.include_router(lti_tool_router)
    app.include_router(lti_picker_router)
    return app
