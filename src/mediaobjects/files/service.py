"""Rules of the files domain: folders, file access (read, edit, delete), the two-step Canvas
upload flow and file copies. When an upload turns out to be audio or video, the media objects
service registers it, inside the same transaction."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from mediaobjects.accounts import service as accounts
from mediaobjects.accounts.permissions import (
    MANAGE_FILES_ADD,
    MANAGE_FILES_DELETE,
    MANAGE_FILES_EDIT,
    READ_CONTENTS,
    Context,
    ContextType,
)
from mediaobjects.accounts.principal import Principal
from mediaobjects.db.unique import get_or_create
from mediaobjects.errors import (
    BadRequest,
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
)
from mediaobjects.files import repository as repo
from mediaobjects.files.models import Attachment, Folder, UploadTicket
from mediaobjects.files.sniff import classify
from mediaobjects.media_objects import creation as media_objects
from mediaobjects.storage.interfaces import StoredObject

ROOT_FOLDER_NAMES: dict[str, str] = {"Course": "course files", "Group": "files", "User": "my files"}
ON_DUPLICATE = ("overwrite", "rename")
_CONTENT_TYPE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _now() -> datetime:
    return datetime.now(UTC)


def context_of(obj: Attachment | Folder | UploadTicket) -> Context:
    context_type: ContextType
    if obj.context_type == "Course":
        context_type = "Course"
    elif obj.context_type == "Group":
        context_type = "Group"
    else:
        context_type = "User"
    return Context(context_type, obj.context_id)


# ---- names and folders -------------------------------------------------------------------


def clean_file_name(value: str, field: str = "name") -> str:
    # Browsers and scripts sometimes send a path; Canvas keeps the last component.
    name = value.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name:
        raise BadRequest.for_field(field, f"{field} must be a file name", "blank")
    if _CONTROL.search(name):
        raise BadRequest.for_field(field, f"{field} must not contain control characters")
    if len(name) > 255:
        raise BadRequest.for_field(field, f"{field} must be at most 255 characters", "too_long")
    return name


def _folder_segments(path: str) -> list[str]:
    segments = [s.strip() for s in path.replace("\\", "/").split("/") if s.strip()]
    for segment in segments:
        if segment in (".", "..") or _CONTROL.search(segment) or len(segment) > 255:
            raise BadRequest.for_field(
                "parent_folder_path", f"parent_folder_path has an invalid folder name: {segment!r}"
            )
    if len(segments) > 32:
        raise BadRequest.for_field("parent_folder_path", "parent_folder_path is too deep")
    return segments


def root_folder(session: Session, context: Context) -> Folder:
    name = ROOT_FOLDER_NAMES[context.type]
    return get_or_create(
        session,
        lambda: repo.get_root_folder(session, context.type, context.id),
        lambda: Folder(
            context_type=context.type,
            context_id=context.id,
            parent_folder_id=None,
            root_marker=1,
            name=name,
            full_name=name,
        ),
    )


def _child_folder(session: Session, context: Context, parent: Folder, name: str) -> Folder:
    return get_or_create(
        session,
        lambda: repo.get_child_folder(session, parent.id, name),
        lambda: Folder(
            context_type=context.type,
            context_id=context.id,
            parent_folder_id=parent.id,
            name=name,
            full_name=f"{parent.full_name}/{name}",
        ),
    )


def folder_for_path(session: Session, context: Context, path: str | None) -> Folder:
    folder = root_folder(session, context)
    for segment in _folder_segments(path or ""):
        folder = _child_folder(session, context, folder, segment)
    return folder


def find_root_folder(session: Session, principal: Principal, context: Context) -> Folder | None:
    """The context's root folder if it exists yet (read-only; see ``root_folder``)."""
    accounts.require_permission(session, principal, context, READ_CONTENTS)
    return repo.get_root_folder(session, context.type, context.id)


