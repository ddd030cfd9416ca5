"""Storage fixtures: one SeaweedFS server per session, and a ``storage`` fixture parametrized
over every backend (a fresh local root, or a fresh key prefix in a shared S3 bucket, per test)
with a ``probe`` that can look behind the backend's back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mediaobjects.storage.interfaces import Storage
from mediaobjects.storage.local import LocalStorage
from mediaobjects.storage.s3 import MIN_PART_SIZE, S3Storage
from tests.support.seaweed import SeaweedFS

BUCKET = "mediaobjects-test"
# The smallest part S3 accepts keeps multipart tests fast.
PART_SIZE = MIN_PART_SIZE


def make_s3_storage(
    server: SeaweedFS,
    *,
    prefix: str,
    bucket: str = BUCKET,
    endpoint_url: str | None = None,
    secret_access_key: str | None = None,
    presign_endpoint_url: str | None = None,
    multipart_copy_threshold: int | None = None,
) -> S3Storage:
    extra = {}
    if multipart_copy_threshold is not None:
        extra = {"multipart_copy_threshold": multipart_copy_threshold, "copy_part_size": PART_SIZE}
    return S3Storage(
        bucket,
        endpoint_url=endpoint_url or server.endpoint_url,
        region=server.region,
        access_key_id=server.access_key_id,
        secret_access_key=secret_access_key or server.secret_access_key,
        prefix=prefix,
        part_size=PART_SIZE,
        presign_endpoint_url=presign_endpoint_url,
        **extra,
    )


@pytest.fixture(scope="session")
def s3_bucket(seaweedfs: SeaweedFS) -> str:
    storage = make_s3_storage(seaweedfs, prefix="")
    try:
        storage.ensure_bucket()
    finally:
        storage.close()
    return BUCKET


@dataclass
class Probe:
    """Backend-specific views used by the contract suite."""

    kind: str
    storage: Storage
    tmp_path: Path | None
    seaweedfs: SeaweedFS | None = None

    def leftovers(self) -> list[str]:
        """Everything an unfinished write could leave behind: temp files (local), multipart
        uploads and temporary objects (S3)."""
        if isinstance(self.storage, LocalStorage):
            temp_dir = self.storage.temp_dir
            return sorted(p.name for p in temp_dir.iterdir()) if temp_dir.exists() else []
        assert isinstance(self.storage, S3Storage)
        client, bucket, prefix = self.storage.client, self.storage.bucket, self.storage.prefix
        uploads = client.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", [])
        temp = client.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}.tmp/").get("Contents", [])
        return sorted(
            [f"upload:{u.get('Key')}" for u in uploads] + [f"object:{o.get('Key')}" for o in temp]
        )

    def broken(self) -> Storage:
        """The same kind of backend, unable to do its job."""
        if self.kind == "local":
            assert self.tmp_path is not None
            blocker = self.tmp_path / "not-a-directory"
            blocker.write_bytes(b"")
            return LocalStorage(blocker / "files")
        assert self.seaweedfs is not None and isinstance(self.storage, S3Storage)
        return make_s3_storage(
            self.seaweedfs, prefix=self.storage.prefix, secret_access_key="wrong-secret"
        )


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "local":
        backend: Storage = LocalStorage(tmp_path / "files")
    else:
        # Looked up lazily so that `-k local` runs never start SeaweedFS.
        server: SeaweedFS = request.getfixturevalue("seaweedfs")
        request.getfixturevalue("s3_bucket")
        backend = make_s3_storage(server, prefix=f"t-{uuid.uuid4().hex}")
    yield backend
    backend.close()


@pytest.fixture
def probe(request: pytest.FixtureRequest, storage: Storage, tmp_path: Path) -> Probe:
    if isinstance(storage, LocalStorage):
        return Probe("local", storage, tmp_path)
    return Probe("s3", storage, tmp_path, request.getfixturevalue("seaweedfs"))
