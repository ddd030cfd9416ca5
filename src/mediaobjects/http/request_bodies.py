"""OpenAPI descriptions of request bodies, and the links between operations.

The routes read their parameters themselves (Canvas accepts them from the query string, a form
or a JSON body, nested as Rails nests them), so FastAPI cannot describe them; these schemas do,
in their JSON form, for clients and for schemathesis, whose stateful runs follow the links
(``$response.body#/id`` of one call into the path of the next)."""

from __future__ import annotations

from typing import Any

from mediaobjects.captions import KINDS

_STR: dict[str, Any] = {"type": "string"}
_ID: dict[str, Any] = {"type": "integer", "minimum": 1}
_ENROLLMENT_TYPES = [
    "TeacherEnrollment",
    "TaEnrollment",
    "DesignerEnrollment",
    "StudentEnrollment",
    "ObserverEnrollment",
]


def _object(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required)}


def _nested(outer: str, properties: dict[str, Any], required: tuple[str, ...]) -> dict[str, Any]:
    return _object({outer: _object(properties, required)}, (outer,))


USER_BODY = _object(
    {
        "user": _object({"name": _STR}, ("name",)),
        "pseudonym": _object(
            {"unique_id": _STR, "password": {"type": "string", "minLength": 8, "maxLength": 256}},
            ("unique_id",),
        ),
    },
    ("user", "pseudonym"),
)
TOKEN_BODY = _nested(
    "token",
    {"purpose": _STR, "expires_at": {"type": "string", "format": "date-time"}},
    ("purpose",),
)
COURSE_BODY = _nested("course", {"name": _STR, "course_code": _STR}, ("name",))
ENROLLMENT_BODY = _nested(
    "enrollment",
    {"user_id": _ID, "type": {"type": "string", "enum": _ENROLLMENT_TYPES}},
    ("user_id", "type"),
)
LOGIN_BODY = _nested(
    "login",
    {
        "password": {"type": "string", "minLength": 8, "maxLength": 256},
        "old_password": _STR,
    },
    ("password",),
)
NAME_BODY = _object({"name": _STR}, ("name",))
MEMBERSHIP_BODY = _object({"user_id": _ID}, ("user_id",))
UPLOAD_BODY = _object(
    {
        "name": _STR,
        "size": {"type": "integer", "minimum": 0},
        "content_type": _STR,
        "parent_folder_path": _STR,
        "parent_folder_id": _ID,
        "on_duplicate": {"type": "string", "enum": ["overwrite", "rename"]},
    },
    ("name",),
)
COPY_BODY = _object(
    {"source_file_id": _ID, "on_duplicate": {"type": "string", "enum": ["overwrite", "rename"]}},
    ("source_file_id",),
)
TITLE_BODY = _object({"user_entered_title": _STR}, ("user_entered_title",))
REGISTER_BODY = _object(
    {
        "id": {"type": "string", "pattern": "^[A-Za-z0-9._~-]{1,255}$"},
        "type": {"type": "string", "enum": ["audio", "video", "audio/mpeg", "video/mp4"]},
        "context_code": {"type": "string", "pattern": "^(course|group|user)_[0-9]{1,18}$"},
        "title": _STR,
        "user_entered_title": _STR,
    },
    ("id", "type", "context_code"),
)
_TRACK_FIELDS: dict[str, Any] = {
    "locale": _STR,
    "kind": {"type": "string", "enum": list(KINDS)},
    "content": _STR,
}
TRACKS_BODY: dict[str, Any] = {"type": "array", "items": _object(_TRACK_FIELDS, ("locale",))}
TRACK_BODY = _object(_TRACK_FIELDS, ("locale", "content"))


