"""Test fixtures. The suite runs once per database: SQLite by default, PostgreSQL with
``--db=postgresql`` (``make test`` runs both). Schemas are always built by the migrations:
SQLite migrates a template file once and copies it per test; PostgreSQL migrates once and
truncates every table after each test.

Tests write only under temporary directories. The session runs in an empty working directory
of its own, so that a relative path (the default ./data of ``Settings()``) cannot reach the
checkout, and a guard (tests/support/tree_guard.py) fails collection, a test or the session
when the checkout or that directory changes. Hypothesis keeps its example database and caches
in the session's directory too, instead of ./.hypothesis."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis.configuration import set_hypothesis_home_dir
from sqlalchemy import text

from mediaobjects.app import create_app
from mediaobjects.context import AppContext, build_context
from mediaobjects.db.engine import build_engine
from mediaobjects.db.migrate import upgrade
from mediaobjects.db.models import metadata
from mediaobjects.settings import Settings
from mediaobjects.storage.local import LocalStorage
from tests.support.api import Api
from tests.support.remote import remote_service
from tests.support.seaweed import SeaweedFS, run_seaweedfs
from tests.support.tree_guard import TreeGuard, describe

ROOT = Path(__file__).resolve().parents[1]
_GUARD = pytest.StashKey[TreeGuard]()
_LATE_WRITES = pytest.StashKey[list[str]]()
# The session's own directory (working directory, hypothesis) and the directory it started in.
_SCRATCH = pytest.StashKey[tuple[Path, Path]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="database to run the suite on (default sqlite)",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"mediaobjects database: {config.getoption('--db')}"


def pytest_configure(config: pytest.Config) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="mediaobjects-tests-"))
    (scratch / "cwd").mkdir()
    config.stash[_SCRATCH] = (scratch, Path.cwd())
    set_hypothesis_home_dir(scratch / "hypothesis")
    os.chdir(scratch / "cwd")


def pytest_unconfigure(config: pytest.Config) -> None:
    stashed = config.stash.get(_SCRATCH, None)
    if stashed is not None:
        scratch, cwd = stashed
        os.chdir(cwd)
        set_hypothesis_home_dir(None)
        shutil.rmtree(scratch, ignore_errors=True)


def pytest_sessionstart(session: pytest.Session) -> None:
    scratch, _ = session.config.stash[_SCRATCH]
    session.config.stash[_GUARD] = TreeGuard(ROOT, scratch / "cwd")


def pytest_collection_finish(session: pytest.Session) -> None:
    changes = session.config.stash[_GUARD].changes()
    if changes:
        pytest.exit(
            "importing or collecting the tests wrote outside pytest's temporary directories:"
            + describe(changes),
            returncode=pytest.ExitCode.TESTS_FAILED,
        )


@pytest.fixture(autouse=True)
def _writes_stay_in_tmp(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails the test (at teardown, after its other fixtures are gone) that changed the
    checkout or the working directory."""
    yield
    changes = request.config.stash[_GUARD].changes()
    if changes:
        pytest.fail(
            "this test wrote outside its temporary directory (use tmp_path):" + describe(changes),
            pytrace=False,
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    guard = session.config.stash.get(_GUARD, None)
    changes = guard.changes() if guard is not None else []
    if changes:
        # Written by session or module fixtures as they were torn down.
        session.config.stash[_LATE_WRITES] = changes
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    changes = config.stash.get(_LATE_WRITES, None)
    if changes:
        terminalreporter.section("writes outside temporary directories", red=True)
        terminalreporter.line(
            "fixtures wrote outside pytest's temporary directories as the session ended:"
            + describe(changes)
        )


@pytest.fixture(scope="session")
def seaweedfs() -> Iterator[SeaweedFS]:
    """One real S3 server (SeaweedFS on loopback) for the whole session."""
    with run_seaweedfs() as server:
        yield server


@pytest.fixture(scope="session")
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


@pytest.fixture(scope="session")
def _postgres_url(db_kind: str) -> Iterator[str | None]:
    if db_kind != "postgresql":
        yield None
        return
    from tests.support.postgres import running_postgres

    with running_postgres() as url:
        engine = build_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory, db_kind: str) -> Path | None:
    if db_kind != "sqlite":
        return None
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = build_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def database_url(
    tmp_path: Path, _sqlite_template: Path | None, _postgres_url: str | None
) -> Iterator[str]:
    if _postgres_url is not None:
        yield _postgres_url
        engine = build_engine(_postgres_url)
        tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return
    assert _sqlite_template is not None
    target = tmp_path / "data" / "mediaobjects.db"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_sqlite_template, target)
    yield f"sqlite:///{target}"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key",  # type: ignore[arg-type]
        max_upload_bytes=10 * 1024 * 1024,
    )


class _NoContext:
    """What ``ctx`` is when the tests run against MEDIAOBJECTS_TEST_SERVER: using it fails."""

    def __getattr__(self, name: str) -> Any:
        pytest.fail(
            "this test reaches into the service's own database or settings, so it cannot run "
            "against MEDIAOBJECTS_TEST_SERVER"
        )


@pytest.fixture
def ctx(settings: Settings) -> Iterator[AppContext]:
    if remote_service() is not None:
        yield _NoContext()  # type: ignore[misc]
        return
    context = build_context(settings, storage=LocalStorage(settings.data_dir / "files"))
    yield context
    context.close()


@pytest.fixture
def app(ctx: AppContext) -> Any:
    """The app under test, or the running service of MEDIAOBJECTS_TEST_SERVER
    (tests/support/remote.py)."""
    remote = remote_service()
    if remote is not None:
        return remote
    return create_app(context=ctx)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    remote = remote_service()
    if remote is not None:
        with httpx.Client(base_url=remote.url, timeout=60) as http:
            yield http  # type: ignore[misc]
        return
    with TestClient(app, raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient, ctx: AppContext) -> Api:
    remote = remote_service()
    if remote is not None:
        return Api.remote(client, remote.admin_token, ctx)  # type: ignore[arg-type]
    return Api(client, ctx)
