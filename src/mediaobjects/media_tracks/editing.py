"""Rules of the caption editor's API: a track as cues (read), cues saved back as the track's
WebVTT (written in place, with a check that nobody else saved since the editor opened it), a new
track made from cues, and the check of cues as the editor changes them (what a save would
refuse, plus the caption quality rules), each through a media object or one of its files.

Rights are those of the other writes: reading the cues needs what reading the track needs;
saving needs the add-captions right on the route, and for a track inherited through a copy of
the file the right on the original (D19), as retime and restore; creating and checking need
the add-captions right. The cues become WebVTT through ``captions.editing`` and
``write_webvtt`` and then pass the validation every write passes (``versions.checked_content``),
so that nothing the strict parser would refuse is stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from mediaobjects.accounts import authentication
from mediaobjects.accounts import service as accounts
from mediaobjects.accounts.principal import Principal
from mediaobjects.captions import (
    CaptionDocument,
    CaptionError,
    KindError,
    LocaleError,
    normalise_locale,
    parse_webvtt,
    validate_kind,
    write_webvtt,
)
from mediaobjects.captions.editing import (
    FINDING_FIELDS,
    CueDraft,
    CueProblem,
    cue_problems,
    finding_message,
    normalise_line_breaks,
    to_cues,
    with_cues,
)
from mediaobjects.captions.model import Cue
from mediaobjects.captions.quality import check_quality
from mediaobjects.db.base import utcnow
from mediaobjects.errors import (
    BadRequest,
    FieldError,
    PayloadTooLarge,
    UnprocessableEntity,
    VersionConflict,
)
from mediaobjects.files.models import Attachment
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks import history, quality, versions
from mediaobjects.media_tracks import repository as repo
from mediaobjects.media_tracks import service as tracks
from mediaobjects.media_tracks.models import MediaTrack, TrackVersion
from mediaobjects.timestamps import iso

# The smallest cue WebVTT can hold ("00:00.000 --> 00:00.001" and the blank line after it)
# takes this many bytes: a body with more cues than the caption limit could hold is refused
# before any of them is looked at.
MIN_CUE_BYTES = 32

TAKEN_MESSAGE = (
    "This media already has {locale} captions; open them in the editor instead of making "
    "another track."
)
UNREADABLE_MESSAGE = (
    "This track's captions were imported as they were and are not valid WebVTT or SRT{why}, "
    "so they cannot be opened as cues. Upload corrected captions first."
)
NO_CUES_MESSAGE = (
    "a track needs at least one cue (to remove the captions, delete the track instead)"
)
CONFLICT_MESSAGE = (
    "These captions were changed by {who} at {when} since you opened them, so your changes "
    "were not saved. Reload the captions to see theirs, then make your changes again."
)

STALE_MESSAGE = (
    "These captions are not the version you opened, so your changes were not saved. Reload "
    "the captions, then make your changes again."
)

_CUE_FIELDS = ("start_ms", "end_ms", "text", "identifier", "settings")
_SAVE_FIELDS = ("cues", "base_version_id", "kind")
_CREATE_FIELDS = ("cues", "locale", "kind")
_CHECK_FIELDS = ("cues", "locale", "kind", "profile")


@dataclass(frozen=True)
class EditorLimits:
    """``max_caption_bytes`` and ``max_tracks`` as for every track write; ``max_cues`` the
    most cues one request may carry (derived from the caption limit: ``max_cues_for``)."""

    track: tracks.TrackLimits
    max_cues: int


def max_cues_for(max_caption_bytes: int) -> int:
    """The most cues a track of ``max_caption_bytes`` can hold."""
    return max(1, max_caption_bytes // MIN_CUE_BYTES)


@dataclass(frozen=True)
class EditedTrack:
    """A track as the editor sees it: its cues and its newest version (None: the track has
    none yet, such as one imported before versions were kept)."""

    track: MediaTrack
    version: TrackVersion | None
    cues: tuple[Cue, ...]


@dataclass(frozen=True)
class CheckProblem:
    """One problem of the cues checked: ``cue`` 0-based (None: the track as a whole)."""

    cue: int | None
    field: str | None
    rule: str
    severity: str
    message: str


@dataclass(frozen=True)
class CheckResult:
    problems: tuple[CheckProblem, ...]
    meets_profile: bool


# ---- authorisation (before a body is read) ------------------------------------------------------


def authorize_save(
    session: Session,
    principal: Principal,
    track_id: int,
    *,
    media_object: MediaObject | None = None,
    attachment: Attachment | None = None,
) -> None:
    versions.writable_track(
        session, principal, track_id, media_object=media_object, attachment=attachment
    )


def authorize_add(
    session: Session,
    principal: Principal,
    *,
    media_object: MediaObject | None = None,
    attachment: Attachment | None = None,
) -> None:
    """Creating a track and checking cues both need the add-captions right on the route."""
    tracks.authorize_add(session, principal, media_object=media_object, attachment=attachment)


# ---- reading ------------------------------------------------------------------------------------


def track_cues(
    session: Session,
    principal: Principal,
    track_id: int,
    *,
    media_object: MediaObject,
    attachment: Attachment | None = None,
) -> EditedTrack:
    """The cues of the WebVTT the track serves. Needs read access (as reading the track);
    422 when the stored content does not parse (legacy rows imported as they were)."""
    track = tracks.get_track_content(
        session, principal, track_id, media_object=media_object, attachment=attachment
    )
    try:
        document = quality.track_document(track)
    except UnprocessableEntity as exc:
        why = f" ({exc.__cause__})" if exc.__cause__ is not None else ""
        message = UNREADABLE_MESSAGE.format(why=why)
        raise UnprocessableEntity(
            message, errors=[FieldError("content", message, "invalid")]
        ) from exc
    return EditedTrack(track, repo.newest_version(session, track.id), document.cues)


# ---- saving -------------------------------------------------------------------------------------


def save_cues(
    session: Session,
    principal: Principal,
    track_id: int,
    body: object,
    *,
    media_object: MediaObject,
    attachment: Attachment | None = None,
    limits: EditorLimits,
) -> EditedTrack:
    """``{"cues": [...], "base_version_id": id|null, "kind"?}``: the cues become the track's
    content, as WebVTT written by ``write_webvtt`` (a WebVTT track keeps its header, STYLE,
    REGION and NOTE blocks; any other becomes WebVTT), recorded as version ``editor``.

    ``base_version_id`` (when the key is given) is the version the editor opened: if the
    track's newest version is another one, 409 and nothing changes (null: the track had no
    version). Cues that read back the same as the track's (and the same kind) change nothing
    and add no version. 422 listing each cue's problems (``cue`` 1-based, ``field``)."""
    user = authentication.require_user(principal)
    track = versions.writable_track(
        session, principal, track_id, media_object=media_object, attachment=attachment
    )
    fields = _object(body, _SAVE_FIELDS)
    drafts = read_cues(fields.get("cues"), limits.max_cues)
    _refuse_oversized(drafts, limits)
    check_base = "base_version_id" in fields
    base = _optional_id(fields.get("base_version_id"), "base_version_id")
    kind_value = fields.get("kind")
    kind = None if kind_value is None else _string(kind_value, "kind")

    # Concurrent saves of one track queue here (the row lock on PostgreSQL; SQLite writers
    # hold the database's write lock already), so that the version compared below is still
    # the newest when the content is written: of two saves from one base, one gets 409.
    locked = repo.get_track(session, track.id, lock=True)
    assert locked is not None
    newest = repo.newest_version(session, track.id)
    if check_base and base != (newest.id if newest is not None else None):
        raise _conflict(session, newest)

    errors = _cue_errors(drafts)
    if kind is not None:
        try:
            kind = validate_kind(kind)
        except KindError as exc:
            errors.append(FieldError("kind", exc.message, "inclusion"))
    if errors:
        raise UnprocessableEntity(errors=errors)
    cues = to_cues(drafts)
    base_document = _base_document(track)
    written = write_webvtt(with_cues(base_document, cues))
    # Both written by the same writer: equal when the cues read back as the track's do (a
    # client sending back the cues it was given, or "&" where the track has "&amp;").
    if written == write_webvtt(base_document):
        if kind is not None and kind != track.kind:
            track.kind = kind
            media_object.updated_at = utcnow()
            session.flush()
        return EditedTrack(track, newest, _read_back(written, cues))
    content, webvtt = _checked(written, limits)
    history.keep_current(session, track)
    repo.update_track(
        session, track, locale=track.locale, kind=kind, content=content, webvtt_content=webvtt
    )
    media_object.updated_at = utcnow()
    version = history.record_write(session, track, "editor", user.id)
    return EditedTrack(track, version, _read_back(webvtt, cues))


