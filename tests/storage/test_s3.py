"""S3 details beyond the contract, against SeaweedFS: prefixes, bucket creation, objects beyond
the single-copy limit, failures that must not look like a missing object, crash clean-up."""

from __future__ import annotations

import hashlib
import time
import urllib.request
import uuid
from collections.abc import Iterator

import pytest

from mediaobjects.errors import StorageFailure
from mediaobjects.storage.s3 import MIN_PART_SIZE, S3Storage, attachment_disposition
from tests.storage.conftest import PART_SIZE, Probe, make_s3_storage
from tests.support.seaweed import SeaweedFS, free_loopback_ports

KEY = "attachments/ab/cd/abcdef"
MiB = 1024 * 1024


@pytest.fixture
def s3(seaweedfs: SeaweedFS, s3_bucket: str) -> Iterator[S3Storage]:
    storage = make_s3_storage(seaweedfs, prefix=f"t-{uuid.uuid4().hex}")
    yield storage
    storage.close()


def test_objects_live_under_the_prefix(seaweedfs: SeaweedFS, s3: S3Storage) -> None:
    s3.put_bytes(KEY, b"mine")
    neighbour = make_s3_storage(seaweedfs, prefix=f"t-{uuid.uuid4().hex}/")
    try:
        assert not neighbour.exists(KEY)
        head = s3.client.head_object(Bucket=s3.bucket, Key=f"{s3.prefix}{KEY}")
        assert head["ContentLength"] == 4
        assert head["Metadata"]["sha256"] == hashlib.sha256(b"mine").hexdigest()
    finally:
        neighbour.close()


def test_ensure_bucket_creates_it_once(seaweedfs: SeaweedFS, s3_bucket: str) -> None:
    bucket = f"fresh-{uuid.uuid4().hex[:12]}"
    storage = make_s3_storage(seaweedfs, prefix="", bucket=bucket)
    try:
        with pytest.raises(StorageFailure):
            storage.put_bytes(KEY, b"no bucket yet")
        storage.ensure_bucket()
        storage.ensure_bucket()
        assert storage.put_bytes(KEY, b"now").size == 3
    finally:
        storage.client.delete_object(Bucket=bucket, Key=KEY)
        storage.client.delete_bucket(Bucket=bucket)
        storage.close()