def body(schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    """``openapi_extra=`` for a route whose body (JSON) has ``schema``."""
    return {
        "requestBody": {"required": required, "content": {"application/json": {"schema": schema}}}
    }


def _ref(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def links(**targets: tuple[str, str, dict[str, str]]) -> dict[str, Any]:
    """OpenAPI links of a response: name -> (path, method, {parameter: runtime expression})."""
    return {
        name: {"operationRef": _ref(path, method), "parameters": parameters}
        for name, (path, method, parameters) in targets.items()
    }


def with_links(
    responses: dict[int | str, dict[str, Any]], status: int, found: dict[str, Any]
) -> dict[int | str, dict[str, Any]]:
    """``responses`` with ``found`` links on the ``status`` response."""
    response = dict(responses[status])
    response["links"] = found
    return {**responses, status: response}


_MEDIA = "$response.body#/media_object/media_id"
_ATTACHMENT = "$response.body#/media_object/attachment_id"
REGISTERED_LINKS = links(
    Info=("/media_objects/{media_object_id}/info", "get", {"media_object_id": _MEDIA}),
    Tracks=(
        "/api/v1/media_objects/{media_object_id}/media_tracks",
        "put",
        {"media_object_id": _MEDIA},
    ),
    AddTrack=("/media_objects/{media_object_id}/media_tracks", "post", {"media_object_id": _MEDIA}),
    Retitle=("/api/v1/media_objects/{media_object_id}", "put", {"media_object_id": _MEDIA}),
    AttachmentInfo=(
        "/media_attachments/{attachment_id}/info",
        "get",
        {"attachment_id": _ATTACHMENT},
    ),
    AttachmentTracks=(
        "/api/v1/media_attachments/{attachment_id}/media_tracks",
        "put",
        {"attachment_id": _ATTACHMENT},
    ),
    AttachmentRetitle=(
        "/api/v1/media_attachments/{attachment_id}",
        "put",
        {"attachment_id": _ATTACHMENT},
    ),
    Player=("/media_objects_iframe/{media_object_id}", "get", {"media_object_id": _MEDIA}),
)
_TRACK = "$response.body#/0/id"
_REQUEST_MEDIA = "$request.path.media_object_id"
_REQUEST_ATTACHMENT = "$request.path.attachment_id"
MEDIA_OBJECT_TRACKS_LINKS = links(
    Show=(
        "/media_objects/{media_object_id}/media_tracks/{track_id}",
        "get",
        {"media_object_id": _REQUEST_MEDIA, "track_id": _TRACK},
    ),
    Delete=(
        "/media_objects/{media_object_id}/media_tracks/{track_id}",
        "delete",
        {"media_object_id": _REQUEST_MEDIA, "track_id": _TRACK},
    ),
)
MEDIA_ATTACHMENT_TRACKS_LINKS = links(
    Show=(
        "/media_attachments/{attachment_id}/media_tracks/{track_id}",
        "get",
        {"attachment_id": _REQUEST_ATTACHMENT, "track_id": _TRACK},
    ),
    Delete=(
        "/media_attachments/{attachment_id}/media_tracks/{track_id}",
        "delete",
        {"attachment_id": _REQUEST_ATTACHMENT, "track_id": _TRACK},
    ),
)
_FILE = "$response.body#/id"
FILE_LINKS = links(
    Show=("/api/v1/files/{file_id}", "get", {"file_id": _FILE}),
    Delete=("/api/v1/files/{file_id}", "delete", {"file_id": _FILE}),
)
ROOT_FOLDER_LINKS = links(
    Copy=("/api/v1/folders/{folder_id}/copy_file", "post", {"folder_id": "$response.body#/id"}),
)
_COURSE = "$response.body#/id"
COURSE_LINKS = links(
    Show=("/api/v1/courses/{course_id}", "get", {"course_id": _COURSE}),
    Enroll=("/api/v1/courses/{course_id}/enrollments", "post", {"course_id": _COURSE}),
    Upload=("/api/v1/courses/{course_id}/files", "post", {"course_id": _COURSE}),
    Media=("/api/v1/courses/{course_id}/media_objects", "get", {"course_id": _COURSE}),
    Folder=("/api/v1/courses/{course_id}/folders/root", "get", {"course_id": _COURSE}),
    Categories=("/api/v1/courses/{course_id}/group_categories", "post", {"course_id": _COURSE}),
)
CATEGORY_LINKS = links(
    Group=(
        "/api/v1/group_categories/{group_category_id}/groups",
        "post",
        {"group_category_id": "$response.body#/id"},
    ),
)
GROUP_LINKS = links(
    Show=("/api/v1/groups/{group_id}", "get", {"group_id": "$response.body#/id"}),
    Join=("/api/v1/groups/{group_id}/memberships", "post", {"group_id": "$response.body#/id"}),
    Media=("/api/v1/groups/{group_id}/media_objects", "get", {"group_id": "$response.body#/id"}),
)
USER_LINKS = links(
    Show=("/api/v1/users/{user_id}", "get", {"user_id": "$response.body#/id"}),
    Token=("/api/v1/users/{user_id}/tokens", "post", {"user_id": "$response.body#/id"}),
)
TOKEN_LINKS = links(
    Revoke=(
        "/api/v1/users/{user_id}/tokens/{token_id}",
        "delete",
        {"user_id": "$request.path.user_id", "token_id": "$response.body#/id"},
    ),
)