def create_track(
    session: Session,
    principal: Principal,
    body: object,
    *,
    media_object: MediaObject,
    attachment: Attachment | None = None,
    limits: EditorLimits,
) -> EditedTrack:
    """``{"locale", "kind"?, "cues": [...]}``: a new track of the route made of the cues
    (version ``editor``). 422 ``taken`` when the route already shows a track of that locale
    (its own or one it inherits), which the editor should open instead."""
    fields = _object(body, _CREATE_FIELDS)
    drafts = read_cues(fields.get("cues"), limits.max_cues)
    _refuse_oversized(drafts, limits)
    locale_value = fields.get("locale")
    locale = None if locale_value is None else _string(locale_value, "locale")
    kind_value = fields.get("kind")
    kind = None if kind_value is None else _string(kind_value, "kind")

    errors = _cue_errors(drafts)
    if errors:
        raise UnprocessableEntity(errors=errors)
    if locale is not None:
        try:
            canonical = normalise_locale(locale).lower()
        except LocaleError:
            canonical = None  # upsert_track words the error
        shown = tracks.visible_tracks(
            session, media_object=media_object, attachment=attachment, content=False
        )
        if canonical is not None and any(v.track.locale.lower() == canonical for v in shown):
            message = TAKEN_MESSAGE.format(locale=locale)
            raise UnprocessableEntity(message, errors=[FieldError("locale", message, "taken")])
    cues = to_cues(drafts)
    written = write_webvtt(CaptionDocument(cues=cues))
    track = tracks.upsert_track(
        session,
        principal,
        media_object=media_object,
        attachment=attachment,
        locale=locale,
        kind=kind,
        content=written,
        limits=limits.track,
        reason="editor",
    )
    return EditedTrack(
        track,
        repo.newest_version(session, track.id),
        _read_back(tracks.served_webvtt(track), cues),
    )


