"""The registration API's shapes: the JSON of a registration, the request body and their
OpenAPI descriptions."""

from __future__ import annotations

from typing import Any

from mediaobjects.lti.registrations import RegistrationView
from mediaobjects.timestamps import iso

_STR: dict[str, Any] = {"type": "string"}
_TIMESTAMP: dict[str, Any] = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$",
}

REGISTRATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "issuer": _STR,
        "client_id": _STR,
        "auth_login_url": _STR,
        "auth_token_url": _STR,
        "key_set_url": _STR,
        "user_match_claim": _STR,
        "deployment_ids": {"type": "array", "items": _STR},
        "created_at": _TIMESTAMP,
        "updated_at": _TIMESTAMP,
    },
    "required": [
        "id",
        "issuer",
        "client_id",
        "auth_login_url",
        "auth_token_url",
        "key_set_url",
        "user_match_claim",
        "deployment_ids",
        "created_at",
        "updated_at",
    ],
    "additionalProperties": False,
}
REGISTRATIONS_SCHEMA: dict[str, Any] = {"type": "array", "items": REGISTRATION_SCHEMA}

_BODY_PROPERTIES: dict[str, Any] = {
    "issuer": _STR,
    "client_id": _STR,
    "auth_login_url": _STR,
    "auth_token_url": _STR,
    "key_set_url": _STR,
    "deployment_ids": {"type": "array", "items": _STR},
    "user_match_claim": _STR,
}
CREATE_BODY: dict[str, Any] = {
    "type": "object",
    "properties": _BODY_PROPERTIES,
    "required": ["issuer", "client_id", "auth_login_url", "auth_token_url", "key_set_url"],
}
UPDATE_BODY: dict[str, Any] = {"type": "object", "properties": _BODY_PROPERTIES}


def registration_json(view: RegistrationView) -> dict[str, Any]:
    r = view.registration
    return {
        "id": r.id,
        "issuer": r.issuer,
        "client_id": r.client_id,
        "auth_login_url": r.auth_login_url,
        "auth_token_url": r.auth_token_url,
        "key_set_url": r.key_set_url,
        "user_match_claim": r.user_match_claim,
        "deployment_ids": view.deployment_ids,
        "created_at": iso(r.created_at),
        "updated_at": iso(r.updated_at),
    }
