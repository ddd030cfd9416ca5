"""Rules of the files domain: who may read, edit and delete a file, soft deletion, names in a
folder (Canvas's ``on_duplicate``), copies (which is how one media object gets several files),
and the hidden placeholder file of media registered from elsewhere. The upload flow is in
``files.uploads``, folders in ``files.folders``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from mediaobjects.accounts import access, authentication
from mediaobjects.accounts.permissions import (
    MANAGE_FILES_ADD,
    MANAGE_FILES_DELETE,
    MANAGE_FILES_EDIT,
    READ_CONTENTS,
    Context,
    ContextType,
)
from mediaobjects.accounts.principal import Principal
from mediaobjects.errors import BadRequest, Conflict, Forbidden, NotFound
from mediaobjects.files import repository as repo
from mediaobjects.files.folders import clean_file_name, folder_for_path
from mediaobjects.files.models import Attachment, Folder, UploadTicket
from mediaobjects.numbers import parse_id, parse_id_param

ON_DUPLICATE = ("overwrite", "rename")


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


def can_read(session: Session, principal: Principal, attachment: Attachment) -> bool:
    rights = access.permissions_in(session, principal, context_of(attachment))
    if READ_CONTENTS not in rights:
        return False
    if attachment.hidden or attachment.locked:
        # Hidden and locked files are for the people who manage the context's files.
        return MANAGE_FILES_EDIT in rights
    return True


def can_update(session: Session, principal: Principal, attachment: Attachment) -> bool:
    return MANAGE_FILES_EDIT in access.permissions_in(session, principal, context_of(attachment))


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
    authentication.require_user(principal)
    attachment = load_attachment(session, parse_id(file_ref))
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
    authentication.require_user(principal)
    if not can_read(session, principal, attachment):
        raise Forbidden()
    return attachment


def delete_file(session: Session, principal: Principal, file_ref: str) -> Attachment:
    authentication.require_user(principal)
    attachment = load_attachment(session, parse_id(file_ref))
    rights = access.permissions_in(session, principal, context_of(attachment))
    if MANAGE_FILES_DELETE not in rights:
        raise Forbidden()
    soft_delete(attachment)
    if attachment.media_entry_id is not None:
        # The caller queues the release after the commit; this record has it queued again if
        # that fails or the job is lost (see release_requested).
        repo.add_release_request(session, attachment)
    session.flush()
    return attachment


def release_requested(session: Session, before: datetime) -> list[str]:
    """Media ids whose release was asked for, by deleting a file, before ``before`` and not
    yet done (see ``release_done``)."""
    return repo.release_requests_before(session, before)


def release_done(session: Session, media_entry_id: str) -> None:
    """The release of ``media_entry_id`` ran (whatever it decided): forget its requests."""
    repo.delete_release_requests(session, media_entry_id)


def soft_delete(attachment: Attachment) -> None:
    # The bytes stay: copies may share them, and the media pipeline removes renditions.
    attachment.workflow_state = "deleted"
    attachment.deleted_at = _now()


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


def place(session: Session, folder_id: int, name: str, on_duplicate: str | None) -> str:
    """The display name for a new file in a folder, per Canvas's ``on_duplicate``."""
    existing = repo.active_files_named(session, folder_id, name)
    if not existing:
        return name
    if on_duplicate == "overwrite":
        for old in existing:
            soft_delete(old)
        return name
    if on_duplicate == "rename":
        return _unique_name(session, folder_id, name)
    raise Conflict(
        f"A file named {name!r} already exists in this folder; "
        "send on_duplicate=overwrite or on_duplicate=rename."
    )


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


def authorize_copy_into(session: Session, principal: Principal, folder_ref: str) -> Folder:
    """The folder named in the URL, when the caller may add files to it."""
    authentication.require_user(principal)
    folder = repo.get_folder(session, parse_id(folder_ref))
    if folder is None or folder.workflow_state == "deleted":
        raise NotFound()
    access.require_permission(session, principal, context_of(folder), MANAGE_FILES_ADD)
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
    source = repo.get_attachment(session, parse_id_param(source_ref, "source_file_id"))
    if source is None or source.workflow_state == "deleted":
        raise BadRequest.for_field(
            "source_file_id", "source_file_id does not name an existing file", "not_found"
        )
    if not can_read(session, principal, source):
        raise Forbidden()
    display_name = place(session, folder.id, source.display_name, on_duplicate)
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