# ---- checking -----------------------------------------------------------------------------------


def check_cues(
    session: Session,
    principal: Principal,
    body: object,
    *,
    media_object: MediaObject,
    attachment: Attachment | None = None,
    limits: EditorLimits,
) -> CheckResult:
    """``{"cues": [...], "locale"?, "kind"?, "profile"?}``: what a save of the cues would
    refuse (errors), then the caption quality rules of ``profile`` against the media's
    duration and speech (as the quality API rates them), each on the cue it concerns. Quality
    is checked on the cues that a save would accept. Writes nothing."""
    authorize_add(session, principal, media_object=media_object, attachment=attachment)
    fields = _object(body, _CHECK_FIELDS)
    drafts = read_cues(fields.get("cues"), limits.max_cues)
    size = text_bytes(drafts)
    if size > limits.track.max_caption_bytes:
        # Nothing else is checked: that much text cannot be saved whatever else it holds.
        message = (
            f"the captions would take at least {size} bytes as WebVTT; the limit is "
            f"{limits.track.max_caption_bytes} bytes"
        )
        return CheckResult((CheckProblem(None, None, "too_large", "error", message),), False)
    profile_value = fields.get("profile")
    profile = quality.quality_profile(
        None if profile_value is None else _string(profile_value, "profile")
    )
    problems: list[CheckProblem] = []
    locale_value = fields.get("locale")
    if locale_value is not None:
        try:
            normalise_locale(_string(locale_value, "locale"))
        except LocaleError as exc:
            problems.append(CheckProblem(None, "locale", "invalid", "error", exc.message))
    kind_value = fields.get("kind")
    if kind_value is not None:
        try:
            validate_kind(_string(kind_value, "kind"))
        except KindError as exc:
            problems.append(CheckProblem(None, "kind", "inclusion", "error", exc.message))

    if not drafts:
        problems.append(CheckProblem(None, "cues", "invalid", "error", NO_CUES_MESSAGE))
    refused = cue_problems(drafts)
    problems.extend(CheckProblem(p.cue, p.field, "invalid", "error", p.message) for p in refused)
    bad = {p.cue for p in refused}
    kept = [index for index in range(len(drafts)) if index not in bad]
    cues = to_cues([drafts[index] for index in kept])
    if not refused:
        size = len(write_webvtt(CaptionDocument(cues=cues)).encode("utf-8"))
        if size > limits.track.max_caption_bytes:
            message = (
                f"the captions would take {size} bytes as WebVTT; the limit is "
                f"{limits.track.max_caption_bytes} bytes"
            )
            problems.append(CheckProblem(None, None, "too_large", "error", message))
    report = check_quality(cues, quality.media_facts(media_object), profile)
    for finding in report.findings:
        problems.append(
            CheckProblem(
                kept[finding.cue] if finding.cue >= 0 else None,
                FINDING_FIELDS.get(finding.rule),
                finding.rule,
                finding.severity,
                finding_message(finding, profile),
            )
        )
    problems.sort(key=lambda p: -1 if p.cue is None else p.cue)
    meets = report.meets_profile and not any(p.severity == "error" for p in problems)
    return CheckResult(tuple(problems), meets)


