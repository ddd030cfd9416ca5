"""Streams a multipart/form-data upload: small text fields are collected, the one file part is
handed on in buffers of about 1 MiB, so memory stays constant whatever the file size.

``MultipartReader`` is the synchronous core (feed it bytes, take full buffers);
``stream_multipart`` drives it from an ASGI body stream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError, MultipartParseError
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


class MultipartReader:
    """Parses a multipart body fed in pieces. The bytes of the part named ``file_field`` collect
    in a buffer; ``feed`` returns the buffer once it holds ``FLUSH_BYTES`` or more and starts a
    new one (no copy: the caller may still be writing the previous one in another thread).
    Raises BadRequest for a malformed body and PayloadTooLarge past ``max_file_bytes``."""

    def __init__(self, content_type_header: str, *, file_field: str, max_file_bytes: int) -> None:
        ctype, options = parse_options_header(content_type_header)
        if ctype != b"multipart/form-data" or b"boundary" not in options:
            raise BadRequest.for_field(
                "file", "The upload must be sent as multipart/form-data with a file part", "invalid"
            )
        self.file_field = file_field
        self.max_file_bytes = max_file_bytes
        self.fields: dict[str, str] = {}
        self.file_seen = False
        self.file_done = False
        self.file_name: str | None = None
        self.file_content_type: str | None = None
        self.file_size = 0
        self._in_file = False
        self._buffer = bytearray()
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._part = _Part()
        self._errors: list[Exception] = []
        try:
            self._parser = MultipartParser(
                options[b"boundary"],
                callbacks={
                    "on_part_begin": self._on_part_begin,
                    "on_header_field": self._on_header_field,
                    "on_header_value": self._on_header_value,
                    "on_header_end": self._on_header_end,
                    "on_headers_finished": self._on_headers_finished,
                    "on_part_data": self._on_part_data,
                    "on_part_end": self._on_part_end,
                },
            )
        except FormParserError as exc:
            # A boundary past the parser's 256 bytes (RFC 2046 allows 70) was a 500.
            raise BadRequest.for_field(
                "file", f"The multipart boundary is not valid ({exc})", "invalid"
            ) from exc

    # ---- parser callbacks
    def _on_part_begin(self) -> None:
        self._part = _Part()

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field.extend(data[start:end])

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value.extend(data[start:end])

    def _on_header_end(self) -> None:
        self._part.headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        part = self._part
        _disposition, params = parse_options_header(part.headers.get(b"content-disposition", b""))
        part.name = params.get(b"name", b"").decode("utf-8", "replace")
        raw_filename = params.get(b"filename")
        part.filename = raw_filename.decode("utf-8", "replace") if raw_filename else None
        ctype_value = part.headers.get(b"content-type")
        part.content_type = ctype_value.decode("latin-1") if ctype_value else None
        if part.name == self.file_field and part.filename is not None:
            if self.file_seen:
                self._errors.append(
                    BadRequest.for_field("file", "Send exactly one file per upload")
                )
                return
            self.file_seen = True
            self._in_file = True
            self.file_name = part.filename
            self.file_content_type = part.content_type

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.file_size += end - start
            if self.file_size > self.max_file_bytes:
                self._errors.append(
                    PayloadTooLarge(
                        f"The file is larger than the upload limit of {self.max_file_bytes} bytes."
                    )
                )
                return
            self._buffer.extend(memoryview(data)[start:end])  # no intermediate copy
        elif self._part.filename is None:
            if len(self._part.data) + (end - start) > FIELD_LIMIT:
                self._errors.append(
                    BadRequest.for_field(self._part.name or "field", "Field is too long")
                )
                return
            self._part.data.extend(data[start:end])

    def _on_part_end(self) -> None:
        if self._in_file:
            self._in_file = False
            self.file_done = True
        elif self._part.filename is None and self._part.name:
            self.fields[self._part.name] = self._part.data.decode("utf-8", "replace")

    # ---- driving
    def feed(self, data: bytes) -> bytearray | None:
        """Parse ``data``; return a full buffer of file bytes to write, if one is ready."""
        try:
            self._parser.write(data)
        except MultipartParseError as exc:
            raise BadRequest.for_field("file", f"The multipart body is malformed: {exc}") from exc
        if self._errors:
            raise self._errors[0]
        if len(self._buffer) >= FLUSH_BYTES:
            full, self._buffer = self._buffer, bytearray()
            return full
        return None

    def finish(self) -> tuple[MultipartResult, bytearray | None]:
        """End of body: the result, and the last file bytes still to write (if any)."""
        try:
            self._parser.finalize()
        except MultipartParseError as exc:
            raise BadRequest.for_field("file", f"The multipart body is malformed: {exc}") from exc
        if self._errors:
            raise self._errors[0]
        if self.file_seen and not self.file_done:
            raise BadRequest.for_field("file", "The multipart body ended in the middle of the file")
        rest, self._buffer = (self._buffer or None), bytearray()
        result = MultipartResult(
            fields=self.fields,
            file_seen=self.file_seen,
            file_name=self.file_name,
            file_content_type=self.file_content_type,
            file_size=self.file_size,
        )
        return result, rest


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
    reader = MultipartReader(
        content_type_header, file_field=file_field, max_file_bytes=max_file_bytes
    )
    async for chunk in body:
        full = reader.feed(chunk)
        if full is not None:
            await sink(full)
    result, rest = reader.finish()
    if rest is not None:
        await sink(rest)
    return result
