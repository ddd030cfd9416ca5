"""Rules of the media tracks domain: listing, replacing (PUT), upserting, reading and deleting
the caption tracks of a media object, reached either by its media id or through one of its
attachments (canvas-media-api.md §1.3, §2.5–2.9, as amended by decisions.md).

Every function takes the route's objects: ``media_object=`` alone for
``/media_objects/:media_id``; ``attachment=`` for ``/media_attachments/:attachment_id``, with
``media_object=`` its media object when the caller already loaded it (else it is looked up)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediaobjects.accounts import authentication
from mediaobjects.accounts.principal import Principal
from mediaobjects.captions import (
    BLANK_MESSAGE,
    DEFAULT_KIND,
    TTML_MESSAGE,
    CaptionDocument,
    CaptionError,
    KindError,
    LocaleError,
    NormalisedCaption,
    looks_like_ttml,
    normalise_caption,
    normalise_locale,
    validate_kind,
)
from mediaobjects.db.base import utcnow
from mediaobjects.errors import (
    BadRequest,
    FieldError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    UnprocessableEntity,
)
from mediaobjects.files import service as files
from mediaobjects.files.models import Attachment
from mediaobjects.media_objects import service as media_objects
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_objects.rights import (
    CaptionRights,
    attachment_caption_rights,
    caption_rights,
)
from mediaobjects.media_tracks import history
from mediaobjects.media_tracks import repository as repo
from mediaobjects.media_tracks.models import MediaTrack, TrackSummaryRow

TAKEN_MESSAGE = "has already been taken"
NOT_AN_ARRAY = "the body must be a JSON array of tracks"
ORIGINAL_TRACKS_MESSAGE = (
    "The {locales} captions belong to the original file this one was copied from; only "
    "someone who may change the original's captions can delete them."
)


@dataclass(frozen=True)
class TrackLimits:
    """Size limits of track writes: one caption's content, and tracks per media object."""

    max_caption_bytes: int
    max_tracks: int


@dataclass(frozen=True)
class TrackView:
    """A track as one route shows it: ``inherited`` is True when an attachment shows a track
    of the media object's default attachment rather than one of its own."""

    track: MediaTrack
    inherited: bool = False


@dataclass(frozen=True)
class _Route:
    media_object: MediaObject
    # None on the media-object route.
    attachment: Attachment | None


@dataclass(frozen=True)
class _Element:
    """One validated track of a request. ``content`` None means "keep the track as it is"
    (PUT elements without content); ``locale`` is canonical except for a content-less element
    naming a legacy track by its stored, no longer valid, locale."""

    index: int | None
    locale: str | None
    kind: str | None
    content: str | None
    webvtt: str | None
    # The cues of ``content`` (None for content-less elements; no cues for lenient legacy).
    document: CaptionDocument | None = None


@dataclass(frozen=True)
class UpsertPreview:
    """What ``upsert_track`` would do with a track, without doing it (for bulk imports and
    their dry runs): the validated ``locale`` and ``kind`` (None: unchanged or the default),
    the WebVTT and cues the content becomes, and ``current``, the track it would update (None:
    it would add one)."""

    locale: str
    kind: str | None
    webvtt: str | None
    document: CaptionDocument | None
    current: MediaTrack | None


# ---- reading ------------------------------------------------------------------------------


def list_tracks(
    session: Session,
    principal: Principal,
    *,
    media_object: MediaObject | None = None,
    attachment: Attachment | None = None,
) -> list[TrackView]:
    """The tracks the route shows, every user's (decision D4), ordered by locale."""
    authentication.require_user(principal)
    route = _resolve(session, media_object, attachment)
    _require_read(session, principal, route)
    return _visible(session, route)


def visible_tracks(
    session: Session,
    *,
    media_object: MediaObject | None = None,
    attachment: Attachment | None = None,
    content: bool = True,
) -> list[TrackView]:
    """The tracks the route shows, with no access check: for serializers whose caller has
    already been allowed to see the media object or the attachment. ``content=False`` for
    those that show no caption text (its columns are then not loaded)."""
    return _visible(session, _resolve(session, media_object, attachment), content=content)


