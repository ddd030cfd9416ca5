"""S3-compatible storage (AWS S3, SeaweedFS, MinIO, Ceph) through boto3 with path-style
addressing. Small objects are written with one PUT; larger ones stream through a multipart
upload that buffers at most one part in memory.

The etag is the hex SHA-256 of the contents, kept in the object's ``x-amz-meta-sha256`` header,
so it is equal for equal bytes whatever the part size, across copies and across backends
(S3's own ETag is not: it depends on how the object was uploaded). A multipart upload cannot
carry the hash, which is known only at the end, so it goes to a temporary key under
``<prefix>.tmp/`` and commit copies it server-side to its key with the hash attached, then
deletes the temporary object. No object bytes pass through this process for that copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
import urllib.parse
import uuid
from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

import boto3
import urllib3.exceptions
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from mediaobjects.errors import NotFound, StorageFailure
from mediaobjects.storage.interfaces import StoredObject
from mediaobjects.storage.keys import validate_key
from mediaobjects.storage.streams import ClosingChunks, check_range
from mediaobjects.storage.writes import is_sha256_hex, write_bytes

if TYPE_CHECKING:
    from botocore.response import StreamingBody
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.literals import BucketLocationConstraintType
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef, CopySourceTypeDef

logger = logging.getLogger(__name__)

MiB = 1024 * 1024
GiB = 1024 * MiB
DEFAULT_PART_SIZE = 8 * MiB
# S3 rejects parts below 5 MiB (except the last) and single CopyObject calls above 5 GiB.
MIN_PART_SIZE = 5 * MiB
MAX_SINGLE_COPY = 5 * GiB
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
TEMP_PREFIX = ".tmp/"
SHA256_METADATA = "sha256"

_NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
_NO_BUCKET_CODES = frozenset({"404", "NoSuchBucket", "NotFound"})
_TRANSPORT_ERRORS = (BotoCoreError, urllib3.exceptions.HTTPError, OSError)


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


@contextlib.contextmanager
def _s3_errors(action: str, missing_key: str | None = None) -> Iterator[None]:
    """Translate botocore errors: not-found for ``missing_key`` -> NotFound, others -> 503."""
    try:
        yield
    except ClientError as exc:
        code = _error_code(exc)
        if missing_key is not None and code in _NOT_FOUND_CODES:
            raise NotFound(f"No stored object at {missing_key!r}.") from exc
        raise StorageFailure(f"S3 storage failed to {action} ({code}).") from exc
    except _TRANSPORT_ERRORS as exc:
        raise StorageFailure(f"S3 storage failed to {action} ({type(exc).__name__}).") from exc


def attachment_disposition(filename: str) -> str:
    """A Content-Disposition for downloading as ``filename`` (RFC 6266: an ASCII fallback for
    old clients plus the exact UTF-8 name)."""
    fallback = "".join(
        ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\/' else "_" for ch in filename
    )
    encoded = urllib.parse.quote(filename, safe="")
    return f"attachment; filename=\"{fallback or 'download'}\"; filename*=UTF-8''{encoded}"


class S3PendingWrite:
    """An object being streamed to S3: one PUT if it fits in a part, else a multipart upload."""

    def __init__(self, storage: S3Storage, key: str) -> None:
        self.key = key
        self.bytes_written = 0
        self._storage = storage
        self._hash = hashlib.sha256()
        self._buffer = bytearray()
        self._state = "open"
        self._temp_key: str | None = None
        self._upload_id: str | None = None
        self._parts: list[CompletedPartTypeDef] = []
        self._temp_object_exists = False

    def write(self, chunk: bytes | bytearray) -> None:
        if self._state != "open":
            raise RuntimeError(f"cannot write to a pending write that is {self._state}")
        self._hash.update(chunk)
        self.bytes_written += len(chunk)
        self._buffer += chunk
        part_size = self._storage.part_size
        while len(self._buffer) >= part_size:
            part = bytes(self._buffer[:part_size])
            del self._buffer[:part_size]
            self._upload_part(part)

    def commit(self) -> StoredObject:
        if self._state != "open":
            raise RuntimeError(f"cannot commit a pending write that is {self._state}")
        storage = self._storage
        client = storage.client
        digest = self._hash.hexdigest()
        final_key = storage.full_key(self.key)
        try:
            if self._upload_id is None:
                with _s3_errors("store an object"):
                    client.put_object(
                        Bucket=storage.bucket,
                        Key=final_key,
                        Body=bytes(self._buffer),
                        Metadata={SHA256_METADATA: digest},
                    )
                self._buffer = bytearray()
            else:
                self._complete_upload()
                assert self._temp_key is not None
                storage.copy_object(
                    self._temp_key,
                    final_key,
                    size=self.bytes_written,
                    metadata={SHA256_METADATA: digest},
                    replace_metadata=True,
                )
                self._delete_temp_object()
        except BaseException:
            self._fail()
            raise
        self._state = "committed"
        return StoredObject(self.key, self.bytes_written, digest)

    def abort(self) -> None:
        if self._state in ("committed", "aborted"):
            return
        self._state = "aborted"
        self._discard()

    def _upload_part(self, body: bytes) -> None:
        storage = self._storage
        try:
            with _s3_errors("upload a part"):
                if self._upload_id is None:
                    self._temp_key = storage.full_key(TEMP_PREFIX.rstrip("/"), uuid.uuid4().hex)
                    response = storage.client.create_multipart_upload(
                        Bucket=storage.bucket, Key=self._temp_key
                    )
                    self._upload_id = response["UploadId"]
                assert self._temp_key is not None
                number = len(self._parts) + 1
                part = storage.client.upload_part(
                    Bucket=storage.bucket,
                    Key=self._temp_key,
                    UploadId=self._upload_id,
                    PartNumber=number,
                    Body=body,
                )
                self._parts.append({"PartNumber": number, "ETag": part["ETag"]})
        except BaseException:
            self._fail()
            raise

    def _complete_upload(self) -> None:
        if self._buffer:
            part, self._buffer = bytes(self._buffer), bytearray()
            self._upload_part(part)
        storage = self._storage
        assert self._upload_id is not None and self._temp_key is not None
        with _s3_errors("complete an upload"):
            storage.client.complete_multipart_upload(
                Bucket=storage.bucket,
                Key=self._temp_key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        self._upload_id = None
        self._temp_object_exists = True

    def _delete_temp_object(self) -> None:
        if self._temp_key is not None and self._temp_object_exists:
            with _s3_errors("delete a temporary object"):
                self._storage.client.delete_object(Bucket=self._storage.bucket, Key=self._temp_key)
            self._temp_object_exists = False

    def _fail(self) -> None:
        if self._state == "open":
            self._state = "failed"
        self._discard()

    def _discard(self) -> None:
        # Cleanup must not mask the error that led here; leftovers under <prefix>.tmp/ are
        # removed by S3Storage.cleanup_stale_temp (or a bucket lifecycle rule).
        self._buffer = bytearray()
        storage = self._storage
        if self._upload_id is not None and self._temp_key is not None:
            try:
                with _s3_errors("abort an upload"):
                    storage.client.abort_multipart_upload(
                        Bucket=storage.bucket, Key=self._temp_key, UploadId=self._upload_id
                    )
                self._upload_id = None
            except StorageFailure:
                logger.warning("could not abort multipart upload of %r", self.key, exc_info=True)
        try:
            self._delete_temp_object()
        except StorageFailure:
            logger.warning("could not delete temporary object %r", self._temp_key, exc_info=True)


class S3Storage:
    """Objects in one S3 bucket, optionally below a key prefix."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None,
        region: str,
        access_key_id: str,
        secret_access_key: str,
        prefix: str = "",
        part_size: int = DEFAULT_PART_SIZE,
        presign_endpoint_url: str | None = None,
        multipart_copy_threshold: int = MAX_SINGLE_COPY,
        copy_part_size: int = 512 * MiB,
    ) -> None:
        if not bucket:
            raise ValueError("an S3 bucket name is required")
        if part_size < MIN_PART_SIZE or copy_part_size < MIN_PART_SIZE:
            raise ValueError(f"S3 part sizes must be at least {MIN_PART_SIZE} bytes")
        if not MIN_PART_SIZE <= multipart_copy_threshold <= MAX_SINGLE_COPY:
            raise ValueError(
                f"multipart_copy_threshold must be between {MIN_PART_SIZE} and {MAX_SINGLE_COPY}"
            )
        prefix = prefix.strip("/")
        self.prefix = f"{validate_key(prefix)}/" if prefix else ""
        self.bucket = bucket
        self.part_size = part_size
        self.multipart_copy_threshold = multipart_copy_threshold
        self.copy_part_size = copy_part_size
        self.region = region
        session = boto3.session.Session(
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            region_name=region,
        )
        config = Config(
            s3={"addressing_style": "path"},
            signature_version="s3v4",
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
            # boto3 >= 1.36 adds CRC checksums to every upload by default; several
            # S3-compatible servers reject or mishandle them, and S3 does not need them.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self.client: S3Client = session.client("s3", endpoint_url=endpoint_url, config=config)
        # Presigning is offline, so a second client for the address browsers use is free.
        self._presign_client: S3Client = (
            session.client("s3", endpoint_url=presign_endpoint_url, config=config)
            if presign_endpoint_url
            else self.client
        )

    def full_key(self, *parts: str) -> str:
        return self.prefix + "/".join(parts)

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist yet."""
        with _s3_errors("check the bucket"):
            try:
                self.client.head_bucket(Bucket=self.bucket)
                return
            except ClientError as exc:
                if _error_code(exc) not in _NO_BUCKET_CODES:
                    raise
            try:
                if self.region and self.region != "us-east-1":
                    self.client.create_bucket(
                        Bucket=self.bucket,
                        CreateBucketConfiguration={
                            "LocationConstraint": cast("BucketLocationConstraintType", self.region)
                        },
                    )
                else:
                    self.client.create_bucket(Bucket=self.bucket)
            except ClientError as exc:
                if _error_code(exc) != "BucketAlreadyOwnedByYou":
                    raise

    def begin_write(self, key: str) -> S3PendingWrite:
        return S3PendingWrite(self, validate_key(key))

    def put_bytes(self, key: str, data: bytes) -> StoredObject:
        return write_bytes(self.begin_write(key), data)

    def stat(self, key: str) -> StoredObject:
        validate_key(key)
        with _s3_errors("stat an object", missing_key=key):
            head = self.client.head_object(Bucket=self.bucket, Key=self.full_key(key))
        digest = head.get("Metadata", {}).get(SHA256_METADATA, "")
        if not is_sha256_hex(digest):
            # Written by something else: fall back to the server's ETag, still strong.
            digest = head.get("ETag", "").strip('"')
        return StoredObject(key, head["ContentLength"], digest)

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except NotFound:
            return False
        return True

    def read_range(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = 65536
    ) -> ClosingChunks:
        validate_key(key)
        check_range(start, end, chunk_size)
        full_key = self.full_key(key)
        with _s3_errors("read an object", missing_key=key):
            try:
                if start == 0 and end is None:
                    # No Range header: a ranged GET of an empty object is a 416.
                    response = self.client.get_object(Bucket=self.bucket, Key=full_key)
                else:
                    byte_range = f"bytes={start}-{'' if end is None else end}"
                    response = self.client.get_object(
                        Bucket=self.bucket, Key=full_key, Range=byte_range
                    )
            except ClientError as exc:
                if _error_code(exc) == "InvalidRange":
                    # The object exists but ``start`` lies at or past its end.
                    return ClosingChunks(_no_chunks(), lambda: None)
                raise
        body = response["Body"]
        return ClosingChunks(_stream_body(body, chunk_size), body.close)

    def delete(self, key: str) -> None:
        validate_key(key)
        with _s3_errors("delete an object"):
            self.client.delete_object(Bucket=self.bucket, Key=self.full_key(key))

    def copy(self, src_key: str, dst_key: str) -> StoredObject:
        validate_key(src_key)
        validate_key(dst_key)
        if src_key == dst_key:
            return self.stat(src_key)
        src_full = self.full_key(src_key)
        with _s3_errors("copy an object", missing_key=src_key):
            head = self.client.head_object(Bucket=self.bucket, Key=src_full)
        self.copy_object(
            src_full,
            self.full_key(dst_key),
            size=head["ContentLength"],
            metadata=head.get("Metadata", {}),
            replace_metadata=False,
            source_etag=head.get("ETag"),
            content_type=head.get("ContentType"),
            missing_key=src_key,
        )
        return self.stat(dst_key)

    def copy_object(
        self,
        src_full_key: str,
        dst_full_key: str,
        *,
        size: int,
        metadata: dict[str, str],
        replace_metadata: bool,
        source_etag: str | None = None,
        content_type: str | None = None,
        missing_key: str | None = None,
    ) -> None:
        """Server-side copy between full keys, keeping the source's metadata or replacing it
        with ``metadata``. Objects above ``multipart_copy_threshold`` are copied in parts
        (CopyObject stops at 5 GiB), each pinned to ``source_etag`` so that a concurrent
        replace of the source cannot produce a mix of two objects."""
        source: CopySourceTypeDef = {"Bucket": self.bucket, "Key": src_full_key}
        if size <= self.multipart_copy_threshold:
            with _s3_errors("copy an object", missing_key=missing_key):
                if replace_metadata:
                    self.client.copy_object(
                        Bucket=self.bucket,
                        Key=dst_full_key,
                        CopySource=source,
                        MetadataDirective="REPLACE",
                        Metadata=metadata,
                    )
                else:
                    self.client.copy_object(
                        Bucket=self.bucket,
                        Key=dst_full_key,
                        CopySource=source,
                        MetadataDirective="COPY",
                    )
            return
        with _s3_errors("copy an object", missing_key=missing_key):
            created = self.client.create_multipart_upload(
                Bucket=self.bucket,
                Key=dst_full_key,
                Metadata=metadata,
                ContentType=content_type or "binary/octet-stream",
            )
            upload_id = created["UploadId"]
            try:
                parts: list[CompletedPartTypeDef] = []
                for number, offset in enumerate(range(0, size, self.copy_part_size), start=1):
                    last = min(offset + self.copy_part_size, size) - 1
                    copied = self.client.upload_part_copy(
                        Bucket=self.bucket,
                        Key=dst_full_key,
                        UploadId=upload_id,
                        PartNumber=number,
                        CopySource=source,
                        CopySourceRange=f"bytes={offset}-{last}",
                        CopySourceIfMatch=source_etag or "*",
                    )
                    parts.append({"PartNumber": number, "ETag": copied["CopyPartResult"]["ETag"]})
                self.client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=dst_full_key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
            except BaseException:
                with contextlib.suppress(*_TRANSPORT_ERRORS, ClientError):
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=dst_full_key, UploadId=upload_id
                    )
                raise

    def presigned_url(
        self,
        key: str,
        *,
        expires_in: int,
        content_type: str | None = None,
        filename: str | None = None,
    ) -> str | None:
        validate_key(key)
        if not 1 <= expires_in <= MAX_PRESIGN_SECONDS:
            raise ValueError(f"expires_in must be between 1 and {MAX_PRESIGN_SECONDS} seconds")
        params = {"Bucket": self.bucket, "Key": self.full_key(key)}
        if content_type is not None:
            if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in content_type):
                raise ValueError("content_type must not contain control characters")
            params["ResponseContentType"] = content_type
        if filename is not None:
            params["ResponseContentDisposition"] = attachment_disposition(filename)
        with _s3_errors("sign a URL"):
            return self._presign_client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires_in
            )

    def local_path(self, key: str) -> Path | None:
        validate_key(key)
        return None

    def close(self) -> None:
        self.client.close()
        if self._presign_client is not self.client:
            self._presign_client.close()

    def cleanup_stale_temp(self, older_than_seconds: float) -> int:
        """Abort multipart uploads and delete temporary objects under ``<prefix>.tmp/`` left by
        a crashed process, and return how many. An upload counts as left once no part has been
        added to it for ``older_than_seconds`` (a live upload adds one every ``part_size``
        bytes, so an upload slower than that per threshold would be cut off: a day is safe);
        a temporary object, once it is that old (it lives only while a commit copies it).
        Safe to run from several processes at once."""
        cutoff = datetime.fromtimestamp(time.time() - older_than_seconds, tz=UTC)
        temp_prefix = self.prefix + TEMP_PREFIX
        removed = 0
        with _s3_errors("clean up temporary objects"):
            uploads = self.client.get_paginator("list_multipart_uploads")
            for page in uploads.paginate(Bucket=self.bucket, Prefix=temp_prefix):
                for upload in page.get("Uploads", []):
                    key, upload_id = upload["Key"], upload["UploadId"]
                    if upload["Initiated"] >= cutoff or self._last_part(key, upload_id) >= cutoff:
                        continue
                    if self._abort(key, upload_id):
                        removed += 1
            objects = self.client.get_paginator("list_objects_v2")
            for listing in objects.paginate(Bucket=self.bucket, Prefix=temp_prefix):
                for item in listing.get("Contents", []):
                    if item["LastModified"] < cutoff:
                        self.client.delete_object(Bucket=self.bucket, Key=item["Key"])
                        removed += 1
        return removed

    def _last_part(self, key: str, upload_id: str) -> datetime:
        """When the newest part of an upload was added (the distant past when it has none,
        or when the upload went away meanwhile)."""
        newest = datetime.min.replace(tzinfo=UTC)
        try:
            parts = self.client.get_paginator("list_parts")
            for page in parts.paginate(Bucket=self.bucket, Key=key, UploadId=upload_id):
                for part in page.get("Parts", []):
                    if "LastModified" in part:
                        newest = max(newest, part["LastModified"])
        except ClientError as exc:
            if _error_code(exc) != "NoSuchUpload":
                raise
        return newest

    def _abort(self, key: str, upload_id: str) -> bool:
        """Abort an upload; False when another process had aborted it already."""
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except ClientError as exc:
            if _error_code(exc) in ("NoSuchUpload", *_NOT_FOUND_CODES):
                return False
            raise
        return True


def _no_chunks() -> Generator[bytes, None, None]:
    yield from ()


def _stream_body(body: StreamingBody, chunk_size: int) -> Generator[bytes, None, None]:
    try:
        yield from body.iter_chunks(chunk_size)
    except _TRANSPORT_ERRORS as exc:
        reason = type(exc).__name__
        raise StorageFailure(f"S3 storage failed to read an object ({reason}).") from exc
