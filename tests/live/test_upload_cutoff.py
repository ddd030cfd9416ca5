"""An upload that is cut off midway (the client goes away) leaves no file, no media object and
no stored bytes behind, and its upload URL stays usable for a retry."""

from __future__ import annotations

import contextlib
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select

from mediaobjects.files.models import Attachment
from mediaobjects.media_objects.models import MediaObject
from tests.support.api import Api
from tests.support.live import live_server
from tests.support.media import fake_mp4

pytestmark = pytest.mark.live


def stored_bytes(directory: Path) -> int:
    """Bytes in the files under ``directory`` (files may vanish while we look)."""
    total = 0
    if directory.exists():
        for path in directory.rglob("*"):
            with contextlib.suppress(FileNotFoundError):
                if path.is_file():
                    total += path.stat().st_size
    return total


def count(api: Api, model: Any) -> int:
    with api.ctx.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_cut_off_upload_keeps_nothing(app: Any, api: Api) -> None:
    user = api.user()
    content = fake_mp4(3 * 1024 * 1024)
    with live_server(app) as base:
        step1 = requests.post(
            f"{base}/api/v1/users/self/files",
            headers=user.headers,
            data={"name": "talk.mp4", "size": len(content)},
            timeout=10,
        ).json()
        url = urlsplit(step1["upload_url"])
        head = (
            b'--cut\r\nContent-Disposition: form-data; name="file"; filename="talk.mp4"\r\n'
            b"Content-Type: video/mp4\r\n\r\n"
        )
        total = len(head) + len(content) + len(b"\r\n--cut--\r\n")
        with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
            sock.sendall(
                f"POST {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\n"
                f"Content-Type: multipart/form-data; boundary=cut\r\n"
                f"Content-Length: {total}\r\n\r\n".encode()
                + head
                + content[: len(content) // 2]
            )
            # Cut off once the server is storing the upload: its temporary file holds bytes.
            temp_dir = api.ctx.storage.temp_dir  # type: ignore[attr-defined]
            deadline = time.monotonic() + 30
            while stored_bytes(temp_dir) == 0:
                assert time.monotonic() < deadline, "the server stored nothing of the upload"
                time.sleep(0.02)
        # The server notices the disconnect and cleans up.
        files_root = api.ctx.settings.data_dir / "files"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            leftovers = (
                [p for p in files_root.rglob("*") if p.is_file()] if files_root.exists() else []
            )
            if not leftovers:
                break
            time.sleep(0.1)
        assert leftovers == []
        assert count(api, Attachment) == 0
        assert count(api, MediaObject) == 0
        retry = requests.post(
            step1["upload_url"], files={"file": ("talk.mp4", content)}, timeout=30
        )
        assert retry.status_code == 201
        assert count(api, Attachment) == 1