def visible_tracks_of_many(
    session: Session, media_objects: list[MediaObject]
) -> dict[int, list[TrackSummaryRow]]:
    """``visible_tracks`` on the media-object route for a whole page of media objects, in one
    query, as summaries (no caption text); keyed by media object id. No access check (for
    list serializers)."""
    return repo.media_object_views(session, {mo.id: mo.attachment_id for mo in media_objects})


def get_track_content(
    session: Session,
    principal: Principal,
    track_id: int,
    *,
    media_object: MediaObject | None = None,
    attachment: Attachment | None = None,
    verified: bool = False,
) -> MediaTrack:
    """The track to serve (see ``served_webvtt``). ``verified`` means the caller checked a
    signed verifier for this route, which stands in for read access (decision D5)."""
    if not verified:
        authentication.require_user(principal)
    route = _resolve(session, media_object, attachment)
    if not verified:
        _require_read(session, principal, route)
    view = _find_visible(session, route, track_id)
    # Legacy rows are re-checked before serving, as Canvas does: TTML can carry script.
    if looks_like_ttml(view.track.content) or looks_like_ttml(served_webvtt(view.track)):
        raise UnprocessableEntity(
            TTML_MESSAGE, errors=[FieldError("content", TTML_MESSAGE, "invalid")]
        )
    return view.track


# What an automatic track serves while it is being made (or after it failed): no cues yet.
EMPTY_WEBVTT = "WEBVTT\n"


def served_webvtt(track: MediaTrack) -> str:
    """The body a player gets: the normalised WebVTT, or the raw content for legacy rows that
    never had one computed (§3.3; decision D7 fills ``webvtt_content`` on every save). An
    automatic track still processing (or failed) has no content yet: an empty WebVTT, so
    that players show nothing rather than an error."""
    if track.webvtt_content is not None:
        return track.webvtt_content
    if not track.content.strip():
        return EMPTY_WEBVTT
    return track.content


# ---- writing ------------------------------------------------------------------------------


def authorize_replace(
    session: Session,
    principal: Principal,
    *,
    media_object: MediaObject | None = None,
    attachment: Attachment | None = None,
) -> None:
    """A PUT needs both caption rights on the route (decision D2); checked before its body is
    read. Per-track rights through a copy (D19) need the body and are checked on replace."""
    authentication.require_user(principal)
    rights = _rights(session, principal, _resolve(session, media_object, attachment))
    if not (rights.add and rights.delete):
        raise Forbidden()


def authorize_add(
    session: Session,
    principal: Principal,
    *,
    media_object: MediaObject | None = None,
    attachment: Attachment | None = None,
) -> None:
    """Adding one track needs the add-captions right on the route."""
    authentication.require_user(principal)
    if not _rights(session, principal, _resolve(session, media_object, attachment)).add:
        raise Forbidden()


