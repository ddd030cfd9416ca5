"""Secrets never reach a log line: access tokens given as ``?access_token=`` or as a Bearer
header, the verifiers and upload tokens of signed URLs, and passwords in database or queue
URLs. Checked on the real ``mediaobjects serve`` (its access log and error log) and on the
filter itself, tracebacks included."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

from mediaobjects.logs import RedactingFilter
from mediaobjects.redact import redact_text, redact_url
from tests.support.postgres import free_port


def test_redact_text_hides_every_kind_of_credential() -> None:
    line = (
        'GET /api/v1/users/self?access_token=1~abc&per_page=5 "Bearer 1~def" '
        "/files/3/download?download_frd=1&verifier=123.MAC "
        "/files_api/uploads/n?token=999.XYZ postgresql+psycopg://app:s3cret@db:5432/media"
    )
    redacted = redact_text(line)
    for secret in ("1~abc", "1~def", "123.MAC", "999.XYZ", "s3cret"):
        assert secret not in redacted
    assert "per_page=5" in redacted and "/files/3/download" in redacted
    assert "app:[redacted]@db:5432" in redacted


def test_redact_url_keeps_where_but_not_the_password() -> None:
    assert redact_url("redis://:pw@cache:6379/0") == "redis://:[redacted]@cache:6379/0"
    assert (
        redact_url("postgresql://u:pw@h/db?sslmode=x")
        == "postgresql://u:[redacted]@h/db?[redacted]"
    )
    assert redact_url("sqlite:////var/lib/jobs.db") == "sqlite:////var/lib/jobs.db"


def test_the_filter_redacts_arguments_and_tracebacks() -> None:
    try:
        raise RuntimeError("could not connect to postgresql://u:topsecret@db/x")
    except RuntimeError:
        record = logging.LogRecord(
            "t", logging.ERROR, __file__, 1, "%s %s", ("GET", "/x?access_token=tok"), sys.exc_info()
        )
    assert RedactingFilter().filter(record)
    text = logging.Formatter().format(record)
    assert "tok" not in text.replace("access_token", "") and "topsecret" not in text
    assert "/x?access_token=[redacted]" in text and "RuntimeError" in text


@pytest.fixture
def fresh_env(tmp_path: Path, db_kind: str, database_url: str) -> dict[str, str]:
    env = {"MEDIAOBJECTS_DATA_DIR": str(tmp_path / "fresh"), "MEDIAOBJECTS_LOG_LEVEL": "debug"}
    if db_kind == "postgresql":
        env["MEDIAOBJECTS_DATABASE_URL"] = database_url
    return env


def test_serve_logs_no_token_verifier_or_upload_token(fresh_env: dict[str, str]) -> None:
    env = {**os.environ, **fresh_env}
    token = subprocess.run(
        [sys.executable, "-m", "mediaobjects.cli", "create-admin-token"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.strip()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediaobjects.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx2.get(f"{base}/api/v1/users/self", timeout=2)
                break
            except httpx2.TransportError:
                assert proc.poll() is None, "serve stopped"
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        me = httpx2.get(f"{base}/api/v1/users/self?access_token={token}", timeout=5)
        assert me.status_code == 200
        step1 = httpx2.post(
            f"{base}/api/v1/users/self/files",
            headers={"Authorization": f"Bearer {token}"},
            data={"name": "notes.txt", "size": "5"},
            timeout=5,
        ).json()
        upload = httpx2.post(
            step1["upload_url"], files={"file": ("notes.txt", b"hello", "text/plain")}, timeout=5
        )
        assert upload.status_code == 201
        download = httpx2.get(upload.json()["url"], timeout=5)
        assert download.status_code == 200
        # A refused token is logged as carefully as a good one.
        assert httpx2.get(f"{base}/api/v1/users/self?access_token=1~wrong-{token[-6:]}").status_code
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=15)
    logged = out + err
    upload_token = step1["upload_url"].split("token=")[1]
    verifier = upload.json()["url"].split("verifier=")[1]
    assert "/api/v1/users/self?access_token=[redacted]" in logged, logged[-2000:]
    assert "/files_api/uploads/" in logged and "/download?download_frd=1&verifier=" in logged
    for secret in (token, token[2:], upload_token, verifier):
        assert secret not in logged
