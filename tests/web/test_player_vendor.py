"""The hls.js the player page imports: served by /static/ as a JavaScript module with the
hashed-URL caching of the pages' own files, and the very file `make vendor` writes from the
npm registry (the version and integrity the Makefile pins, the checksum VENDORED records)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from fastapi.testclient import TestClient

import mediaobjects.web
from mediaobjects.web.templating import static_url

VENDOR = Path(mediaobjects.web.__file__).parent / "static" / "vendor"
MAKEFILE = Path(__file__).resolve().parents[2] / "Makefile"


def test_the_hls_module_is_served_as_javascript_with_long_caching(client: TestClient) -> None:
    url = static_url("vendor/hls.light.min.mjs")
    response = client.get(url)
    assert response.status_code == 200
    # Browsers refuse a module script served with any other type.
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content == (VENDOR / "hls.light.min.mjs").read_bytes()
    # The notes beside it are not served, nor anything outside the static directory.
    for name in ("vendor/VENDORED", "vendor/hls.js-LICENSE", "vendor/..%2Fplayer.js"):
        assert client.get(f"/static/{name}").status_code == 404
    assert client.get("/static/vendor/nothing.mjs").status_code == 404


def test_the_checked_in_hls_js_is_the_pinned_release() -> None:
    notes = (VENDOR / "VENDORED").read_text()
    makefile = MAKEFILE.read_text()
    version = re.search(r"^HLS_JS_VERSION := (\S+)$", makefile, re.MULTILINE)
    integrity = re.search(r"^HLS_JS_INTEGRITY := (\S+)$", makefile, re.MULTILINE)
    assert version is not None and integrity is not None
    assert notes.startswith(f"hls.js {version.group(1)} (Apache-2.0)")
    assert f"integrity: {integrity.group(1)}\n" in notes
    digest = hashlib.sha256((VENDOR / "hls.light.min.mjs").read_bytes()).hexdigest()
    assert f"hls.light.min.mjs: package/dist/hls.light.min.mjs, sha256 {digest}\n" in notes
    # The build names its version inside; Apache-2.0 asks for the licence beside it.
    assert f'"{version.group(1)}"' in (VENDOR / "hls.light.min.mjs").read_text()
    assert "Apache License" in (VENDOR / "hls.js-LICENSE").read_text()
