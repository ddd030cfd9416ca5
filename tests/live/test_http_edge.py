"""What a real HTTP server must accept: absolute-form request targets (RFC 9112 §3.2.2), which
urllib3 2.x sends when uw-restclients-canvas follows a Link header."""

from __future__ import annotations

import contextlib
import gc
import os
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from mediaobjects.files.models import Attachment
from tests.support.api import Api
from tests.support.live import live_server

pytestmark = pytest.mark.live


def raw_get(base: str, target: str, token: str) -> bytes:
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        request = (
            f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Authorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        )
        sock.sendall(request.encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_absolute_form_target_is_served_like_origin_form(app: Any, api: Api) -> None:
    with live_server(app) as base:
        origin = raw_get(base, "/api/v1/users/self?per_page=2", api.admin.token)
        absolute = raw_get(base, f"{base}/api/v1/users/self?per_page=2", api.admin.token)
    assert origin.startswith(b"HTTP/1.1 200")
    assert absolute.startswith(b"HTTP/1.1 200")
    assert absolute.split(b"\r\n\r\n", 1)[1] == origin.split(b"\r\n\r\n", 1)[1]


def open_fds_to(path: Path) -> int:
    count = 0
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):
            if os.readlink(fd) == str(path):
                count += 1
    return count


def test_an_aborted_download_closes_its_file_at_once(app: Any, api: Api) -> None:
    """A player that drops a Range request (seeking, pausing) must not leave the stored file
    open until garbage collection: a busy server would run out of descriptors."""
    user = api.user()
    file = api.upload(f"users/{user.id}", user, "big.bin", os.urandom(8 * 1024 * 1024), "video/mp4")
    with api.ctx.read() as session:
        key = session.get(Attachment, int(file["id"])).storage_key  # type: ignore[union-attr]
    stored = api.ctx.storage.object_path(key).resolve()
    gc.disable()  # what the server must do without the cycle collector's help
    try:
        with live_server(app) as base:
            parts = urlsplit(base)
            for _ in range(3):
                with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
                    sock.sendall(
                        f"GET /files/{file['id']}/download HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                        f"Authorization: Bearer {user.token}\r\n\r\n".encode()
                    )
                    assert sock.recv(65536).startswith(b"HTTP/1.1 200")
                # Dropped after the first bytes, 8 MiB still to send.
            deadline = time.monotonic() + 10
            while open_fds_to(stored) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert open_fds_to(stored) == 0
    finally:
        gc.enable()