def replace_tracks(
    session: Session,
    principal: Principal,
    body: object,
    *,
    media_object: MediaObject | None = None,
    attachment: Attachment | None = None,
    limits: TrackLimits,
    lenient: bool = False,
) -> list[TrackView]:
    """PUT: the body (a JSON array) becomes the route's set of tracks. Visible tracks whose
    locale the body omits are deleted; elements with content create or update their locale;
    elements without content keep theirs as they are (§2.6).

    Unlike Canvas, the whole body is validated before anything changes and every problem is
    reported at once (decision D1), and a caller without both caption rights gets 403/401
    instead of a silent 204 (decision D2). An empty body or ``null`` is refused rather than
    taken as ``[]`` (D20); an explicit ``[]`` deletes every track, as in Canvas. Through a copy
    of the media's file, deleting a track the copy inherits from the original needs the rights
    on the original (D19). At most ``limits.max_tracks`` tracks per media object."""
    user = authentication.require_user(principal)
    route = _resolve(session, media_object, attachment)
    rights = _rights(session, principal, route)
    if not (rights.add and rights.delete):
        raise Forbidden()
    if not isinstance(body, list):
        raise BadRequest(NOT_AN_ARRAY)
    max_caption_bytes = limits.max_caption_bytes
    # Concurrent replacements of one media object's tracks take turns, each reading the set
    # the one before left (the last to commit wins whole, never a mix or a deadlock).
    repo.lock_tracks_of(session, route.media_object.id)
    visible = _visible(session, route)
    legacy_locales = {view.track.locale for view in visible}
    errors: list[FieldError] = []
    oversized: list[FieldError] = []
    elements: list[_Element] = []
    for index, item in enumerate(body):
        if not isinstance(item, dict):
            errors.append(
                FieldError(None, "each track must be a JSON object", "invalid", index=index)
            )
            continue
        element = _check_element(
            index,
            item.get("locale"),
            item.get("kind"),
            item.get("content"),
            errors=errors,
            oversized=oversized,
            max_caption_bytes=max_caption_bytes,
            lenient=lenient,
            content_required=False,
            legacy_locales=legacy_locales,
        )
        if element is not None:
            elements.append(element)
    _raise_problems(errors, oversized, max_caption_bytes)

    keep = {_key(e.locale) for e in elements if e.locale is not None}
    doomed = [view for view in visible if _key(view.track.locale) not in keep]
    _require_original_rights(session, principal, route, [v for v in doomed if v.inherited])
    position: list[int | None] = [None]

    def apply() -> None:
        now = utcnow()
        for track in (view.track for view in doomed):
            history.record_delete(session, track, user.id, now)
            repo.delete_track(session, track)
        session.flush()
        remaining = [view for view in visible if view not in doomed]
        for element in elements:
            if element.content is None:
                continue
            position[0] = element.index
            _upsert(session, route, remaining, element, user.id, "api")
        if doomed or any(e.content is not None for e in elements):
            route.media_object.updated_at = utcnow()
        session.flush()
        _check_track_count(session, route, limits.max_tracks)

    _in_savepoint(session, apply, lambda: position[0])
    return _visible(session, route)


def upsert_track(
    session: Session,
    principal: Principal,
    *,
    media_object: MediaObject | None = None,
    attachment: Attachment | None = None,
    locale: str | None,
    kind: str | None,
    content: str | None,
    limits: TrackLimits,
    lenient: bool = False,
    reason: str = "create",
) -> MediaTrack:
    """POST one track: creates the locale's track, or updates it when the route already
    shows one of that locale (whoever created it; its ``user_id`` stays). ``kind`` None
    means ``subtitles`` for a new track and "unchanged" for an existing one (§2.7).
    ``reason`` is the version's (``create`` for the route, ``import`` for bulk imports)."""
    user = authentication.require_user(principal)
    route = _resolve(session, media_object, attachment)
    if not _rights(session, principal, route).add:
        raise Forbidden()
    max_caption_bytes = limits.max_caption_bytes
    errors: list[FieldError] = []
    oversized: list[FieldError] = []
    element = _check_element(
        None,
        locale,
        kind,
        content,
        errors=errors,
        oversized=oversized,
        max_caption_bytes=max_caption_bytes,
        lenient=lenient,
        content_required=True,
        legacy_locales=set(),
    )
    _raise_problems(errors, oversized, max_caption_bytes)
    assert element is not None
    visible = _visible(session, route)
    saved: list[MediaTrack] = []

    def apply() -> None:
        saved.append(_upsert(session, route, visible, element, user.id, reason))
        route.media_object.updated_at = utcnow()
        session.flush()
        _check_track_count(session, route, limits.max_tracks)

    _in_savepoint(session, apply, lambda: None)
    return saved[0]


