"""What a real HTTP server must accept: absolute-form request targets (RFC 9112 §3.2.2), which
urllib3 2.x sends when uw-restclients-canvas follows a Link header."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

import pytest

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
