"""Course media settings routes: read them, and change them (JSON or form, partial). Thin
handlers: the PUT authorises in its decorator's dependency, before its body is read."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from mediaobjects.http.deps import BodyParams, Ctx, CurrentPrincipal, DbSession, authorized
from mediaobjects.http.openapi import ERROR_RESPONSES, ok
from mediaobjects.http.request_bodies import body
from mediaobjects.http.responses import canvas_json
from mediaobjects.media_settings import service as media_settings
from mediaobjects.media_settings.schemas import settings_json

router = APIRouter(tags=["course media settings"], responses=ERROR_RESPONSES)

PATH = "/api/v1/courses/{course_id}/media_settings"

_LOCALE: dict[str, Any] = {
    "type": ["string", "null"],
    "description": "BCP 47 language tag of the automatic captions; null: detect the language",
}
MEDIA_SETTINGS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "course_id": {"type": "integer"},
        "auto_captions": {"type": "boolean"},
        "locale": _LOCALE,
        "updated_at": {"type": ["string", "null"], "format": "date-time"},
    },
    "required": ["course_id", "auto_captions", "locale", "updated_at"],
    "additionalProperties": False,
}
SETTINGS_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {"auto_captions": {"type": "boolean"}, "locale": _LOCALE},
}


@router.get(
    PATH,
    summary="A course's media settings (automatic captions)",
    responses=ok("The course's media settings", MEDIA_SETTINGS),
)
def show_media_settings(
    course_id: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    settings = media_settings.read_settings(session, principal, course_id)
    return canvas_json(request, settings_json(settings))


def may_update_media_settings(
    course_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    authorized(request, ctx, lambda s: media_settings.authorize_update(s, principal, course_id))


@router.put(
    PATH,
    summary="Change a course's media settings (automatic captions)",
    responses=ok("The course's media settings", MEDIA_SETTINGS),
    dependencies=[Depends(may_update_media_settings)],
    openapi_extra=body(SETTINGS_BODY),
)
def update_media_settings(
    course_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal, params: BodyParams
) -> Response:
    change = media_settings.parse_change(params.data)
    with ctx.write() as session:
        settings = media_settings.update_settings(session, principal, course_id, change)
        payload = settings_json(settings)
    return canvas_json(request, payload)
