"""Canvas JSON shapes of a MediaObject: the media-object serializer (§2.1), the attachment
serializer differences (§2.4), and the register response (§2.3)."""

from __future__ import annotations

import json
from typing import Any

from mediaobjects.files.models import Attachment
from mediaobjects.media_objects.models import MediaObject, SourceRow
from mediaobjects.timestamps import iso

UNTITLED = "Untitled"


def display_title(media_object: MediaObject) -> str:
    """Canvas's ``guaranteed_title``: the user's title, else the title, else "Untitled"."""
    for candidate in (media_object.user_entered_title, media_object.title):
        if candidate is not None and candidate.strip():
            return candidate
    return UNTITLED


def media_object_json(
    media_object: MediaObject,
    *,
    can_add_captions: bool,
    embedded_iframe_url: str,
    thumbnail_url: str | None,
    tracks: list[dict[str, Any]] | None,
    sources: list[dict[str, Any]] | None,
    hls_url: str | None = None,
) -> dict[str, Any]:
    """``tracks``/``sources`` None means excluded (``exclude[]``): the key is left out, and
    with the sources ``hls_url`` (None: nothing to stream). ``thumbnail_url`` None: no picture
    yet (pending, failed, or audio without cover art)."""
    problems = original_problems(media_object)
    out: dict[str, Any] = {
        "can_add_captions": can_add_captions,
        "media_id": media_object.media_id,
        "title": display_title(media_object),
        # Decision D14: Canvas documents this field but never sends it.
        "user_entered_title": media_object.user_entered_title,
        "media_type": media_object.media_type,
        "created_at": iso(media_object.created_at),
        "embedded_iframe_url": embedded_iframe_url,
        "auto_caption_status": media_object.auto_caption_status,
        # Not Canvas's: how far the running automatic-captions job has got, in percent.
        "auto_caption_progress": media_object.auto_caption_progress,
        "processing_state": media_object.processing_state,
        "processing_error": media_object.processing_error,
        # Not Canvas's: what a library card shows, so that a page can complete a card
        # once the media is ready (the probed length in seconds, the poster's signed URL).
        "duration": media_object.duration,
        "thumbnail_url": thumbnail_url,
        # Not Canvas's: whether the upload itself is offered for playback (listed in
        # media_sources with isOriginal "1" as soon as it is probed, before the renditions),
        # null until probed; when it is not, why, in words a teacher reads.
        "original_playable": None if problems is None else not problems,
        "original_problems": problems or [],
    }
    if tracks is not None:
        out["media_tracks"] = tracks
    if sources is not None:
        out["media_sources"] = sources
        # Not Canvas's: the signed HLS master playlist (every rendition made for streaming,
        # the caption tracks as subtitles); media_sources stays progressive, as Canvas wants.
        out["hls_url"] = hls_url
    return out


def original_problems(media_object: MediaObject) -> list[str] | None:
    """Why the upload is not offered as it is ([] when it is); None until it was probed."""
    if media_object.original_problems is None:
        return None
    loaded = json.loads(media_object.original_problems)
    return [str(reason) for reason in loaded] if isinstance(loaded, list) else []


_CONTAINER_ORDER = {"mp4": 0, "mp3": 1, "flv": 2}


def ordered_sources(sources: list[SourceRow]) -> list[SourceRow]:
    """Kaltura's flavor order: converted before original; mp4, then mp3, then flv, then the
    rest; higher bitrate first."""
    return sorted(
        sources,
        key=lambda s: (
            s.is_original,
            _CONTAINER_ORDER.get(s.file_ext, 3),
            -(s.bitrate or 0),
            s.id or 0,
        ),
    )


def source_json(source: SourceRow, url: str) -> dict[str, Any]:
    """A Kaltura-shaped flavor: values are strings, as Kaltura returns them; ``size`` in KB,
    ``bitrate`` in kbps. ``label`` names the bitrate truthfully (Canvas divides an already-kbps
    value by 1024 again, canvas-media-api.md §5.12)."""
    bitrate = str(source.bitrate) if source.bitrate is not None else ""
    return {
        "height": str(source.height) if source.height is not None else "",
        "width": str(source.width) if source.width is not None else "",
        "content_type": source.content_type,
        "containerFormat": source.container_format,
        "url": url,
        "src": url,
        "bitrate": bitrate,
        "size": str(source.size // 1024),
        "isOriginal": "1" if source.is_original else "0",
        "fileExt": source.file_ext,
        "label": f"{bitrate} kbps" if bitrate else source.name,
    }


def register_json(
    media_object: MediaObject, attachment: Attachment | None, embedded_iframe_url: str
) -> dict[str, Any]:
    """``{"media_object": {columns..., "uuid"}, "embedded_iframe_url"}`` (§2.3)."""
    columns: dict[str, Any] = {
        "id": media_object.id,
        "media_id": media_object.media_id,
        "old_media_id": media_object.old_media_id,
        "context_type": media_object.context_type,
        "context_id": media_object.context_id,
        "user_id": media_object.user_id,
        "title": media_object.title,
        "user_entered_title": media_object.user_entered_title,
        "media_type": media_object.media_type,
        "attachment_id": media_object.attachment_id,
        "workflow_state": media_object.workflow_state,
        "root_account_id": 1,
        "created_at": iso(media_object.created_at),
        "updated_at": iso(media_object.updated_at),
        "uuid": attachment.uuid if attachment is not None else None,
    }
    return {"media_object": columns, "embedded_iframe_url": embedded_iframe_url}
