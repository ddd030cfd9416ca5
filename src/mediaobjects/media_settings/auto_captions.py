"""The course rule "caption new media automatically", and the same for a course's existing
media (``mediaobjects captions auto``).

A media object gets an automatic-caption request (``media_tracks.asr.request_auto_captions``,
as the system: no user) when it is ready, has audio with sound in it, and has no track for the
locale yet. "No track for the locale" is counted generously, so that a person's work is never
doubled by a machine's: any track of any kind, written by a person or by the engine, in any
state, whose language is the locale's (``en-US`` captions count for ``en``, and the reverse);
with no locale (the language is detected) any track at all. The one exception is an automatic
track that failed (no engine installed then, a time limit...): it is asked again, in place.
The ``transcribe_track`` job is queued after the request's transaction commits."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from mediaobjects.errors import MediaObjectsError
from mediaobjects.media_settings import repository as repo
from mediaobjects.media_settings.repository import MediaRow
from mediaobjects.media_settings.service import course_settings
from mediaobjects.media_tracks.asr import request_auto_captions

log = logging.getLogger(__name__)

TRANSCRIBE_JOB = "transcribe_track"
ALREADY_CAPTIONED = "already captioned"
NO_AUDIO = "no audio"
NOT_READY = "not ready"
SKIP_REASONS = (ALREADY_CAPTIONED, NO_AUDIO, NOT_READY)

Enqueue = Callable[..., object]
UnitOfWork = Callable[[], AbstractContextManager[Session]]


def _language(locale: str) -> str:
    return locale.split("-", 1)[0].lower()


def has_track_for(track_locales: Sequence[str], locale: str | None) -> bool:
    """Whether the media already has captions for ``locale`` (None: in any language)."""
    if locale is None:
        return bool(track_locales)
    language = _language(locale)
    return any(_language(found) == language for found in track_locales)


def skip_reason(row: MediaRow, track_locales: Sequence[str], locale: str | None) -> str | None:
    """Why the media gets no automatic captions (one of SKIP_REASONS), or None."""
    if row.processing_state != "ready":
        return NOT_READY
    # Media without an audio stream, or silent throughout, is stored with no speech (0);
    # NULL is "not measured", which the engine finds out for itself.
    if row.speech_ms == 0:
        return NO_AUDIO
    if has_track_for(track_locales, locale):
        return ALREADY_CAPTIONED
    return None


def caption_new_media(write: UnitOfWork, enqueue: Enqueue, media_id: str) -> str:
    """The course rule, for a media object that just became ready: requests its automatic
    captions when its course asks for them. Returns what happened (``queued``, ``off``, a
    skip reason, ``refused`` or ``failed``). Never raises: the media is ready whatever
    becomes of its captions, so a failure is logged and the media left as it is."""
    try:
        with write() as session:
            media_object = repo.get_media_object(session, media_id)
            if (
                media_object is None
                or media_object.context_type != "Course"
                or media_object.context_id is None
            ):
                return "off"
            settings = course_settings(session, media_object.context_id)
            if not settings.auto_captions:
                return "off"
            row = MediaRow(
                id=media_object.id,
                media_id=media_object.media_id,
                title=media_object.user_entered_title or media_object.title,
                duration=media_object.duration,
                processing_state=media_object.processing_state,
                speech_ms=media_object.speech_ms,
            )
            reason = skip_reason(row, repo.track_locales(session, row.id), settings.locale)
            if reason is not None:
                return reason
            request = request_auto_captions(
                session,
                media_object=media_object,
                attachment_id=media_object.attachment_id,
                locale=settings.locale,
                user_id=None,
            )
            track_id, queue = request.track.id, request.queue
        if queue:
            enqueue(TRANSCRIBE_JOB, track_id=track_id)
        log.info("automatic captions of media %s queued (track %d)", media_id, track_id)
        return "queued"
    except MediaObjectsError as exc:
        log.warning("automatic captions of media %s not requested: %s", media_id, exc.message)
        return "refused"
    except Exception:
        log.exception("automatic captions of media %s failed; the media stays ready", media_id)
        return "failed"


@dataclass(frozen=True)
class Candidate:
    media_id: str
    title: str | None
    duration: float | None


@dataclass
class CoursePlan:
    """What ``captions auto`` would do in a course: the media to caption (title order), and
    how many are skipped for each reason."""

    course_id: int
    locale: str | None
    candidates: list[Candidate] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SKIP_REASONS, 0))

    @property
    def total_duration(self) -> float:
        return sum(c.duration or 0.0 for c in self.candidates)


def plan_course(session: Session, course_id: int, locale: str | None) -> CoursePlan:
    """The course's media that would get automatic captions in ``locale`` (None: detect)."""
    plan = CoursePlan(course_id, locale)
    locales = repo.course_track_locales(session, course_id)
    for row in repo.course_media(session, course_id):
        reason = skip_reason(row, locales.get(row.id, []), locale)
        if reason is None:
            plan.candidates.append(Candidate(row.media_id, row.title, row.duration))
        else:
            plan.skipped[reason] += 1
    return plan


@dataclass
class CourseRun:
    queued: list[Candidate] = field(default_factory=list)
    # (candidate, why): refused by the request's own rules, e.g. a track written meanwhile.
    refused: list[tuple[Candidate, str]] = field(default_factory=list)


def caption_course(
    write: UnitOfWork,
    enqueue: Enqueue,
    plan: CoursePlan,
    *,
    max_tracks: int | None = None,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> CourseRun:
    """Requests automatic captions for the plan's candidates, each in its own transaction
    (a course of hundreds of lectures never holds the write lock for long), its job queued
    once it committed. The rules are checked again in each transaction: a track written
    since the plan was made is not doubled."""
    run = CourseRun()
    total = len(plan.candidates)
    for done, candidate in enumerate(plan.candidates, start=1):
        track_id: int | None = None
        try:
            with write() as session:
                media_object = repo.get_media_object(session, candidate.media_id)
                if media_object is None or media_object.workflow_state == "deleted":
                    raise _Gone()
                row = MediaRow(
                    media_object.id,
                    media_object.media_id,
                    candidate.title,
                    media_object.duration,
                    media_object.processing_state,
                    media_object.speech_ms,
                )
                reason = skip_reason(row, repo.track_locales(session, row.id), plan.locale)
                if reason is not None:
                    run.refused.append((candidate, reason))
                else:
                    request = request_auto_captions(
                        session,
                        media_object=media_object,
                        attachment_id=media_object.attachment_id,
                        locale=plan.locale,
                        user_id=None,
                        max_tracks=max_tracks,
                    )
                    track_id = request.track.id if request.queue else None
                    run.queued.append(candidate)
        except _Gone:
            run.refused.append((candidate, "deleted"))
        except MediaObjectsError as exc:
            run.refused.append((candidate, exc.message))
        if track_id is not None:
            enqueue(TRANSCRIBE_JOB, track_id=track_id)
        progress(done, total)
    return run


class _Gone(Exception):
    """The media object was deleted after the plan was made."""
