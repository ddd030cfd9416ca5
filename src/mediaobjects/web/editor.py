"""The caption editor pages: ``/media_objects/:media_id/captions/:track_id/edit`` (a track) and
``/media_objects/:media_id/captions/new?locale=..&kind=..`` (a track not written yet). The page
is the frame: the player with the media's sources, and the data its script (static/editor.js)
needs to fetch the cues from the API (GET .../media_tracks/:id/cues) and save them through it
with the session cookie and the page's CSRF token. Who may open it is who may add captions to
the media (the right ``PUT .../media_tracks`` needs); others get a 403 page, visitors /login."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from mediaobjects.accounts.principal import Principal
from mediaobjects.captions import (
    KINDS,
    KindError,
    LocaleError,
    locale_label,
    normalise_locale,
    validate_kind,
)
from mediaobjects.errors import BadRequest, MediaObjectsError, NotFound
from mediaobjects.http.deps import Ctx, DbSession
from mediaobjects.http.urls import Urls
from mediaobjects.media_objects import schemas
from mediaobjects.media_objects import service as media
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks import service as tracks
from mediaobjects.media_tracks.models import MediaTrack
from mediaobjects.numbers import parse_id
from mediaobjects.web.session import csrf_token, login_redirect, web_principal
from mediaobjects.web.templating import page_headers, render

router = APIRouter(include_in_schema=False)

KIND_LABELS = {
    "subtitles": "Subtitles",
    "captions": "Captions",
    "descriptions": "Descriptions",
    "chapters": "Chapters",
    "metadata": "Metadata",
}
# The kind a new track gets when the link names none: captions are what a teacher fixes here
# (the API's own default, subtitles, is for PUTs that name no kind).
NEW_TRACK_KIND = "captions"


@dataclass(frozen=True)
class Source:
    url: str
    content_type: str


def edit_path(media_id: str, track_id: int) -> str:
    return f"/media_objects/{quote(media_id, safe='')}/captions/{track_id}/edit"


def _headers(urls: Urls, request: Request) -> dict[str, str]:
    """The pages' strict policy; media and the API may also be at the configured public URL
    when it is not this page's origin (the source URLs are built from it)."""
    origin = urlsplit(urls.base)
    own = f"{request.url.scheme}://{request.url.netloc}"
    base = f"{origin.scheme}://{origin.netloc}"
    extra = () if base == own else (base,)
    headers = page_headers(extra)
    if extra:
        headers["Content-Security-Policy"] = headers["Content-Security-Policy"].replace(
            "media-src 'self'", "media-src 'self' " + " ".join(extra)
        )
    return headers


def _page(request: Request, urls: Urls, status_code: int = 200, **values: object) -> HTMLResponse:
    values.setdefault("active", "")
    values.setdefault("csrf", csrf_token(request))
    template = "editor.html" if status_code == 200 else "error.html"
    return HTMLResponse(
        render(template, **values), status_code=status_code, headers=_headers(urls, request)
    )


def _error(
    request: Request, urls: Urls, principal: Principal, exc: MediaObjectsError
) -> HTMLResponse:
    titles = {400: "Check the link", 403: "Not allowed", 404: "Not found"}
    messages = {
        403: "You may not edit the captions of this media. Ask a teacher of its course.",
    }
    return _page(
        request,
        urls,
        status_code=exc.status_code,
        principal=principal,
        title=titles.get(exc.status_code, "Something went wrong"),
        message=exc.message if exc.status_code == 400 else messages.get(exc.status_code),
    )


def _editable_media(session: Session, principal: Principal, media_id: str) -> MediaObject:
    """The media object, 404 when unknown (or deleted), 403 unless the principal may add
    captions to it: the right that saving needs, checked before anything of it is shown."""
    media_object = media.load_media_object(session, principal, media_id)
    tracks.authorize_add(session, principal, media_object=media_object)
    return media_object


def _editor(
    request: Request,
    urls: Urls,
    session: Session,
    principal: Principal,
    media_object: MediaObject,
    *,
    track: MediaTrack | None,
    locale: str,
    kind: str,
) -> HTMLResponse:
    sources = [
        Source(urls.media_source(s.id, s.name, s.file_ext), s.content_type)
        for s in schemas.ordered_sources(
            media.sources_of(session, [media_object.id])[media_object.id]
        )
    ]
    poster = urls.media_object_thumbnail(media_object.media_id) if media_object.poster_key else None
    title = schemas.display_title(media_object)
    language = locale_label(locale)
    return _page(
        request,
        urls,
        principal=principal,
        title=f"Captions: {language} — {title}",
        media_title=title,
        media_id=media_object.media_id,
        media_url=f"/media_objects/{quote(media_object.media_id, safe='')}",
        api_base=f"/api/v1/media_objects/{quote(media_object.media_id, safe='')}",
        track_id=track.id if track is not None else None,
        locale=locale,
        language=language,
        kind=kind,
        kind_label=KIND_LABELS.get(kind, kind),
        element="audio" if (media_object.media_type or "").startswith("audio") else "video",
        ready=media_object.processing_state == "ready" and bool(sources),
        processing_state=media_object.processing_state,
        sources=sources,
        poster=poster,
        duration_ms=round(media_object.duration * 1000) if media_object.duration else None,
    )


@router.get("/media_objects/{media_id}/captions/{track_id}/edit")
def edit_captions(
    media_id: str, track_id: str, request: Request, ctx: Ctx, session: DbSession
) -> Response:
    principal = web_principal(request)
    if principal is None:
        return login_redirect(request)
    urls = Urls(request, ctx)
    try:
        media_object = _editable_media(session, principal, media_id)
        wanted = parse_id(track_id)
        views = tracks.visible_tracks(session, media_object=media_object, content=False)
        found = next((v.track for v in views if v.track.id == wanted), None)
        if found is None:
            raise NotFound()
    except MediaObjectsError as exc:
        return _error(request, urls, principal, exc)
    return _editor(
        request,
        urls,
        session,
        principal,
        media_object,
        track=found,
        locale=found.locale,
        kind=found.kind or NEW_TRACK_KIND,
    )


@router.get("/media_objects/{media_id}/captions/new")
def new_captions(media_id: str, request: Request, ctx: Ctx, session: DbSession) -> Response:
    principal = web_principal(request)
    if principal is None:
        return login_redirect(request)
    urls = Urls(request, ctx)
    params = request.query_params
    try:
        media_object = _editable_media(session, principal, media_id)
        wanted_locale = params.get("locale", "").strip()
        if not wanted_locale:
            raise BadRequest("The link names no language (locale) for the new captions.")
        try:
            locale = normalise_locale(wanted_locale)
        except LocaleError as exc:
            raise BadRequest(f"The language (locale) of the link {exc.message}.") from exc
        try:
            kind = validate_kind(params.get("kind") or NEW_TRACK_KIND)
        except KindError as exc:
            raise BadRequest(
                "The kind of the new track must be one of " + ", ".join(KINDS) + "."
            ) from exc
        views = tracks.visible_tracks(session, media_object=media_object, content=False)
    except MediaObjectsError as exc:
        return _error(request, urls, principal, exc)
    # A track of that language exists already (the API would refuse a second): edit it.
    existing = next((v.track for v in views if v.track.locale.lower() == locale.lower()), None)
    if existing is not None:
        return RedirectResponse(edit_path(media_object.media_id, existing.id), status_code=303)
    return _editor(
        request, urls, session, principal, media_object, track=None, locale=locale, kind=kind
    )
