"""The real service for benchmarks that drive it from outside (a browser): ``mediaobjects serve``
on a fresh data dir and a free port, in its own process, logging to a file, and a small client
of its API with the site admin's token (made by ``mediaobjects create-admin-token``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

CLI = [sys.executable, "-m", "mediaobjects.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Service:
    """``mediaobjects serve --workers 1`` (one server process; the media jobs run in it) on
    ``data``; ``base`` is its URL, ``token`` a site admin's access token. Stop it with
    ``stop()`` (or use it as a context manager)."""

    def __init__(self, data: Path) -> None:
        data.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "MEDIAOBJECTS_DATA_DIR": str(data)}
        made = subprocess.run(
            [*CLI, "create-admin-token"], env=self.env, capture_output=True, text=True, timeout=120
        )
        if made.returncode != 0:
            raise RuntimeError(f"create-admin-token failed:\n{made.stderr}")
        self.token = made.stdout.strip()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = data / "serve.log"
        self._log_file = self.log.open("ab")
        self.process = subprocess.Popen(
            [*CLI, "serve", "--port", str(self.port), "--workers", "1"],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"serve did not start:\n{self.log.read_text(errors='replace')}")
            time.sleep(0.1)

    def _answers(self) -> bool:
        try:
            requests.get(f"{self.base}/login", timeout=2)
        except requests.ConnectionError:
            return False
        return True

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def api(self, method: str, path: str, **kw: Any) -> Any:
        """The JSON answer of an API call as the site admin; raises on anything but 2xx."""
        response = requests.request(
            method,
            self.base + path,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=120,
            **kw,
        )
        if not response.ok:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json()

    def upload(self, context_path: str, path: Path, content_type: str) -> dict[str, Any]:
        """A file uploaded through the Canvas flow (both steps); its JSON."""
        ticket = self.api(
            "POST",
            f"/api/v1/{context_path}/files",
            data={"name": path.name, "size": path.stat().st_size, "content_type": content_type},
        )
        with path.open("rb") as body:
            stored = requests.post(
                ticket["upload_url"],
                data=ticket["upload_params"],
                files={ticket.get("file_param") or "file": (path.name, body, content_type)},
                timeout=300,
            )
        if stored.status_code != 201:
            raise RuntimeError(f"upload of {path.name}: {stored.status_code} {stored.text[:500]}")
        return dict(stored.json())

    def wait_ready(self, media_id: str, timeout: float = 600) -> dict[str, Any]:
        """The media's info JSON once the server's own job consumer has processed it."""
        deadline = time.monotonic() + timeout
        while True:
            info = self.api("GET", f"/media_objects/{media_id}/info")
            if info["processing_state"] == "ready":
                return dict(info)
            if info["processing_state"] == "failed" or time.monotonic() > deadline:
                raise RuntimeError(f"{media_id} was not processed: {info}")
            time.sleep(0.5)
