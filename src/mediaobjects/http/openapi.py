"""OpenAPI descriptions shared by every router: Canvas's error envelopes and the success
responses (JSON bodies; bytes, redirects and pages with their headers), so that the published
schema lists what clients actually get (and schemathesis can hold us to it)."""

from __future__ import annotations

from typing import Any

from mediaobjects.captions import KINDS
from mediaobjects.captions.formats import FORMATS
from mediaobjects.media_objects.models import AUTO_CAPTION_STATUSES

_ERROR_ITEM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "message": {"type": "string"},
        "field": {"type": ["string", "null"]},
        "error_code": {"type": "string"},
        "index": {"type": "integer"},
        "line": {"type": "integer", "minimum": 1},
        "cue": {"type": "integer", "minimum": 1},
    },
    "required": ["message"],
}
ERROR_ENVELOPE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "errors": {"type": "array", "items": _ERROR_ITEM},
        "status": {"type": "string"},
        "message": {"type": "string"},
        # Canvas's automatic-captions action answers errors as {"error": "..."}.
        "error": {"type": "string"},
    },
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_ENVELOPE}}}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("A parameter is missing or malformed"),
    401: _error("Not authenticated, or the access token is invalid, expired or revoked"),
    403: _error("Not allowed"),
    404: _error("No such resource"),
    409: _error("Conflicts with the current state"),
    413: _error("The body or file is too large"),
    422: _error("The resource failed validation"),
    503: _error("The storage backend failed"),
}

# Routes with a rate limit (or a bounded pool) add this: 429 with the seconds to wait.
TOO_MANY_REQUESTS: dict[int | str, dict[str, Any]] = {
    429: {
        **_error(
            "Too many requests (error_code too_many_requests), or every drawing slot stayed "
            "busy (server_busy); try again after Retry-After seconds"
        ),
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before trying again",
                "required": True,
                "schema": {"type": "string", "pattern": "^[0-9]+$"},
            }
        },
    }
}


# ---- success bodies --------------------------------------------------------------------------
# JSON Schemas (OpenAPI 3.1) of the bodies the serializers in ``*/schemas.py`` write. Objects
# are closed (``additionalProperties: false``) except where the shape is open by design, so
# that schemathesis's response_schema_conformance notices any field added, dropped or retyped.
# Ids are integers: the ``Accept: application/json+canvas-string-ids`` variant (decision D17)
# is deliberately not modelled.

_INT: dict[str, Any] = {"type": "integer"}
_COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}
_STR: dict[str, Any] = {"type": "string"}
_BOOL: dict[str, Any] = {"type": "boolean"}
_URL: dict[str, Any] = {"type": "string", "format": "uri"}
_NULL: dict[str, Any] = {"type": "null"}
_NULLABLE_INT: dict[str, Any] = {"type": ["integer", "null"]}
_NULLABLE_STR: dict[str, Any] = {"type": ["string", "null"]}
_TIMESTAMP: dict[str, Any] = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$",
}
_NULLABLE_TIMESTAMP: dict[str, Any] = {
    "type": ["string", "null"],
    "format": "date-time",
    "pattern": _TIMESTAMP["pattern"],
}
_ENROLLMENT_TYPES = [
    "TeacherEnrollment",
    "TaEnrollment",
    "DesignerEnrollment",
    "StudentEnrollment",
    "ObserverEnrollment",
]
_TRACK_KINDS = list(KINDS)
_TRACK_STATES = ["ready", "processing", "failed"]