def preview_upsert(
    session: Session,
    principal: Principal,
    *,
    media_object: MediaObject,
    locale: str | None,
    kind: str | None,
    content: str | None,
    limits: TrackLimits,
    lenient: bool = False,
) -> UpsertPreview:
    """The checks of ``upsert_track`` on the media-object route, in the same order and with
    the same errors (Forbidden, PayloadTooLarge, UnprocessableEntity), writing nothing."""
    user = authentication.require_user(principal)
    route = _resolve(session, media_object, None)
    if not _rights(session, principal, route).add:
        raise Forbidden()
    errors: list[FieldError] = []
    oversized: list[FieldError] = []
    element = _check_element(
        None,
        locale,
        kind,
        content,
        errors=errors,
        oversized=oversized,
        max_caption_bytes=limits.max_caption_bytes,
        lenient=lenient,
        content_required=True,
        legacy_locales=set(),
    )
    _raise_problems(errors, oversized, limits.max_caption_bytes)
    assert element is not None and element.locale is not None
    current = _target(route, _visible(session, route), _key(element.locale), user.id)
    if current is None and repo.count_tracks(session, media_object.id) >= limits.max_tracks:
        message = f"A media object may have at most {limits.max_tracks} tracks."
        raise UnprocessableEntity(message, errors=[FieldError(None, message, "too_many")])
    return UpsertPreview(element.locale, element.kind, element.webvtt, element.document, current)


def delete_track(
    session: Session,
    principal: Principal,
    track_id: int,
    *,
    media_object: MediaObject | None = None,
    attachment: Attachment | None = None,
) -> MediaTrack:
    """Hard-deletes a track the route shows, whoever created it. Through an attachment this
    includes a track it inherits from the default attachment, as in Canvas (§5 item 16), but
    only for someone with the rights on the original (D19)."""
    user = authentication.require_user(principal)
    route = _resolve(session, media_object, attachment)
    if not _rights(session, principal, route).delete:
        raise Forbidden()
    view = _find_visible(session, route, track_id)
    _require_original_rights(session, principal, route, [view] if view.inherited else [])
    history.record_delete(session, view.track, user.id, utcnow())
    repo.delete_track(session, view.track)
    route.media_object.updated_at = utcnow()
    session.flush()
    return view.track


# ---- routes, access and visibility -----------------------------------------------------------


def _resolve(
    session: Session, media_object: MediaObject | None, attachment: Attachment | None
) -> _Route:
    if attachment is not None:
        media_entry_id = attachment.media_entry_id
        if attachment.workflow_state == "deleted" or media_entry_id is None:
            raise NotFound()
        if media_object is None:
            media_object = media_objects.find_media_object(session, media_entry_id)
            if media_object is None:
                raise NotFound()
        elif media_entry_id not in (media_object.media_id, media_object.old_media_id):
            raise ValueError("the attachment is not a file of this media object")
    if media_object is None:
        raise TypeError("pass media_object=, attachment=, or both")
    if media_object.workflow_state == "deleted":  # decision D16
        raise NotFound()
    return _Route(media_object, attachment)


def _visible(session: Session, route: _Route, *, content: bool = True) -> list[TrackView]:
    media_object = route.media_object
    if route.attachment is None:
        tracks = repo.media_object_view(
            session, media_object.id, media_object.attachment_id, content=content
        )
        return [TrackView(track, False) for track in tracks]
    pairs = repo.attachment_view(
        session, route.attachment.id, media_object.attachment_id, content=content
    )
    return [TrackView(track, inherited) for track, inherited in pairs]


def _find_visible(session: Session, route: _Route, track_id: int) -> TrackView:
    for view in _visible(session, route):
        if view.track.id == track_id:
            return view
    raise NotFound()


def _require_read(session: Session, principal: Principal, route: _Route) -> None:
    if route.attachment is not None:
        allowed = files.can_read(session, principal, route.attachment)
    else:
        # Decision D5: the owner, whoever may read the default file, or (media without a
        # file) whoever may read its context.
        allowed = media_objects.can_read(session, principal, route.media_object)
    if not allowed:
        raise Forbidden()


def _rights(session: Session, principal: Principal, route: _Route) -> CaptionRights:
    if principal.user is None:
        raise Unauthenticated()
    if route.attachment is not None:
        return attachment_caption_rights(session, principal, route.attachment)
    return caption_rights(session, principal, route.media_object)