# ---- request bodies -----------------------------------------------------------------------------


def read_cues(value: object, max_cues: int) -> list[CueDraft]:
    """The ``cues`` of a body as drafts: 400 naming the field (``cues[3].start_ms``) when one
    is not of its type, 413 past ``max_cues``. Line breaks in text become LF."""
    if value is None:
        raise BadRequest.for_field("cues", "cues is required: a JSON array of cues", "blank")
    if not isinstance(value, list):
        raise BadRequest.for_field("cues", "cues must be a JSON array of cues")
    if len(value) > max_cues:
        message = f"at most {max_cues} cues may be sent at once (got {len(value)})"
        raise PayloadTooLarge(message, errors=[FieldError("cues", message, "too_large")])
    return [_draft(item, f"cues[{index}]") for index, item in enumerate(value)]


def text_bytes(drafts: list[CueDraft]) -> int:
    """The UTF-8 bytes of the cues' text, identifiers and settings as sent: a lower bound of
    the WebVTT they would be written as (escaping and timings only add to it)."""
    return sum(
        len(d.text.encode("utf-8"))
        + len((d.identifier or "").encode("utf-8"))
        + len(d.settings.encode("utf-8"))
        for d in drafts
    )


def _refuse_oversized(drafts: list[CueDraft], limits: EditorLimits) -> None:
    """413 before any work when the cues cannot fit in a track: the body may be four times
    the caption limit, and checking, escaping and writing that much text costs seconds."""
    size = text_bytes(drafts)
    limit = limits.track.max_caption_bytes
    if size > limit:
        message = f"the cues' text alone takes {size} bytes; a track holds at most {limit} bytes"
        raise PayloadTooLarge(message, errors=[FieldError("cues", message, "too_large")])


