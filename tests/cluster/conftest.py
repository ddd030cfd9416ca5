"""The system test of the cluster in deploy/ runs in the PostgreSQL pass of ``make test`` only:
the cluster is PostgreSQL by nature, so running it once per database would run the same thing
twice. ``make test-cluster`` runs it alone."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--db") == "postgresql":
        return
    ours = [item for item in items if HERE in Path(str(item.path)).resolve().parents]
    if ours:
        config.hook.pytest_deselected(items=ours)
        items[:] = [item for item in items if item not in ours]
