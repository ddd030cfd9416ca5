"""Nothing is spent before authorisation: every route with a body answers an anonymous caller
(and a student, where the student has no right) without reading the body — whether it is
huge or trickles in a byte at a time. Measured on a real server: the bytes the application
pulled from the request (an ASGI wrapper counts them), how long the answer took, and the
server's memory after many refused megabytes."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.types import Message, Receive, Scope, Send

from tests.support.api import Api, Person
from tests.support.live import live_server
from tests.support.world import World, build_world

pytestmark = pytest.mark.live

CHUNK = b"[" + b" " * (64 * 1024 - 2) + b"]"
BIG = 32 * 1024 * 1024


class CountingApp:
    """Counts the body bytes the application received, per request path."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.received: dict[str, int] = {}
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def counting() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                with self.lock:
                    self.received[path] = self.received.get(path, 0) + len(message.get("body", b""))
            return message

        await self.app(scope, counting, send)


def _body_operations(app: Any, world: World) -> list[tuple[str, str]]:
    api = world.api
    category = api.ok(
        "POST", f"/api/v1/courses/{world.course}/group_categories", data={"name": "Teams"}
    )
    group = api.ok("POST", f"/api/v1/group_categories/{category['id']}/groups", data={"name": "A"})
    folder = api.ok("GET", f"/api/v1/courses/{world.course}/folders/root", world.teacher)
    values = {
        "media_object_id": world.media_id,
        "attachment_id": str(world.attachment_id),
        "course_id": str(world.course),
        "group_id": str(group["id"]),
        "group_category_id": str(category["id"]),
        "folder_id": str(folder["id"]),
        "user_id": "self",
        "account_id": "self",
        "nonce": "not-a-real-upload",
        # Track history routes: whether or not these exist, the refusal must come first.
        "track_id": "1",
        "version_id": "1",
        # Another user's login (the site admin's): a refused caller may not set its password.
        "login_id": "1",
        # An LTI registration (whether or not it exists, site admins only).
        "registration_id": "1",
    }
    out = []
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            if method in ("post", "put"):
                concrete = path
                for name, value in values.items():
                    concrete = concrete.replace("{" + name + "}", value)
                assert "{" not in concrete, path
                out.append((method.upper(), concrete))
    return sorted(out)


def _head(method: str, path: str, base: str, who: Person | None) -> bytes:
    host = urlsplit(base).netloc
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
    ]
    if who is not None:
        lines.append(f"Authorization: Bearer {who.token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _status(sock: socket.socket, deadline: float) -> tuple[int | None, bytes]:
    data = b""
    while b"\r\n" not in data and time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except (TimeoutError, BlockingIOError):
            continue
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    if not data.startswith(b"HTTP/1.1 "):
        return None, data
    return int(data.split()[1]), data


def _send_big(base: str, method: str, path: str, who: Person | None) -> tuple[int | None, int]:
    """Streams a 32 MB chunked body as fast as the server takes it while waiting for the
    answer; returns the status and how many body bytes went out before it came."""
    parts = urlsplit(base)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    sent = 0
    stop = threading.Event()

    def pump() -> None:
        nonlocal sent
        try:
            sock.sendall(_head(method, path, base, who))
            frame = f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n"
            while sent < BIG and not stop.is_set():
                sock.sendall(frame)
                sent += len(CHUNK)
        except OSError:
            pass  # the server answered and closed the connection

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    try:
        sock.settimeout(0.2)
        status, _ = _status(sock, time.monotonic() + 30)
    finally:
        stop.set()
        sock.close()
        thread.join(timeout=10)
    return status, sent


def _send_slow(base: str, method: str, path: str, who: Person | None) -> tuple[int | None, float]:
    """Sends the head and then one body byte every 50 ms; returns the status and how long the
    answer took."""
    parts = urlsplit(base)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    started = time.monotonic()
    try:
        sock.sendall(_head(method, path, base, who))
        sock.settimeout(0.05)
        deadline = started + 20
        data = b""
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                sock.sendall(b"1\r\n \r\n")
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, BlockingIOError):
                continue
            if not chunk:
                break
            data += chunk
            if b"\r\n" in data:
                break
        status = int(data.split()[1]) if data.startswith(b"HTTP/1.1 ") else None
        return status, time.monotonic() - started
    finally:
        sock.close()


def _rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def served(app: Any, api: Api) -> Iterator[tuple[str, CountingApp, World]]:
    world = build_world(api)
    counting = CountingApp(app)
    with live_server(counting) as base:
        yield base, counting, world


def _expected(path: str, who: str) -> set[int]:
    if path.startswith("/files_api/uploads/"):
        return {400}  # the signed upload token in the URL is the grant, and it is missing
    return {401} if who == "anonymous" else {403}


def test_refused_callers_never_make_the_server_read_a_big_body(
    app: Any, served: tuple[str, CountingApp, World]
) -> None:
    base, counting, world = served
    operations = _body_operations(app, world)
    assert len(operations) >= 15
    # Routes on the course's media and provisioning: a student holds no right there.
    student_refused = [
        (m, p)
        for m, p in operations
        if not p.startswith(("/api/v1/users/self", "/api/v1/media_objects", "/files_api"))
        and p != "/api/v1/media_attachments"
    ]
    assert len(student_refused) >= 10
    rss_before = _rss_bytes()
    for who, person, cases in (
        ("anonymous", None, operations),
        ("student", world.student, student_refused),
    ):
        for method, path in cases:
            status, sent = _send_big(base, method, path, person)
            assert status in _expected(path, who), (who, method, path, status)
            assert counting.received.get(path, 0) == 0, (who, method, path)
            # The server stopped taking bytes: far less than the body went out.
            assert sent < BIG, (who, method, path, sent)
    grown = _rss_bytes() - rss_before
    refused = BIG * (len(operations) + len(student_refused))
    assert grown < 64 * 1024 * 1024, (grown, refused)


def test_refused_callers_are_answered_at_once_however_slow_the_body(
    app: Any, served: tuple[str, CountingApp, World]
) -> None:
    base, counting, world = served
    for method, path in _body_operations(app, world):
        status, took = _send_slow(base, method, path, None)
        assert status in _expected(path, "anonymous"), (method, path, status)
        # A few bytes at most went out before the answer; a server waiting for the body
        # would still be waiting at the 20 s deadline.
        assert took < 15, (method, path, took)
        assert counting.received.get(path, 0) == 0, (method, path)
