"""Every query of the files domain: folders, attachments and upload tickets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from mediaobjects.files.models import Attachment, Folder, MediaReleaseRequest, UploadTicket


def get_root_folder(session: Session, context_type: str, context_id: int) -> Folder | None:
    stmt = select(Folder).where(
        Folder.context_type == context_type,
        Folder.context_id == context_id,
        Folder.root_marker == 1,
    )
    return session.scalars(stmt).first()


def get_folder(session: Session, folder_id: int) -> Folder | None:
    return session.get(Folder, folder_id)


def get_child_folder(session: Session, parent_id: int, name: str) -> Folder | None:
    stmt = select(Folder).where(Folder.parent_folder_id == parent_id, Folder.name == name)
    return session.scalars(stmt).first()


def count_children(session: Session, folder_id: int) -> tuple[int, int]:
    files = session.scalar(
        select(func.count(Attachment.id)).where(
            Attachment.folder_id == folder_id, Attachment.workflow_state != "deleted"
        )
    )
    folders = session.scalar(
        select(func.count(Folder.id)).where(Folder.parent_folder_id == folder_id)
    )
    return int(files or 0), int(folders or 0)


def get_attachment(session: Session, attachment_id: int) -> Attachment | None:
    return session.get(Attachment, attachment_id)


_ATTACHMENTS = select(Attachment).where(Attachment.id.in_(bindparam("ids", expanding=True)))


def get_attachments(session: Session, attachment_ids: list[int]) -> list[Attachment]:
    """The files with these ids; those the session already holds are not asked for again."""
    held = [session.identity_map.get(identity_key(Attachment, i)) for i in attachment_ids]
    found = [a for a in held if isinstance(a, Attachment)]
    missing = [i for i, a in zip(attachment_ids, held, strict=True) if a is None]
    if missing:
        found.extend(session.scalars(_ATTACHMENTS, {"ids": missing}))
    return found


def active_files_named(session: Session, folder_id: int, display_name: str) -> list[Attachment]:
    stmt = select(Attachment).where(
        Attachment.folder_id == folder_id,
        Attachment.display_name == display_name,
        Attachment.workflow_state != "deleted",
    )
    return list(session.scalars(stmt))


def active_names_like(session: Session, folder_id: int, stem: str) -> set[str]:
    stmt = select(Attachment.display_name).where(
        Attachment.folder_id == folder_id,
        Attachment.workflow_state != "deleted",
        Attachment.display_name.startswith(stem, autoescape=True),
    )
    return set(session.scalars(stmt))


def get_ticket_by_nonce(session: Session, nonce: str) -> UploadTicket | None:
    return session.scalars(select(UploadTicket).where(UploadTicket.nonce == nonce)).first()


def consume_ticket(session: Session, ticket_id: int, now: datetime) -> bool:
    """Marks the ticket used; False when it was used or expired meanwhile. One UPDATE, so two
    concurrent uploads with one ticket cannot both succeed."""
    result = session.execute(
        update(UploadTicket)
        .where(
            UploadTicket.id == ticket_id,
            UploadTicket.consumed_at.is_(None),
            UploadTicket.expires_at > now,
        )
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def count_media_files(session: Session, media_entry_id: str) -> int:
    stmt = select(func.count(Attachment.id)).where(
        Attachment.media_entry_id == media_entry_id, Attachment.workflow_state != "deleted"
    )
    return int(session.scalar(stmt) or 0)


def add_release_request(session: Session, attachment: Attachment) -> None:
    assert attachment.media_entry_id is not None
    session.add(
        MediaReleaseRequest(attachment_id=attachment.id, media_entry_id=attachment.media_entry_id)
    )


def release_requests_before(session: Session, before: datetime) -> list[str]:
    """The media ids of release requests made before ``before``, oldest first."""
    stmt = (
        select(MediaReleaseRequest.media_entry_id)
        .where(MediaReleaseRequest.requested_at < before)
        .group_by(MediaReleaseRequest.media_entry_id)
        .order_by(func.min(MediaReleaseRequest.requested_at))
    )
    return list(session.scalars(stmt))


def delete_release_requests(session: Session, media_entry_id: str) -> None:
    session.execute(
        delete(MediaReleaseRequest).where(MediaReleaseRequest.media_entry_id == media_entry_id)
    )
