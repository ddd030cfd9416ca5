"""What the running service is made of — settings, database, storage, signing, transcoder, the
media pipeline, the job queue, rate limits and the picture-drawing pool — built once by
``create_app`` or a CLI command and handed to whoever needs it. This is the composition root:
the one place that wires the parts together (and registers the media jobs, so that every
process that enqueues or consumes knows the same jobs). No global singletons."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, sessionmaker

from mediaobjects.accounts.principal_cache import PrincipalCache
from mediaobjects.asr import EngineUnavailable, SpeechEngine
from mediaobjects.asr.engines import build_engine as build_speech_engine
from mediaobjects.asr.whisper import check_model_dir
from mediaobjects.db.engine import build_engine, build_session_factory, unit_of_work
from mediaobjects.delivery_cache import DeliveryCache
from mediaobjects.files.models import Attachment
from mediaobjects.jobs import JobQueue, QueueUnavailable, build_job_queue, parse_queue_url
from mediaobjects.lti.key_sets import KeySetCache, KeySetFetcher, fetch_over_http
from mediaobjects.media_objects.drawing import DrawingPool
from mediaobjects.media_objects.models import MediaObject, MediaSource
from mediaobjects.media_objects.pipeline import Pipeline
from mediaobjects.media_objects.sizes import Size
from mediaobjects.media_objects.tasks import register_media_jobs
from mediaobjects.media_tracks.models import MediaTrack
from mediaobjects.media_tracks.tasks import register_track_chores, register_transcribe_job
from mediaobjects.media_tracks.transcribe import AsrLimits
from mediaobjects.observability.metrics import Metrics, multiprocess_dir
from mediaobjects.ratelimit import (
    CHECK_CAPTIONS,
    CREATE_TOKEN,
    DRAW_PICTURE,
    PUT_TRACKS,
    REQUEST_ASR,
    SIGN_IN_ADDRESS,
    SIGN_IN_LOGIN,
    Rate,
    RateLimiter,
    RateLimits,
)
from mediaobjects.ratelimit.database import DatabaseRateLimiter
from mediaobjects.settings import Settings
from mediaobjects.signing import Signer
from mediaobjects.storage import build_storage
from mediaobjects.storage.interfaces import Storage
from mediaobjects.transcoding import FFmpegTranscoder, Transcoder, parse_ladder
from mediaobjects.verifiers import Verifiers

_log = logging.getLogger(__name__)


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    writer: sessionmaker[Session]
    reader: sessionmaker[Session]
    storage: Storage
    signer: Signer
    verifiers: Verifiers
    transcoder: Transcoder
    # What the media jobs and the pictures drawn for requests work with.
    pipeline: Pipeline
    # Rate limits per caller (kept where MEDIAOBJECTS_RATE_LIMIT_STORE says: shared by every
    # process unless `memory`), and the bounded pool that draws pictures inside requests (one
    # per process: its bound is per process).
    limiter: RateLimits
    drawing: DrawingPool
    # Who each token stands for, for a few seconds (MEDIAOBJECTS_PRINCIPAL_CACHE_SECONDS).
    principals: PrincipalCache
    # What signed source and track URLs deliver (MEDIAOBJECTS_DELIVERY_CACHE_SECONDS).
    deliveries: DeliveryCache
    # None where a command never enqueues (create-admin-token, db ...).
    jobs: JobQueue | None = None
    # Speech recognition for automatic captions (MEDIAOBJECTS_ASR_ENGINE); None: off. Its
    # model loads on the first transcription, not here.
    asr: SpeechEngine | None = None
    # This process's Prometheus metrics (summed over the processes of one `serve` run).
    metrics: Metrics = field(default_factory=Metrics)
    # Placeholders drawn so far: a few standard sizes of a few kinds, so bounded.
    placeholders: dict[tuple[str, Size], bytes] = field(default_factory=dict)
    # The LTI platforms' public keys, kept per registration (MEDIAOBJECTS_LTI_KEY_SET_*).
    lti_key_sets: KeySetCache = field(default_factory=KeySetCache)
    _pending: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def enqueue(self, name: str, **kwargs: Any) -> None:
        """Queues a job; without a queue (some tests) the job is remembered for inspection.

        Callers queue after their commit, so the work is already promised: when the queue is
        unreachable the job is not lost but left to the recovery chores, which queue it once
        the queue answers again (media still pending, tracks still waiting for captions,
        media whose last file was deleted; see ``media_objects.tasks``)."""
        if self.jobs is None:
            self._pending.append((name, kwargs))
            return
        try:
            self.jobs.enqueue(name, **kwargs)
        except QueueUnavailable as exc:
            _log.warning(
                "job %s %s not queued (%s); it is queued when the queue is back", name, kwargs, exc
            )

    @contextmanager
    def write(self) -> Iterator[Session]:
        with unit_of_work(self.writer) as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with unit_of_work(self.reader) as session:
            yield session

    def close(self) -> None:
        self.limiter.close()
        if self.jobs is not None:
            self.jobs.close()
        self.storage.close()
        self.engine.dispose()


class InvalidSettings(ValueError):
    """A setting's value cannot be used; the message names the variable."""


