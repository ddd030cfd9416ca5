"""Canvas JSON shapes of a MediaTrack: the summary inside MediaObject JSON (§2.1, §2.4) and the
list shape of the tracks endpoints (§2.5), with ``include[]`` fields; the shapes of track
versions and deleted tracks, and the strict reading of a retime request body."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mediaobjects.errors import BadRequest
from mediaobjects.media_tracks.models import MediaTrack, TrackSummaryRow, TrackVersion
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
    if out["asr"] or track.asr_error is not None:
        out["asr_error"] = track.asr_error
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
    if out["asr"] or track.asr_error is not None:
        # Not Canvas's: why an automatic track failed (null otherwise), or why a run asked to
        # replace a person's track did not (the track stayed theirs). Clients ignore it.
        out["asr_error"] = track.asr_error
    if "content" in include:
        out["content"] = track.content
    if "webvtt_content" in include:
        out["webvtt_content"] = track.webvtt_content
    if "updated_at" in include:
        out["updated_at"] = iso(track.updated_at)
    if "created_at" in include:
        out["created_at"] = iso(track.created_at)
    return out


VERSION_INCLUDABLE = ("content", "webvtt_content")


def version_json(version: TrackVersion, include: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": version.id,
        "created_at": iso(version.created_at),
        "user_id": version.user_id,
        "reason": version.reason,
    }
    if "content" in include:
        out["content"] = version.content
    if "webvtt_content" in include:
        out["webvtt_content"] = version.webvtt_content
    return out


def deleted_track_json(
    track_id: int,
    locale: str,
    kind: str,
    deleted_at: datetime,
    deleted_by: int | None,
    version_ids: tuple[int, ...],
) -> dict[str, Any]:
    return {
        "id": track_id,
        "locale": locale,
        "kind": kind,
        "deleted_at": iso(deleted_at),
        "deleted_by": deleted_by,
        "version_ids": list(version_ids),
    }


# About 115 days in milliseconds: far past any real media, and small enough that no time
# computed from it overflows what the caption formats can write.
MAX_RETIME_MS = 10**10
_RETIME_FIELDS = ("offset_ms", "sync_points")


@dataclass(frozen=True)
class RetimeRequest:
    offset_ms: int | None
    sync_points: tuple[tuple[int, int], tuple[int, int]] | None


def _whole_ms(value: object, field: str, *, minimum: int) -> int:
    # bool is an int in Python; JSON true is not a number of milliseconds.
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest.for_field(field, f"{field} must be a whole number of milliseconds")
    if not minimum <= value <= MAX_RETIME_MS:
        raise BadRequest.for_field(
            field, f"{field} must be between {minimum} and {MAX_RETIME_MS} milliseconds"
        )
    return value


def parse_retime_body(body: object) -> RetimeRequest:
    """``{"offset_ms": n}`` or ``{"sync_points": [[from, to], [from, to]]}``, nothing else:
    400 naming the field otherwise."""
    if not isinstance(body, dict):
        raise BadRequest(
            'the body must be a JSON object: {"offset_ms": -1500} or '
            '{"sync_points": [[from_ms, to_ms], [from_ms, to_ms]]}'
        )
    unknown = sorted(str(key) for key in body if key not in _RETIME_FIELDS)
    if unknown:
        raise BadRequest.for_field(
            unknown[0], f"unknown field {unknown[0]!r}: give offset_ms or sync_points"
        )
    given = [name for name in _RETIME_FIELDS if body.get(name) is not None]
    if len(given) != 1:
        message = "give exactly one of offset_ms and sync_points"
        raise BadRequest.for_field(given[-1] if given else "offset_ms", message)
    if given == ["offset_ms"]:
        offset = _whole_ms(body["offset_ms"], "offset_ms", minimum=-MAX_RETIME_MS)
        return RetimeRequest(offset, None)
    points = body["sync_points"]
    shape = "sync_points must be two [from_ms, to_ms] pairs"
    if not isinstance(points, list) or len(points) != 2:
        raise BadRequest.for_field("sync_points", shape)
    pairs: list[tuple[int, int]] = []
    for point in points:
        if not isinstance(point, list) or len(point) != 2:
            raise BadRequest.for_field("sync_points", shape)
        pairs.append(
            (
                _whole_ms(point[0], "sync_points", minimum=0),
                _whole_ms(point[1], "sync_points", minimum=0),
            )
        )
    return RetimeRequest(None, (pairs[0], pairs[1]))
