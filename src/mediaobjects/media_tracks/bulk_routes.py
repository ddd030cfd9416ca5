"""The bulk caption routes of a course: ``GET .../captions.zip`` (every track in one format,
with ``manifest.csv``) and ``POST .../captions.zip`` (an import, or its dry run). Thin
handlers over ``media_tracks.bulk``; the import authorises before its body is read and reads
the ZIP through ``media_tracks.archive``, which refuses hostile archives."""

from __future__ import annotations

import tempfile
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from mediaobjects.captions.formats import FORMAT_NAMES
from mediaobjects.context import AppContext
from mediaobjects.errors import BadRequest
from mediaobjects.http.body import limited_stream
from mediaobjects.http.deps import Ctx, CurrentPrincipal, DbSession, authorized
from mediaobjects.http.limits import limit_track_put
from mediaobjects.http.multipart import stream_multipart
from mediaobjects.http.openapi import ERROR_RESPONSES, TOO_MANY_REQUESTS, ok
from mediaobjects.http.responses import canvas_json
from mediaobjects.media_tracks import archive, bulk
from mediaobjects.media_tracks import service as tracks

router = APIRouter(tags=["media tracks"], responses=ERROR_RESPONSES)

# Room for the multipart headers around the ZIP.
MULTIPART_OVERHEAD = 64 * 1024
# The upload is kept in memory up to this size, then in a temporary file.
SPOOL_BYTES = 8 * 1024 * 1024
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})

_STR: dict[str, Any] = {"type": "string"}
_IMPORTED: dict[str, Any] = {
    "type": "object",
    "properties": {
        "file": _STR,
        "media_id": _STR,
        "locale": _STR,
        "action": {"type": "string", "enum": ["added", "updated"]},
    },
    "required": ["file", "media_id", "locale"],
}
IMPORT_REPORT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "dry_run": {"type": "boolean"},
        "changed": {"type": "array", "items": _IMPORTED},
        "unchanged": {"type": "array", "items": _IMPORTED},
        "refused": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"file": _STR, "reason": _STR},
                "required": ["file", "reason"],
            },
        },
    },
    "required": ["dry_run", "changed", "unchanged", "refused"],
}
ZIP_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A ZIP of one file per track (<title>.<locale>.<ext>) and manifest.csv",
        "headers": {"Content-Disposition": {"schema": _STR}},
        "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
    }
}
ZIP_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            }
        },
    }
}

ExportFormat = Annotated[
    str | None,
    Query(
        description="The caption format of the files: one of "
        + ", ".join(FORMAT_NAMES)
        + " (any case; default vtt)."
    ),
]
DryRun = Annotated[
    str | None,
    Query(description="true: check and report, change nothing (default false)."),
]


def _limits(ctx: AppContext) -> tracks.TrackLimits:
    return tracks.TrackLimits(
        max_caption_bytes=ctx.settings.max_caption_bytes,
        max_tracks=ctx.settings.max_tracks_per_media,
    )


def _zip_limits(ctx: AppContext) -> archive.ZipLimits:
    settings = ctx.settings
    return archive.ZipLimits(
        max_entries=settings.max_captions_zip_entries,
        max_total_bytes=settings.max_captions_zip_uncompressed_bytes,
        max_entry_bytes=settings.max_caption_bytes,
        max_ratio=settings.max_captions_zip_ratio,
    )


def _dry_run(value: str | None) -> bool:
    folded = (value or "").strip().lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise BadRequest.for_field("dry_run", "dry_run must be true or false", "invalid")


@router.get(
    "/api/v1/courses/{course_id}/captions.zip",
    summary="Export every caption track of a course as a ZIP",
    response_class=Response,
    responses=ZIP_RESPONSE,
)
def export_course_captions(
    course_id: str,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    format: ExportFormat = None,
) -> Response:
    export = bulk.export_captions(session, principal, course_id, format)
    data = archive.write_zip(export.zip_members())
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="course-{course_id}-captions.zip"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def may_import_course_captions(
    course_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    """Before the ZIP is read: the caller manages the course's captions, within their rate
    of track writes (an import parses many captions)."""
    limit_track_put(ctx, request, principal)
    authorized(
        request,
        ctx,
        lambda session: bulk.authorize_course_captions(session, principal, course_id),
    )


@router.post(
    "/api/v1/courses/{course_id}/captions.zip",
    summary="Import a ZIP of caption files into a course's media (or check it: dry_run)",
    responses={
        **ok("What changed, what was unchanged, what was refused and why", IMPORT_REPORT),
        **TOO_MANY_REQUESTS,
    },
    dependencies=[Depends(may_import_course_captions)],
    openapi_extra=ZIP_BODY,
)
async def import_course_captions(
    course_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    dry_run: DryRun = None,
) -> Response:
    dry = _dry_run(dry_run)
    limit = ctx.settings.max_captions_zip_bytes
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:

        async def sink(chunk: bytearray) -> None:
            spool.write(chunk)

        try:
            result = await stream_multipart(
                request.headers.get("content-type", ""),
                limited_stream(request, limit + MULTIPART_OVERHEAD),
                sink,
                file_field="file",
                max_file_bytes=limit,
            )
        except ClientDisconnect:
            raise BadRequest("The upload was cut off before it was complete.") from None
        if not result.file_seen:
            raise BadRequest.for_field(
                "file", "The request has no file part named 'file' (the ZIP)", "required"
            )

        def run() -> bulk.ImportReport:
            spool.seek(0)
            entries = archive.read_zip(spool, _zip_limits(ctx))  # type: ignore[arg-type]
            files = [bulk.IncomingFile(e.name, e.data, e.problem) for e in entries]
            unit = ctx.read() if dry else ctx.write()
            with unit as session:
                return bulk.import_captions(
                    session,
                    principal,
                    course_id,
                    files,
                    dry_run=dry,
                    limits=_limits(ctx),
                    lenient=ctx.settings.captions_lenient,
                    after_each=None if dry else session.commit,
                )

        report = await run_in_threadpool(run)
    return canvas_json(request, report.as_json())
