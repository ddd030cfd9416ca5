"""Routes of a track's caption quality (GET .../media_tracks/:id/quality?profile=), for a media
object and for a media attachment. Thin handlers: parameters in, service call, JSON out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from mediaobjects.accounts import authentication
from mediaobjects.captions.quality import PROFILE_NAMES, RULES, QualityReport
from mediaobjects.http.deps import CurrentPrincipal, DbSession
from mediaobjects.http.openapi import ERROR_RESPONSES, ok
from mediaobjects.http.responses import canvas_json
from mediaobjects.media_objects import service as media
from mediaobjects.media_tracks import quality
from mediaobjects.numbers import parse_id

router = APIRouter(tags=["caption quality"], responses=ERROR_RESPONSES)

_NUMBER: dict[str, Any] = {"type": "number"}
_COUNTS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {"type": "integer", "minimum": 0},
}
QUALITY_FINDING: dict[str, Any] = {
    "type": "object",
    "properties": {
        "cue": {"type": "integer", "minimum": -1},
        "start_ms": {"type": "integer", "minimum": 0},
        "end_ms": {"type": "integer", "minimum": 0},
        "rule": {"enum": list(RULES)},
        "value": _NUMBER,
        "limit": _NUMBER,
        "severity": {"enum": ["error", "warning"]},
    },
    "required": ["cue", "start_ms", "end_ms", "rule", "value", "limit", "severity"],
    "additionalProperties": False,
}
QUALITY_REPORT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "profile": {"enum": list(PROFILE_NAMES)},
        "findings": {"type": "array", "items": QUALITY_FINDING},
        "totals": {
            "type": "object",
            "properties": {"by_rule": _COUNTS, "by_severity": _COUNTS},
            "required": ["by_rule", "by_severity"],
            "additionalProperties": False,
        },
        "coverage": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "meets_profile": {"type": "boolean"},
    },
    "required": ["profile", "findings", "totals", "coverage", "meets_profile"],
    "additionalProperties": False,
}

ProfileName = Annotated[
    str | None,
    Query(
        description="The quality profile: one of "
        + ", ".join(PROFILE_NAMES)
        + " (any case; default default). Other names answer 400."
    ),
]


def quality_json(report: QualityReport) -> dict[str, Any]:
    return {
        "profile": report.profile,
        "findings": [
            {
                "cue": finding.cue,
                "start_ms": finding.start_ms,
                "end_ms": finding.end_ms,
                "rule": finding.rule,
                "value": _number(finding.value),
                "limit": _number(finding.limit),
                "severity": finding.severity,
            }
            for finding in report.findings
        ],
        "totals": {"by_rule": dict(report.by_rule), "by_severity": dict(report.by_severity)},
        "coverage": report.coverage,
        "meets_profile": report.meets_profile,
    }


def _number(value: float) -> int | float:
    # Lengths, counts and milliseconds read as the whole numbers they are.
    return int(value) if value.is_integer() else value


@router.get(
    "/api/v1/media_objects/{media_object_id}/media_tracks/{track_id}/quality",
    summary="Check a track's caption quality",
    responses=ok("The quality report", QUALITY_REPORT),
)
def media_object_track_quality(
    media_object_id: str,
    track_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    profile: ProfileName = None,
) -> Response:
    authentication.require_user(principal)
    media_object = media.load_media_object(session, principal, media_object_id)
    report = quality.track_quality(
        session, principal, parse_id(track_id), profile, media_object=media_object
    )
    return canvas_json(request, quality_json(report))


@router.get(
    "/api/v1/media_attachments/{attachment_id}/media_tracks/{track_id}/quality",
    summary="Check a track's caption quality",
    responses=ok("The quality report", QUALITY_REPORT),
)
def media_attachment_track_quality(
    attachment_id: str,
    track_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    profile: ProfileName = None,
) -> Response:
    authentication.require_user(principal)
    attachment, media_object = media.load_media_attachment(session, principal, attachment_id)
    report = quality.track_quality(
        session,
        principal,
        parse_id(track_id),
        profile,
        media_object=media_object,
        attachment=attachment,
    )
    return canvas_json(request, quality_json(report))