def check_settings(settings: Settings) -> None:
    """The checks that need other packages (settings.py stays a leaf): the rendition ladder
    and the queue URL. Messages never show a secret."""
    try:
        parse_ladder(settings.renditions)
    except ValueError as exc:
        raise InvalidSettings(f"MEDIAOBJECTS_RENDITIONS: {exc}") from None
    try:
        parse_queue_url(settings.resolved_queue_url())
    except ValueError as exc:
        raise InvalidSettings(f"MEDIAOBJECTS_QUEUE_URL: {exc}") from None
    if settings.rate_limit_store == "redis":
        _redis_url(settings)
    if settings.asr_model_dir is not None and settings.asr_engine in ("auto", "faster-whisper"):
        try:
            check_model_dir(settings.asr_model_dir)
        except EngineUnavailable as exc:
            raise InvalidSettings(str(exc)) from None


def build_limiter(settings: Settings, clock: Callable[[], float] = time.monotonic) -> RateLimiter:
    """The rate limits of the settings, counted in this process's memory; tests pass a clock
    they move themselves."""
    return RateLimiter(rates_of(settings), clock=clock)


def build_rate_limits(settings: Settings, engine: Engine) -> RateLimits:
    """The rate limits of the settings, kept where MEDIAOBJECTS_RATE_LIMIT_STORE says."""
    store = settings.rate_limit_store
    if store == "memory":
        return build_limiter(settings)
    if store == "redis" or (
        store == "auto" and parse_queue_url(settings.resolved_queue_url()).kind == "redis"
    ):
        from mediaobjects.ratelimit.redis_buckets import RedisRateLimiter

        return RedisRateLimiter.from_url(rates_of(settings), _redis_url(settings))
    return DatabaseRateLimiter(rates_of(settings), engine)


def _redis_url(settings: Settings) -> str:
    location = parse_queue_url(settings.resolved_queue_url())
    if location.kind != "redis":
        raise InvalidSettings(
            "MEDIAOBJECTS_RATE_LIMIT_STORE: redis needs MEDIAOBJECTS_QUEUE_URL to be a redis:// URL"
        )
    return location.target


def rates_of(settings: Settings) -> dict[str, Rate]:
    """Each limited action's rate, from the settings."""
    return {
        DRAW_PICTURE: Rate(
            settings.rate_limit_picture_per_minute, settings.rate_limit_picture_burst
        ),
        CREATE_TOKEN: Rate(settings.rate_limit_token_per_minute, settings.rate_limit_token_burst),
        PUT_TRACKS: Rate(settings.rate_limit_tracks_per_minute, settings.rate_limit_tracks_burst),
        REQUEST_ASR: Rate(settings.rate_limit_asr_per_minute, settings.rate_limit_asr_burst),
        CHECK_CAPTIONS: Rate(
            settings.rate_limit_caption_check_per_minute,
            settings.rate_limit_caption_check_burst,
        ),
        SIGN_IN_LOGIN: Rate(
            settings.rate_limit_sign_in_login_per_minute,
            settings.rate_limit_sign_in_login_burst,
        ),
        SIGN_IN_ADDRESS: Rate(
            settings.rate_limit_sign_in_address_per_minute,
            settings.rate_limit_sign_in_address_burst,
        ),
    }


def _storage_for(settings: Settings) -> Storage:
    secret = settings.s3_secret_access_key
    return build_storage(
        settings.storage_backend,
        data_dir=settings.data_dir,
        s3_bucket=settings.s3_bucket,
        s3_endpoint_url=settings.s3_endpoint_url,
        s3_region=settings.s3_region,
        s3_access_key_id=settings.s3_access_key_id,
        s3_secret_access_key=secret.get_secret_value() if secret is not None else None,
        s3_prefix=settings.s3_prefix,
    )


def _transcoder_for(settings: Settings) -> FFmpegTranscoder:
    return FFmpegTranscoder(
        settings.ffmpeg,
        settings.ffprobe,
        # The limit of ffmpeg runs outside a job (thumbnails drawn for a request). Inside the
        # process_media job each run gets the time the job has left instead.
        min(600.0, settings.transcode_timeout_seconds),
        parse_ladder(settings.renditions),
        max_duration=settings.max_media_duration_seconds,
        max_pixels=settings.max_media_pixels,
        memory_limit=settings.resolved_ffmpeg_memory_limit(),
        speech_noise_db=settings.speech_noise_db,
        speech_min_silence=settings.speech_min_silence_seconds,
    )


# What the delivery cache holds facts of: a commit that writes any of these empties it.
_DELIVERED = (MediaObject, MediaSource, MediaTrack, Attachment)
_WROTE_DELIVERED = "wrote_delivered"