def folder_counts(session: Session, folder: Folder) -> tuple[int, int]:
    return repo.count_children(session, folder.id)


def can_manage_files(session: Session, principal: Principal, context: Context) -> bool:
    return MANAGE_FILES_ADD in accounts.permissions_in(session, principal, context)


# ---- access to files ----------------------------------------------------------------------


def can_read(session: Session, principal: Principal, attachment: Attachment) -> bool:
    rights = accounts.permissions_in(session, principal, context_of(attachment))
    if READ_CONTENTS not in rights:
        return False
    if attachment.hidden or attachment.locked:
        # Hidden and locked files are for the people who manage the context's files.
        return MANAGE_FILES_EDIT in rights
    return True


def can_update(session: Session, principal: Principal, attachment: Attachment) -> bool:
    return MANAGE_FILES_EDIT in accounts.permissions_in(session, principal, context_of(attachment))


def load_attachment(session: Session, attachment_id: int) -> Attachment:
    attachment = repo.get_attachment(session, attachment_id)
    if attachment is None or attachment.workflow_state == "deleted":
        raise NotFound()
    return attachment


def preload_attachments(session: Session, attachment_ids: list[int]) -> list[Attachment]:
    """Loads many files in one query, so that later look-ups by id in this unit of work are
    answered from the session instead of one query each (list serializers). Keep the result
    referenced while those look-ups happen."""
    return repo.get_attachments(session, sorted(set(attachment_ids)))


def media_in_use(session: Session, media_entry_id: str) -> bool:
    """Whether any file that is not deleted still names this media."""
    return repo.count_media_files(session, media_entry_id) > 0


def get_file(session: Session, principal: Principal, file_ref: str) -> Attachment:
    accounts.require_user(principal)
    attachment = load_attachment(session, accounts.parse_id(file_ref))
    if not can_read(session, principal, attachment):
        raise Forbidden()
    return attachment


def file_for_download(
    session: Session, principal: Principal, attachment_id: int, *, verified: bool
) -> Attachment:
    """The file to stream. A valid signed verifier stands in for the caller's credentials."""
    attachment = load_attachment(session, attachment_id)
    if attachment.workflow_state == "pending_upload":
        raise NotFound()
    if verified:
        return attachment
    accounts.require_user(principal)
    if not can_read(session, principal, attachment):
        raise Forbidden()
    return attachment


def delete_file(session: Session, principal: Principal, file_ref: str) -> Attachment:
    accounts.require_user(principal)
    attachment = load_attachment(session, accounts.parse_id(file_ref))
    rights = accounts.permissions_in(session, principal, context_of(attachment))
    if MANAGE_FILES_DELETE not in rights:
        raise Forbidden()
    _soft_delete(attachment)
    session.flush()
    return attachment


def _soft_delete(attachment: Attachment) -> None:
    # The bytes stay: copies may share them, and the media pipeline removes renditions.
    attachment.workflow_state = "deleted"
    attachment.deleted_at = _now()


# ---- the upload flow ------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadRequest:
    name: str
    size: int | None
    content_type: str | None
    parent_folder_path: str | None
    parent_folder_id: int | None
    on_duplicate: str | None


