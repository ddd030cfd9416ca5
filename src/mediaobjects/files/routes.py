"""File routes: the two-step Canvas upload flow, file JSON, soft delete, root folders, copies
and the byte download (Range, ETag, signed verifier)."""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session
from starlette.requests import ClientDisconnect

from mediaobjects.accounts import service as accounts
from mediaobjects.accounts.principal import Principal
from mediaobjects.context import AppContext
from mediaobjects.errors import BadRequest, PayloadTooLarge
from mediaobjects.files import schemas
from mediaobjects.files import service as files
from mediaobjects.files.models import Attachment
from mediaobjects.http.deps import CanvasParams, Ctx, CurrentPrincipal, DbSession, get_ctx
from mediaobjects.http.multipart import stream_multipart
from mediaobjects.http.openapi import ERROR_RESPONSES
from mediaobjects.http.ranges import RangeNotSatisfiable, etag_matches, parse_range
from mediaobjects.http.responses import canvas_json
from mediaobjects.http.urls import Urls, base_url, verify_download

router = APIRouter(tags=["files"], responses=ERROR_RESPONSES)

# Types a browser may render inline from our origin without running script in it.
INLINE_SAFE = ("audio/", "video/", "image/png", "image/jpeg", "image/gif", "image/webp", "text/vtt")
MULTIPART_OVERHEAD = 1024 * 1024
SNIFF_BYTES = 4096


def file_payload(request: Request, ctx: AppContext, attachment: Attachment) -> dict[str, object]:
    return schemas.file_json(attachment, Urls(request, ctx).file_download(attachment.id))


# ---- step one: ask for an upload URL --------------------------------------------------------


def _start_upload(
    request: Request,
    ctx: AppContext,
    session: Session,
    principal: Principal,
    params: CanvasParams,
    context_type: Literal["Course", "Group", "User"],
    context_ref: str,
) -> Response:
    accounts.require_user(principal)
    context = accounts.load_context(session, context_type, context_ref, principal)
    upload = files.UploadRequest(
        name=params.text("name", required=True, max_length=1024) or "",
        size=params.integer("size", minimum=0),
        content_type=params.text("content_type"),
        parent_folder_path=params.text("parent_folder_path", max_length=4096),
        parent_folder_id=params.integer("parent_folder_id"),
        on_duplicate=params.text("on_duplicate"),
    )
    ticket = files.start_upload(
        session,
        principal,
        context,
        upload,
        max_upload_bytes=ctx.settings.max_upload_bytes,
        ttl_seconds=ctx.settings.upload_token_ttl_seconds,
    )
    token = ctx.signer.sign(files.UPLOAD_PURPOSE, ticket.nonce, ticket.expires_at)
    return canvas_json(
        request,
        {
            "upload_url": f"{base_url(request)}/files_api/uploads/{ticket.nonce}?token={token}",
            "upload_params": {
                "filename": ticket.name,
                "content_type": ticket.content_type or "application/octet-stream",
            },
            "file_param": "file",
            "progress": None,
        },
    )


@router.post("/api/v1/courses/{course_id}/files", summary="Upload a file to a course")
def start_course_upload(
    course_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    params: CanvasParams,
) -> Response:
    return _start_upload(request, ctx, session, principal, params, "Course", course_id)


@router.post("/api/v1/groups/{group_id}/files", summary="Upload a file to a group")
def start_group_upload(
    group_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    params: CanvasParams,
) -> Response:
    return _start_upload(request, ctx, session, principal, params, "Group", group_id)


@router.post("/api/v1/users/{user_id}/files", summary="Upload a file to a user's files")
def start_user_upload(
    user_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    params: CanvasParams,
) -> Response:
    return _start_upload(request, ctx, session, principal, params, "User", user_id)


# ---- step two: the bytes ----------------------------------------------------------------------


@router.post("/files_api/uploads/{nonce}", status_code=201, summary="Send the file bytes")
async def receive_upload(nonce: str, request: Request, token: str = "") -> Response:
    """No Authorization header here: the signed, single-use token in the URL is the grant."""
    ctx = get_ctx(request)
    if not ctx.signer.verify(files.UPLOAD_PURPOSE, nonce, token):
        raise files.bad_upload_token("The upload token is invalid or has expired.")
    limit = ctx.settings.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        raise PayloadTooLarge(f"The file is larger than the upload limit of {limit} bytes.")

    def check() -> None:
        with ctx.read() as session:
            files.check_ticket(session, nonce)

    await run_in_threadpool(check)
    file_uuid = files.new_file_uuid()
    key = files.storage_key_for(file_uuid)
    writer = await run_in_threadpool(ctx.storage.begin_write, key)
    head = bytearray()

    async def sink(chunk: bytes) -> None:
        if len(head) < SNIFF_BYTES:
            head.extend(chunk[: SNIFF_BYTES - len(head)])
        await run_in_threadpool(writer.write, chunk)

    try:
        result = await stream_multipart(
            request.headers.get("content-type", ""),
            request.stream(),
            sink,
            file_field="file",
            max_file_bytes=limit,
        )
        if not result.file_seen:
            raise BadRequest.for_field(
                "file", "The upload has no file part named 'file'", "required"
            )
        stored = await run_in_threadpool(writer.commit)
    except ClientDisconnect:
        writer.abort()
        raise BadRequest("The upload was cut off before it was complete.") from None
    except BaseException:
        writer.abort()
        raise

    def finish() -> dict[str, object]:
        with ctx.write() as session:
            ticket = files.check_ticket(session, nonce)
            attachment = files.complete_upload(session, ticket, stored, bytes(head), file_uuid)
            return file_payload(request, ctx, attachment)

    try:
        payload = await run_in_threadpool(finish)
    except BaseException:
        # Nothing is half-stored: no row means no bytes either.
        ctx.storage.delete(key)
        raise
    return canvas_json(
        request,
        payload,
        status_code=201,
        headers={"Location": f"{base_url(request)}/api/v1/files/{payload['id']}"},
    )


