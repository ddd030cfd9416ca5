"""The SeaweedFS test helper fails loudly, never silently skipping the S3 half of the suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.seaweed import WEED_BINARY_ENV, SeaweedFSError, find_weed_binary


def test_the_packaged_weed_binary_is_found() -> None:
    assert find_weed_binary().name == "weed"


def test_a_bad_override_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WEED_BINARY_ENV, str(tmp_path / "no-such-weed"))

    with pytest.raises(SeaweedFSError, match=WEED_BINARY_ENV):
        find_weed_binary()