def _check_content_type(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    cleaned = value.split(";")[0].strip()
    if not _CONTENT_TYPE.fullmatch(cleaned):
        raise BadRequest.for_field(
            "content_type", "content_type must be a MIME type such as video/mp4"
        )
    return cleaned.lower()


def authorize_upload(
    session: Session, principal: Principal, context_type: ContextType, context_ref: str
) -> Context:
    """The course, group or user named in the URL, when the caller may add files to it."""
    accounts.require_user(principal)
    context = accounts.load_context(session, context_type, context_ref, principal)
    accounts.require_permission(session, principal, context, MANAGE_FILES_ADD)
    return context


def start_upload(
    session: Session,
    principal: Principal,
    context: Context,
    request: UploadRequest,
    *,
    max_upload_bytes: int,
    ttl_seconds: int,
) -> UploadTicket:
    """Step one: checks rights and declared metadata, returns a single-use ticket."""
    user = accounts.require_user(principal)
    accounts.require_permission(session, principal, context, MANAGE_FILES_ADD)
    name = clean_file_name(request.name)
    if request.size is not None and request.size > max_upload_bytes:
        raise PayloadTooLarge(
            f"The file is larger than the upload limit of {max_upload_bytes} bytes."
        )
    content_type = _check_content_type(request.content_type)
    on_duplicate = request.on_duplicate or "overwrite"
    if on_duplicate not in ON_DUPLICATE:
        raise BadRequest.for_field("on_duplicate", "on_duplicate must be overwrite or rename")
    if request.parent_folder_id is not None:
        folder = repo.get_folder(session, request.parent_folder_id)
        if folder is None or context_of(folder) != context:
            raise BadRequest.for_field(
                "parent_folder_id", "parent_folder_id is not a folder of this context"
            )
    else:
        folder = folder_for_path(session, context, request.parent_folder_path)
    ticket = UploadTicket(
        nonce=secrets.token_urlsafe(24),
        user_id=user.id,
        context_type=context.type,
        context_id=context.id,
        folder_id=folder.id,
        name=name,
        declared_size=request.size,
        content_type=content_type,
        on_duplicate=on_duplicate,
        expires_at=_now() + timedelta(seconds=ttl_seconds),
    )
    session.add(ticket)
    session.flush()
    return ticket


def check_ticket(session: Session, nonce: str, now: datetime | None = None) -> UploadTicket:
    """The ticket for an upload that is about to stream; BadRequest when it cannot be used.

    The signature on the URL is checked by the caller; this checks state."""
    now = now or _now()
    ticket = repo.get_ticket_by_nonce(session, nonce)
    if ticket is None:
        raise bad_upload_token("The upload token is invalid.")
    if ticket.consumed_at is not None:
        raise bad_upload_token("The upload token has already been used; request a new upload.")
    if ticket.expires_at <= now:
        raise bad_upload_token("The upload token has expired; request a new upload.")
    return ticket


def bad_upload_token(message: str) -> BadRequest:
    return BadRequest(message, errors=[FieldError("token", message, "invalid_upload_token")])


def storage_key_for(file_uuid: str) -> str:
    return f"attachments/{file_uuid[:2]}/{file_uuid[2:4]}/{file_uuid}"


def _unique_name(session: Session, folder_id: int, name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext, dot = name, "", ""
    taken = repo.active_names_like(session, folder_id, stem)
    if name not in taken:
        return name
    n = 1
    while True:
        candidate = f"{stem}-{n}{dot}{ext}"
        if candidate not in taken:
            return candidate
        n += 1


def _place(session: Session, folder_id: int, name: str, on_duplicate: str | None) -> str:
    """The display name for a new file in a folder, per Canvas's ``on_duplicate``."""
    existing = repo.active_files_named(session, folder_id, name)
    if not existing:
        return name
    if on_duplicate == "overwrite":
        for old in existing:
            _soft_delete(old)
        return name
    if on_duplicate == "rename":
        return _unique_name(session, folder_id, name)
    raise Conflict(
        f"A file named {name!r} already exists in this folder; "
        "send on_duplicate=overwrite or on_duplicate=rename."
    )


def complete_upload(
    session: Session,
    ticket: UploadTicket,
    stored: StoredObject,
    head: bytes,
    file_uuid: str,
    now: datetime | None = None,
) -> Attachment:
    """Step two, after the bytes are stored: the file row (and its MediaObject when the file is
    audio or video) in the caller's transaction, the ticket consumed by the same commit."""
    now = now or _now()
    if not repo.consume_ticket(session, ticket.id, now):
        raise bad_upload_token("The upload token has already been used; request a new upload.")
    kind, content_type = classify(head, ticket.content_type, ticket.name)
    display_name = _place(session, ticket.folder_id, ticket.name, ticket.on_duplicate)
    attachment = Attachment(
        context_type=ticket.context_type,
        context_id=ticket.context_id,
        folder_id=ticket.folder_id,
        user_id=ticket.user_id,
        display_name=display_name,
        filename=ticket.name,
        content_type=content_type,
        size=stored.size,
        uuid=file_uuid,
        storage_key=stored.key,
        sha256=stored.etag,
    )
    session.add(attachment)
    session.flush()
    if kind is not None:
        media_object = media_objects.register_uploaded_media(
            session,
            attachment_id=attachment.id,
            context_type=ticket.context_type,
            context_id=ticket.context_id,
            owner_id=ticket.user_id,
            media_type=kind,
            title=display_name,
        )
        attachment.media_entry_id = media_object.media_id
        session.flush()
    return attachment


def new_file_uuid() -> str:
    return uuid.uuid4().hex


def create_placeholder(
    session: Session,
    context: Context,
    *,
    folder_path: str,
    name: str,
    content_type: str,
    media_entry_id: str,
    user_id: int,
) -> Attachment:
    """A hidden file with no bytes yet, standing for media registered from elsewhere (Canvas's
    ``pending_upload`` attachment of §1.1). It is never downloadable."""
    folder = folder_for_path(session, context, folder_path)
    file_uuid = new_file_uuid()
    attachment = Attachment(
        context_type=context.type,
        context_id=context.id,
        folder_id=folder.id,
        user_id=user_id,
        display_name=clean_file_name(name[:255] or "media"),
        filename=clean_file_name(name[:255] or "media"),
        content_type=content_type,
        size=0,
        uuid=file_uuid,
        storage_key="",
        sha256="",
        media_entry_id=media_entry_id,
        hidden=True,
        workflow_state="pending_upload",
    )
    session.add(attachment)
    session.flush()
    return attachment


# ---- copies ----------------------------------------------------------------------------------


def authorize_copy_into(session: Session, principal: Principal, folder_ref: str) -> Folder:
    """The folder named in the URL, when the caller may add files to it."""
    accounts.require_user(principal)
    folder = repo.get_folder(session, accounts.parse_id(folder_ref))
    if folder is None or folder.workflow_state == "deleted":
        raise NotFound()
    accounts.require_permission(session, principal, context_of(folder), MANAGE_FILES_ADD)
    return folder


def copy_file(
    session: Session,
    principal: Principal,
    folder_ref: str,
    source_ref: str,
    on_duplicate: str | None,
) -> Attachment:
    """A new file in the folder that shares the source's bytes and its ``media_entry_id`` —
    which is how one MediaObject comes to have several attachments."""
    folder = authorize_copy_into(session, principal, folder_ref)
    if on_duplicate is not None and on_duplicate not in ON_DUPLICATE:
        raise BadRequest.for_field("on_duplicate", "on_duplicate must be overwrite or rename")
    source = repo.get_attachment(session, accounts.parse_id_param(source_ref, "source_file_id"))
    if source is None or source.workflow_state == "deleted":
        raise BadRequest.for_field(
            "source_file_id", "source_file_id does not name an existing file", "not_found"
        )
    if not can_read(session, principal, source):
        raise Forbidden()
    display_name = _place(session, folder.id, source.display_name, on_duplicate)
    copy = Attachment(
        context_type=folder.context_type,
        context_id=folder.context_id,
        folder_id=folder.id,
        user_id=principal.user_id,
        display_name=display_name,
        filename=source.filename,
        content_type=source.content_type,
        size=source.size,
        uuid=new_file_uuid(),
        storage_key=source.storage_key,
        sha256=source.sha256,
        media_entry_id=source.media_entry_id,
    )
    session.add(copy)
    session.flush()
    return copy