def _draft(item: object, where: str) -> CueDraft:
    fields = _object(item, _CUE_FIELDS, where=where)
    identifier = fields.get("identifier")
    settings = fields.get("settings")
    return CueDraft(
        start_ms=_whole_ms(fields.get("start_ms"), f"{where}.start_ms"),
        end_ms=_whole_ms(fields.get("end_ms"), f"{where}.end_ms"),
        text=normalise_line_breaks(_string(fields.get("text"), f"{where}.text")),
        identifier=None if identifier is None else _string(identifier, f"{where}.identifier"),
        settings="" if settings is None else _string(settings, f"{where}.settings"),
    )


def _object(value: object, known: Sequence[str], *, where: str | None = None) -> dict[str, Any]:
    what = where or "the body"
    if not isinstance(value, dict):
        raise BadRequest.for_field(where or "body", f"{what} must be a JSON object")
    unknown = sorted(str(key) for key in value if key not in known)
    if unknown:
        field = f"{where}.{unknown[0]}" if where else unknown[0]
        expected = ", ".join(known)
        raise BadRequest.for_field(field, f"unknown field {unknown[0]!r} (expected {expected})")
    return value


def _whole_ms(value: object, field: str) -> int:
    # bool is an int in Python; JSON true is not a number of milliseconds, nor is 1.5.
    if value is None:
        raise BadRequest.for_field(field, f"{field} is required", "blank")
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest.for_field(field, f"{field} must be a whole number of milliseconds")
    return value


def _optional_id(value: object, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest.for_field(field, f"{field} must be a version id (an integer) or null")
    return value


def _string(value: object, field: str) -> str:
    if value is None:
        raise BadRequest.for_field(field, f"{field} is required", "blank")
    if not isinstance(value, str):
        raise BadRequest.for_field(field, f"{field} must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # JSON can spell a lone surrogate ("\ud800"); no database can store it.
        raise BadRequest.for_field(field, f"{field} is not valid Unicode text") from None
    return value


# ---- helpers ------------------------------------------------------------------------------------


def _cue_errors(drafts: list[CueDraft]) -> list[FieldError]:
    if not drafts:
        # Every write refuses WebVTT without cues (almost certainly a wrong file).
        return [FieldError("cues", NO_CUES_MESSAGE, "blank")]
    return [_problem_error(p) for p in cue_problems(drafts)]


def _problem_error(problem: CueProblem) -> FieldError:
    # Caption errors number cues from 1, as the line numbers of an upload.
    return FieldError(problem.field, problem.message, "invalid", cue=problem.cue + 1)


def _base_document(track: MediaTrack) -> CaptionDocument:
    """The document whose cues the edited ones replace: the track's served WebVTT (its header
    and blocks); none for legacy content that does not parse, which the cues then replace."""
    try:
        return quality.track_document(track)
    except UnprocessableEntity:
        return CaptionDocument(cues=())


def _checked(written: str, limits: EditorLimits) -> tuple[str, str]:
    """The validation of every write (413, 422); its problems name the cues they concern."""
    try:
        return versions.checked_content(written, limits.track)
    except UnprocessableEntity as exc:
        raise UnprocessableEntity(
            errors=[
                # Every such problem is a caption syntax problem ("invalid").
                FieldError("text" if e.cue is not None else None, e.message, "invalid", cue=e.cue)
                for e in exc.errors
            ]
        ) from exc


def _read_back(webvtt: str, fallback: tuple[Cue, ...]) -> tuple[Cue, ...]:
    """The cues as stored (text escaped by the writer), as a GET would answer them."""
    try:
        return parse_webvtt(webvtt).cues
    except CaptionError:
        return fallback


def _conflict(session: Session, newest: TrackVersion | None) -> VersionConflict:
    if newest is None:
        # The base names a version, but the track has none (it was stored by something that
        # keeps none): there is no author or time to name.
        return VersionConflict(STALE_MESSAGE, version_id=None)
    who = accounts.user_name(session, newest.user_id) or (
        "automatic captioning" if newest.reason == "asr" else "someone"
    )
    when = iso(newest.created_at) or "an unknown time"
    return VersionConflict(CONFLICT_MESSAGE.format(who=who, when=when), version_id=newest.id)
