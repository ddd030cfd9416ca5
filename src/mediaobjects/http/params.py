"""Canvas-style request parameters: the query string, a form body and a JSON body merged into
one nested mapping, as Rails does (``user[name]=x`` and ``{"user": {"name": "x"}}`` are the
same). Bodies are read only once the route authorised the caller (``http.body``), and parsed
within a total size limit; every accessor turns hostile values into a 400 naming the field."""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from mediaobjects.errors import BadRequest
from mediaobjects.http.body import limited_stream, read_body
from mediaobjects.http.json_input import loads_body
from mediaobjects.numbers import INT64_MAX, decimal_digits

# A form body has at most this many fields (Rails' default is in the same range); each
# multipart part counts against the body's total limit.
MAX_FORM_FIELDS = 1000

# Rails refuses parameters nested deeper than this; no Canvas parameter nests past three.
MAX_KEY_DEPTH = 8


def _split_key(key: str) -> list[str]:
    """``a[b][]`` -> ["a", "b", ""]; a key without brackets is itself; a key nested deeper
    than MAX_KEY_DEPTH is [] (ignored)."""
    if "[" not in key or not key.endswith("]"):
        return [key]
    head, _, rest = key.partition("[")
    pieces = rest[:-1].split("][")
    if len(pieces) >= MAX_KEY_DEPTH:
        return []
    return [head, *pieces]


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
        parts = _split_key(key) if key else []
        if parts:
            _assign(out, parts, value)
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
        check_text(name, value)
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
        number: int | None
        if isinstance(value, int):
            number = value
        elif isinstance(value, str):
            number = decimal_digits(value.strip())
        else:
            number = None
        if number is None:
            raise BadRequest.for_field(name, f"{name} must be an integer")
        if number < minimum or number > INT64_MAX:
            raise BadRequest.for_field(name, f"{name} is out of range")
        return number

    def timestamp(self, *path: str) -> datetime | None:
        value = self.text(*path, max_length=64)
        if value is None or value == "":
            return None
        name = self._name(path)
        message = f"{name} must be an ISO 8601 timestamp, e.g. 2030-01-31T12:00:00Z"
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            # An offset can push a valid local time past year 9999 or before year 1.
            return parsed.astimezone(UTC)
        except (ValueError, OverflowError):
            raise BadRequest.for_field(name, message) from None


def check_text(name: str, value: str) -> None:
    """400 for text the database cannot hold: NUL (PostgreSQL) and lone UTF-16 surrogates,
    which JSON can spell (``"\\ud800"``) but UTF-8 cannot encode."""
    if "\x00" in value:
        raise BadRequest.for_field(name, f"{name} must not contain NUL characters")
    if not _encodable(value):
        raise BadRequest.for_field(
            name, f"{name} is not valid Unicode text (it has a lone UTF-16 surrogate)"
        )


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def query_params(request: Request) -> Params:
    """The query string's parameters alone: nothing of the body is read."""
    pairs: list[tuple[str, str]] = parse_qsl(request.url.query, keep_blank_values=True)
    return Params(nest(pairs), pairs)


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The request body is not valid UTF-8.") from None


def _decode_file(data: bytes) -> str:
    # Caption tools on Windows (and some vendors) save UTF-16 with a byte-order mark; without
    # one, UTF-16 cannot be told apart reliably, so anything else must be UTF-8.
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


async def _multipart_pairs(request: Request, limit: int) -> list[tuple[str, str]]:
    """The parts of a multipart form as text fields. A file part counts as the text it holds
    (``curl -F content=@captions.srt`` sends a caption file that way), decoded as UTF-8, or as
    UTF-16 when it starts with a UTF-16 byte-order mark."""
    parser = MultiPartParser(
        request.headers,
        limited_stream(request, limit),
        max_files=MAX_FORM_FIELDS,
        max_fields=MAX_FORM_FIELDS,
        max_part_size=limit,
    )
    try:
        form = await parser.parse()
    except (MultiPartException, MultipartParseError, ValueError) as exc:
        raise BadRequest(f"The multipart body could not be parsed: {exc}") from exc
    pairs: list[tuple[str, str]] = []
    try:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                try:
                    text = _decode_file(data)
                except UnicodeDecodeError:
                    raise BadRequest.for_field(
                        key, f"the file sent as {key} is not UTF-8 (or UTF-16 with a BOM) text"
                    ) from None
                pairs.append((key, text))
            else:
                pairs.append((key, value))
    finally:
        await form.close()
    return pairs


async def read_params(request: Request, limit: int) -> Params:
    """The query string merged with the body (form, multipart or JSON object), the body read
    within ``limit`` bytes in all. Only after the route authorised the caller."""
    params = query_params(request)
    data, pairs = params.data, params.pairs
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        body_pairs = await _multipart_pairs(request, limit)
        _merge(data, nest(body_pairs))
        return Params(data, pairs + body_pairs)
    body = await read_body(request, limit)
    if not body.strip():
        return Params(data, pairs)
    if "json" in ctype or (
        ctype != "application/x-www-form-urlencoded" and body.lstrip()[:1] in (b"{", b"[")
    ):
        parsed = loads_body(body)
        if not isinstance(parsed, dict):
            raise BadRequest("The request body must be a JSON object.")
        _merge(data, parsed)
        return Params(data, pairs)
    body_pairs = parse_qsl(_decode(body), keep_blank_values=True)
    _merge(data, nest(body_pairs))
    return Params(data, pairs + body_pairs)
