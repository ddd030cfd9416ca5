"""Canvas-style request parameters: the query string, a form body and a JSON body merged into
one nested mapping, as Rails does (``user[name]=x`` and ``{"user": {"name": "x"}}`` are the
same). Bodies are size-limited before they are parsed."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from starlette.datastructures import UploadFile

from mediaobjects.errors import BadRequest, PayloadTooLarge


def _split_key(key: str) -> list[str]:
    """``a[b][]`` -> ["a", "b", ""]; a key without brackets is itself."""
    if "[" not in key or not key.endswith("]"):
        return [key]
    head, _, rest = key.partition("[")
    parts = [head]
    for piece in rest[:-1].split("]["):
        parts.append(piece)
    return parts


def _assign(target: dict[str, Any], parts: list[str], value: Any) -> None:
    node: Any = target
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        nxt = None if last else parts[i + 1]
        if part == "":
            # "a[]" appends; anything nested below an array element is not Canvas-shaped.
            if not isinstance(node, list) or not last:
                return
            node.append(value)
            return
        if not isinstance(node, dict):
            return
        if last:
            node[part] = value
            return
        child = node.get(part)
        want_list = nxt == ""
        if want_list and not isinstance(child, list):
            child = []
            node[part] = child
        elif not want_list and not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child


def nest(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key:
            _assign(out, _split_key(key), value)
    return out


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


class Params:
    """Merged parameters with typed accessors that raise BadRequest naming the field."""

    def __init__(self, data: dict[str, Any], pairs: list[tuple[str, str]]) -> None:
        self.data = data
        self.pairs = pairs

    def raw(self, *path: str) -> Any:
        node: Any = self.data
        for part in path:
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    @staticmethod
    def _name(path: tuple[str, ...]) -> str:
        return path[0] + "".join(f"[{p}]" for p in path[1:])

    def text(self, *path: str, required: bool = False, max_length: int | None = 255) -> str | None:
        value = self.raw(*path)
        name = self._name(path)
        if value is None:
            if required:
                raise BadRequest.for_field(name, f"{name} is required", "required")
            return None
        if isinstance(value, bool | dict | list):
            raise BadRequest.for_field(name, f"{name} must be a string")
        if isinstance(value, int | float):
            value = str(value)
        if not isinstance(value, str):
            raise BadRequest.for_field(name, f"{name} must be a string")
        if "\x00" in value:
            raise BadRequest.for_field(name, f"{name} must not contain NUL characters")
        if required and not value.strip():
            raise BadRequest.for_field(name, f"{name} must not be blank", "blank")
        if max_length is not None and len(value) > max_length:
            raise BadRequest.for_field(
                name, f"{name} must be at most {max_length} characters", "too_long"
            )
        return value

    def integer(self, *path: str, required: bool = False, minimum: int = 1) -> int | None:
        value = self.raw(*path)
        name = self._name(path)
        if value is None or value == "":
            if required:
                raise BadRequest.for_field(name, f"{name} is required", "required")
            return None
        if isinstance(value, bool):
            raise BadRequest.for_field(name, f"{name} must be an integer")
        if isinstance(value, int):
            number = value
        elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            number = int(value.strip())
        else:
            raise BadRequest.for_field(name, f"{name} must be an integer")
        if number < minimum or number > 2**63 - 1:
            raise BadRequest.for_field(name, f"{name} is out of range")
        return number

    def timestamp(self, *path: str) -> datetime | None:
        value = self.text(*path, max_length=64)
        if value is None or value == "":
            return None
        name = self._name(path)
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise BadRequest.for_field(
                name, f"{name} must be an ISO 8601 timestamp, e.g. 2030-01-31T12:00:00Z"
            ) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The request body is not valid UTF-8.") from None


async def parse_params(request: Request, limit: int) -> Params:
    pairs: list[tuple[str, str]] = parse_qsl(request.url.query, keep_blank_values=True)
    data = nest(pairs)
    if request.method in ("GET", "HEAD", "DELETE") and not request.headers.get("content-length"):
        return Params(data, pairs)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        body_pairs: list[tuple[str, str]] = []
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        try:
            form = await request.form(max_files=0, max_fields=1000, max_part_size=limit)
        except Exception as exc:  # python-multipart / starlette raise several types here
            raise BadRequest(f"The multipart body could not be parsed: {exc}") from exc
        for key, value in form.multi_items():
            if not isinstance(value, UploadFile):
                body_pairs.append((key, value))
        pairs = pairs + body_pairs
        _merge(data, nest(body_pairs))
        return Params(data, pairs)
    body = await read_body(request, limit)
    if not body.strip():
        return Params(data, pairs)
    text = _decode(body)
    if "json" in ctype or (
        ctype not in ("application/x-www-form-urlencoded",) and text.lstrip()[:1] in "{["
    ):
        try:
            parsed = json.loads(text)
        except ValueError:
            raise BadRequest("The request body is not valid JSON.") from None
        if not isinstance(parsed, dict):
            raise BadRequest("The request body must be a JSON object.")
        _merge(data, parsed)
        return Params(data, pairs)
    body_pairs = parse_qsl(text, keep_blank_values=True)
    pairs = pairs + body_pairs
    _merge(data, nest(body_pairs))
    return Params(data, pairs)
