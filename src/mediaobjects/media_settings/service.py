"""Rules of a course's media settings: who may read and change them, the values a request may
send (with their 400s), and the settings in force for a course (defaults without a row).

Reading them is for those who manage the course's files (teachers, TAs, designers, admins),
like the caption report: the setting decides how the institution's machines spend their time,
which is nothing a student acts on. Changing them is for whoever may caption the course's media
(the same roles: TAs caption course media, so they may ask for it to be done automatically)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from mediaobjects.accounts import access, authentication
from mediaobjects.accounts.permissions import MANAGE_FILES_EDIT, Context
from mediaobjects.accounts.principal import Principal
from mediaobjects.captions import LocaleError, normalise_locale
from mediaobjects.errors import BadRequest, Forbidden
from mediaobjects.media_settings import repository as repo
from mediaobjects.media_settings.models import CourseMediaSettings

# BCP 47's "undetermined": what a caller may send to mean "detect the language".
UNDETERMINED = "und"
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


@dataclass(frozen=True)
class MediaSettings:
    """A course's media settings; ``updated_at`` is None while nobody changed them."""

    course_id: int
    auto_captions: bool
    locale: str | None
    updated_at: datetime | None


@dataclass(frozen=True)
class SettingsChange:
    """What a PUT asks to change; ``None`` attributes are left as they are (``locale`` is
    changed when ``set_locale``: to a tag, or to None for "detect the language")."""

    auto_captions: bool | None = None
    set_locale: bool = False
    locale: str | None = None


def course_settings(session: Session, course_id: int) -> MediaSettings:
    """The settings in force for a course (the defaults when nobody changed them)."""
    row = repo.get_settings(session, course_id)
    if row is None:
        return MediaSettings(course_id, auto_captions=False, locale=None, updated_at=None)
    return _settings(row)


def _settings(row: CourseMediaSettings) -> MediaSettings:
    return MediaSettings(row.course_id, row.auto_captions, row.locale, row.updated_at)


def _authorize(session: Session, principal: Principal, course_ref: str) -> Context:
    authentication.require_user(principal)
    context = access.load_context(session, "Course", course_ref, principal)
    if MANAGE_FILES_EDIT not in access.permissions_in(session, principal, context):
        raise Forbidden()
    return context


def authorize_read(session: Session, principal: Principal, course_ref: str) -> Context:
    """401 for nobody, 404 for an unknown course, 403 for anyone but the course's staff."""
    return _authorize(session, principal, course_ref)


def authorize_update(session: Session, principal: Principal, course_ref: str) -> Context:
    """As ``authorize_read``: the staff who may caption the course's media may change them."""
    return _authorize(session, principal, course_ref)


def read_settings(session: Session, principal: Principal, course_ref: str) -> MediaSettings:
    context = authorize_read(session, principal, course_ref)
    return course_settings(session, context.id)


def parse_boolean(name: str, value: Any) -> bool:
    """A JSON boolean, or a form's true/false (also 1/0, yes/no, on/off); else a 400."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise BadRequest.for_field(name, f"{name} must be true or false")


def parse_locale(name: str, value: Any) -> str | None:
    """A BCP 47 tag in canonical case; null, "" or ``und`` (BCP 47's "undetermined") for
    "detect the language", as on the asr routes; else a 400."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRequest.for_field(name, f"{name} must be a language tag or null")
    try:
        locale = normalise_locale(value)
    except LocaleError as exc:
        raise BadRequest.for_field(name, exc.message) from exc
    # Stored as "und", the rule would look for an und track only, and queue a detection
    # for media that already has captions in another language.
    return None if locale == UNDETERMINED else locale


def parse_change(values: dict[str, Any]) -> SettingsChange:
    """The change a request body asks for (``auto_captions``, ``locale`` or both; other
    keys are ignored, as Canvas ignores them); a 400 naming the field otherwise."""
    given_auto = "auto_captions" in values
    given_locale = "locale" in values
    if not given_auto and not given_locale:
        raise BadRequest.for_field(
            "auto_captions", "send auto_captions, locale or both", "required"
        )
    return SettingsChange(
        auto_captions=parse_boolean("auto_captions", values["auto_captions"])
        if given_auto
        else None,
        set_locale=given_locale,
        locale=parse_locale("locale", values["locale"]) if given_locale else None,
    )


def update_settings(
    session: Session, principal: Principal, course_ref: str, change: SettingsChange
) -> MediaSettings:
    """Applies ``change`` to the course's settings (created on first change); the user and
    the time are recorded."""
    context = authorize_update(session, principal, course_ref)
    row = repo.get_settings(session, context.id)
    if row is None:
        row = CourseMediaSettings(course_id=context.id, auto_captions=False, locale=None)
        repo.add_settings(session, row)
    if change.auto_captions is not None:
        row.auto_captions = change.auto_captions
    if change.set_locale:
        row.locale = change.locale
    row.updated_by = principal.user_id
    row.updated_at = datetime.now(UTC)
    session.flush()
    return _settings(row)


def settings_of_course(session: Session, course_ref: str) -> MediaSettings:
    """The settings of a course named by an operator (no rights: the command line is the
    server's own); NotFound when there is no such course."""
    return course_settings(session, access.load_course(session, course_ref).id)
