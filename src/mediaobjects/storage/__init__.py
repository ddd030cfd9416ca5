"""File storage behind one ``Storage`` Protocol, with a local-disk and an S3 backend chosen by a
setting; ``build_storage`` turns plain setting values into a backend (and does no I/O)."""

from __future__ import annotations

from pathlib import Path

from mediaobjects.storage.interfaces import PendingWrite, Storage, StoredObject
from mediaobjects.storage.keys import validate_key
from mediaobjects.storage.local import LocalStorage

STORAGE_KINDS = ("local", "s3")


def build_storage(
    kind: str,
    *,
    data_dir: Path,
    s3_bucket: str | None,
    s3_endpoint_url: str | None,
    s3_region: str,
    s3_access_key_id: str | None,
    s3_secret_access_key: str | None,
    s3_prefix: str,
) -> Storage:
    """Build the backend named by ``kind``: ``"local"`` keeps files in ``data_dir / "files"``;
    ``"s3"`` needs a bucket and credentials (``s3_endpoint_url=None`` means AWS itself).

    Raises ``ValueError`` naming every missing setting. Call ``S3Storage.ensure_bucket()``
    afterwards to create a missing bucket.
    """
    if kind == "local":
        return LocalStorage(Path(data_dir) / "files")
    if kind == "s3":
        required = {
            "s3_bucket": s3_bucket,
            "s3_region": s3_region,
            "s3_access_key_id": s3_access_key_id,
            "s3_secret_access_key": s3_secret_access_key,
        }
        missing = [name for name, value in required.items() if not value]
        if missing:
            raise ValueError(
                f"storage kind 's3' needs these settings, which are empty: {', '.join(missing)}"
            )
        assert s3_bucket and s3_access_key_id and s3_secret_access_key
        # Imported here so that local-only deployments do not pay for importing boto3.
        from mediaobjects.storage.s3 import S3Storage

        return S3Storage(
            s3_bucket,
            endpoint_url=s3_endpoint_url or None,
            region=s3_region,
            access_key_id=s3_access_key_id,
            secret_access_key=s3_secret_access_key,
            prefix=s3_prefix,
        )
    raise ValueError(f"unknown storage kind {kind!r}; expected one of: {', '.join(STORAGE_KINDS)}")


__all__ = [
    "STORAGE_KINDS",
    "LocalStorage",
    "PendingWrite",
    "Storage",
    "StoredObject",
    "build_storage",
    "validate_key",
]
