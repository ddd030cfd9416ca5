"""Canvas JSON shapes of a MediaTrack: the summary inside MediaObject JSON (§2.1, §2.4) and the
list shape of the tracks endpoints (§2.5), with ``include[]`` fields."""

from __future__ import annotations

from typing import Any

from mediaobjects.media_tracks.models import MediaTrack, TrackSummaryRow
from mediaobjects.timestamps import iso

INCLUDABLE = ("content", "webvtt_content", "updated_at", "created_at")


def is_asr(track: MediaTrack | TrackSummaryRow) -> bool:
    """Canvas: an automatic (speech recognition) track is a subtitles track from a provider."""
    return track.kind == "subtitles" and track.external_id is not None


def track_summary_json(
    track: MediaTrack | TrackSummaryRow, url: str, inherited: bool | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": track.id,
        "kind": track.kind,
        "locale": track.locale,
        "url": url,
        "created_at": iso(track.created_at),
        "updated_at": iso(track.updated_at),
        "asr": is_asr(track),
        "workflow_state": track.workflow_state,
    }
    if inherited is not None:
        out["inherited"] = inherited
    return out


def track_json(track: MediaTrack, include: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": track.id,
        "locale": track.locale,
        "kind": track.kind,
        "media_object_id": track.media_object_id,
        "user_id": track.user_id,
        "workflow_state": track.workflow_state,
        "asr": is_asr(track),
    }
    if "content" in include:
        out["content"] = track.content
    if "webvtt_content" in include:
        out["webvtt_content"] = track.webvtt_content
    if "updated_at" in include:
        out["updated_at"] = iso(track.updated_at)
    if "created_at" in include:
        out["created_at"] = iso(track.created_at)
    return out
