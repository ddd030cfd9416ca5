"""Choosing a backend from settings, and the key rules that every backend shares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mediaobjects.storage import build_storage, validate_key
from mediaobjects.storage.local import LocalStorage
from mediaobjects.storage.s3 import S3Storage

S3_SETTINGS: dict[str, Any] = {
    "s3_bucket": "media",
    "s3_endpoint_url": "http://127.0.0.1:9",
    "s3_region": "us-east-1",
    "s3_access_key_id": "key",
    "s3_secret_access_key": "secret",
    "s3_prefix": "prod/",
}


def test_local_keeps_files_under_the_data_dir(tmp_path: Path) -> None:
    storage = build_storage("local", data_dir=tmp_path, **S3_SETTINGS)

    assert isinstance(storage, LocalStorage)
    assert storage.root == tmp_path / "files"


def test_s3_uses_the_settings(tmp_path: Path) -> None:
    storage = build_storage("s3", data_dir=tmp_path, **S3_SETTINGS)
    try:
        assert isinstance(storage, S3Storage)
        assert (storage.bucket, storage.prefix) == ("media", "prod/")
        assert storage.client.meta.endpoint_url == "http://127.0.0.1:9"
    finally:
        storage.close()


@pytest.mark.parametrize("missing", ["s3_bucket", "s3_access_key_id", "s3_secret_access_key"])
def test_s3_names_the_missing_setting(tmp_path: Path, missing: str) -> None:
    settings = {**S3_SETTINGS, missing: None}

    with pytest.raises(ValueError, match=missing):
        build_storage("s3", data_dir=tmp_path, **settings)


def test_unknown_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'local', 's3'|local, s3"):
        build_storage("ftp", data_dir=tmp_path, **S3_SETTINGS)


@pytest.mark.parametrize(
    "key", ["attachments/ab/cd/0f1e2d3c", "media/1/captions/en.vtt", "a", "x/.hidden", "é/ü"]
)
def test_ordinary_keys_are_valid(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize("key", ["a/" + "x" * 256, "a/\x7f", "\ud800", ".meta/x", 123, None])
def test_more_bad_keys(key: Any) -> None:
    with pytest.raises(ValueError):
        validate_key(key)
