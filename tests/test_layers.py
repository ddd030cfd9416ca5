"""Layering rules that import-linter cannot see: SQL is written only in repositories (and the
database package); services and routes ask a repository. Checked on the source, so that a
query added in the wrong place fails the suite (``make check`` runs import-linter for the
import rules)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "mediaobjects"
# Building statements, and running them on a session.
SQL_NAMES = {"select", "insert", "update", "delete", "func", "text", "and_", "or_", "exists"}
SESSION_QUERIES = {"get", "execute", "scalars", "scalar", "query"}


def _allowed(path: Path, root: Path) -> bool:
    relative = path.relative_to(root)
    return (
        relative.name in ("repository.py", "models.py")
        or relative.parts[0] == "db"
        # The job queue keeps its own tables beside the queue, outside the service's models;
        # the shared rate limiter its buckets (one atomic statement per request).
        or relative.parts[:2] in (("jobs", "leases_sql.py"), ("ratelimit", "database.py"))
    )


def _sql_outside_repositories(root: Path = SRC) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if _allowed(path, root):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                names = {alias.name for alias in node.names} & SQL_NAMES
                if names:
                    found.append(f"{path.relative_to(root)}:{node.lineno} imports {sorted(names)}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in SESSION_QUERIES
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "session"
            ):
                found.append(f"{path.relative_to(root)}:{node.lineno} session.{node.func.attr}()")
    return found


def test_sql_is_written_only_in_repositories() -> None:
    assert _sql_outside_repositories() == []


def test_the_check_sees_a_query_outside_a_repository(tmp_path: Path) -> None:
    (tmp_path / "things").mkdir()
    (tmp_path / "things" / "repository.py").write_text("from sqlalchemy import select\n")
    (tmp_path / "things" / "service.py").write_text(
        "from sqlalchemy import func, select\n\ndef f(session):\n    return session.get(1)\n"
    )
    assert _sql_outside_repositories(tmp_path) == [
        "things/service.py:1 imports ['func', 'select']",
        "things/service.py:4 session.get()",
    ]
