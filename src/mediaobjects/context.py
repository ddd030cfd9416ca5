"""What the running service is made of (settings, database, storage, signer), built once by
``create_app`` or a CLI command and handed to whoever needs it. No global singletons."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mediaobjects.db.engine import build_engine, build_session_factory, unit_of_work
from mediaobjects.settings import Settings
from mediaobjects.signing import Signer
from mediaobjects.storage.interfaces import Storage
from mediaobjects.verifiers import Verifiers


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    writer: sessionmaker[Session]
    reader: sessionmaker[Session]
    storage: Storage
    signer: Signer
    verifiers: Verifiers
    # The job queue (mediaobjects.jobs) and the transcoder (mediaobjects.transcoding); None
    # where a caller has no use for them.
    jobs: Any = None
    transcoder: Any = None
    _pending: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def enqueue(self, name: str, **kwargs: Any) -> None:
        """Queues a job; without a queue (some tests) the job is remembered for inspection."""
        if self.jobs is None:
            self._pending.append((name, kwargs))
            return
        self.jobs.enqueue(name, **kwargs)

    @contextmanager
    def write(self) -> Iterator[Session]:
        with unit_of_work(self.writer) as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with unit_of_work(self.reader) as session:
            yield session

    def close(self) -> None:
        if self.jobs is not None:
            self.jobs.close()
        self.storage.close()
        self.engine.dispose()


class InvalidSettings(ValueError):
    """A setting's value cannot be used; the message names the variable."""


def check_settings(settings: Settings) -> None:
    """The checks that need other packages (settings.py stays a leaf): the rendition ladder
    and the queue URL. Messages never show a secret."""
    from mediaobjects.jobs.queue import parse_queue_url
    from mediaobjects.transcoding import parse_ladder

    try:
        parse_ladder(settings.renditions)
    except ValueError as exc:
        raise InvalidSettings(f"MEDIAOBJECTS_RENDITIONS: {exc}") from None
    try:
        parse_queue_url(settings.resolved_queue_url())
    except ValueError as exc:
        raise InvalidSettings(f"MEDIAOBJECTS_QUEUE_URL: {exc}") from None


def build_context(
    settings: Settings, *, storage: Storage | None = None, with_jobs: bool = True
) -> AppContext:
    """Everything a process needs. ``with_jobs=False`` leaves out the job queue (commands
    that never enqueue). InvalidSettings when a setting cannot be used."""
    check_settings(settings)
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
    from mediaobjects.transcoding import FFmpegTranscoder, parse_ladder

    signer = Signer(settings.resolved_secret_key())
    ctx = AppContext(
        settings=settings,
        engine=engine,
        writer=build_session_factory(engine, writer=True),
        reader=build_session_factory(engine, writer=False),
        storage=storage,
        signer=signer,
        verifiers=Verifiers(signer),
        transcoder=FFmpegTranscoder(
            settings.ffmpeg,
            settings.ffprobe,
            # The limit of ffmpeg runs outside a job (thumbnails drawn for a request). Inside
            # the process_media job each run gets the time the job has left instead.
            min(600.0, settings.transcode_timeout_seconds),
            parse_ladder(settings.renditions),
            max_duration=settings.max_media_duration_seconds,
            max_pixels=settings.max_media_pixels,
            memory_limit=settings.resolved_ffmpeg_memory_limit(),
        ),
    )
    if with_jobs:
        from mediaobjects.jobs import build_job_queue
        from mediaobjects.media_objects.tasks import register_media_jobs

        lease = settings.job_lease_seconds
        ctx.jobs = build_job_queue(
            settings.resolved_queue_url(),
            lease_seconds=lease,
            heartbeat_seconds=lease / 6,
            recover_seconds=lease / 2,
        )
        register_media_jobs(ctx.jobs, ctx)
    return ctx
