"""What the running service is made of (settings, database, storage, signer), built once by
``create_app`` or a CLI command and handed to whoever needs it. No global singletons."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mediaobjects.db.engine import build_engine, build_session_factory, unit_of_work
from mediaobjects.media_objects.drawing import DrawingPool
from mediaobjects.media_objects.sizes import Size
from mediaobjects.ratelimit import CREATE_TOKEN, DRAW_PICTURE, PUT_TRACKS, Rate, RateLimiter
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
    # Rate limits per caller, and the bounded pool that draws pictures inside requests: one
    # each per process, so that their limits hold across requests.
    limiter: RateLimiter
    drawing: DrawingPool
    # The job queue (mediaobjects.jobs) and the transcoder (mediaobjects.transcoding); None
    # where a caller has no use for them.
    jobs: Any = None
    transcoder: Any = None
    # Placeholders drawn so far: a few standard sizes of a few kinds, so bounded.
    placeholders: dict[tuple[str, Size], bytes] = field(default_factory=dict)
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


def build_limiter(settings: Settings, clock: Callable[[], float] = time.monotonic) -> RateLimiter:
    """The rate limits of the settings; tests pass a clock they move themselves."""
    return RateLimiter(
        {
            DRAW_PICTURE: Rate(
                settings.rate_limit_picture_per_minute, settings.rate_limit_picture_burst
            ),
            CREATE_TOKEN: Rate(
                settings.rate_limit_token_per_minute, settings.rate_limit_token_burst
            ),
            PUT_TRACKS: Rate(
                settings.rate_limit_tracks_per_minute, settings.rate_limit_tracks_burst
            ),
        },
        clock=clock,
    )


def build_context(
    settings: Settings,
    *,
    storage: Storage | None = None,
    with_jobs: bool = True,
    transcoder: Any = None,
) -> AppContext:
    """Everything a process needs. ``with_jobs=False`` leaves out the job queue (commands
    that never enqueue); ``transcoder`` replaces the ffmpeg one (tests pass fakes)."""
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
    if transcoder is None:
        from mediaobjects.transcoding import FFmpegTranscoder, parse_ladder

        transcoder = FFmpegTranscoder(
            settings.ffmpeg,
            settings.ffprobe,
            # The limit for probes, posters and thumbnails; a transcode gets this plus a
            # multiple of the media's duration (the job's own limit is the setting).
            min(600.0, settings.transcode_timeout_seconds),
            parse_ladder(settings.renditions),
            max_duration=settings.max_media_duration_seconds,
            max_pixels=settings.max_media_pixels,
        )
    ctx = AppContext(
        settings=settings,
        engine=engine,
        writer=build_session_factory(engine, writer=True),
        reader=build_session_factory(engine, writer=False),
        storage=storage,
        signer=Signer(settings.resolved_secret_key()),
        limiter=build_limiter(settings),
        drawing=DrawingPool(settings.picture_workers, settings.picture_wait_seconds),
        transcoder=transcoder,
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
