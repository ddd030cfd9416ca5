"""Browser tests' helpers: Debian's chromium driven by Playwright (never `playwright install`),
axe-core (the copy shipped inside the axe-playwright-python wheel: nothing is downloaded), and
screenshots for a person to look at.

Screenshots go to ``$MEDIAOBJECTS_TEST_ARTIFACTS/screenshots`` (default
``<system temp dir>/mediaobjects-test-artifacts/screenshots``, e.g.
/tmp/mediaobjects-test-artifacts/screenshots): outside the checkout, which the tests must
not write to, and kept after the run."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _environment(home: Path) -> dict[str, str | float | bool]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (make test does it)")
    # Chromium keeps crash-report settings and a dconf cache under the home directory.
    return {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }


@contextmanager
def chromium(home: Path) -> Iterator[Any]:
    env = _environment(home)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=ARGS, headless=True, env=env
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def chromium_blocking_cookies(
    home: Path, *, blocked_origins: tuple[str, ...] = (), args: tuple[str, ...] = ()
) -> Iterator[Any]:
    """A browser context (Playwright's persistent one: Chromium reads its content settings
    from the profile) that stores no cookie at all for ``blocked_origins``, in any frame,
    partitioned or not, as a person's "block cookies for this site" setting does and as
    Safari does for third-party frames. ``args``: more Chromium switches."""
    env = _environment(home)
    profile = home / "profile"
    (profile / "Default").mkdir(parents=True, exist_ok=True)
    exceptions = {f"{origin},*": {"setting": 2} for origin in blocked_origins}
    preferences = {"profile": {"content_settings": {"exceptions": {"cookies": exceptions}}}}
    (profile / "Default" / "Preferences").write_text(json.dumps(preferences))
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=[*ARGS, *args],
            headless=True,
            env=env,
            viewport={"width": 1100, "height": 800},
        )
        try:
            yield context
        finally:
            context.close()


def axe_violations(page: Any) -> list[str]:
    """axe-core's violations on the page (WCAG 2.0/2.1 A and AA rules and best practices), one
    line each: rule, impact, and the first offending element."""
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes'][0]['target'] if v['nodes'] else '?'}"
        for v in results.response["violations"]
    ]


def artifacts_dir() -> Path:
    root = os.environ.get("MEDIAOBJECTS_TEST_ARTIFACTS") or str(
        Path(tempfile.gettempdir()) / "mediaobjects-test-artifacts"
    )
    path = Path(root) / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