def test_objects_above_the_single_copy_limit_are_copied_in_parts(
    seaweedfs: SeaweedFS, s3_bucket: str
) -> None:
    # A low threshold stands in for S3's 5 GiB CopyObject limit.
    storage = make_s3_storage(
        seaweedfs, prefix=f"t-{uuid.uuid4().hex}", multipart_copy_threshold=MIN_PART_SIZE
    )
    probe = Probe("s3", storage, tmp_path=None)
    try:
        data = bytes(range(256)) * (2 * PART_SIZE // 256) + b"end"
        stored = storage.put_bytes(KEY, data)  # committed through a multipart copy
        copied = storage.copy(KEY, "copies/big")  # and copied with one again

        assert stored.etag == copied.etag == hashlib.sha256(data).hexdigest()
        assert b"".join(storage.read_range("copies/big")) == data
        assert probe.leftovers() == []
    finally:
        storage.close()


def test_wrong_credentials_are_a_failure_not_a_missing_object(
    seaweedfs: SeaweedFS, s3: S3Storage
) -> None:
    s3.put_bytes(KEY, b"secret")
    intruder = make_s3_storage(seaweedfs, prefix=s3.prefix, secret_access_key="wrong")
    try:
        for call in (
            lambda: intruder.stat(KEY),
            lambda: intruder.exists(KEY),
            lambda: intruder.read_range(KEY),
            lambda: intruder.copy(KEY, "copies/stolen"),
            lambda: intruder.delete(KEY),
        ):
            with pytest.raises(StorageFailure):
                call()
    finally:
        intruder.close()
    assert s3.exists(KEY)


def test_an_unreachable_server_is_a_failure(seaweedfs: SeaweedFS) -> None:
    (port,) = free_loopback_ports(1)
    storage = make_s3_storage(seaweedfs, prefix="", endpoint_url=f"http://127.0.0.1:{port}")
    attempts: list[str] = []
    storage.client.meta.events.register(
        "before-send.s3.HeadObject", lambda request, **_: attempts.append(request.url)
    )
    try:
        with pytest.raises(StorageFailure) as failure:
            storage.stat(KEY)
        assert "EndpointConnectionError" in str(failure.value)
        # The first try and the three retries the client allows (botocore's max_attempts counts
        # retries), each refused at once: a bounded wait, not a retry loop.
        assert len(attempts) == 4
    finally:
        storage.close()


def test_objects_written_by_others_still_get_an_etag(s3: S3Storage) -> None:
    s3.client.put_object(Bucket=s3.bucket, Key=f"{s3.prefix}{KEY}", Body=b"foreign")

    etag = s3.stat(KEY).etag

    assert etag == hashlib.md5(b"foreign").hexdigest()  # S3's own ETag
    assert '"' not in etag


def test_presigned_urls_can_use_a_public_endpoint(seaweedfs: SeaweedFS, s3: S3Storage) -> None:
    s3.put_bytes(KEY, b"public")
    public_endpoint = seaweedfs.endpoint_url.replace("127.0.0.1", "localhost")
    storage = make_s3_storage(seaweedfs, prefix=s3.prefix, presign_endpoint_url=public_endpoint)
    try:
        url = storage.presigned_url(KEY, expires_in=60)
    finally:
        storage.close()

    assert url is not None and url.startswith(f"{public_endpoint}/{s3.bucket}/{s3.prefix}")
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"public"


@pytest.mark.parametrize("expires_in", [0, -1, 7 * 24 * 3600 + 1])
def test_presigned_url_lifetime_is_bounded(s3: S3Storage, expires_in: int) -> None:
    with pytest.raises(ValueError):
        s3.presigned_url(KEY, expires_in=expires_in)


def test_presigned_url_refuses_header_injection(s3: S3Storage) -> None:
    with pytest.raises(ValueError):
        s3.presigned_url(KEY, expires_in=60, content_type="text/plain\r\nX-Evil: 1")


def test_attachment_disposition_escapes_the_name() -> None:
    assert attachment_disposition('a "b"\\c/d é.mp4') == (
        'attachment; filename="a _b__c_d _.mp4"; '
        "filename*=UTF-8''a%20%22b%22%5Cc%2Fd%20%C3%A9.mp4"
    )
    assert attachment_disposition("").startswith('attachment; filename="download"')


def test_cleanup_aborts_uploads_left_by_a_crash(s3: S3Storage) -> None:
    probe = Probe("s3", s3, tmp_path=None)
    crashed = s3.begin_write(KEY)
    crashed.write(b"x" * (PART_SIZE + 1))  # one part uploaded, then the process "dies"
    assert len(probe.leftovers()) == 1

    assert s3.cleanup_stale_temp(3600) == 0
    # Waiting is the test here: the age that counts is the server's (S3 lists an upload's
    # Initiated time to the second), which no clock of ours can stand in for. Just over 1 s
    # makes the upload older than the 1 s threshold whatever its sub-second start.
    time.sleep(1.1)
    assert s3.cleanup_stale_temp(1) == 1

    assert probe.leftovers() == []
    crashed.abort()  # the upload is already gone: still no error


def test_cleanup_spares_an_upload_that_is_still_adding_parts(s3: S3Storage) -> None:
    probe = Probe("s3", s3, tmp_path=None)
    crashed = s3.begin_write(KEY)
    crashed.write(b"c" * (PART_SIZE + 1))
    slow = s3.begin_write(KEY + "-slow")
    slow.write(b"s" * (PART_SIZE + 1))  # started as long ago as the crashed one
    time.sleep(1.1)  # upload timestamps have one-second resolution
    slow.write(b"s" * PART_SIZE)  # ...but it is still sending

    assert s3.cleanup_stale_temp(1) == 1

    assert len(probe.leftovers()) == 1
    assert slow.commit().size == 2 * PART_SIZE + 1
    assert s3.stat(KEY + "-slow").size == 2 * PART_SIZE + 1
    crashed.abort()
    assert probe.leftovers() == []


def test_part_size_below_the_s3_minimum_is_refused() -> None:
    with pytest.raises(ValueError):
        S3Storage(
            "bucket",
            endpoint_url="http://127.0.0.1:9",
            region="us-east-1",
            access_key_id="a",
            secret_access_key="b",
            part_size=MIN_PART_SIZE - 1,
        )
