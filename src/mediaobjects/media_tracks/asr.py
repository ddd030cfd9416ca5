"""Requesting automatic captions (speech recognition) for a media object, Canvas's
``POST /api/v1/media_objects/:media_id/asr`` (canvas-media-api.md §4, ``create_asr``).

A request creates or reuses the ``subtitles`` track of its locale, marked automatic
(``external_id`` set, so ``asr`` is true) and ``processing``; the ``transcribe_track`` job
(``media_tracks.transcribe``) then fills it in and makes it ``ready``, or ``failed`` with a
reason. The rules that keep people's work safe:

* a track of the locale written by a person is never overwritten: 409, unless the caller asks
  for ``replace_human`` (and holds both caption rights); even then the person's content stays
  the track's content until the automatic one is written, and stays among its versions;
* a ``processing`` automatic track of the locale is reused, never queued twice;
* a ``ready`` automatic track finished less than ``RERUN_AFTER`` ago is answered as it is;
  an older one, or a ``failed`` one, is run again in place (a new version when done).

Without a locale the language is detected: the track is made with the placeholder locale
``und`` (BCP 47 "undetermined") and takes the detected one when it is done (see
``transcribe``)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, timedelta

from sqlalchemy.orm import Session

from mediaobjects.accounts import authentication
from mediaobjects.accounts.principal import Principal
from mediaobjects.caption_reports import summaries
from mediaobjects.captions import LocaleError, normalise_locale
from mediaobjects.db.base import utcnow
from mediaobjects.errors import (
    BadRequest,
    BadRequestError,
    ConflictError,
    Forbidden,
    NotFound,
    UnprocessableError,
)
from mediaobjects.files import service as files
from mediaobjects.files.models import Attachment
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks import history
from mediaobjects.media_tracks import repository as repo
from mediaobjects.media_tracks import service as tracks
from mediaobjects.media_tracks.models import MediaTrack
from mediaobjects.media_tracks.schemas import is_asr
from mediaobjects.numbers import parse_id

# BCP 47's "undetermined": the locale of an automatic track whose language is being detected.
PLACEHOLDER_LOCALE = "und"
# A ready automatic track finished less than this long ago is answered as it is, not run
# again: the same engine on the same audio makes the same captions, and each run costs
# minutes of a worker's CPU (a caller posting in a loop; the rate limit bounds the rest).
RERUN_AFTER = timedelta(minutes=10)
# Canvas's words for media it cannot caption yet (§4).
NOT_PROCESSED = "Media object not found or not yet processed"
HUMAN_TRACK_MESSAGE = (
    "The {locale} captions were written by a person and are kept: automatic captions never "
    "replace them. Send replace_human=true to replace them anyway (the person's version "
    "stays in the track's versions)."
)
DETECT_OVER_HUMAN_MESSAGE = (
    "Without a locale the language is detected on a track of the locale und "
    "(undetermined), and the und captions were written by a person and are kept. Send the "
    "locale of the speech, or replace_human=true to replace them (the person's version stays "
    "in the track's versions)."
)
EXTERNAL_ID_PREFIX = "mediaobjects-asr-"
# Canvas's media_entry_id of a file whose media upload has not finished.
PENDING_MEDIA_ENTRY_ID = "maybe"


@dataclass(frozen=True)
class AutoCaptionRequest:
    """The track a request made or found, and whether a ``transcribe_track`` job must be
    queued for it (False: a job for it is already queued or running). The caller enqueues
    ``transcribe_track(track_id=track.id)`` after its transaction commits."""

    track: MediaTrack
    queue: bool


def parse_locale(value: object) -> str | None:
    """The requested locale in canonical case; None (detect the language) when absent,
    empty or ``und``. BadRequestError (400, Canvas's ``{"error": ...}``) when malformed."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRequestError("Invalid or missing locale: the locale must be a string")
    try:
        locale = normalise_locale(value)
    except LocaleError as exc:
        raise BadRequestError(f"Invalid or missing locale: the locale {exc.message}") from None
    return None if locale == PLACEHOLDER_LOCALE else locale


def parse_replace_human(value: object) -> bool:
    """``replace_human`` as JSON true/false or a form's true/false/1/0 (absent: false)."""
    if value is None or value is False or value == "":
        return False
    if value is True:
        return True
    if isinstance(value, str) and value.lower() in ("true", "1", "false", "0"):
        return value.lower() in ("true", "1")
    raise BadRequestError("replace_human must be true or false")


def request_auto_captions(
    session: Session,
    *,
    media_object: MediaObject,
    attachment_id: int | None,
    locale: str | None,
    user_id: int | None,
    replace_human: bool = False,
    max_tracks: int | None = None,
) -> AutoCaptionRequest:
    """Marks the locale's track (``locale`` canonical, None: detect) of the route (the media
    object's, or through attachment ``attachment_id``) as automatic and ``processing``.
    No rights check: the route checks them (``start_auto_captions``), the course rule runs
    as the system. Raises UnprocessableError (media not ready, too many tracks),
    ConflictError (a person's track and no ``replace_human``). ``max_tracks``
    (MEDIAOBJECTS_MAX_TRACKS_PER_MEDIA) bounds the tracks a new one may join."""
    if media_object.workflow_state == "deleted" or media_object.processing_state != "ready":
        raise UnprocessableError(NOT_PROCESSED)
    attachment = files.load_attachment(session, attachment_id) if attachment_id else None
    route = tracks._resolve(session, media_object, attachment)
    wanted = locale if locale is not None else PLACEHOLDER_LOCALE
    visible = tracks._visible(session, route, content=True)
    target = tracks._target(route, visible, tracks._key(wanted), user_id if user_id else -1)
    if target is not None and is_asr(target) and target.workflow_state == "processing":
        return AutoCaptionRequest(target, queue=False)
    if target is not None and is_asr(target) and _just_made(target):
        return AutoCaptionRequest(target, queue=False)
    if target is None and locale is None:
        # A detection finished moments ago renamed its placeholder to the language it heard:
        # asking again would only hear it again.
        recent = _just_detected(route, visible)
        if recent is not None:
            return AutoCaptionRequest(recent, queue=False)
    if target is not None and not is_asr(target):
        if not replace_human:
            if locale is None:
                raise ConflictError(DETECT_OVER_HUMAN_MESSAGE)
            raise ConflictError(HUMAN_TRACK_MESSAGE.format(locale=target.locale))
        # The person's content becomes a version if it was not one yet: it stays the
        # track's content (and served) until the automatic captions replace it.
        history.keep_current(session, target)
    if target is None:
        target = _new_track(session, route, wanted, user_id, max_tracks)
    else:
        target.kind = "subtitles"
        target.external_id = _external_id()
        target.workflow_state = "processing"
        target.asr_error = None
    media_object.auto_caption_status = "processing"
    media_object.auto_caption_progress = 0
    session.flush()
    return AutoCaptionRequest(target, queue=True)


def _just_detected(route: tracks._Route, visible: list[tracks.TrackView]) -> MediaTrack | None:
    """The route's own automatic track finished most recently, if less than RERUN_AFTER ago."""
    attachment_id = route.attachment.id if route.attachment else route.media_object.attachment_id
    recent = [
        view.track
        for view in visible
        if not view.inherited
        and view.track.attachment_id == attachment_id
        and is_asr(view.track)
        and _just_made(view.track)
    ]
    return max(recent, key=lambda track: track.updated_at, default=None)


def _just_made(track: MediaTrack) -> bool:
    if track.workflow_state != "ready":
        return False
    finished = track.updated_at
    if finished.tzinfo is None:  # SQLite hands back naive UTC
        finished = finished.replace(tzinfo=UTC)
    return utcnow() - finished < RERUN_AFTER


def _external_id() -> str:
    # Names this request (Canvas keeps its provider's caption-asset id here); a new one per
    # run, so a job can tell whether the track it was queued for was requested again since.
    return EXTERNAL_ID_PREFIX + secrets.token_hex(8)


def _new_track(
    session: Session,
    route: tracks._Route,
    locale: str,
    user_id: int | None,
    max_tracks: int | None,
) -> MediaTrack:
    media_object = route.media_object
    attachment_id = route.attachment.id if route.attachment else media_object.attachment_id
    track = MediaTrack(
        media_object_id=media_object.id,
        attachment_id=attachment_id,
        user_id=user_id,
        kind="subtitles",
        locale=locale,
        # Canvas's ASR tracks in processing have empty content too (exempt from "blank").
        content="",
        webvtt_content=None,
        workflow_state="processing",
        external_id=_external_id(),
    )

    def add() -> None:
        repo.add_track(session, track)
        session.flush()

    tracks._in_savepoint(session, add, lambda: None)
    # Summarised as it is (no cues yet), so that the caption reports do not count it as
    # captions until the job has written them.
    summaries.refresh_track(session, track)
    if max_tracks is not None:
        tracks._check_track_count(session, route, max_tracks)
    return track


def start_auto_captions(
    session: Session,
    principal: Principal,
    *,
    media_object: MediaObject,
    attachment: Attachment | None,
    locale: str | None,
    replace_human: bool,
    max_tracks: int | None = None,
) -> AutoCaptionRequest:
    """The route's request: the caller needs the add-captions right on the route (as for
    adding a track), and both caption rights to replace a person's track."""
    user = authentication.require_user(principal)
    authorize_auto_captions(session, principal, media_object=media_object, attachment=attachment)
    if replace_human:
        route = tracks._resolve(session, media_object, attachment)
        if not tracks._rights(session, principal, route).delete:
            raise Forbidden()
    return request_auto_captions(
        session,
        media_object=media_object,
        attachment_id=attachment.id if attachment is not None else None,
        locale=locale,
        user_id=user.id,
        replace_human=replace_human,
        max_tracks=max_tracks,
    )


def authorize_auto_captions(
    session: Session,
    principal: Principal,
    *,
    media_object: MediaObject | None = None,
    attachment: Attachment | None = None,
) -> None:
    """Same rights as adding captions; checked before the body is read."""
    tracks.authorize_add(session, principal, media_object=media_object, attachment=attachment)


def refuse_unprocessed_attachment(
    session: Session, principal: Principal, attachment_ref: str
) -> None:
    """Canvas's 422 for a file whose media is still being uploaded (``media_entry_id``
    ``maybe``), for whoever may change the file; returns otherwise (the caller's 404)."""
    try:
        attachment = files.load_attachment(session, parse_id(attachment_ref))
    except (NotFound, BadRequest):
        return
    if (
        attachment.workflow_state != "deleted"
        and attachment.media_entry_id == PENDING_MEDIA_ENTRY_ID
        and files.can_update(session, principal, attachment)
    ):
        raise UnprocessableError(NOT_PROCESSED)