def _object(
    properties: dict[str, Any], *, optional: tuple[str, ...] = (), **extra: Any
) -> dict[str, Any]:
    """A closed object: every property required except ``optional``."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
        **extra,
    }


def _course_or_account(kinds: tuple[str, ...] = ("Course", "Account")) -> dict[str, Any]:
    """Group categories and groups carry ``course_id`` or ``account_id``, by context type."""
    return {
        "oneOf": [
            {"properties": {"context_type": {"const": kind}}, "required": [f"{kind.lower()}_id"]}
            for kind in kinds
        ],
        "not": {"required": ["course_id", "account_id"]},
    }


_USER_PROPERTIES: dict[str, Any] = {
    "id": _INT,
    "name": _STR,
    "created_at": _TIMESTAMP,
    "sortable_name": _STR,
    "short_name": _STR,
    "first_name": _STR,
    "last_name": _STR,
    "sis_user_id": _NULL,
    "integration_id": _NULL,
    "avatar_url": _NULL,
}
USER: dict[str, Any] = _object({**_USER_PROPERTIES, "login_id": _STR})
LOGIN: dict[str, Any] = _object(
    {
        "id": _INT,
        "user_id": _INT,
        "account_id": _INT,
        "unique_id": _STR,
        "sis_user_id": _NULL,
        "integration_id": _NULL,
        "authentication_provider_id": _NULL,
        "created_at": _STR,
    }
)
# Inside an enrollment the login is left out, as Canvas does.
ENROLLMENT_USER: dict[str, Any] = _object(_USER_PROPERTIES)

_TOKEN_PROPERTIES: dict[str, Any] = {
    "id": _INT,
    "user_id": _INT,
    "purpose": _STR,
    "app_name": _NULL,
    "scopes": {"type": "array", "items": _STR},
    "workflow_state": {"type": "string", "enum": ["active", "deleted"]},
    "token_hint": _STR,
    "visible_token": _STR,
    "created_at": _TIMESTAMP,
    "updated_at": _TIMESTAMP,
    "expires_at": _NULLABLE_TIMESTAMP,
    "last_used_at": _NULLABLE_TIMESTAMP,
}
# The token itself is shown once, when it is created; afterwards only its hint.
TOKEN: dict[str, Any] = _object(_TOKEN_PROPERTIES)
TOKEN_CREATED: dict[str, Any] = _object({**_TOKEN_PROPERTIES, "token": _STR})

ACCOUNT: dict[str, Any] = _object(
    {
        "id": _INT,
        "name": _STR,
        "uuid": _STR,
        "parent_account_id": _NULL,
        "root_account_id": _NULL,
        "workflow_state": {"type": "string", "enum": ["active"]},
        "default_time_zone": _STR,
    }
)

COURSE: dict[str, Any] = _object(
    {
        "id": _INT,
        "name": _STR,
        "course_code": _STR,
        "uuid": _STR,
        "account_id": _INT,
        "root_account_id": _INT,
        "workflow_state": _STR,
        "created_at": _TIMESTAMP,
        "start_at": _NULL,
        "end_at": _NULL,
        "sis_course_id": _NULL,
        "enrollment_term_id": _NULL,
        "default_view": _STR,
        "is_public": _BOOL,
    }
)

ENROLLMENT: dict[str, Any] = _object(
    {
        "id": _INT,
        "course_id": _INT,
        "user_id": _INT,
        "type": {"type": "string", "enum": _ENROLLMENT_TYPES},
        "role": {"type": "string", "enum": _ENROLLMENT_TYPES},
        "enrollment_state": _STR,
        "created_at": _TIMESTAMP,
        "updated_at": _TIMESTAMP,
        "root_account_id": _INT,
        "user": ENROLLMENT_USER,
    }
)

GROUP_CATEGORY: dict[str, Any] = _object(
    {
        "id": _INT,
        "name": _STR,
        "role": _NULL,
        "self_signup": _NULL,
        "auto_leader": _NULL,
        "group_limit": _NULL,
        "context_type": {"type": "string", "enum": ["Course", "Account"]},
        "created_at": _TIMESTAMP,
        "course_id": _INT,
        "account_id": _INT,
    },
    optional=("course_id", "account_id"),
    **_course_or_account(),
)

GROUP: dict[str, Any] = _object(
    {
        "id": _INT,
        "name": _STR,
        "description": _NULL,
        "group_category_id": _INT,
        "context_type": {"type": "string", "enum": ["Course", "Account"]},
        "members_count": _COUNT,
        "is_public": _BOOL,
        "join_level": _STR,
        "role": _NULL,
        "created_at": _TIMESTAMP,
        "course_id": _INT,
        "account_id": _INT,
    },
    optional=("course_id", "account_id"),
    **_course_or_account(),
)

GROUP_MEMBERSHIP: dict[str, Any] = _object(
    {
        "id": _INT,
        "group_id": _INT,
        "user_id": _INT,
        "workflow_state": _STR,
        "moderator": _BOOL,
        "created_at": _TIMESTAMP,
    }
)

FILE: dict[str, Any] = _object(
    {
        "id": _INT,
        "uuid": _STR,
        "folder_id": _INT,
        "display_name": _STR,
        "filename": _STR,
        "upload_status": {"type": "string", "enum": ["success"]},
        "content-type": _STR,
        "url": _URL,
        "size": _COUNT,
        "created_at": _TIMESTAMP,
        "updated_at": _TIMESTAMP,
        "modified_at": _TIMESTAMP,
        "unlock_at": _NULL,
        "lock_at": _NULL,
        "locked": _BOOL,
        "hidden": _BOOL,
        "hidden_for_user": _BOOL,
        "locked_for_user": _BOOL,
        "thumbnail_url": _NULL,
        "mime_class": {
            "type": "string",
            "enum": ["audio", "video", "image", "text", "pdf", "file"],
        },
        "media_entry_id": _NULLABLE_STR,
        "category": _STR,
    }
)

FOLDER: dict[str, Any] = _object(
    {
        "id": _INT,
        "name": _STR,
        "full_name": _STR,
        "context_id": _INT,
        "context_type": {"type": "string", "enum": ["Course", "Group", "User"]},
        "parent_folder_id": _NULLABLE_INT,
        "created_at": _TIMESTAMP,
        "updated_at": _TIMESTAMP,
        "lock_at": _NULL,
        "unlock_at": _NULL,
        "position": _NULL,
        "locked": _BOOL,
        "hidden": _BOOL,
        "locked_for_user": _BOOL,
        "hidden_for_user": _BOOL,
        "for_submissions": _BOOL,
        "can_upload": _BOOL,
        "files_count": _COUNT,
        "folders_count": _COUNT,
        "files_url": _URL,
        "folders_url": _URL,
    }
)

# Step one of the upload flow. ``upload_params`` is open: clients must send back whatever it
# holds, as strings, with the file.
UPLOAD_TICKET: dict[str, Any] = _object(
    {
        "upload_url": _URL,
        "upload_params": {
            "type": "object",
            "properties": {"filename": _STR, "content_type": _STR},
            "required": ["filename", "content_type"],
            "additionalProperties": _STR,
        },
        "file_param": {"type": "string", "enum": ["file"]},
        "progress": _NULL,
    }
)

# A track as summarised inside MediaObject JSON; ``inherited`` only on the attachment routes.
TRACK_SUMMARY: dict[str, Any] = _object(
    {
        "id": _INT,
        "kind": {"type": "string", "enum": _TRACK_KINDS},
        "locale": _STR,
        "url": _URL,
        "created_at": _TIMESTAMP,
        "updated_at": _TIMESTAMP,
        "asr": _BOOL,
        "workflow_state": {"type": "string", "enum": _TRACK_STATES},
        "inherited": _BOOL,
        "asr_error": _NULLABLE_STR,
    },
    optional=("inherited", "asr_error"),
)

# A Kaltura-shaped flavor: every value a string, as Kaltura returns them.
MEDIA_SOURCE: dict[str, Any] = _object(
    {
        name: _STR
        for name in (
            "height",
            "width",
            "content_type",
            "containerFormat",
            "url",
            "src",
            "bitrate",
            "size",
            "isOriginal",
            "fileExt",
            "label",
        )
    }
)

# The media-object serializer; ``media_tracks`` and ``media_sources`` are left out when
# excluded (``exclude[]``) and on the retitle routes.
MEDIA_OBJECT: dict[str, Any] = _object(
    {
        "can_add_captions": _BOOL,
        "media_id": _STR,
        "title": _STR,
        "user_entered_title": _NULLABLE_STR,
        "media_type": _NULLABLE_STR,
        "created_at": _TIMESTAMP,
        "embedded_iframe_url": _URL,
        "auto_caption_status": {
            "type": ["string", "null"],
            "enum": [*AUTO_CAPTION_STATUSES, None],
        },
        "auto_caption_progress": {"type": ["integer", "null"], "minimum": 0, "maximum": 100},
        # The media pipeline (not Canvas): failed comes with a reason users can read.
        "processing_state": {
            "type": "string",
            "enum": ["pending", "processing", "ready", "failed"],
        },
        "processing_error": _NULLABLE_STR,
        # Not Canvas's: seconds (null until probed) and a signed picture URL (null without one).
        "duration": {"type": ["number", "null"], "minimum": 0},
        "thumbnail_url": {"type": ["string", "null"], "format": "uri"},
        # Not Canvas's: whether the upload plays as it is (null until probed), and why not.
        "original_playable": {"type": ["boolean", "null"]},
        "original_problems": {"type": "array", "items": _STR},
        "media_tracks": {"type": "array", "items": TRACK_SUMMARY},
        "media_sources": {"type": "array", "items": MEDIA_SOURCE},
        # Not Canvas's: the signed HLS master playlist (null: nothing to stream); left out
        # with media_sources.
        "hls_url": {"type": ["string", "null"], "format": "uri"},
    },
    optional=("media_tracks", "media_sources", "hls_url"),
)

# A track as the tracks endpoints list it; the optional fields come with ``include[]``.
MEDIA_TRACK: dict[str, Any] = _object(
    {
        "id": _INT,
        "locale": _STR,
        "kind": {"type": "string", "enum": _TRACK_KINDS},
        "media_object_id": _INT,
        "user_id": _NULLABLE_INT,
        "workflow_state": {"type": "string", "enum": _TRACK_STATES},
        "asr": _BOOL,
        # Automatic tracks only: why it failed (null unless failed).
        "asr_error": _NULLABLE_STR,
        "content": _STR,
        "webvtt_content": _NULLABLE_STR,
        "created_at": _TIMESTAMP,
        "updated_at": _TIMESTAMP,
    },
    optional=("asr_error", "content", "webvtt_content", "created_at", "updated_at"),
)

# The register response: the media object's columns (plus the attachment's uuid).
MEDIA_OBJECT_REGISTERED: dict[str, Any] = _object(
    {
        "media_object": _object(
            {
                "id": _INT,
                "media_id": _STR,
                "old_media_id": _NULLABLE_STR,
                "context_type": _NULLABLE_STR,
                "context_id": _NULLABLE_INT,
                "user_id": _NULLABLE_INT,
                "title": _NULLABLE_STR,
                "user_entered_title": _NULLABLE_STR,
                "media_type": _NULLABLE_STR,
                "attachment_id": _NULLABLE_INT,
                "workflow_state": {"type": "string", "enum": ["active", "deleted"]},
                "root_account_id": _INT,
                "created_at": _TIMESTAMP,
                "updated_at": _TIMESTAMP,
                "uuid": _NULLABLE_STR,
            }
        ),
        "embedded_iframe_url": _URL,
    }
)


def array_of(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


# ---- responses ---------------------------------------------------------------------------------

LINK_HEADER: dict[str, Any] = {
    "Link": {
        "description": "Pagination links (rels current, next, prev, first, last), as Canvas "
        "writes them: absolute URLs carrying every filter, joined by a comma",
        "required": True,
        "schema": _STR,
    }
}


def ok(
    description: str,
    schema: dict[str, Any],
    *,
    status: int = 200,
    headers: dict[str, Any] | None = None,
) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route answering ``status`` with a JSON body of ``schema``."""
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    if headers:
        response["headers"] = headers
    return {status: response}


