"""Local-disk details beyond the contract: where temporary files live, how the etag survives
restarts and files changed behind its back, and clean-up after a crash."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from mediaobjects.storage.local import LocalStorage

KEY = "attachments/ab/cd/abcdef"


def test_constructing_touches_nothing(tmp_path: Path) -> None:
    LocalStorage(tmp_path / "files")

    assert not (tmp_path / "files").exists()


def test_writes_go_through_a_temp_file_on_the_same_filesystem(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files")
    pending = storage.begin_write(KEY)
    pending.write(b"partial")

    temp_files = list(storage.temp_dir.iterdir())
    assert len(temp_files) == 1
    assert temp_files[0].stat().st_dev == storage.root.stat().st_dev
    assert not (storage.root / KEY).exists()

    pending.commit()

    assert list(storage.temp_dir.iterdir()) == []
    assert (storage.root / KEY).read_bytes() == b"partial"


def test_etag_survives_a_restart_and_a_lost_sidecar(tmp_path: Path) -> None:
    stored = LocalStorage(tmp_path / "files").put_bytes(KEY, b"contents")

    restarted = LocalStorage(tmp_path / "files")
    assert restarted.stat(KEY) == stored

    for sidecar in (restarted.meta_dir).rglob("*"):
        if sidecar.is_file():
            sidecar.unlink()
    assert restarted.stat(KEY) == stored  # recomputed from the bytes
    assert restarted.stat(KEY) == stored  # and cached again


def test_a_file_replaced_behind_its_back_gets_a_new_etag(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files")
    storage.put_bytes(KEY, b"original")
    replacement = tmp_path / "replacement"
    replacement.write_bytes(b"edited by hand")

    os.replace(replacement, storage.root / KEY)

    stat = storage.stat(KEY)
    assert stat.size == len(b"edited by hand")
    assert stat.etag == hashlib.sha256(b"edited by hand").hexdigest()


def test_a_directory_is_not_an_object(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files")
    storage.put_bytes(KEY, b"x")

    assert not storage.exists("attachments/ab")
    storage.delete("attachments/ab")
    assert storage.exists(KEY)


def test_cleanup_removes_only_stale_temp_files(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files")
    assert storage.cleanup_stale_temp(3600) == 0  # no temp directory yet
    live = storage.begin_write(KEY)
    live.write(b"still uploading")
    crashed = storage.temp_dir / "left-by-a-crash.part"
    crashed.write_bytes(b"half an upload")
    two_hours_ago = time.time() - 7200
    os.utime(crashed, (two_hours_ago, two_hours_ago))

    assert storage.cleanup_stale_temp(3600) == 1

    assert not crashed.exists()
    assert live.commit().size == len(b"still uploading")
