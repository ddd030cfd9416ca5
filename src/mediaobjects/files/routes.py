"""File routes: the two-step Canvas upload flow, file JSON, soft delete, root folders, copies
and the byte download (Range, ETag, signed verifier)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect

from mediaobjects.accounts import access, authentication
from mediaobjects.accounts.principal import Principal
from mediaobjects.context import AppContext
from mediaobjects.errors import BadRequest, PayloadTooLarge
from mediaobjects.files import folders, schemas, uploads
from mediaobjects.files import service as files
from mediaobjects.files.models import Attachment
from mediaobjects.http.body import allow_body, limited_stream
from mediaobjects.http.deps import (
    BodyParams,
    Ctx,
    CurrentPrincipal,
    DbSession,
    authorized,
    get_ctx,
)
from mediaobjects.http.multipart import stream_multipart
from mediaobjects.http.openapi import (
    DOWNLOAD_RESPONSES,
    ERROR_RESPONSES,
    FILE,
    FOLDER,
    UPLOAD_TICKET,
    UPLOADED_HEADERS,
    ok,
)
from mediaobjects.http.params import Params
from mediaobjects.http.request_bodies import (
    COPY_BODY,
    FILE_LINKS,
    ROOT_FOLDER_LINKS,
    UPLOAD_BODY,
    body,
    with_links,
)
from mediaobjects.http.responses import canvas_json
from mediaobjects.http.streaming import stream_stored
from mediaobjects.http.urls import Urls, base_url
from mediaobjects.numbers import decimal_digits, parse_id

router = APIRouter(tags=["files"], responses=ERROR_RESPONSES)

MULTIPART_OVERHEAD = 1024 * 1024


def file_payload(request: Request, ctx: AppContext, attachment: Attachment) -> dict[str, object]:
    return schemas.file_json(attachment, Urls(request, ctx).file_download(attachment.id))


# ---- step one: ask for an upload URL --------------------------------------------------------


def _may_upload(
    request: Request,
    ctx: AppContext,
    principal: Principal,
    context_type: Literal["Course", "Group", "User"],
    context_ref: str,
) -> None:
    authorized(
        request,
        ctx,
        lambda s: uploads.authorize_upload(s, principal, context_type, context_ref),
    )


def may_upload_to_course(
    course_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    _may_upload(request, ctx, principal, "Course", course_id)


def may_upload_to_group(
    group_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    _may_upload(request, ctx, principal, "Group", group_id)


def may_upload_to_user(
    user_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    _may_upload(request, ctx, principal, "User", user_id)


def start_upload(
    request: Request,
    ctx: AppContext,
    principal: Principal,
    params: Params,
    context_type: Literal["Course", "Group", "User"],
    context_ref: str,
) -> Response:
    upload = uploads.UploadRequest(
        name=params.text("name", required=True, max_length=1024) or "",
        size=params.integer("size", minimum=0),
        content_type=params.text("content_type"),
        parent_folder_path=params.text("parent_folder_path", max_length=4096),
        parent_folder_id=params.integer("parent_folder_id"),
        on_duplicate=params.text("on_duplicate"),
    )
    with ctx.write() as session:
        context = uploads.authorize_upload(session, principal, context_type, context_ref)
        ticket = uploads.start_upload(
            session,
            principal,
            context,
            upload,
            max_upload_bytes=ctx.settings.max_upload_bytes,
            ttl_seconds=ctx.settings.upload_token_ttl_seconds,
        )
    return canvas_json(
        request,
        {
            "upload_url": Urls(request, ctx).upload(ticket.nonce, ticket.expires_at),
            "upload_params": {
                "filename": ticket.name,
                "content_type": ticket.content_type or "application/octet-stream",
            },
            "file_param": "file",
            "progress": None,
        },
    )


@router.post(
    "/api/v1/courses/{course_id}/files",
    summary="Upload a file to a course",
    responses=ok("Where and how to send the bytes (step two)", UPLOAD_TICKET),
    dependencies=[Depends(may_upload_to_course)],
    openapi_extra=body(UPLOAD_BODY),
)
def start_course_upload(
    course_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal, params: BodyParams
) -> Response:
    return start_upload(request, ctx, principal, params, "Course", course_id)


@router.post(
    "/api/v1/groups/{group_id}/files",
    summary="Upload a file to a group",
    responses=ok("Where and how to send the bytes (step two)", UPLOAD_TICKET),
    dependencies=[Depends(may_upload_to_group)],
    openapi_extra=body(UPLOAD_BODY),
)
def start_group_upload(
    group_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal, params: BodyParams
) -> Response:
    return start_upload(request, ctx, principal, params, "Group", group_id)


@router.post(
    "/api/v1/users/{user_id}/files",
    summary="Upload a file to a user's files",
    responses=ok("Where and how to send the bytes (step two)", UPLOAD_TICKET),
    dependencies=[Depends(may_upload_to_user)],
    openapi_extra=body(UPLOAD_BODY),
)
def start_user_upload(
    user_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal, params: BodyParams
) -> Response:
    return start_upload(request, ctx, principal, params, "User", user_id)


# ---- step two: the bytes ----------------------------------------------------------------------


@router.post(
    "/files_api/uploads/{nonce}",
    status_code=201,
    summary="Send the file bytes",
    responses=with_links(
        ok("The stored file", FILE, status=201, headers=UPLOADED_HEADERS), 201, FILE_LINKS
    ),
)
async def receive_upload(nonce: str, request: Request, token: str = "") -> Response:
    """No Authorization header here: the signed, single-use token in the URL is the grant."""
    ctx = get_ctx(request)
    if not ctx.verifiers.opens_upload(nonce, token):
        raise uploads.bad_upload_token("The upload token is invalid or has expired.")
    limit = ctx.settings.max_upload_bytes
    declared = decimal_digits(request.headers.get("content-length", "").strip())
    if declared is not None and declared > limit + MULTIPART_OVERHEAD:
        raise PayloadTooLarge(f"The file is larger than the upload limit of {limit} bytes.")
    upload = uploads.IncomingUpload(
        nonce, read=ctx.read, write=ctx.write, storage=ctx.storage, enqueue=ctx.enqueue
    )
    await run_in_threadpool(upload.check)
    allow_body(request)
    try:
        async with upload.receiving() as sink:
            result = await stream_multipart(
                request.headers.get("content-type", ""),
                limited_stream(request, limit + MULTIPART_OVERHEAD),
                sink,
                file_field="file",
                max_file_bytes=limit,
            )
            if not result.file_seen:
                raise BadRequest.for_field(
                    "file", "The upload has no file part named 'file'", "required"
                )
    except ClientDisconnect:
        raise BadRequest("The upload was cut off before it was complete.") from None
    attachment = await run_in_threadpool(upload.finish)
    return canvas_json(
        request,
        file_payload(request, ctx, attachment),
        status_code=201,
        headers={"Location": f"{base_url(request)}/api/v1/files/{attachment.id}"},
    )


# ---- files and folders ------------------------------------------------------------------------


@router.get("/api/v1/files/{file_id}", summary="Get file", responses=ok("The file", FILE))
def show_file(
    file_id: str, request: Request, ctx: Ctx, session: DbSession, principal: CurrentPrincipal
) -> Response:
    attachment = files.get_file(session, principal, file_id)
    return canvas_json(request, file_payload(request, ctx, attachment))


@router.delete(
    "/api/v1/files/{file_id}", summary="Delete file", responses=ok("The deleted file", FILE)
)
def delete_file(file_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    with ctx.write() as session:
        attachment = files.delete_file(session, principal, file_id)
        response = canvas_json(request, file_payload(request, ctx, attachment))
    if attachment.media_entry_id is not None:
        # After the commit (background tasks run once the response is out): the job checks
        # whether any file still uses the media, and only then removes its renditions.
        response.background = BackgroundTask(
            ctx.enqueue, "release_media", media_entry_id=attachment.media_entry_id
        )
    return response


def _root_folder(
    request: Request,
    ctx: AppContext,
    session: Session,
    principal: Principal,
    context_type: Literal["Course", "Group", "User"],
    context_ref: str,
) -> Response:
    authentication.require_user(principal)
    context = access.load_context(session, context_type, context_ref, principal)
    folder = folders.find_root_folder(session, principal, context)
    if folder is None:
        # Root folders are made on first use. This is a GET on a read-only session, so the
        # folder is created in a short write transaction of its own.
        with ctx.write() as writer:
            folder = folders.root_folder(writer, context)
    files_count, folders_count = folders.folder_counts(session, folder)
    can_upload = folders.can_manage_files(session, principal, context)
    return canvas_json(
        request,
        schemas.folder_json(folder, files_count, folders_count, base_url(request), can_upload),
    )


@router.get(
    "/api/v1/courses/{course_id}/folders/root",
    summary="Get a course's root folder",
    responses=with_links(ok("The root folder", FOLDER), 200, ROOT_FOLDER_LINKS),
)
def course_root_folder(
    course_id: str, request: Request, ctx: Ctx, session: DbSession, principal: CurrentPrincipal
) -> Response:
    return _root_folder(request, ctx, session, principal, "Course", course_id)


@router.get(
    "/api/v1/groups/{group_id}/folders/root",
    summary="Get a group's root folder",
    responses=with_links(ok("The root folder", FOLDER), 200, ROOT_FOLDER_LINKS),
)
def group_root_folder(
    group_id: str, request: Request, ctx: Ctx, session: DbSession, principal: CurrentPrincipal
) -> Response:
    return _root_folder(request, ctx, session, principal, "Group", group_id)


@router.get(
    "/api/v1/users/{user_id}/folders/root",
    summary="Get a user's root folder",
    responses=with_links(ok("The root folder", FOLDER), 200, ROOT_FOLDER_LINKS),
)
def user_root_folder(
    user_id: str, request: Request, ctx: Ctx, session: DbSession, principal: CurrentPrincipal
) -> Response:
    return _root_folder(request, ctx, session, principal, "User", user_id)


def may_copy_into(folder_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal) -> None:
    authorized(request, ctx, lambda s: files.authorize_copy_into(s, principal, folder_id))


@router.post(
    "/api/v1/folders/{folder_id}/copy_file",
    summary="Copy a file",
    responses=with_links(ok("The copy", FILE), 200, FILE_LINKS),
    dependencies=[Depends(may_copy_into)],
    openapi_extra=body(COPY_BODY),
)
def copy_file(
    folder_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal, params: BodyParams
) -> Response:
    source = params.raw("source_file_id")
    if source is None or source == "":
        raise BadRequest.for_field("source_file_id", "source_file_id is required", "required")
    on_duplicate = params.text("on_duplicate")
    with ctx.write() as session:
        copy = files.copy_file(session, principal, folder_id, source, on_duplicate)
        return canvas_json(request, file_payload(request, ctx, copy))


# ---- bytes out ----------------------------------------------------------------------------------


@router.get(
    "/files/{file_id}/download",
    summary="Download a file's bytes",
    response_class=Response,
    responses=DOWNLOAD_RESPONSES,
)
@router.head(
    "/files/{file_id}/download",
    summary="Headers of a file download",
    operation_id="head_file",
    response_class=Response,
    responses=DOWNLOAD_RESPONSES,
)
def download_file(
    file_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    verifier: str | None = None,
) -> Response:
    attachment_id = parse_id(file_id)
    verified = ctx.verifiers.opens_download(attachment_id, verifier)
    attachment = files.file_for_download(session, principal, attachment_id, verified=verified)
    return stream_stored(
        request,
        ctx,
        key=attachment.storage_key,
        size=attachment.size,
        etag_value=attachment.sha256,
        content_type=attachment.content_type,
        filename=attachment.display_name,
    )
