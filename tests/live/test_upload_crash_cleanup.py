"""A server killed with SIGKILL in the middle of an upload leaves the upload's temporary file
behind; the server that comes after removes it on its schedule, while an upload it is
receiving, however long its client pauses, is never touched and completes."""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from mediaobjects.files.models import Attachment
from tests.support.api import Api, Person
from tests.support.media import fake_mp4
from tests.support.postgres import free_port
from tests.support.procs import Service, service_env, wait_for

pytestmark = pytest.mark.live

CONTENT = fake_mp4(2 * 1024 * 1024)
HEAD = (
    b'--cut\r\nContent-Disposition: form-data; name="file"; filename="talk.mp4"\r\n'
    b"Content-Type: video/mp4\r\n\r\n"
)
TAIL = b"\r\n--cut--\r\n"


def serve(api: Api, tmp_path: Path, name: str, **env: str) -> tuple[Service, int]:
    port = free_port()
    service = Service(
        ["serve", "--port", str(port)],
        service_env(api.ctx.settings, MEDIAOBJECTS_WORKERS="1", **env),
        tmp_path / f"{name}.log",
    )

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return service.process.poll() is not None  # exited: say so below
        return True

    wait_for(listening, f"server {name} listening")
    assert service.process.poll() is None, service.output()
    return service, port


def begin_upload(api: Api, user: Person, port: int) -> socket.socket:
    """Starts sending an upload to the server on ``port``: headers and half of the file."""
    step1 = api.ok(
        "POST", "/api/v1/users/self/files", user, data={"name": "talk.mp4", "size": len(CONTENT)}
    )
    url = urlsplit(step1["upload_url"])
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(
        f"POST {url.path}?{url.query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: multipart/form-data; boundary=cut\r\n"
        f"Content-Length: {len(HEAD) + len(CONTENT) + len(TAIL)}\r\n\r\n".encode()
        + HEAD
        + CONTENT[: len(CONTENT) // 2]
    )
    return sock


def temp_files(api: Api) -> set[Path]:
    temp = api.ctx.settings.data_dir / "files" / ".tmp"
    return {p for p in temp.iterdir() if p.suffix == ".part"} if temp.exists() else set()


def age(path: Path) -> float:
    return time.time() - path.stat().st_mtime


def test_kill_9_mid_upload_leaves_a_part_file_that_the_next_server_removes(
    api: Api, tmp_path: Path
) -> None:
    user = api.user()
    first, port = serve(api, tmp_path, "first")
    try:
        with begin_upload(api, user, port):
            wait_for(lambda: len(temp_files(api)) == 1, "the upload reaching the disk")
            (left_behind,) = temp_files(api)
            first.kill_9()
    finally:
        first.stop()
    assert left_behind.exists()  # nothing removes it but the clean-up

    second, port = serve(api, tmp_path, "second", MEDIAOBJECTS_STALE_TEMP_SECONDS="1")
    stack = contextlib.ExitStack()
    try:
        live = stack.enter_context(begin_upload(api, user, port))
        wait_for(lambda: len(temp_files(api) - {left_behind}) == 1, "the live upload starting")
        (receiving,) = temp_files(api) - {left_behind}
        wait_for(lambda: not left_behind.exists(), "the crashed upload's file going")
        # The live upload now pauses past the threshold; a leftover planted after that is
        # evidence that a clean-up ran while the live file looked stale.
        wait_for(lambda: age(receiving) > 1.5, "the live upload pausing past the threshold")
        planted = receiving.with_name("planted-by-the-test.part")
        planted.write_bytes(b"left by another crash")
        os.utime(planted, (time.time() - 60, time.time() - 60))
        wait_for(lambda: not planted.exists(), "another clean-up pass")
        assert receiving.exists()

        live.sendall(CONTENT[len(CONTENT) // 2 :] + TAIL)
        response = read_response(live)
    finally:
        stack.close()
        second.stop()
    assert response.startswith(b"HTTP/1.1 201"), response[:300]
    with api.ctx.read() as session:
        attachment = session.scalars(select(Attachment)).one()
        stored = api.ctx.storage.stat(attachment.storage_key)
    assert stored.size == len(CONTENT)
    assert stored.etag == hashlib.sha256(CONTENT).hexdigest()
    assert temp_files(api) == set()


def read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return bytes(data)
