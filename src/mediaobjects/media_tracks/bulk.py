"""Bulk export and import of a course's captions, shared by the command line and the
``captions.zip`` routes: one file per track named ``<title>.<locale>.<ext>`` plus
``manifest.csv``; an import matches files to media by the manifest (else by the file name),
validates them as every track write does and writes through ``service.upsert_track``, so each
change is a version (reason ``import``). Rights: the course's caption managers (those who may
edit its files) export and import; each file also needs the caption rights on its media.

Atomicity: each file is one write; a refused file changes nothing. The caller passes
``after_each`` (its session's commit) so that each file that passes is stored in its own
transaction: a large import never holds SQLite's single write lock for longer than one file
takes (ten 2 MB files in one transaction held it for 40 s, and other writers gave up after
their 30 s busy timeout). If the import stops midway, the files before are stored, as its
report and a second run (where they are ``unchanged``) show."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.orm import Session

from mediaobjects.accounts import access, authentication
from mediaobjects.accounts.permissions import MANAGE_FILES_EDIT, READ_CONTENTS, Context
from mediaobjects.accounts.principal import Principal
from mediaobjects.captions import (
    CaptionDocument,
    CaptionError,
    Cue,
    LocaleError,
    normalise_caption,
    normalise_locale,
)
from mediaobjects.captions.formats import (
    DEFAULT_FORMAT,
    FORMATS,
    CaptionFormat,
    FormatError,
    find_format,
)
from mediaobjects.errors import (
    BadRequest,
    FieldError,
    Forbidden,
    MediaObjectsError,
    UnprocessableEntity,
)
from mediaobjects.media_objects.listing import MAX_PER_PAGE, ListQuery, list_media_objects
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_objects.schemas import display_title
from mediaobjects.media_tracks import downloads
from mediaobjects.media_tracks import service as tracks
from mediaobjects.media_tracks.models import MediaTrack

MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("media_id", "attachment", "title", "locale", "kind", "file")
IMPORT_REASON = "import"
# File names stay well under the 255 bytes of common file systems with locale and extension.
MAX_STEM_BYTES = 150
_UNSAFE = re.compile(r'[/\\:*?"<>|]')
_SPACES = re.compile(r"\s+")
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{n}" for n in range(1, 10)}
    | {f"LPT{n}" for n in range(1, 10)}
)
# Extensions an import reads, with the export format they come from (for "unchanged").
_EXTENSIONS = {f.extension: f for f in FORMATS.values()} | {"webvtt": FORMATS[DEFAULT_FORMAT]}
# Cells a spreadsheet would run as a formula start with these (as in the caption report's
# CSV); the manifest's text cells get a leading apostrophe, which an import takes off again.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")

Progress = Callable[[int, int], None]


# ---- rights ---------------------------------------------------------------------------------


def authorize_course_captions(session: Session, principal: Principal, course_ref: str) -> Context:
    """The course, when ``principal`` may manage its captions (teachers, TAs, designers, site
    admins: those who may edit the course's files, which is what captioning its media needs).
    Anonymous callers get 401, others 403, an unknown course 404. Call it before a body is
    read."""
    authentication.require_user(principal)
    context = access.load_context(session, "Course", course_ref, principal)
    granted = access.permissions_in(session, principal, context)
    if READ_CONTENTS not in granted or MANAGE_FILES_EDIT not in granted:
        raise Forbidden()
    return context


def _course_media(session: Session, principal: Principal, context: Context) -> list[MediaObject]:
    """Every media object of the course's files, through the media list's own access filter."""
    found: list[MediaObject] = []
    page = 1
    while True:
        listed = list_media_objects(
            session,
            principal,
            context=context,
            query=ListQuery(page=page, per_page=MAX_PER_PAGE),
        )
        found.extend(listed.items)
        if not listed.items or len(found) >= listed.total:
            return found
        page += 1


# ---- file names -----------------------------------------------------------------------------


def safe_stem(text: str, max_bytes: int = MAX_STEM_BYTES) -> str:
    """``text`` as the start of a file name on any system: no path separators, reserved
    characters or control characters, no leading or trailing dots and spaces, not a reserved
    Windows device name, at most ``max_bytes`` UTF-8 bytes (cut between characters)."""
    cleaned = "".join(
        "_" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co") else ch
        for ch in unicodedata.normalize("NFC", text)
    )
    cleaned = _SPACES.sub(" ", _UNSAFE.sub("_", cleaned)).strip(" .")
    while len(cleaned.encode("utf-8")) > max_bytes:
        cleaned = cleaned[:-1]
    cleaned = cleaned.rstrip(" .")
    if not cleaned:
        cleaned = "untitled"
    if cleaned.split(".", 1)[0].strip().upper() in _WINDOWS_RESERVED:
        cleaned = "_" + cleaned
    return cleaned


def _stems(media: Sequence[MediaObject]) -> dict[int, str]:
    """Each media object's file-name stem: its safe title, with `` [media_id]`` added for
    media whose titles would give the same name (compared without case, as on Windows and
    macOS)."""
    plain = {mo.id: safe_stem(display_title(mo)) for mo in media}
    counts: dict[str, int] = {}
    for stem in plain.values():
        counts[stem.casefold()] = counts.get(stem.casefold(), 0) + 1
    stems: dict[int, str] = {}
    for mo in media:
        stem = plain[mo.id]
        if counts[stem.casefold()] > 1:
            suffix = f" [{safe_stem(mo.media_id, 60)}]"
            stem = safe_stem(stem, MAX_STEM_BYTES - len(suffix.encode("utf-8"))) + suffix
        stems[mo.id] = stem
    return stems


def _locale_part(locale: str) -> str:
    # Legacy locales (zh_CN) may hold anything; a file name must not.
    return safe_stem(locale.replace(".", "_"), 40)


# ---- export ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportedFile:
    name: str
    data: bytes
    media_id: str
    attachment_id: int | None
    title: str
    locale: str
    kind: str
    # Set when the track could not be written in the format asked for (it is then WebVTT).
    note: str | None = None


@dataclass(frozen=True)
class CourseExport:
    files: list[ExportedFile]
    media_count: int

    def manifest(self) -> bytes:
        """``manifest.csv``: one row per file, in the order of ``files``."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(MANIFEST_COLUMNS)
        for f in self.files:
            attachment = "" if f.attachment_id is None else str(f.attachment_id)
            cells = (f.media_id, attachment, f.title, f.locale, f.kind, f.name)
            writer.writerow([_defused(cell) for cell in cells])
        return out.getvalue().encode("utf-8")

    def zip_members(self) -> list[tuple[str, bytes]]:
        return [(f.name, f.data) for f in self.files] + [(MANIFEST, self.manifest())]


def _defused(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _cell(record: dict[str | Any, str | Any], column: str) -> str:
    """A manifest cell as exported before ``_defused``: stripped, one leading apostrophe off."""
    value = str(record.get(column) or "").strip()
    return value[1:] if value.startswith("'") else value


def check_format(format_name: str | None) -> CaptionFormat:
    try:
        return find_format(format_name)
    except FormatError as exc:
        raise BadRequest.for_field("format", exc.message, "inclusion") from exc


def export_captions(
    session: Session,
    principal: Principal,
    course_ref: str,
    format_name: str | None,
    *,
    progress: Progress | None = None,
) -> CourseExport:
    """Every track of every media object of the course (as its media id shows them), written
    in ``format_name``. A track that format cannot hold (or a legacy track that no longer
    parses) is exported as WebVTT, with a note, rather than left out."""
    context = authorize_course_captions(session, principal, course_ref)
    caption_format = check_format(format_name)
    media = _course_media(session, principal, context)
    stems = _stems(media)
    files: list[ExportedFile] = []
    taken: set[str] = {MANIFEST}
    for done, mo in enumerate(media, start=1):
        for view in tracks.visible_tracks(session, media_object=mo):
            files.append(_export_track(mo, view.track, stems[mo.id], caption_format, taken))
        if progress is not None:
            progress(done, len(media))
    return CourseExport(files, len(media))


def _export_track(
    mo: MediaObject, track: MediaTrack, stem: str, caption_format: CaptionFormat, taken: set[str]
) -> ExportedFile:
    note: str | None = None
    used = caption_format
    try:
        text = downloads.write_track(track, caption_format)
    except UnprocessableEntity as exc:
        used = FORMATS[DEFAULT_FORMAT]
        text = tracks.served_webvtt(track)
        note = f"exported as WebVTT: {exc.message}"
    base = f"{stem}.{_locale_part(track.locale)}"
    name = f"{base}.{used.extension}"
    # Two tracks of one locale (a legacy row beside the current one) keep distinct names.
    if name.casefold() in taken:
        name = f"{base}.track{track.id}.{used.extension}"
    taken.add(name.casefold())
    return ExportedFile(
        name=name,
        data=text.encode("utf-8"),
        media_id=mo.media_id,
        attachment_id=track.attachment_id,
        title=display_title(mo),
        locale=track.locale,
        kind=track.kind,
        note=note,
    )


# ---- import ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingFile:
    """A file to import: ``data`` None when it was refused already (``problem`` says why)."""

    name: str
    data: bytes | None
    problem: str | None = None


@dataclass(frozen=True)
class Outcome:
    file: str
    status: Literal["changed", "unchanged", "refused"]
    media_id: str | None = None
    locale: str | None = None
    # changed: "added" or "updated"; refused: the reason.
    detail: str = ""

    def as_json(self) -> dict[str, object]:
        if self.status == "refused":
            return {"file": self.file, "reason": self.detail}
        found: dict[str, object] = {
            "file": self.file,
            "media_id": self.media_id,
            "locale": self.locale,
        }
        if self.status == "changed":
            found["action"] = self.detail
        return found


@dataclass
class ImportReport:
    dry_run: bool
    outcomes: list[Outcome] = field(default_factory=list)

    def of(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def refused(self) -> bool:
        return any(o.status == "refused" for o in self.outcomes)

    def as_json(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "changed": [o.as_json() for o in self.of("changed")],
            "unchanged": [o.as_json() for o in self.of("unchanged")],
            "refused": [o.as_json() for o in self.of("refused")],
        }


@dataclass(frozen=True)
class _Row:
    media_id: str | None
    locale: str | None
    kind: str | None


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _manifest_rows(data: bytes | None) -> dict[str, _Row]:
    """The manifest's rows by file name (case-folded); UnprocessableEntity when it cannot be
    read, since every file's match would then be in doubt."""
    if data is None:
        return {}
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _manifest_error("it is not UTF-8 text") from exc
    # The csv module's own field limit (128 KiB, process-wide) bounds a cell; a longer one
    # is a csv.Error, refused below.
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if reader.fieldnames is None or "file" not in reader.fieldnames:
            raise _manifest_error('its first line must name the columns, with at least "file"')
        rows: dict[str, _Row] = {}
        for record in reader:
            name = _cell(record, "file")
            if not name:
                continue
            rows[unicodedata.normalize("NFC", name).casefold()] = _Row(
                media_id=_cell(record, "media_id") or None,
                locale=_cell(record, "locale") or None,
                kind=_cell(record, "kind") or None,
            )
    except csv.Error as exc:
        raise _manifest_error(f"it is not valid CSV ({exc})") from exc
    return rows


def _manifest_error(why: str) -> UnprocessableEntity:
    message = f"{MANIFEST} cannot be read: {why}."
    return UnprocessableEntity(message, errors=[FieldError("file", message, "invalid")])


def _split_name(name: str) -> tuple[str, str, str] | None:
    """``<title>.<locale>.<ext>`` -> (title, locale, ext); None when the name has not three
    parts. The title may itself contain dots; locales and extensions never do."""
    parts = name.rsplit(".", 2)
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2].lower()


def import_captions(
    session: Session,
    principal: Principal,
    course_ref: str,
    files: Sequence[IncomingFile],
    *,
    dry_run: bool,
    limits: tracks.TrackLimits,
    lenient: bool = False,
    progress: Progress | None = None,
    after_each: Callable[[], None] | None = None,
) -> ImportReport:
    """Imports ``files`` (``manifest.csv`` among them, if any) into the course's media.

    Each file is matched by its manifest row (media_id, locale, kind), else by its name
    ``<title>.<locale>.<ext>`` against the names an export gives; then checked as a track
    write is (same normalisation, same rights through ``service.preview_upsert``). A file
    whose cues equal the track's (or which is exactly what an export of the track gives) is
    ``unchanged`` and writes nothing. ``dry_run`` checks everything and writes nothing."""
    context = authorize_course_captions(session, principal, course_ref)
    manifest = next((f for f in files if f.name.casefold() == MANIFEST), None)
    rows = _manifest_rows(manifest.data if manifest is not None else None)
    media = _course_media(session, principal, context)
    by_media_id = {mo.media_id: mo for mo in media}
    stems = _stems(media)
    by_stem: dict[str, list[MediaObject]] = {}
    for mo in media:
        for stem in {stems[mo.id], safe_stem(display_title(mo))}:
            by_stem.setdefault(stem.casefold(), []).append(mo)
    report = ImportReport(dry_run)
    claimed: dict[tuple[int, str], str] = {}
    todo = sorted((f for f in files if f is not manifest), key=lambda f: f.name)
    for done, incoming in enumerate(todo, start=1):
        try:
            outcome = _import_one(
                session,
                principal,
                incoming,
                rows,
                by_media_id,
                by_stem,
                claimed,
                dry_run=dry_run,
                limits=limits,
                lenient=lenient,
            )
        except _Refused as exc:
            outcome = Outcome(incoming.name, "refused", detail=exc.reason)
        if after_each is not None and not dry_run:
            after_each()
        report.outcomes.append(outcome)
        if progress is not None:
            progress(done, len(todo))
    return report


def _import_one(
    session: Session,
    principal: Principal,
    incoming: IncomingFile,
    rows: dict[str, _Row],
    by_media_id: dict[str, MediaObject],
    by_stem: dict[str, list[MediaObject]],
    claimed: dict[tuple[int, str], str],
    *,
    dry_run: bool,
    limits: tracks.TrackLimits,
    lenient: bool,
) -> Outcome:
    if incoming.data is None:
        raise _Refused(incoming.problem or "could not be read")
    media_object, locale, kind, extension = _match(incoming.name, rows, by_media_id, by_stem)
    if len(incoming.data) > limits.max_caption_bytes:
        raise _Refused(f"is larger than the limit of {limits.max_caption_bytes} bytes per file")
    try:
        content = incoming.data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Refused("is not UTF-8 text (save it as UTF-8)") from exc
    try:
        preview = tracks.preview_upsert(
            session,
            principal,
            media_object=media_object,
            locale=locale,
            kind=kind,
            content=content,
            limits=limits,
            lenient=lenient,
        )
    except MediaObjectsError as exc:
        # A file left as exported is "unchanged" even where it could not be written: media
        # whose captions belong to another course, legacy tracks whose locale or content
        # today's rules refuse. A round trip must not fail on them.
        if _unchanged_anyway(session, media_object, locale, content, extension):
            return Outcome(incoming.name, "unchanged", media_object.media_id, locale)
        if isinstance(exc, Forbidden):
            reason = f"you may not change the captions of media {media_object.media_id}"
            raise _Refused(reason) from exc
        raise _Refused(_reason(exc)) from exc
    key = (media_object.id, preview.locale.lower())
    if key in claimed:
        raise _Refused(
            f"{claimed[key]} of this import already sets the {preview.locale} captions of "
            f"media {media_object.media_id}"
        )
    claimed[key] = incoming.name
    done = Outcome(incoming.name, "unchanged", media_object.media_id, preview.locale)
    current = preview.current
    same_kind = current is not None and preview.kind in (None, current.kind)
    if (
        current is not None
        and same_kind
        and _same_captions(current, content, preview.document, extension)
    ):
        return done
    action = "added" if current is None else "updated"
    if not dry_run:
        try:
            tracks.upsert_track(
                session,
                principal,
                media_object=media_object,
                locale=preview.locale,
                kind=preview.kind,
                content=content,
                limits=limits,
                lenient=lenient,
                reason=IMPORT_REASON,
            )
        except MediaObjectsError as exc:
            # upsert_track wrote in a savepoint: nothing of this file stays.
            raise _Refused(_reason(exc)) from exc
    return Outcome(incoming.name, "changed", media_object.media_id, preview.locale, action)


def _unchanged_anyway(
    session: Session, media_object: MediaObject, locale: str, content: str, extension: str
) -> bool:
    try:
        key = normalise_locale(locale).lower()
    except LocaleError:
        key = locale.lower()  # a legacy track's stored locale, as the export named it
    try:
        document: CaptionDocument | None = normalise_caption(content).document
    except CaptionError:
        document = None
    current = next(
        (
            view.track
            for view in tracks.visible_tracks(session, media_object=media_object)
            if view.track.locale.lower() == key
        ),
        None,
    )
    return current is not None and _same_captions(current, content, document, extension)


def _match(
    name: str,
    rows: dict[str, _Row],
    by_media_id: dict[str, MediaObject],
    by_stem: dict[str, list[MediaObject]],
) -> tuple[MediaObject, str, str | None, str]:
    """(media object, locale as given, kind or None, extension) for the file ``name``."""
    split = _split_name(name)
    extension = split[2] if split is not None else name.rsplit(".", 1)[-1].lower()
    row = rows.get(unicodedata.normalize("NFC", name).casefold())
    if row is not None and row.media_id is not None:
        media_object = by_media_id.get(row.media_id)
        if media_object is None:
            raise _Refused(f"{MANIFEST} names media {row.media_id}, which is not in this course")
        locale = row.locale or (split[1] if split is not None else None)
        if locale is None:
            raise _Refused(f"neither {MANIFEST} nor the file name gives a locale")
        return media_object, locale, row.kind, extension
    if split is None:
        raise _Refused(f"has no row in {MANIFEST} and its name is not <title>.<locale>.<extension>")
    title, locale, _ext = split
    try:
        normalise_locale(locale)
    except LocaleError as exc:
        raise _Refused(
            f'"{locale}" in its name is not a locale ({exc.message}), and it has no row in '
            f"{MANIFEST}"
        ) from exc
    found = by_stem.get(safe_stem(title).casefold(), [])
    if not found:
        raise _Refused(f'no media titled "{title}" in this course (and no row in {MANIFEST})')
    if len(found) > 1:
        ids = ", ".join(sorted(mo.media_id for mo in found))
        raise _Refused(
            f'several media are titled "{title}" ({ids}): add " [media_id]" to the title in the '
            f"file name, as an export does, or a row in {MANIFEST}"
        )
    return found[0], locale, row.kind if row is not None else None, extension


def _reason(exc: MediaObjectsError) -> str:
    problems = exc.errors
    if not problems:
        return exc.message
    return "; ".join(_problem(p) for p in problems)


def _problem(error: FieldError) -> str:
    where = f"line {error.line}: " if error.line is not None else ""
    field_name = f"{error.field}: " if error.field not in (None, "content") else ""
    return f"{field_name}{where}{error.message}"


def _same_captions(
    track: MediaTrack, content: str, document: CaptionDocument | None, extension: str
) -> bool:
    """Whether importing ``content`` would leave ``track`` as it is: it is exactly what an
    export of the track in the file's format gives, or its cues (times, text, settings)
    equal the track's."""
    text = content.replace("\r\n", "\n")
    caption_format = _EXTENSIONS.get(extension)
    if caption_format is not None:
        try:
            exported = downloads.write_track(track, caption_format)
        except UnprocessableEntity:
            exported = None
        if exported is not None and exported.replace("\r\n", "\n") == text:
            return True
    if document is None or not document.cues:
        return False
    try:
        current = normalise_caption(tracks.served_webvtt(track)).document
    except CaptionError:
        return False
    return _cue_keys(current.cues) == _cue_keys(document.cues)


def _cue_keys(cues: Iterable[Cue]) -> list[tuple[int, int, str, str]]:
    # Identifiers are left out: SRT numbers its cues, WebVTT need not; viewers see neither.
    return [(c.start_ms, c.end_ms, c.text, c.settings) for c in cues]
