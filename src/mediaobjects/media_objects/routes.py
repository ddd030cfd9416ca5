"""Media object routes: the six list routes, retitle, register, and the non-API info routes.
Thin handlers: parameters in, service call, JSON out."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from mediaobjects.accounts import access, authentication
from mediaobjects.accounts.principal import Principal
from mediaobjects.context import AppContext
from mediaobjects.http.arrays import array_param
from mediaobjects.http.body import allow_body
from mediaobjects.http.deps import (
    BodyParams,
    Ctx,
    CurrentPrincipal,
    DbSession,
    QueryParams,
    authorized,
)
from mediaobjects.http.openapi import (
    ERROR_RESPONSES,
    MEDIA_OBJECT,
    MEDIA_OBJECT_REGISTERED,
    ok,
    paginated,
)
from mediaobjects.http.pagination import link_header
from mediaobjects.http.params import Params
from mediaobjects.http.request_bodies import (
    REGISTER_BODY,
    REGISTERED_LINKS,
    TITLE_BODY,
    body,
    with_links,
)
from mediaobjects.http.responses import canvas_json
from mediaobjects.http.urls import Urls, request_url
from mediaobjects.media_objects import listing
from mediaobjects.media_objects import service as media
from mediaobjects.media_objects.schemas import register_json
from mediaobjects.media_objects.views import (
    attachment_payload,
    media_object_page_payload,
    media_object_payload,
)

router = APIRouter(tags=["media objects"], responses=ERROR_RESPONSES)


# ---- list ------------------------------------------------------------------------------------


def _list(
    request: Request,
    ctx: AppContext,
    session: Session,
    principal: Principal,
    params: Params,
    context_type: Literal["Course", "Group"] | None,
    context_ref: str | None,
) -> Response:
    authentication.require_user(principal)
    context = None
    if context_type is not None and context_ref is not None:
        context = access.load_context(session, context_type, context_ref, principal)
    query = listing.parse_list_query(params.pairs)
    exclude = set(array_param(params.pairs, "exclude"))
    page = listing.list_media_objects(session, principal, context=context, query=query)
    urls = Urls(request, ctx)
    body = media_object_page_payload(
        session,
        principal,
        urls,
        page.items,
        include_tracks="tracks" not in exclude,
        include_sources="sources" not in exclude,
    )
    link = link_header(request_url(request), page.page, page.per_page, page.total)
    return canvas_json(request, body, headers={"Link": link})


@router.get(
    "/api/v1/media_objects",
    summary="List the caller's media objects",
    responses=paginated("A page of media objects", MEDIA_OBJECT),
)
def list_media_objects(
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    params: QueryParams,
) -> Response:
    return _list(request, ctx, session, principal, params, None, None)


@router.get(
    "/api/v1/media_attachments",
    summary="List the caller's media attachments",
    responses=paginated("A page of media objects", MEDIA_OBJECT),
)
def list_media_attachments(
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    params: QueryParams,
) -> Response:
    return _list(request, ctx, session, principal, params, None, None)


@router.get(
    "/api/v1/courses/{course_id}/media_objects",
    summary="List a course's media objects",
    responses=paginated("A page of media objects", MEDIA_OBJECT),
)
def list_course_media_objects(
    course_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    params: QueryParams,
) -> Response:
    return _list(request, ctx, session, principal, params, "Course", course_id)


@router.get(
    "/api/v1/courses/{course_id}/media_attachments",
    summary="List a course's media attachments",
    responses=paginated("A page of media objects", MEDIA_OBJECT),
)
def list_course_media_attachments(
    course_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    params: QueryParams,
) -> Response:
    return _list(request, ctx, session, principal, params, "Course", course_id)


@router.get(
    "/api/v1/groups/{group_id}/media_objects",
    summary="List a group's media objects",
    responses=paginated("A page of media objects", MEDIA_OBJECT),
)
def list_group_media_objects(
    group_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    params: QueryParams,
) -> Response:
    return _list(request, ctx, session, principal, params, "Group", group_id)


@router.get(
    "/api/v1/groups/{group_id}/media_attachments",
    summary="List a group's media attachments",
    responses=paginated("A page of media objects", MEDIA_OBJECT),
)
def list_group_media_attachments(
    group_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    params: QueryParams,
) -> Response:
    return _list(request, ctx, session, principal, params, "Group", group_id)


# ---- retitle ---------------------------------------------------------------------------------


def may_retitle_media_object(
    media_object_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    authorized(
        request,
        ctx,
        lambda s: media.authorize_retitle(s, principal, media_object_id=media_object_id),
    )


def may_retitle_media_attachment(
    attachment_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    authorized(
        request, ctx, lambda s: media.authorize_retitle(s, principal, attachment_ref=attachment_id)
    )


def _retitle(
    request: Request,
    ctx: AppContext,
    principal: Principal,
    params: Params,
    *,
    media_object_id: str | None = None,
    attachment_ref: str | None = None,
) -> Response:
    title = params.text("user_entered_title", max_length=None)
    with ctx.write() as session:
        media_object = media.retitle(
            session,
            principal,
            title,
            media_object_id=media_object_id,
            attachment_ref=attachment_ref,
        )
        # Canvas answers with the media-object serializer on both routes (§2.2).
        payload = media_object_payload(
            session,
            principal,
            Urls(request, ctx),
            media_object,
            include_tracks=False,
            include_sources=False,
        )
        return canvas_json(request, payload)


@router.put(
    "/api/v1/media_objects/{media_object_id}",
    summary="Update a media object's title",
    responses=ok("The media object, without tracks or sources", MEDIA_OBJECT),
    dependencies=[Depends(may_retitle_media_object)],
    openapi_extra=body(TITLE_BODY),
)
def update_media_object(
    media_object_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    params: BodyParams,
) -> Response:
    return _retitle(request, ctx, principal, params, media_object_id=media_object_id)


@router.put(
    "/api/v1/media_attachments/{attachment_id}",
    summary="Update a media attachment's title",
    responses=ok("The media object, without tracks or sources", MEDIA_OBJECT),
    dependencies=[Depends(may_retitle_media_attachment)],
    openapi_extra=body(TITLE_BODY),
)
def update_media_attachment(
    attachment_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    params: BodyParams,
) -> Response:
    return _retitle(request, ctx, principal, params, attachment_ref=attachment_id)


# ---- register ----------------------------------------------------------------------------------


def may_register(request: Request, principal: CurrentPrincipal) -> None:
    """Registering names its context in the body, so only authentication can come first; the
    body is then read within MEDIAOBJECTS_MAX_REQUEST_BODY_BYTES and the context checked."""
    authentication.require_user(principal)
    allow_body(request)


def _register(request: Request, ctx: AppContext, principal: Principal, params: Params) -> Response:
    registration = media.Registration(
        media_id=params.text("id", max_length=None),
        media_type=params.text("type", max_length=None),
        context_code=params.text("context_code", max_length=None),
        title=params.text("title", max_length=None),
        user_entered_title=params.text("user_entered_title", max_length=None),
    )
    with ctx.write() as session:
        media_object, attachment, _created = media.register_media_object(
            session, principal, registration
        )
        urls = Urls(request, ctx)
        iframe = (
            urls.attachment_iframe(attachment.id)
            if attachment is not None
            else urls.media_object_iframe(media_object.media_id)
        )
        return canvas_json(request, register_json(media_object, attachment, iframe))


@router.post(
    "/api/v1/media_objects",
    summary="Register a media object",
    responses=with_links(
        ok("The media object's columns and its player URL", MEDIA_OBJECT_REGISTERED),
        200,
        REGISTERED_LINKS,
    ),
    dependencies=[Depends(may_register)],
    openapi_extra=body(REGISTER_BODY),
)
def create_media_object(
    request: Request, ctx: Ctx, principal: CurrentPrincipal, params: BodyParams
) -> Response:
    return _register(request, ctx, principal, params)


@router.post(
    "/api/v1/media_attachments",
    summary="Register a media attachment",
    responses=with_links(
        ok("The media object's columns and its player URL", MEDIA_OBJECT_REGISTERED),
        200,
        REGISTERED_LINKS,
    ),
    dependencies=[Depends(may_register)],
    openapi_extra=body(REGISTER_BODY),
)
def create_media_attachment(
    request: Request, ctx: Ctx, principal: CurrentPrincipal, params: BodyParams
) -> Response:
    return _register(request, ctx, principal, params)


# ---- info (non-API) ------------------------------------------------------------------------------


@router.get(
    "/media_objects/{media_object_id}/info",
    summary="Media object details",
    responses=ok("The media object", MEDIA_OBJECT),
)
def show_media_object(
    media_object_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    media_object = media.load_media_object(session, principal, media_object_id)
    media.require_read(session, principal, media_object)
    return canvas_json(
        request, media_object_payload(session, principal, Urls(request, ctx), media_object)
    )


@router.get(
    "/media_attachments/{attachment_id}/info",
    summary="Media attachment details",
    responses=ok("The media object as seen through this attachment", MEDIA_OBJECT),
)
def show_media_attachment(
    attachment_id: str, request: Request, ctx: Ctx, session: DbSession, principal: CurrentPrincipal
) -> Response:
    attachment, media_object = media.load_media_attachment(session, principal, attachment_id)
    media.require_read_attachment(session, principal, attachment)
    return canvas_json(
        request,
        attachment_payload(session, principal, Urls(request, ctx), attachment, media_object),
    )
