"""OpenAPI descriptions shared by every router: Canvas's error envelopes, so that the
published schema lists the errors clients actually get (and schemathesis can hold us to it)."""

from __future__ import annotations

from typing import Any

_ERROR_ITEM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "message": {"type": "string"},
        "field": {"type": ["string", "null"]},
        "error_code": {"type": "string"},
        "index": {"type": "integer"},
    },
    "required": ["message"],
}
ERROR_ENVELOPE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "errors": {"type": "array", "items": _ERROR_ITEM},
        "status": {"type": "string"},
        "message": {"type": "string"},
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