def paginated(description: str, item: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a paginated list route: an array of ``item`` and a ``Link`` header."""
    return ok(description, array_of(item), headers=LINK_HEADER)


_HEADER: dict[str, Any] = {"schema": _STR}
_VALIDATORS: dict[str, Any] = {"ETag": _HEADER, "Cache-Control": _HEADER}

_JSON_CUES: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "start_ms": {"type": "integer"},
            "end_ms": {"type": "integer"},
            "text": {"type": "string"},
            "markup": {"type": "string"},
        },
        "required": ["start_ms", "end_ms", "text", "markup"],
    },
}
# Every caption format's media type (``captions.formats``): JSON has a schema, others are text.
_CAPTION_FILES: dict[str, Any] = {
    fmt.content_type.split(";")[0]: {"schema": _JSON_CUES if fmt.name == "json" else _STR}
    for fmt in FORMATS.values()
}
_NOT_MODIFIED: dict[str, Any] = {
    "description": "Not modified: the client's copy (If-None-Match, If-Modified-Since) is current",
    "headers": {**_VALIDATORS, "Last-Modified": _HEADER},
}

WEBVTT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The track as WebVTT, or with format= in that caption format",
        "headers": {**_VALIDATORS, "Last-Modified": _HEADER},
        "content": _CAPTION_FILES,
    },
    304: _NOT_MODIFIED,
}

TRACK_DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The track in the caption format named by format= (default vtt)",
        "headers": {**_VALIDATORS, "Last-Modified": _HEADER, "Content-Disposition": _HEADER},
        "content": _CAPTION_FILES,
    },
    304: _NOT_MODIFIED,
}

_BINARY: dict[str, Any] = {"schema": {"type": "string", "format": "binary"}}
HLS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "An HLS playlist (RFC 8216) whose URIs are absolute and signed",
        "content": {"application/vnd.apple.mpegurl": {"schema": {"type": "string"}}},
    },
}
_BYTES: dict[str, Any] = {"*/*": _BINARY}
_STORED_HEADERS: dict[str, Any] = {
    **_VALIDATORS,
    "Accept-Ranges": _HEADER,
    "Content-Disposition": _HEADER,
}
_LOCATION: dict[str, Any] = {"required": True, "schema": _URL}


def _stored_responses(what: str, content: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for bytes served by ``http.streaming.stream_stored``: whole (200), one
    range (206), a presigned redirect with object storage (302), not modified (304), an
    unsatisfiable range (416)."""
    return {
        200: {"description": what, "headers": _STORED_HEADERS, "content": content},
        206: {
            "description": "The requested byte range (Range, If-Range)",
            "headers": {**_STORED_HEADERS, "Content-Range": {"required": True, "schema": _STR}},
            "content": content,
        },
        302: {
            "description": "Object storage serves the bytes: a short-lived presigned URL",
            "headers": {"Location": _LOCATION, "Cache-Control": _HEADER},
        },
        304: {
            "description": "Not modified: the ETag in If-None-Match is current",
            "headers": _STORED_HEADERS,
        },
        416: {
            "description": "The Range cannot be satisfied; Content-Range gives the size",
            "headers": {**_STORED_HEADERS, "Content-Range": {"required": True, "schema": _STR}},
        },
    }


DOWNLOAD_RESPONSES = _stored_responses("The file's bytes, in its own content type", _BYTES)
MEDIA_SOURCE_RESPONSES = _stored_responses(
    "The media's bytes: a rendition (video/*, audio/*), or the original in the content type "
    "it was uploaded with",
    {"video/*": _BINARY, "audio/*": _BINARY, "*/*": _BINARY},
)
THUMBNAIL_RESPONSES = {
    **_stored_responses(
        "The poster, or the standard size serving width and height (X-Thumbnail-Size), as JPEG",
        {"image/jpeg": _BINARY},
    ),
    **TOO_MANY_REQUESTS,
}
THUMBNAIL_RESPONSES[200] = {
    **THUMBNAIL_RESPONSES[200],
    "headers": {
        **_STORED_HEADERS,
        "X-Thumbnail-Size": {
            "description": "The standard size served, <width>x<height> of the box the picture "
            "fits in (0: that side follows from the picture); absent for the poster itself",
            "schema": {"type": "string", "pattern": "^[0-9]+x[0-9]+$"},
        },
    },
}
REDIRECT_RESPONSES: dict[int | str, dict[str, Any]] = {
    302: {
        "description": "Found: Location is the chosen rendition's /media_sources URL, with a "
        "signed verifier",
        "headers": {"Location": _LOCATION, "Cache-Control": _HEADER},
    }
}
PLAYER_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The player page: HTML5 video or audio with every rendition and caption "
        "track, or a notice that the media is still processing or failed",
        "headers": {
            "Content-Security-Policy": {"required": True, "schema": _STR},
            "Cache-Control": _HEADER,
        },
        "content": {"text/html": {"schema": _STR}},
    }
}

UPLOADED_HEADERS: dict[str, Any] = {
    "Location": {"description": "The file's API URL", "required": True, "schema": _URL}
}
