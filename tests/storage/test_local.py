"""Local-disk details beyond the contract: where temporary files live, how the etag survives
restarts and files changed behind its back, and clean-up after a crash."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
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


def test_cleanup_never_removes_a_write_still_in_progress(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files")
    paused = storage.begin_write(KEY)
    paused.write(b"an upload whose client paused for hours")
    (temp,) = storage.temp_dir.iterdir()
    two_hours_ago = time.time() - 7200
    os.utime(temp, (two_hours_ago, two_hours_ago))

    assert storage.cleanup_stale_temp(3600) == 0

    paused.write(b", then went on")
    assert paused.commit().size == len(b"an upload whose client paused for hours, then went on")
    assert list(storage.temp_dir.iterdir()) == []


def test_the_write_of_a_killed_process_is_removed_once_stale(tmp_path: Path) -> None:
    root = tmp_path / "files"
    script = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from mediaobjects.storage.local import LocalStorage\n"
        "w = LocalStorage(Path(sys.argv[1])).begin_write('attachments/ab/cd/abcdef')\n"
        "w.write(b'half an upload')\n"
        "print('writing', flush=True)\n"
        "time.sleep(600)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    writer = subprocess.Popen(
        [sys.executable, "-c", script, str(root)], env=env, stdout=subprocess.PIPE
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline() == b"writing\n"
        storage = LocalStorage(root)
        (temp,) = storage.temp_dir.iterdir()
        two_hours_ago = time.time() - 7200
        os.utime(temp, (two_hours_ago, two_hours_ago))
        assert storage.cleanup_stale_temp(3600) == 0  # its process is alive
    finally:
        writer.kill()
        writer.wait()
        if writer.stdout is not None:
            writer.stdout.close()
    assert storage.cleanup_stale_temp(3600) == 1
    assert not temp.exists()
