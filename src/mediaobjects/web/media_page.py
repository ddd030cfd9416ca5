"""The media page ``/media_objects/:media_id``: the player (the iframe page, opened with the
session cookie), the title, the processing state, renditions, caption tracks with their
quality summary and downloads, and for those with the rights the forms that change them.

Every fact comes from the services the API calls, and every right is asked of them: who may
read (``media_objects.service.require_read``), retitle (``authorize_retitle``, as the PUT
does), add and delete captions (``media_objects.rights.caption_rights``, the API's
``can_add_captions``). The page's script (static/media.js) then makes the changes through the
API itself with the session cookie and the X-CSRF-Token header, so the API decides again; a
control the page does not show is one the API would refuse.

Not signed in: 303 to /login. Unknown media: the 404 page; no read access: the 403 page."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from mediaobjects.accounts import service as accounts
from mediaobjects.accounts.principal import Principal
from mediaobjects.caption_reports import service as reports
from mediaobjects.captions import KINDS, locale_label
from mediaobjects.captions.formats import FORMATS, available_formats
from mediaobjects.errors import Forbidden, MediaObjectsError
from mediaobjects.http.deps import Ctx, DbSession
from mediaobjects.http.urls import Urls
from mediaobjects.media_objects import rights, schemas
from mediaobjects.media_objects import service as media
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks import service as tracks
from mediaobjects.media_tracks.models import MediaTrack
from mediaobjects.media_tracks.schemas import is_asr
from mediaobjects.timestamps import iso
from mediaobjects.web.locales import locale_options
from mediaobjects.web.pages import STATE_LABELS, _error, _page, duration_text, media_page_path
from mediaobjects.web.session import login_redirect, web_principal

router = APIRouter(include_in_schema=False)

TRACK_STATES = {"ready": "Ready", "processing": "Being made", "failed": "Failed"}
KIND_LABELS = {
    "subtitles": "Subtitles",
    "captions": "Captions",
    "descriptions": "Descriptions",
    "chapters": "Chapters",
    "metadata": "Metadata",
}
FORMAT_LABELS = {
    "vtt": "WebVTT",
    "srt": "SRT",
    "ttml": "TTML",
    "dfxp": "DFXP",
    "sbv": "SBV",
    "scc": "SCC",
    "sami": "SAMI",
    "txt": "Transcript",
    "json": "JSON",
}
# The caption report's profile: the summary shown is the one its badge is judged by.
PROFILE = reports.DEFAULT_PROFILE
# The size of the embed code's iframe (the player fills it).
EMBED_WIDTH, EMBED_HEIGHT = 640, 360


@dataclass(frozen=True)
class Rendition:
    label: str
    dimensions: str
    bitrate: str
    size: str
    content_type: str


@dataclass(frozen=True)
class Download:
    label: str
    url: str
    content_type: str


@dataclass(frozen=True)
class Quality:
    """A track's summary as the caption report counts it: ``state`` is passing, failing,
    empty (no cues yet), unreadable, or unknown (not summarised yet)."""

    state: str
    text: str


@dataclass(frozen=True)
class TrackRow:
    id: int
    locale: str
    locale_name: str
    kind: str
    kind_label: str
    author: str
    updated_at: str
    updated_text: str
    state: str
    state_label: str
    automatic: bool
    asr_error: str | None
    quality: Quality
    downloads: list[Download]
    edit_url: str


def size_text(size: int) -> str:
    """Bytes as people read them: ``812 KB``, ``1.4 MB``."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit in ("bytes", "KB") else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def quality_of(summary: reports.TrackSummary | None, track: MediaTrack) -> Quality:
    if track.workflow_state != "ready":
        return Quality("empty", "No captions yet")
    if summary is None:
        return Quality("unknown", "Not checked yet")
    if summary.cues is None:
        return Quality("unreadable", "Cannot be checked: the stored captions do not parse")
    if summary.cues == 0:
        return Quality("empty", "No cues")
    coverage = (
        f"; covers {round(summary.coverage * 100)}% of the speech"
        if summary.coverage is not None
        else ""
    )
    if summary.meets_profile:
        return Quality("passing", f"Meets the default caption profile{coverage}")
    errors, warnings = summary.errors or 0, summary.warnings or 0
    counts = (
        f"{errors} {'error' if errors == 1 else 'errors'}, "
        f"{warnings} {'warning' if warnings == 1 else 'warnings'}"
    )
    return Quality("failing", f"Needs work: {counts}{coverage}")


