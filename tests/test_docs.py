"""The docs stay true: every setting is in docs/settings.md, every route in docs/api.md, the
README names the two set-up commands, and the README's examples run against a live server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mediaobjects.settings import Settings
from tests.support.live import live_server

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented_and_nothing_else() -> None:
    text = (ROOT / "docs" / "settings.md").read_text()
    documented = set(re.findall(r"`(MEDIAOBJECTS_[A-Z0-9_]+)`", text))
    fields = {f"MEDIAOBJECTS_{name.upper()}" for name in Settings.model_fields}
    assert fields - documented == set(), "settings missing from docs/settings.md"
    assert documented - fields == set(), "docs/settings.md documents settings that do not exist"


def _doc_path(path: str) -> str:
    """Route shape without parameter names: ``/files/{file_id}`` and ``/files/:id`` agree."""
    return re.sub(r"(\{\w+\}|:\w+)", ":_", path)


def _served_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path shape) of every route, from the app's own OpenAPI description."""
    return {
        (method.upper(), _doc_path(path))
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method.upper() != "HEAD"
    }


def _operations_routes() -> set[tuple[str, str]]:
    """/health, /ready and /metrics: documented under "Operations", not in the OpenAPI
    description (they are for load balancers and Prometheus, not API clients;
    tests/observability checks that the app serves them)."""
    from mediaobjects.observability.routes import router

    return {
        (method, _doc_path(getattr(route, "path", "")))
        for route in router.routes
        for method in getattr(route, "methods", ())
        if method != "HEAD"
    }


def test_every_route_is_documented(app: Any) -> None:
    text = (ROOT / "docs" / "api.md").read_text()
    headings = {(m, _doc_path(p)) for m, p in re.findall(r"^### `([A-Z]+) ([^`\s]+)`", text, re.M)}
    served = _served_routes(app) | _operations_routes()
    assert len(served) >= 20
    assert {("GET", "/health"), ("GET", "/ready"), ("GET", "/metrics")} <= served
    assert sorted(served - headings) == []


def test_every_documented_route_exists(app: Any) -> None:
    text = (ROOT / "docs" / "api.md").read_text()
    headings = {(m, _doc_path(p)) for m, p in re.findall(r"^### `([A-Z]+) ([^`\s]+)`", text, re.M)}
    assert sorted(headings - _served_routes(app) - _operations_routes()) == []


def test_readme_names_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    assert "make run" in text and "make test" in text
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_readme_examples_run(app: Any, settings: Settings, db_kind: str, tmp_path: Path) -> None:
    if shutil.which("curl") is None or shutil.which("jq") is None:
        pytest.fail("the README examples need curl and jq (Debian packages curl, jq)")
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    assert len(blocks) >= 3
    cli = str(Path(sys.executable).parent / "mediaobjects")
    env = {
        **os.environ,
        "MEDIAOBJECTS_DATA_DIR": str(settings.data_dir),
        "MEDIAOBJECTS_DATABASE_URL": settings.resolved_database_url(),
        "MEDIAOBJECTS_SECRET_KEY": "test-secret-key",
    }
    with live_server(app) as base:
        script = "set -euo pipefail\n" + "\n".join(blocks)
        script = script.replace("http://127.0.0.1:8000", base).replace(
            ".venv/bin/mediaobjects", cli
        )
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr + result.stdout
    assert '"active"' in result.stdout
    assert '"media_entry_id": "m-' in result.stdout
    assert '"video/mp4"' in result.stdout
    assert "\\0  \\0  \\0 030" in result.stdout
    assert "WEBVTT\n\n1\n00:00:00.000 --> 00:00:02.000\nWelcome to the course." in result.stdout
    assert '"Week 1: Welcome"' in result.stdout
    assert 'filename="Week 1 Welcome.en.srt"' in result.stdout
    assert "1\n00:00:00,000 --> 00:00:02,000\nWelcome to the course.\n" in result.stdout
    # Retimed by -1.5 s above (0-500 ms), then half a second longer through the cues API.
    assert '{"start_ms":0,"end_ms":1000,"text":"Welcome to the course."' in result.stdout
    assert '{"locale":"en","kind":"captions"}' in result.stdout
    assert "line 1:" in result.stdout
    assert '"by_severity":{"error":0,' in result.stdout
    assert '"title":"Week 1: Welcome","status":"passing","locales":["en"]' in result.stdout
    assert "media_id,title,media_type,duration,processing_state,locales" in result.stdout
    assert '"highlighted":"<mark>Welcome</mark> to the course."' in result.stdout


def _error_codes() -> dict[str, str]:
    """Every ``error_code`` the service can put in a response, found in its source: the codes
    of the exception classes, of every FieldError and ``for_field`` call, and the literal
    ``"error_code"`` values of the HTTP edge. A code computed at run time fails the test, so
    that the list stays complete."""
    import ast

    found: dict[str, str] = {}
    computed: list[str] = []
    for path in sorted((ROOT / "src" / "mediaobjects").rglob("*.py")):
        where = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name not in ("FieldError", "for_field"):
                    continue
                keyword = "error_code" if name == "FieldError" else "code"
                arg = node.args[2] if len(node.args) >= 3 else None
                arg = next((k.value for k in node.keywords if k.arg == keyword), arg)
                if arg is None:
                    found.setdefault("invalid", where)  # the default
                elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.setdefault(arg.value, where)
                elif not (where.endswith("errors.py") and ast.unparse(arg) == "code"):
                    # (BadRequest.for_field forwards its caller's literal code.)
                    computed.append(f"{where}:{node.lineno}")
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    literal = isinstance(value, ast.Constant) and isinstance(value.value, str)
                    if isinstance(key, ast.Constant) and key.value == "error_code" and literal:
                        assert isinstance(value, ast.Constant)
                        found.setdefault(str(value.value), where)
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    targets = item.targets if isinstance(item, ast.Assign) else []
                    if any(isinstance(t, ast.Name) and t.id == "code" for t in targets):
                        assert isinstance(item, ast.Assign)
                        if isinstance(item.value, ast.Constant):
                            found.setdefault(str(item.value.value), where)
    # The base class's own default is never answered: every raised error is a subclass.
    assert computed == [], "error codes computed at run time cannot be checked"
    return found


def test_every_error_code_is_documented() -> None:
    text = (ROOT / "docs" / "api.md").read_text()
    codes = _error_codes()
    assert {"bad_request", "payload_too_large", "too_many", "invalid_upload_token"} <= set(codes)
    missing = {code: where for code, where in codes.items() if f"`{code}`" not in text}
    assert missing == {}, "error codes missing from docs/api.md"


def test_every_caption_download_format_is_documented() -> None:
    """Each registered download format has its row in docs/api.md with its Content-Type and
    extension; formats named but not yet registered are listed as not available."""
    from mediaobjects.captions.formats import FORMAT_NAMES, FORMATS

    text = (ROOT / "docs" / "api.md").read_text()
    for name, fmt in FORMATS.items():
        row = f"| `{name}` | `{fmt.content_type}` | `.{fmt.extension}` |"
        assert row in text, f"docs/api.md lacks the download format row {row!r}"
    pending = [name for name in FORMAT_NAMES if name not in FORMATS]
    pending_row = "| " + ", ".join(f"`{name}`" for name in pending) + " |"
    assert not pending or pending_row in text, pending_row