def _require_original_rights(
    session: Session, principal: Principal, route: _Route, inherited: list[TrackView]
) -> None:
    """Decision D19: tracks a copy inherits belong to the media's original file. Deleting them
    through the copy needs the caption rights on the original, or nothing changes (403)."""
    if not inherited or caption_rights(session, principal, route.media_object).delete:
        return
    locales = ", ".join(sorted({view.track.locale for view in inherited}))
    raise Forbidden(ORIGINAL_TRACKS_MESSAGE.format(locales=locales))


def _check_track_count(session: Session, route: _Route, max_tracks: int) -> None:
    count = repo.count_tracks(session, route.media_object.id)
    if count > max_tracks:
        message = (
            f"A media object may have at most {max_tracks} tracks; "
            f"this request would leave it with {count}."
        )
        raise UnprocessableEntity(message, errors=[FieldError(None, message, "too_many")])


# ---- validation ---------------------------------------------------------------------------


def _key(locale: str) -> str:
    # Decision D9: locales compare without regard to case (stored ones are canonical, but
    # legacy rows imported from Canvas may not be).
    return locale.lower()


def _check_element(
    index: int | None,
    locale: object,
    kind: object,
    content: object,
    *,
    errors: list[FieldError],
    oversized: list[FieldError],
    max_caption_bytes: int,
    lenient: bool,
    content_required: bool,
    legacy_locales: set[str],
) -> _Element | None:
    """Validates one track, appending a FieldError per problem; None when it has any."""
    found = len(errors) + len(oversized)

    has_content = isinstance(content, str) and content.strip() != ""
    checked_content: str | None = None
    webvtt: str | None = None
    document: CaptionDocument | None = None
    if content is not None and not isinstance(content, str):
        errors.append(FieldError("content", "must be a string", "invalid", index))
    elif not has_content:
        if content_required:
            errors.append(FieldError("content", BLANK_MESSAGE, "blank", index))
    else:
        assert isinstance(content, str)
        if len(content.encode("utf-8", "surrogatepass")) > max_caption_bytes:
            # Not parsed: the limit is there to bound the work a request can cause.
            message = f"is larger than the limit of {max_caption_bytes} bytes"
            oversized.append(FieldError("content", message, "too_large", index))
        else:
            try:
                normalised = _normalise_content(content, lenient)
                webvtt = normalised.webvtt
                document = normalised.document
                # Converted formats (SBV, TTML, SAMI) store the WebVTT, never their markup.
                checked_content = normalised.content or content
            except CaptionError as exc:
                # One error per problem, so that a client can list them all against the file.
                errors.extend(
                    FieldError("content", str(p), "invalid", index, line=p.line, cue=p.cue)
                    for p in exc.problems
                )

    checked_locale: str | None = None
    if locale is None:
        if has_content or content_required:
            errors.append(FieldError("locale", BLANK_MESSAGE, "blank", index))
    elif not isinstance(locale, str):
        errors.append(FieldError("locale", "must be a string", "invalid", index))
    else:
        try:
            checked_locale = normalise_locale(locale)
        except LocaleError as exc:
            if not has_content and locale in legacy_locales:
                # Keeps a legacy track whose stored locale fails today's rules (zh_CN), so
                # that a client can still send back the list it was given.
                checked_locale = locale
            else:
                errors.append(FieldError("locale", exc.message, "invalid", index))

    checked_kind: str | None = None
    if kind is not None:
        if not isinstance(kind, str):
            errors.append(FieldError("kind", "must be a string", "invalid", index))
        else:
            try:
                checked_kind = validate_kind(kind)
            except KindError as exc:
                errors.append(FieldError("kind", exc.message, "inclusion", index))

    if len(errors) + len(oversized) > found:
        return None
    return _Element(index, checked_locale, checked_kind, checked_content, webvtt, document)


