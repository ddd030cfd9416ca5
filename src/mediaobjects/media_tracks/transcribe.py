"""The ``transcribe_track`` job: speech recognition fills in an automatic track that a request
(``media_tracks.asr``) left ``processing``.

Steps: the smallest rendition's audio as a 16 kHz mono WAV, the engine's words, cues that
pass the ``default`` caption profile (``captions.autocaptions``), and the WebVTT written as the
track's content through ``history.record_write`` (version reason ``asr``). Meanwhile
``auto_caption_progress`` says how far it has got.

It ends ``ready`` (``auto_caption_status`` ``complete``), or ``failed`` with ``asr_error``
saying why (and a ``failed_*`` status): no audio stream, the engine not installed, a language
it cannot recognise, its time limit — max(MEDIAOBJECTS_ASR_MIN_SECONDS, the duration ×
MEDIAOBJECTS_ASR_TIME_FACTOR), never retried — or an engine crash on every try. A person's
track is never written: the job checks, in the transaction that writes, that the track is
still the automatic, processing one it was queued for. Deleting the track cancels the job."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from mediaobjects.asr import (
    Cancelled,
    EngineFailed,
    EngineUnavailable,
    SpeechEngine,
    Transcript,
    UnsupportedLanguage,
)
from mediaobjects.captions import LocaleError, locale_label, normalise_locale
from mediaobjects.captions.autocaptions import asr_webvtt, cues_from_words
from mediaobjects.files import service as files
from mediaobjects.jobs import JobContext, JobTimeout
from mediaobjects.media_objects import service as media_objects
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_objects.pipeline import Pipeline, local_copy, scratch
from mediaobjects.media_tracks import history
from mediaobjects.media_tracks import repository as repo
from mediaobjects.media_tracks import service as tracks
from mediaobjects.media_tracks.asr import PLACEHOLDER_LOCALE
from mediaobjects.media_tracks.models import MediaTrack
from mediaobjects.media_tracks.schemas import is_asr
from mediaobjects.transcoding import (
    MediaRejected,
    ToolOutOfMemory,
    ToolTimedOut,
    TranscodeFailed,
)
from mediaobjects.transcoding.probe import format_duration

log = logging.getLogger(__name__)

NO_AUDIO = "The media has no audio stream: there is no speech to caption."
NO_SPEECH = "No speech was recognised in the media's audio."
MEDIA_DELETED = "The media object was deleted."
NO_RENDITION = "The media has no playable file to take the audio from."
UNREADABLE_AUDIO = "The media's audio could not be read: {reason}"
NOT_ENABLED = (
    "Automatic captions are not enabled on this server (MEDIAOBJECTS_ASR_ENGINE); an "
    "administrator can install the asr extra and set it."
)
TIME_LIMIT = (
    "Speech recognition took longer than this server allows for this media ({limit}: "
    "MEDIAOBJECTS_ASR_TIME_FACTOR times its duration, at least MEDIAOBJECTS_ASR_MIN_SECONDS)."
)
GAVE_UP = "Speech recognition failed on every try: {reason}"
WORKER_DIED = "the worker running it stopped"
RAN_TOO_LONG = "each try ran past MEDIAOBJECTS_TRANSCODE_TIMEOUT_SECONDS"
INTERNAL_ERROR = "an error on the server (its log has the details)"
DETECTED_HUMAN = (
    "The speech was recognised as {label} ({locale}), which already has captions written by "
    "a person; they were kept. Ask for automatic {locale} captions with replace_human=true "
    "to replace them."
)

# How often, at most, a running job looks in the database whether its track was deleted.
CHECK_EVERY_SECONDS = 2.0
# ``auto_caption_progress`` is written each time it has grown by this many percent.
PROGRESS_STEP = 5


@dataclass(frozen=True)
class AsrLimits:
    """The time a transcription may take: max(min_seconds, duration × time_factor)."""

    min_seconds: float
    time_factor: float

    def for_duration(self, duration: float | None) -> float:
        return max(self.min_seconds, (duration or 0.0) * self.time_factor)


@dataclass(frozen=True)
class _Job:
    track_id: int
    external_id: str
    media_object_id: int
    language: str | None
    duration: float | None
    source_key: str | None
    media_deleted: bool


class _Failed(Exception):
    """Ends the track failed with ``reason`` and the media's ``status``."""

    def __init__(self, reason: str, status: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def transcribe_track(
    pipeline: Pipeline,
    engine: SpeechEngine | None,
    track_id: int,
    *,
    limits: AsrLimits,
    job: JobContext | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Runs speech recognition for automatic track ``track_id``. Returns ``ready``,
    ``failed``, ``cancelled`` (the track was deleted or is no longer automatic) or
    ``skipped`` (nothing to do). Raises EngineFailed (retried; see ``give_up``)."""
    with pipeline.reader() as session:
        found = _load(session, track_id)
    if found is None:
        return "skipped"
    try:
        transcript = _recognise(pipeline, engine, found, limits, job, clock)
    except _Failed as failed:
        return _end_failed(pipeline, found, failed.reason, failed.status)
    except Cancelled:
        if _still_wanted(pipeline, found):
            # Not deleted: its time ran out.
            reason = TIME_LIMIT.format(limit=format_duration(limits.for_duration(found.duration)))
            return _end_failed(pipeline, found, reason, "failed_captions")
        # Deleted (history.record_delete settled the media's status) or a person's now.
        return "cancelled"
    return _write(pipeline, found, transcript)


def give_up(pipeline: Pipeline, track_id: int, exc: BaseException | None) -> None:
    """After the last try failed (an engine crash, or workers that died): the track ends
    failed with the reason, unless it is no longer the automatic, processing track."""
    with pipeline.reader() as session:
        found = _load(session, track_id)
    if found is None:
        return
    _end_failed(pipeline, found, GAVE_UP.format(reason=_why(exc)), "failed_captions")


def _why(exc: BaseException | None) -> str:
    """What a reader of the track may be told: an engine's own message (written to be shown),
    else the kind of failure. Any other exception's text (a database or storage error, with
    its SQL, addresses or keys) stays in the server's log, as for ``process_media``."""
    if exc is None:
        return WORKER_DIED
    if isinstance(exc, EngineFailed):
        return str(exc)
    if isinstance(exc, JobTimeout):
        return RAN_TOO_LONG
    return INTERNAL_ERROR


# ---- steps ----------------------------------------------------------------------------------


def _load(session: Session, track_id: int) -> _Job | None:
    track = repo.get_track(session, track_id)
    if track is None or not is_asr(track) or track.workflow_state != "processing":
        return None
    assert track.external_id is not None
    media_object = media_objects.get_media_object(session, track.media_object_id)
    if media_object is None:
        return None
    language = None if track.locale == PLACEHOLDER_LOCALE else track.locale
    return _Job(
        track_id=track.id,
        external_id=track.external_id,
        media_object_id=media_object.id,
        language=language,
        duration=media_object.duration,
        source_key=media_objects.smallest_source_key(session, media_object.id),
        media_deleted=media_object.workflow_state == "deleted",
    )


def _recognise(
    pipeline: Pipeline,
    engine: SpeechEngine | None,
    found: _Job,
    limits: AsrLimits,
    job: JobContext | None,
    clock: Callable[[], float],
) -> Transcript:
    if found.media_deleted:
        # Nobody can see it any more: no reason to spend the CPU.
        raise _Failed(MEDIA_DELETED, "failed_request")
    if engine is None:
        raise _Failed(NOT_ENABLED, "failed_handoff")
    if found.source_key is None:
        raise _Failed(NO_RENDITION, "failed_initial_validation")
    limit = limits.for_duration(found.duration)
    deadline = clock() + limit

    def left() -> float:
        remaining = deadline - clock()
        if job is not None:
            remaining = min(remaining, job.remaining())
        return max(0.0, remaining)

    should_stop = _stopper(pipeline, found, left, clock)
    with scratch(pipeline) as workdir:
        try:
            path = local_copy(pipeline, found.source_key, workdir)
            audio = pipeline.transcoder.extract_speech_audio(
                path, workdir / "speech.wav", timeout=left()
            )
        except ToolTimedOut as exc:
            raise Cancelled(str(exc)) from exc
        except (TranscodeFailed, MediaRejected, ToolOutOfMemory) as exc:
            log.warning(
                "the audio of track %s could not be read: %s (%s)",
                found.track_id,
                exc.reason,
                exc.detail,
            )
            raise _Failed(
                UNREADABLE_AUDIO.format(reason=exc.reason), "failed_initial_validation"
            ) from exc
        if audio is None:
            raise _Failed(NO_AUDIO, "failed_initial_validation")
        try:
            transcript = engine.transcribe(
                audio,
                found.language,
                progress=_progress(pipeline, found.media_object_id),
                should_stop=should_stop,
            )
        except UnsupportedLanguage as exc:
            raise _Failed(str(exc), "failed_request") from exc
        except EngineUnavailable as exc:
            raise _Failed(str(exc), "failed_handoff") from exc
        except EngineFailed:
            raise
    return transcript


def _stopper(
    pipeline: Pipeline, found: _Job, left: Callable[[], float], clock: Callable[[], float]
) -> Callable[[], bool]:
    """``should_stop`` for the engine: True once the time is up, or once the track was
    deleted (or written by a person); the database is asked at most every few seconds."""
    last_check = [clock()]

    def should_stop() -> bool:
        if left() <= 0:
            return True
        now = clock()
        if now - last_check[0] < CHECK_EVERY_SECONDS:
            return False
        last_check[0] = now
        return not _still_wanted(pipeline, found)

    return should_stop


def _still_wanted(pipeline: Pipeline, found: _Job) -> bool:
    with pipeline.reader() as session:
        track = repo.get_track(session, found.track_id)
        return _is_ours(track, found)


def _is_ours(track: MediaTrack | None, found: _Job) -> bool:
    return (
        track is not None
        and is_asr(track)
        and track.workflow_state == "processing"
        and track.external_id == found.external_id
    )


def _progress(pipeline: Pipeline, media_object_id: int) -> Callable[[float], None]:
    written = [0]

    def progress(fraction: float) -> None:
        percent = max(0, min(99, int(fraction * 100)))
        if percent < written[0] + PROGRESS_STEP:
            return
        written[0] = percent
        with pipeline.write() as session:
            media_object = media_objects.get_media_object(session, media_object_id)
            if media_object is not None and media_object.auto_caption_status == "processing":
                media_object.auto_caption_progress = percent

    return progress


def _write(pipeline: Pipeline, found: _Job, transcript: Transcript) -> str:
    words = [word for segment in transcript.segments for word in segment.words]
    if not words:
        return _end_failed(pipeline, found, NO_SPEECH, "failed_captions")
    with pipeline.write() as session:
        # Locked: a person's PUT or a DELETE committing between this check and the write
        # below would otherwise be overwritten (PostgreSQL, read committed).
        track = repo.get_track(session, found.track_id, lock=True)
        if track is None or not _is_ours(track, found):
            # Deleted, or a person wrote it meanwhile: theirs stays.
            return "cancelled"
        media_object = media_objects.get_media_object(session, found.media_object_id)
        assert media_object is not None
        locale = track.locale
        if found.language is None:
            target, problem = _detected_target(session, media_object, track, transcript.language)
            if problem is not None:
                _mark_failed(session, media_object, track, problem, "failed_request")
                return "failed"
            if target is not track:
                # The detected language already has an automatic track: it gets the captions,
                # and the placeholder goes.
                history.record_delete(session, track, None, track.updated_at)
                repo.delete_track(session, track)
                session.flush()
                track = target
            locale = track.locale
        webvtt = asr_webvtt(
            cues_from_words(words),
            engine=transcript.engine,
            model=transcript.model,
            language=locale,
        )
        if track.content.strip():
            # Content that is no version yet (a person's, stored by an import) is kept.
            history.keep_current(session, track)
        track.content = webvtt
        track.webvtt_content = webvtt
        track.workflow_state = "ready"
        track.asr_error = None
        session.flush()
        history.record_write(session, track, "asr", None)
        media_object.updated_at = track.updated_at
        _settle(session, media_object, track.id, "complete", 100)
    return "ready"


def _detected_target(
    session: Session, media_object: MediaObject, placeholder: MediaTrack, detected: str
) -> tuple[MediaTrack, str | None]:
    """Where captions in the detected language go: the placeholder itself (taking that
    locale), or that language's automatic track; a person's track of that language is left
    alone and the placeholder fails with a reason."""
    try:
        locale = normalise_locale(detected)
    except LocaleError:
        return placeholder, None
    attachment = None
    if placeholder.attachment_id is not None:
        attachment = files.load_attachment(session, placeholder.attachment_id)
    route = tracks._resolve(session, media_object, attachment)
    visible = [view for view in tracks._visible(session, route) if view.track.id != placeholder.id]
    other = tracks._target(route, visible, tracks._key(locale), -1)
    if other is None:
        placeholder.locale = locale
        return placeholder, None
    # Locked and read fresh, as the placeholder: a person may have just written to it.
    other = repo.get_track(session, other.id, lock=True)
    if other is None:
        placeholder.locale = locale
        return placeholder, None
    if not is_asr(other):
        return placeholder, DETECTED_HUMAN.format(label=locale_label(locale), locale=locale)
    return other, None


def _end_failed(pipeline: Pipeline, found: _Job, reason: str, status: str) -> str:
    with pipeline.write() as session:
        # Locked: a person's PUT or a DELETE committing between this check and the write
        # below would otherwise be overwritten (PostgreSQL, read committed).
        track = repo.get_track(session, found.track_id, lock=True)
        if track is None or not _is_ours(track, found):
            return "cancelled"
        media_object = media_objects.get_media_object(session, found.media_object_id)
        assert media_object is not None
        _mark_failed(session, media_object, track, reason, status)
    log.warning("automatic captions of track %s failed: %s", found.track_id, reason)
    return "failed"


def _mark_failed(
    session: Session, media_object: MediaObject, track: MediaTrack, reason: str, status: str
) -> None:
    if _holds_persons_captions(session, track):
        # A run asked with replace_human failed: nothing replaced the person's captions, so
        # the track is theirs again (no longer automatic, so that a later request without
        # replace_human gets the 409 rather than running over it); ``asr_error`` says why.
        track.external_id = None
        track.workflow_state = "ready"
    else:
        track.workflow_state = "failed"
    track.asr_error = reason
    session.flush()
    _settle(session, media_object, track.id, status, None)


def _holds_persons_captions(session: Session, track: MediaTrack) -> bool:
    """True when the track's content is a person's: not empty, and not written by a run."""
    if not track.content.strip():
        return False
    newest = repo.newest_version(session, track.id)
    return newest is None or newest.reason != "asr"


def _settle(
    session: Session, media_object: MediaObject, track_id: int, status: str, progress: int | None
) -> None:
    """The media's status after this track's job ended: still ``processing`` while another
    automatic track of it is."""
    if repo.processing_asr_count(session, media_object.id, besides=track_id):
        media_object.auto_caption_status = "processing"
        return
    media_object.auto_caption_status = status
    media_object.auto_caption_progress = progress
