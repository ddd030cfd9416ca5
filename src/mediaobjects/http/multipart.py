"""Streams a multipart/form-data upload: small text fields are collected, the one file part is
handed to a sink chunk by chunk, so memory stays constant whatever the file size."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from mediaobjects.errors import BadRequest, PayloadTooLarge

FIELD_LIMIT = 64 * 1024
FLUSH_BYTES = 1024 * 1024


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    content_type: str | None = None
    data: bytearray = field(default_factory=bytearray)


@dataclass
class MultipartResult:
    fields: dict[str, str]
    file_seen: bool
    file_name: str | None
    file_content_type: str | None
    file_size: int


FileSink = Callable[[bytearray], Awaitable[None]]


async def stream_multipart(
    content_type_header: str,
    body: AsyncIterator[bytes],
    sink: FileSink,
    *,
    file_field: str,
    max_file_bytes: int,
) -> MultipartResult:
    """Parses the body; bytes of the part named ``file_field`` go to ``sink`` in chunks of
    about 1 MiB. Raises BadRequest for a malformed body and PayloadTooLarge past the limit."""
    ctype, options = parse_options_header(content_type_header)
    if ctype != b"multipart/form-data" or b"boundary" not in options:
        raise BadRequest.for_field(
            "file", "The upload must be sent as multipart/form-data with a file part", "invalid"
        )
    fields: dict[str, str] = {}
    header_field = bytearray()
    header_value = bytearray()
    current = _Part()
    # The file's bytes collect here; a full buffer is handed to the sink as it is and a new one
    # started (no copy: the sink may still be writing the previous one in another thread).
    buffers = [bytearray()]
    state = {"file_seen": False, "in_file": False, "file_size": 0, "done_file": False}
    result_meta: dict[str, str | None] = {"name": None, "ctype": None}
    errors: list[Exception] = []

    def on_part_begin() -> None:
        nonlocal current
        current = _Part()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        current.headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        disposition, params = parse_options_header(current.headers.get(b"content-disposition", b""))
        current.name = params.get(b"name", b"").decode("utf-8", "replace")
        raw_filename = params.get(b"filename")
        current.filename = raw_filename.decode("utf-8", "replace") if raw_filename else None
        ctype_value = current.headers.get(b"content-type")
        current.content_type = ctype_value.decode("latin-1") if ctype_value else None
        if current.name == file_field and current.filename is not None:
            if state["file_seen"]:
                errors.append(BadRequest.for_field("file", "Send exactly one file per upload"))
                return
            state["file_seen"] = True
            state["in_file"] = True
            result_meta["name"] = current.filename
            result_meta["ctype"] = current.content_type

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["in_file"]:
            state["file_size"] += end - start
            if state["file_size"] > max_file_bytes:
                errors.append(
                    PayloadTooLarge(
                        f"The file is larger than the upload limit of {max_file_bytes} bytes."
                    )
                )
                return
            buffers[0].extend(data[start:end])
        elif current.filename is None:
            if len(current.data) + (end - start) > FIELD_LIMIT:
                errors.append(BadRequest.for_field(current.name or "field", "Field is too long"))
                return
            current.data.extend(data[start:end])

    def on_part_end() -> None:
        if state["in_file"]:
            state["in_file"] = False
            state["done_file"] = True
        elif current.filename is None and current.name:
            fields[current.name] = current.data.decode("utf-8", "replace")

    parser = MultipartParser(
        options[b"boundary"],
        callbacks={
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    async for chunk in body:
        try:
            parser.write(chunk)
        except MultipartParseError as exc:
            raise BadRequest.for_field("file", f"The multipart body is malformed: {exc}") from exc
        if errors:
            raise errors[0]
        if len(buffers[0]) >= FLUSH_BYTES:
            full, buffers[0] = buffers[0], bytearray()
            await sink(full)
    try:
        parser.finalize()
    except MultipartParseError as exc:
        raise BadRequest.for_field("file", f"The multipart body is malformed: {exc}") from exc
    if errors:
        raise errors[0]
    if buffers[0]:
        full, buffers[0] = buffers[0], bytearray()
        await sink(full)
    if state["file_seen"] and not state["done_file"]:
        raise BadRequest.for_field("file", "The multipart body ended in the middle of the file")
    return MultipartResult(
        fields=fields,
        file_seen=bool(state["file_seen"]),
        file_name=result_meta["name"],
        file_content_type=result_meta["ctype"],
        file_size=int(state["file_size"]),
    )
