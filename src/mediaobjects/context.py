"""What the running service is made of (settings, database, storage, signer), built once by
``create_app`` or a CLI command and handed to whoever needs it. No global singletons."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mediaobjects.db.engine import build_engine, build_session_factory, unit_of_work
from mediaobjects.settings import Settings
from mediaobjects.signing import Signer
from mediaobjects.storage.interfaces import Storage


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    writer: sessionmaker[Session]
    reader: sessionmaker[Session]
    storage: Storage
    signer: Signer

    @contextmanager
    def write(self) -> Iterator[Session]:
        with unit_of_work(self.writer) as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with unit_of_work(self.reader) as session:
            yield session

    def close(self) -> None:
        self.storage.close()
        self.engine.dispose()


def build_context(settings: Settings, *, storage: Storage | None = None) -> AppContext:
    engine = build_engine(settings.resolved_database_url())
    if storage is None:
        from mediaobjects.storage import build_storage

        secret = settings.s3_secret_access_key
        storage = build_storage(
            settings.storage_backend,
            data_dir=settings.data_dir,
            s3_bucket=settings.s3_bucket,
            s3_endpoint_url=settings.s3_endpoint_url,
            s3_region=settings.s3_region,
            s3_access_key_id=settings.s3_access_key_id,
            s3_secret_access_key=secret.get_secret_value() if secret is not None else None,
            s3_prefix=settings.s3_prefix,
        )
    return AppContext(
        settings=settings,
        engine=engine,
        writer=build_session_factory(engine, writer=True),
        reader=build_session_factory(engine, writer=False),
        storage=storage,
        signer=Signer(settings.resolved_secret_key()),
    )