def _renditions(session: Session, media_object: MediaObject) -> list[Rendition]:
    sources = schemas.ordered_sources(media.sources_of(session, [media_object.id])[media_object.id])
    return [
        Rendition(
            label="Original"
            if s.is_original
            else s.file_ext.upper() + (f" {s.height}p" if s.height else ""),
            dimensions=f"{s.width} × {s.height}" if s.width and s.height else "—",
            bitrate=f"{s.bitrate} kbps" if s.bitrate else "—",
            size=size_text(s.size),
            content_type=s.content_type,
        )
        for s in sources
    ]


def _track_rows(
    session: Session, media_object: MediaObject, shown: list[MediaTrack]
) -> list[TrackRow]:
    names = accounts.user_names(session, [t.user_id for t in shown if t.user_id is not None])
    summaries = reports.track_summaries(session, [t.id for t in shown], profile=PROFILE)
    base = f"/api/v1/media_objects/{quote(media_object.media_id, safe='')}/media_tracks"
    page = media_page_path(media_object.media_id)
    rows = []
    for track in shown:
        updated = iso(track.updated_at) or ""
        downloads = [
            Download(
                FORMAT_LABELS.get(name, name.upper()),
                f"{base}/{track.id}/content?format={name}",
                FORMATS[name].content_type.split(";")[0],
            )
            for name in available_formats()
        ]
        rows.append(
            TrackRow(
                id=track.id,
                locale=track.locale,
                locale_name=locale_label(track.locale),
                kind=track.kind,
                kind_label=KIND_LABELS.get(track.kind, track.kind),
                author=names.get(track.user_id, "Unknown") if track.user_id else "Unknown",
                updated_at=updated,
                updated_text=updated.replace("T", " ").replace("Z", " UTC"),
                state=track.workflow_state,
                state_label=TRACK_STATES.get(track.workflow_state, track.workflow_state),
                automatic=is_asr(track),
                asr_error=track.asr_error,
                quality=quality_of(summaries.get(track.id), track),
                downloads=downloads,
                edit_url=f"{page}/captions/{track.id}/edit",
            )
        )
    return rows


def _may_retitle(session: Session, principal: Principal, media_id: str) -> bool:
    try:
        media.authorize_retitle(session, principal, media_object_id=media_id)
    except Forbidden:
        return False
    return True


@router.get("/media_objects/{media_id}")
def media_page(media_id: str, request: Request, ctx: Ctx, session: DbSession) -> Response:
    principal = web_principal(request)
    if principal is None:
        return login_redirect(request)
    try:
        media_object = media.load_media_object(session, principal, media_id)
        media.require_read(session, principal, media_object)
    except MediaObjectsError as exc:
        return _error(request, principal, exc)
    urls = Urls(request, ctx)
    shown = [
        view.track
        for view in tracks.visible_tracks(session, media_object=media_object, content=False)
    ]
    granted = rights.caption_rights(session, principal, media_object)
    title = schemas.display_title(media_object)
    ready = media_object.processing_state == "ready"
    embed_url = urls.media_object_iframe(media_object.media_id)
    page = media_page_path(media_object.media_id)
    return _page(
        request,
        "media.html",
        frame_self=True,
        principal=principal,
        title=title,
        media_id=media_object.media_id,
        page_path=page,
        api_path=f"/api/v1/media_objects/{quote(media_object.media_id, safe='')}",
        player_path=f"/media_objects_iframe/{quote(media_object.media_id, safe='')}",
        state=media_object.processing_state,
        state_label=STATE_LABELS.get(media_object.processing_state, media_object.processing_state),
        processing_error=media_object.processing_error,
        duration=duration_text(media_object.duration),
        created_at=iso(media_object.created_at) or "",
        media_type=media_object.media_type or "—",
        renditions=_renditions(session, media_object),
        tracks=_track_rows(session, media_object, shown),
        can_retitle=_may_retitle(session, principal, media_object.media_id),
        can_add=granted.add,
        can_delete=granted.delete,
        asr_engine=ctx.asr is not None,
        ready=ready,
        auto_caption_status=media_object.auto_caption_status,
        auto_caption_progress=media_object.auto_caption_progress,
        kinds=KINDS,
        kind_labels=KIND_LABELS,
        locales=locale_options(t.locale for t in shown),
        embed_code=(
            f'<iframe src="{escape(embed_url)}" title="{escape(title)}" width="{EMBED_WIDTH}" '
            f'height="{EMBED_HEIGHT}" allowfullscreen></iframe>'
        ),
        new_captions_path=f"{page}/captions/new",
    )
