"""Test fixtures. The suite runs once per database: SQLite by default, PostgreSQL with
``--db=postgresql`` (``make test`` runs both). Schemas are always built by the migrations:
SQLite migrates a template file once and copies it per test; PostgreSQL migrates once and
truncates every table after each test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from mediaobjects.app import create_app
from mediaobjects.context import AppContext, build_context
from mediaobjects.db.engine import build_engine
from mediaobjects.db.migrate import upgrade
from mediaobjects.db.models import metadata
from mediaobjects.settings import Settings
from mediaobjects.storage.local import LocalStorage
from tests.support.api import Api
from tests.support.seaweed import SeaweedFS, run_seaweedfs


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="database to run the suite on (default sqlite)",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"mediaobjects database: {config.getoption('--db')}"


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


@pytest.fixture
def ctx(settings: Settings) -> Iterator[AppContext]:
    context = build_context(settings, storage=LocalStorage(settings.data_dir / "files"))
    yield context
    context.close()


@pytest.fixture
def app(ctx: AppContext) -> Any:
    return create_app(context=ctx)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient, ctx: AppContext) -> Api:
    return Api(client, ctx)
