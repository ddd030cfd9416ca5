"""Speech analysis of media objects: where their audio has speech (``speech_intervals``) and
how much (``speech_ms``), what caption coverage is measured against.

``process_media`` measures it with the upload in hand (``measure_speech``). Media processed
before the analysis existed, or whose analysis failed, get it from the ``analyse_speech`` job
(``mediaobjects reprocess --speech-only``), which fetches the smallest rendition and decodes
only its audio instead of transcoding everything again.

The analysis is an extra: when it fails, the media is still ready and the columns stay NULL
(caption checks then measure coverage against the duration). Media without an audio stream is
stored as having no speech (``[]``, 0)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from mediaobjects.caption_reports import summaries
from mediaobjects.jobs import JobContext, JobTimeout
from mediaobjects.media_objects import repository as repo
from mediaobjects.media_objects.pipeline import Pipeline, local_copy, scratch
from mediaobjects.transcoding import (
    MediaRejected,
    SpeechAnalysis,
    ToolOutOfMemory,
    ToolTimedOut,
    TranscodeFailed,
    Transcoder,
)

log = logging.getLogger(__name__)

# What the analysis may fail with and still leave the media ready. A missing ffmpeg is not
# here: nothing else would have worked either.
_ANALYSIS_FAILURES = (TranscodeFailed, MediaRejected, ToolOutOfMemory, ToolTimedOut, OSError)


def measure_speech(
    transcoder: Transcoder,
    source: Path,
    duration: float,
    media_id: str,
    *,
    timeout: float | None = None,
) -> SpeechAnalysis | None:
    """The speech in ``source``; None when it has no audio or the analysis failed (logged)."""
    try:
        return transcoder.analyse_speech(source, duration, timeout=timeout)
    except _ANALYSIS_FAILURES as exc:
        log.warning("speech analysis of media %s failed, left unmeasured: %s", media_id, exc)
        return None


# Media without an audio stream has no speech to caption: measured, and found to have none
# (so coverage is complete, and `reprocess --speech-only` does not queue it again and again).
NO_SPEECH = SpeechAnalysis(intervals=(), speech_ms=0)


def speech_columns(analysis: SpeechAnalysis | None) -> tuple[str | None, int | None]:
    """``(speech_intervals, speech_ms)`` as stored: both NULL without an analysis."""
    if analysis is None:
        return None, None
    return analysis.intervals_json(), analysis.speech_ms


def speech_unmeasured(pipeline: Pipeline) -> list[str]:
    """media_ids of ready media without a speech analysis, oldest first."""
    with pipeline.reader() as session:
        return repo.without_speech_analysis(session)


def analyse_media_speech(pipeline: Pipeline, media_id: str, job: JobContext | None = None) -> str:
    """Measures the speech of a ready media object from its smallest rendition and stores it.
    Returns ``measured``, ``no audio``, ``failed`` (logged; columns left as they were) or
    ``skipped`` (gone, deleted, not ready, or without a known duration). Running out of the
    job's time raises JobTimeout; a missing ffmpeg raises ToolMissing (both retried)."""
    with pipeline.reader() as session:
        media_object = repo.get_by_media_id(session, media_id)
        if (
            media_object is None
            or media_object.workflow_state == "deleted"
            or media_object.processing_state != "ready"
            or media_object.duration is None
        ):
            return "skipped"
        media_object_id, duration = media_object.id, media_object.duration
        key = repo.smallest_source_key(session, media_object_id)
    if key is None:
        return "skipped"
    left: Callable[[], float | None] = (lambda: None) if job is None else job.remaining
    with scratch(pipeline) as workdir:
        try:
            path = local_copy(pipeline, key, workdir)
            if job is not None:
                job.check_deadline()
            analysis = pipeline.transcoder.analyse_speech(path, duration, timeout=left())
        except ToolTimedOut as exc:
            raise JobTimeout(f"job analyse_speech went past its time limit: {exc.reason}") from exc
        except (TranscodeFailed, MediaRejected, ToolOutOfMemory) as exc:
            log.warning("speech analysis of media %s failed: %s", media_id, exc)
            return "failed"
    intervals, speech_ms = speech_columns(NO_SPEECH if analysis is None else analysis)
    with pipeline.write() as session:
        media_object = repo.get(session, media_object_id)
        if media_object is None or media_object.workflow_state == "deleted":
            return "skipped"
        media_object.speech_intervals = intervals
        media_object.speech_ms = speech_ms
        summaries.refresh_media(session, media_object.id)
    return "no audio" if analysis is None else "measured"
