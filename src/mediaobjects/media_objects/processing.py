"""The media pipeline job: probe an uploaded media file, refuse what is not playable with a
reason a teacher can read, offer a browser-safe upload at once (rewritten with its index
first), transcode it through the rendition ladder in one ffmpeg pass, take a poster, and
publish the renditions as the media object's sources; and the job that releases a media
object's renditions once its last file is deleted.

The job is idempotent (decision: it may run twice, after a worker died): storage keys are
derived from the media id and the rendition name, writes replace atomically, a source is
saved under its name (a re-run updates the row, never adds one), and the renditions are
published in one transaction."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sqlalchemy.orm import Session

from mediaobjects.caption_reports import summaries
from mediaobjects.db.base import utcnow
from mediaobjects.errors import NotFound
from mediaobjects.files import service as files
from mediaobjects.files.models import Attachment
from mediaobjects.jobs import JobContext, JobTimeout
from mediaobjects.media_objects import repository as repo
from mediaobjects.media_objects.live import SegmentPublisher
from mediaobjects.media_objects.models import MediaObject, MediaSource
from mediaobjects.media_objects.pipeline import (
    Pipeline,
    local_copy,
    made_by_pipeline,
    poster_key,
    rendition_key,
    scratch,
    store_file,
)
from mediaobjects.media_objects.speech import NO_SPEECH, measure_speech, speech_columns
from mediaobjects.media_objects.streaming import dump, index_of
from mediaobjects.storage.interfaces import StoredObject
from mediaobjects.transcoding import (
    MediaRejected,
    Output,
    ProbeResult,
    SpeechAnalysis,
    ToolMissing,
    ToolOutOfMemory,
    ToolTimedOut,
    TranscodeFailed,
    browser_safety,
)
from mediaobjects.transcoding.ladder import ORIGINAL, ORIGINALS

log = logging.getLogger(__name__)

UNKNOWN_FAILURE = "The media could not be processed."


def _claim(pipeline: Pipeline, media_id: str) -> tuple[int, str] | None:
    """Marks the media object as processing; None when there is nothing to do (deleted, gone,
    already ready, or no bytes to process)."""
    with pipeline.write() as session:
        media_object = repo.get_by_media_id(session, media_id)
        if media_object is None or media_object.workflow_state == "deleted":
            return None
        if media_object.processing_state == "ready":
            return None
        attachment = _default_file(session, media_object)
        if attachment is None:
            media_object.processing_state = "failed"
            media_object.processing_error = "No file was uploaded for this media."
            return None
        media_object.processing_state = "processing"
        media_object.processing_error = None
        return media_object.id, attachment.storage_key


def _default_file(session: Session, media_object: MediaObject) -> Attachment | None:
    if media_object.attachment_id is None:
        return None
    try:
        attachment = files.load_attachment(session, media_object.attachment_id)
    except NotFound:
        return None
    if attachment.workflow_state != "processed" or not attachment.storage_key:
        return None
    return attachment


ORIGINAL_STILL_PLAYS = (
    " Meanwhile it plays as uploaded, at full size, without the smaller versions that suit "
    "slow connections."
)


def _fail(pipeline: Pipeline, media_object_id: int, reason: str) -> None:
    with pipeline.write() as session:
        media_object = repo.get(session, media_object_id)
        if media_object is not None:
            _mark_failed(session, media_object, reason)


def _mark_failed(session: Session, media_object: MediaObject, reason: str) -> None:
    """``failed`` with ``reason``. A browser-safe upload offered before the ladder stays
    listed: the media plays as uploaded, and the reason says so."""
    media_object.processing_state = "failed"
    repo.retire_live_pieces(session, media_object.id, utcnow())
    if repo.source_named(session, media_object.id, ORIGINAL) is not None:
        reason += ORIGINAL_STILL_PLAYS
    media_object.processing_error = reason


GAVE_UP = (
    "Processing could not finish because of a problem on the server, not with the file. "
    "An administrator can run it again with: mediaobjects reprocess"
)


def give_up(pipeline: Pipeline, media_id: str, reason: str = GAVE_UP) -> bool:
    """After the last try of a job failed on trouble that was not the file's (a missing tool,
    storage down, a time limit): the media object ends ``failed`` with ``reason`` instead of
    staying ``processing`` for ever. Returns whether it changed anything."""
    with pipeline.write() as session:
        media_object = repo.get_by_media_id(session, media_id)
        if media_object is None or media_object.workflow_state == "deleted":
            return False
        if media_object.processing_state not in ("pending", "processing"):
            return False
        _mark_failed(session, media_object, reason)
        return True


def reprocessable(session: Session, *, unfinished: bool = False) -> list[str]:
    """media_ids of active media objects with uploaded bytes that ended ``failed``, and with
    ``unfinished`` also those still ``pending`` or ``processing`` (for when no job is left to
    finish them, e.g. after installing ffmpeg). Oldest first."""
    states = ["failed", "pending", "processing"] if unfinished else ["failed"]
    candidates = repo.in_processing_states(session, states)
    return [mo.media_id for mo in candidates if _default_file(session, mo) is not None]


MEMORY_HINT = (
    " An administrator can raise MEDIAOBJECTS_FFMPEG_MEMORY_LIMIT_BYTES and run: "
    "mediaobjects reprocess"
)


class _Clock:
    """The job's deadline, as the pipeline's steps use it: each tool gets the time the job
    has left, and the job stops between steps once it has none."""

    def __init__(self, job: JobContext | None) -> None:
        self._job = job

    def left(self) -> float | None:
        """Seconds left (None: no job, so the transcoder's own limit applies)."""
        return None if self._job is None else self._job.remaining()

    def check(self) -> None:
        if self._job is not None:
            self._job.check_deadline()

    def timed_out(self, exc: ToolTimedOut) -> JobTimeout:
        name = self._job.name if self._job is not None else "process_media"
        return JobTimeout(f"job {name} went past its time limit: {exc.reason}")


def process_media(pipeline: Pipeline, media_id: str, job: JobContext | None = None) -> str:
    """Runs the pipeline for one media object; returns the state it ends in.

    A browser-safe upload is rewritten with its index first and listed as the "original"
    source, committed before the ladder starts, so that players can start within seconds;
    the renditions join it when the ladder is done. Bad media ends ``failed`` with its reason;
    storage or tool trouble raises, so that the job runner retries it (and the object stays
    ``processing`` until a retry settles it). With ``job``, every ffprobe and ffmpeg run gets
    the time the job has left as its limit, the deadline is checked between steps, and running
    out raises JobTimeout: a failed try, like any other."""
    clock = _Clock(job)
    claimed = _claim(pipeline, media_id)
    if claimed is None:
        return "skipped"
    media_object_id, storage_key = claimed
    transcoder = pipeline.transcoder
    with scratch(pipeline) as workdir:
        source = local_copy(pipeline, storage_key, workdir)
        clock.check()
        try:
            result = transcoder.probe(source, timeout=clock.left())
            transcoder.check_limits(result)
            clock.check()
            offered = _offer_original(
                pipeline, media_id, media_object_id, source, result, workdir, clock
            )
            if offered is None:
                return "skipped"
            clock.check()
            # Not playable as uploaded: the lowest rung streams while the ladder runs.
            live = (
                SegmentPublisher(pipeline, media_id, media_object_id)
                if not offered and result.video is not None
                else None
            )
            outputs = transcoder.transcode(source, result, workdir, timeout=clock.left(), live=live)
            clock.check()
            poster = transcoder.poster(source, result, workdir / "poster.jpg", timeout=clock.left())
        except ToolTimedOut as exc:
            raise clock.timed_out(exc) from exc
        except ToolOutOfMemory as exc:
            _fail(pipeline, media_object_id, exc.reason + MEMORY_HINT)
            return "failed"
        except (MediaRejected, TranscodeFailed) as exc:
            # The uploader reads the reason; the tool's own words (which name the server's
            # scratch paths) go to the log.
            log.warning("processing of media %s failed: %s (%s)", media_id, exc.reason, exc.detail)
            _fail(pipeline, media_object_id, exc.reason)
            return "failed"
        except ToolMissing:
            raise
        clock.check()
        speech: SpeechAnalysis | None = NO_SPEECH
        if result.audio is not None:
            speech = measure_speech(
                transcoder, source, result.duration, media_id, timeout=clock.left()
            )
        sources: list[MediaSource] = []
        for output in outputs:
            clock.check()
            key = rendition_key(media_id, output.rendition.name, output.rendition.file_ext)
            stored = store_file(pipeline.storage, key, output.path)
            sources.append(_source(output, key, stored))
        poster_stored = None
        if poster is not None and poster.exists():
            poster_stored = store_file(pipeline.storage, poster_key(media_id), poster)
    with pipeline.write() as session:
        media_object = repo.get(session, media_object_id)
        if media_object is None or media_object.workflow_state == "deleted":
            return "skipped"
        repo.replace_sources(session, media_object.id, sources, keep=(ORIGINAL,) if offered else ())
        media_object.duration = result.duration
        media_object.media_type = result.media_type
        media_object.poster_key = poster_stored.key if poster_stored is not None else None
        media_object.speech_intervals, media_object.speech_ms = speech_columns(speech)
        media_object.processing_state = "ready"
        media_object.processing_error = None
        # Players on the early stream play it to its end; new ones get the renditions.
        repo.retire_live_pieces(session, media_object.id, utcnow())
        summaries.refresh_media(session, media_object.id)
    return "ready"


def _source(output: Output, key: str, stored: StoredObject) -> MediaSource:
    rendition = output.rendition
    if rendition.kind == "video" and rendition.name != ORIGINAL and output.fragments is None:
        # Still plays progressively; only HLS leaves it out.
        log.warning("rendition %s has no fragment index; it is not offered in HLS", key)
    return MediaSource(
        name=output.rendition.name,
        is_original=output.rendition.name == ORIGINAL,
        content_type=output.rendition.content_type,
        container_format=output.rendition.container,
        file_ext=output.rendition.file_ext,
        width=output.width,
        height=output.height,
        bitrate=output.bitrate,
        size=stored.size,
        storage_key=key,
        etag=stored.etag,
        stream_index=dump(index_of(output.fragments)) if output.fragments is not None else None,
    )


COULD_NOT_REWRITE = (
    "The file could not be prepared for playing as uploaded (ffmpeg could not copy its "
    "picture and sound into a new file)."
)


def _offer_original(
    pipeline: Pipeline,
    media_id: str,
    media_object_id: int,
    source: Path,
    result: ProbeResult,
    workdir: Path,
    clock: _Clock,
) -> bool | None:
    """Before the ladder runs: a browser-safe upload, rewritten with its index first (about
    3 s per GB), is stored and listed as the "original" source in a transaction of its own;
    any other upload is never listed, and the media info says why (``original_problems``).
    Returns whether the original is offered; None when the media object went meanwhile.

    A retry finds the original it offered before and keeps it: the bytes and the URL a
    player may be streaming stay as they are."""
    safety = browser_safety(result)
    reasons = list(safety.reasons)
    made: MediaSource | None = None
    if safety.container is not None:
        kept = ORIGINALS[safety.container]
        key = rendition_key(media_id, kept.name, kept.file_ext)
        if not _offered_before(pipeline, media_object_id, key):
            try:
                output = pipeline.transcoder.remux(
                    source, result, safety.container, workdir / "playable", timeout=clock.left()
                )
            except TranscodeFailed as exc:
                # Not the file's fault as media: the ladder may still make it playable.
                log.warning("media %s: remuxing the original failed: %s", media_id, exc)
                reasons.append(COULD_NOT_REWRITE)
            else:
                made = _source(output, key, store_file(pipeline.storage, key, output.path))
    with pipeline.write() as session:
        media_object = repo.get(session, media_object_id)
        if media_object is None or media_object.workflow_state == "deleted":
            gone = True
        else:
            gone = False
            media_object.original_problems = json.dumps(reasons)
            media_object.duration = result.duration
            media_object.media_type = result.media_type
            if made is not None:
                repo.put_source(session, media_object.id, made)
            elif reasons:
                # Listed by a version that offered every upload as it was.
                repo.delete_source(session, media_object.id, ORIGINAL)
            summaries.refresh_media(session, media_object.id)
    if gone:
        if made is not None:
            pipeline.storage.delete(made.storage_key)
        return None
    return not reasons


def _offered_before(pipeline: Pipeline, media_object_id: int, key: str) -> bool:
    with pipeline.reader() as session:
        listed = repo.source_named(session, media_object_id, ORIGINAL)
        found = listed is not None and listed.storage_key == key
    return found and pipeline.storage.exists(key)


def release_media(pipeline: Pipeline, media_entry_id: str) -> str:
    """After a file was deleted: when no file uses the media any more, its renditions, poster
    and thumbnails leave storage and the media object is marked deleted. A media object that
    still has files keeps everything. Idempotent."""
    with pipeline.write() as session:
        # Decided here, whatever the outcome: the requests its file deletes left are done.
        files.release_done(session, media_entry_id)
        media_object = repo.get_by_media_id(session, media_entry_id)
        if media_object is None:
            return "gone"
        if files.media_in_use(session, media_entry_id):
            return "kept"
        keys = [
            key
            for key, original in repo.delete_sources(session, media_object.id)
            # The upload itself belongs to its file; the rewritten copy was the pipeline's.
            if not original or made_by_pipeline(key)
        ]
        keys += repo.delete_thumbnails(session, media_object.id)
        live_keys = repo.live_keys(session, media_object.id)
        repo.delete_live_pieces(session, media_object.id, live_keys)
        keys += live_keys
        if media_object.poster_key:
            keys.append(media_object.poster_key)
        media_object.poster_key = None
        media_object.workflow_state = "deleted"
        summaries.refresh_media(session, media_object.id)
    # Storage deletes are idempotent: a retry after a crash here simply deletes again.
    for key in keys:
        pipeline.storage.delete(key)
    return "released"