def forget_deliveries_on_write(writer: sessionmaker[Session], cache: DeliveryCache) -> None:
    """Empties ``cache`` after each commit of ``writer``'s sessions that wrote media, sources,
    tracks or files (rows flushed, or bulk UPDATE/DELETE statements), so that this process
    never delivers what it has just replaced or deleted. (A unit of work that rolls back
    leaves the flag behind with its session, which is never used again.)"""

    def after_flush(session: Session, _flush: UOWTransaction) -> None:
        changed = (*session.new, *session.dirty, *session.deleted)
        if any(isinstance(row, _DELIVERED) for row in changed):
            session.info[_WROTE_DELIVERED] = True

    def on_execute(state: ORMExecuteState) -> None:
        if state.is_update or state.is_delete:
            state.session.info[_WROTE_DELIVERED] = True

    def after_commit(session: Session) -> None:
        if session.info.pop(_WROTE_DELIVERED, False):
            cache.clear()

    event.listen(writer, "after_flush", after_flush)
    event.listen(writer, "do_orm_execute", on_execute)
    event.listen(writer, "after_commit", after_commit)


def build_context(
    settings: Settings,
    *,
    storage: Storage | None = None,
    with_jobs: bool = True,
    transcoder: Transcoder | None = None,
    lti_key_set_fetcher: KeySetFetcher = fetch_over_http,
) -> AppContext:
    """Everything a process needs. ``with_jobs=False`` leaves out the job queue (commands
    that never enqueue); ``storage`` and ``transcoder`` replace the configured ones (tests
    pass their own, and an ``lti_key_set_fetcher`` answering for their LTI platform).
    InvalidSettings when a setting cannot be used."""
    check_settings(settings)
    engine = build_engine(
        settings.resolved_database_url(),
        connect_timeout=settings.database_connect_timeout_seconds,
    )
    writer = build_session_factory(engine, writer=True)
    reader = build_session_factory(engine, writer=False)
    storage = storage if storage is not None else _storage_for(settings)
    transcoder = transcoder if transcoder is not None else _transcoder_for(settings)
    signer = Signer(settings.resolved_secret_key())
    pipeline = Pipeline(
        write=lambda: unit_of_work(writer),
        read=lambda: unit_of_work(reader),
        storage=storage,
        transcoder=transcoder,
        # Jobs unpack and transcode inside the data dir, so leftovers are easy to find.
        workdir=settings.data_dir / "work",
    )
    ctx = AppContext(
        settings=settings,
        engine=engine,
        writer=writer,
        reader=reader,
        storage=storage,
        signer=signer,
        verifiers=Verifiers(signer),
        transcoder=transcoder,
        pipeline=pipeline,
        limiter=build_rate_limits(settings, engine),
        drawing=DrawingPool(settings.picture_workers, settings.picture_wait_seconds),
        principals=PrincipalCache(settings.principal_cache_seconds),
        deliveries=DeliveryCache(settings.delivery_cache_seconds),
        asr=build_speech_engine(
            settings.asr_engine,
            data_dir=settings.data_dir,
            model_dir=settings.asr_model_dir,
            threads=settings.asr_threads,
        ),
        metrics=Metrics(multiprocess_dir()),
        lti_key_sets=KeySetCache(
            fetcher=lti_key_set_fetcher,
            timeout=settings.lti_key_set_timeout_seconds,
            ttl=settings.lti_key_set_cache_seconds,
            refetch_interval=settings.lti_key_set_refetch_seconds,
        ),
    )
    forget_deliveries_on_write(writer, ctx.deliveries)
    if with_jobs:
        lease = settings.job_lease_seconds
        ctx.jobs = build_job_queue(
            settings.resolved_queue_url(),
            lease_seconds=lease,
            heartbeat_seconds=lease / 6,
            recover_seconds=lease / 2,
        )
        ctx.jobs.add_observer(ctx.metrics)
        register_media_jobs(
            ctx.jobs,
            pipeline,
            time_limit=settings.transcode_timeout_seconds,
            stale_temp_seconds=settings.stale_temp_seconds,
            # Past a lease, a job recorded for the media would have been seen by now.
            unqueued_after=lease,
            # See media_objects.live: no player reads an early stream's pieces after that.
            live_grace=2.0 * settings.signed_url_ttl_seconds,
        )
        register_transcribe_job(
            ctx.jobs,
            pipeline,
            # Read at each run: the engine is set on the context (tests hand in their own).
            lambda: ctx.asr,
            limits=AsrLimits(settings.asr_min_seconds, settings.asr_time_factor),
            time_limit=settings.transcode_timeout_seconds,
            unqueued_after=lease,
        )
        register_track_chores(
            ctx.jobs,
            lambda: unit_of_work(writer),
            retention_days=settings.track_version_retention_days,
        )
    return ctx