def _normalise_content(content: str, lenient: bool) -> NormalisedCaption:
    # The caption library accepts any text; the database cannot store NUL (PostgreSQL) or
    # lone surrogates (neither can be encoded), so they are refused here rather than as a 500.
    if "\x00" in content:
        before = content[: content.index("\x00")]
        line = before.count("\n") + before.replace("\r\n", "\n").count("\r") + 1
        raise CaptionError("must not contain NUL characters", line)
    try:
        content.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CaptionError("is not valid Unicode text") from exc
    return normalise_caption(content, lenient=lenient)


def _raise_problems(
    errors: list[FieldError], oversized: list[FieldError], max_caption_bytes: int
) -> None:
    if oversized:
        raise PayloadTooLarge(
            f"Caption content must not be larger than {max_caption_bytes} bytes.",
            errors=oversized,
        )
    if errors:
        raise UnprocessableEntity(errors=errors)


# ---- saving -------------------------------------------------------------------------------


def _upsert(
    session: Session,
    route: _Route,
    visible: list[TrackView],
    element: _Element,
    user_id: int,
    reason: str,
) -> MediaTrack:
    """Creates or updates the track of ``element``'s locale and records it in ``visible`` so
    that a later element of the same locale updates it (last one wins). The content written
    becomes a version with ``reason``, unless it is the content the track already had."""
    assert element.locale is not None and element.content is not None
    target = _target(route, visible, _key(element.locale), user_id)
    media_object = route.media_object
    attachment_id = route.attachment.id if route.attachment else media_object.attachment_id
    if target is None:
        target = repo.add_track(
            session,
            MediaTrack(
                media_object_id=media_object.id,
                attachment_id=attachment_id,
                user_id=user_id,
                kind=element.kind or DEFAULT_KIND,
                locale=element.locale,
                content=element.content,
                webvtt_content=element.webvtt,
            ),
        )
        visible.append(TrackView(target, False))
        changed = True
    else:
        history.keep_current(session, target)
        changed = target.content != element.content
        # A legacy track without attachment joins the default attachment when written to,
        # as Canvas does before validating a track.
        target.attachment_id = attachment_id
        repo.update_track(
            session,
            target,
            locale=element.locale,
            kind=element.kind,
            content=element.content,
            webvtt_content=element.webvtt,
        )
    session.flush()
    if changed:
        # Writing back the same content (clients that send every track on each save) is no
        # edit: a version for it would only copy the caption file again.
        history.record_write(session, target, reason, user_id)
    return target


def _target(route: _Route, visible: list[TrackView], key: str, user_id: int) -> MediaTrack | None:
    """The track a write of locale ``key`` updates. Through the media id: the visible track of
    that locale, whoever made it (decision D4), preferring one on the default attachment (it
    holds the unique locale), then the caller's, then the oldest. Through an attachment: the
    attachment's own track; an inherited one is copied, never edited in place."""
    candidates = [
        view.track
        for view in visible
        if _key(view.track.locale) == key
        and not view.inherited
        and view.track.media_object_id == route.media_object.id
        and (route.attachment is None or view.track.attachment_id == route.attachment.id)
    ]
    if not candidates:
        return None
    default_id = route.media_object.attachment_id
    return min(
        candidates,
        key=lambda t: (
            not (default_id is not None and t.attachment_id == default_id),
            t.user_id != user_id,
            t.id if t.id is not None else 1 << 62,
        ),
    )


def _in_savepoint(
    session: Session, apply: Callable[[], None], position: Callable[[], int | None]
) -> None:
    """Runs ``apply`` in a savepoint of the caller's transaction: when the database refuses a
    row (a concurrent writer took the locale first), nothing of this call stays, the caller's
    transaction remains usable, and the caller gets a 422 instead of a 500."""
    try:
        with session.begin_nested():
            apply()
    except IntegrityError as exc:
        if "unique" not in str(exc.orig).lower():
            raise
        raise UnprocessableEntity(
            errors=[FieldError("locale", TAKEN_MESSAGE, "taken", position())]
        ) from exc