# ---- files and folders ------------------------------------------------------------------------


@router.get("/api/v1/files/{file_id}", summary="Get file")
def show_file(
    file_id: str, request: Request, ctx: Ctx, session: DbSession, principal: CurrentPrincipal
) -> Response:
    attachment = files.get_file(session, principal, file_id)
    return canvas_json(request, file_payload(request, ctx, attachment))


@router.delete("/api/v1/files/{file_id}", summary="Delete file")
def delete_file(
    file_id: str, request: Request, ctx: Ctx, session: DbSession, principal: CurrentPrincipal
) -> Response:
    attachment = files.delete_file(session, principal, file_id)
    return canvas_json(request, file_payload(request, ctx, attachment))


def _root_folder(
    request: Request,
    ctx: AppContext,
    session: Session,
    principal: Principal,
    context_type: Literal["Course", "Group", "User"],
    context_ref: str,
) -> Response:
    accounts.require_user(principal)
    context = accounts.load_context(session, context_type, context_ref, principal)
    folder = files.find_root_folder(session, principal, context)
    if folder is None:
        # Root folders are made on first use. This is a GET on a read-only session, so the
        # folder is created in a short write transaction of its own.
        with ctx.write() as writer:
            folder = files.root_folder(writer, context)
    files_count, folders_count = files.folder_counts(session, folder)
    can_upload = files.can_manage_files(session, principal, context)
    return canvas_json(
        request,
        schemas.folder_json(folder, files_count, folders_count, base_url(request), can_upload),
    )


@router.get("/api/v1/courses/{course_id}/folders/root", summary="Get a course's root folder")
def course_root_folder(
    course_id: str, request: Request, ctx: Ctx, session: DbSession, principal: CurrentPrincipal
) -> Response:
    return _root_folder(request, ctx, session, principal, "Course", course_id)


@router.get("/api/v1/groups/{group_id}/folders/root", summary="Get a group's root folder")
def group_root_folder(
    group_id: str, request: Request, ctx: Ctx, session: DbSession, principal: CurrentPrincipal
) -> Response:
    return _root_folder(request, ctx, session, principal, "Group", group_id)


@router.get("/api/v1/users/{user_id}/folders/root", summary="Get a user's root folder")
def user_root_folder(
    user_id: str, request: Request, ctx: Ctx, session: DbSession, principal: CurrentPrincipal
) -> Response:
    return _root_folder(request, ctx, session, principal, "User", user_id)


@router.post("/api/v1/folders/{folder_id}/copy_file", summary="Copy a file")
def copy_file(
    folder_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    params: CanvasParams,
) -> Response:
    accounts.require_user(principal)
    source = params.raw("source_file_id")
    if source is None or source == "":
        raise BadRequest.for_field("source_file_id", "source_file_id is required", "required")
    copy = files.copy_file(session, principal, folder_id, source, params.text("on_duplicate"))
    return canvas_json(request, file_payload(request, ctx, copy))


# ---- bytes out ----------------------------------------------------------------------------------


def _disposition(attachment: Attachment) -> str:
    kind = "inline" if attachment.content_type.startswith(INLINE_SAFE) else "attachment"
    return f"{kind}; filename*=UTF-8''{quote(attachment.display_name, safe='')}"


@router.get("/files/{file_id}/download", summary="Download a file's bytes")
@router.head(
    "/files/{file_id}/download", summary="Headers of a file download", operation_id="head_file"
)
def download_file(
    file_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    verifier: str | None = None,
) -> Response:
    attachment_id = accounts.parse_id(file_id)
    verified = verify_download(ctx, attachment_id, verifier)
    attachment = files.file_for_download(session, principal, attachment_id, verified=verified)
    etag = f'"{attachment.sha256}"'
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Content-Disposition": _disposition(attachment),
        # User-uploaded bytes must never run as a page of ours.
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'; media-src 'self'",
        "Cache-Control": "private, max-age=0, must-revalidate",
    }
    inline = attachment.content_type.startswith(INLINE_SAFE)
    presigned = ctx.storage.presigned_url(
        attachment.storage_key,
        expires_in=ctx.settings.signed_url_ttl_seconds,
        content_type=attachment.content_type,
        filename=None if inline else attachment.display_name,
    )
    if presigned is not None:
        # Object storage serves the bytes (and Range requests) itself; we only authorise.
        return Response(
            status_code=302, headers={"Location": presigned, "Cache-Control": "private, no-store"}
        )
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    range_header = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() != etag:
        range_header = None
    try:
        byte_range = parse_range(range_header, attachment.size)
    except RangeNotSatisfiable:
        headers["Content-Range"] = f"bytes */{attachment.size}"
        return Response(status_code=416, headers=headers)
    status = 200
    start, end = 0, attachment.size - 1
    if byte_range is not None:
        status = 206
        start, end = byte_range.start, byte_range.end
        headers["Content-Range"] = f"bytes {start}-{end}/{attachment.size}"
    headers["Content-Length"] = str(max(0, end - start + 1))
    if request.method == "HEAD" or attachment.size == 0:
        return Response(status_code=status, headers=headers, media_type=attachment.content_type)
    body = ctx.storage.read_range(attachment.storage_key, start, end)
    return StreamingResponse(
        body, status_code=status, headers=headers, media_type=attachment.content_type
    )
