"""The two-step Canvas upload flow: step one checks the caller's rights and the declared file and
hands out a single-use ticket; step two streams the bytes to storage as they arrive
(``IncomingUpload``), then creates the file — and its media object when it is audio or video,
in the same transaction — consumes the ticket, and queues the media job. Nothing is
half-stored: bytes without a committed row are deleted, and a row never exists without its
bytes."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio.to_thread
from sqlalchemy.orm import Session

from mediaobjects.accounts import access, authentication
from mediaobjects.accounts.permissions import MANAGE_FILES_ADD, Context, ContextType
from mediaobjects.accounts.principal import Principal
from mediaobjects.errors import BadRequest, FieldError, PayloadTooLarge
from mediaobjects.files import repository as repo
from mediaobjects.files.folders import clean_file_name, folder_for_path
from mediaobjects.files.models import Attachment, UploadTicket
from mediaobjects.files.service import ON_DUPLICATE, context_of, new_file_uuid, place
from mediaobjects.files.sniff import classify
from mediaobjects.media_objects import creation as media_objects
from mediaobjects.storage.interfaces import Storage, StoredObject
from mediaobjects.storage.pipelined import PipelinedWriter

_CONTENT_TYPE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
)
# How much of the file is kept to recognise audio and video by content.
SNIFF_BYTES = 4096


def _now() -> datetime:
    return datetime.now(UTC)


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
    authentication.require_user(principal)
    context = access.load_context(session, context_type, context_ref, principal)
    access.require_permission(session, principal, context, MANAGE_FILES_ADD)
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
    user = authentication.require_user(principal)
    access.require_permission(session, principal, context, MANAGE_FILES_ADD)
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
    display_name = place(session, ticket.folder_id, ticket.name, ticket.on_duplicate)
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


UnitOfWork = Callable[[], AbstractContextManager[Session]]


class IncomingUpload:
    """Step two for one ticket. ``check`` before reading the body; ``receive`` writes the
    file's chunks to storage while the next ones arrive; ``finish`` creates the file in one
    transaction and queues the media job. Whatever fails, nothing stays half-stored."""

    def __init__(
        self,
        nonce: str,
        *,
        read: UnitOfWork,
        write: UnitOfWork,
        storage: Storage,
        enqueue: Callable[..., Any],
    ) -> None:
        self.nonce = nonce
        self._read = read
        self._write = write
        self._storage = storage
        self._enqueue = enqueue
        self._uuid = new_file_uuid()
        self._key = storage_key_for(self._uuid)
        self._head = bytearray()
        self._stored: StoredObject | None = None

    def check(self) -> None:
        """BadRequest unless the ticket can still be used (checked again when finishing)."""
        with self._read() as session:
            check_ticket(session, self.nonce)

    @asynccontextmanager
    async def receiving(self) -> AsyncIterator[Callable[[bytearray], Any]]:
        """A sink for the file's bytes, in order. On leaving the block normally the bytes are
        committed to storage; on any error the partial object is discarded."""
        writer = await anyio.to_thread.run_sync(self._storage.begin_write, self._key)
        pipelined = PipelinedWriter(writer)

        async def sink(chunk: bytearray) -> None:
            if len(self._head) < SNIFF_BYTES:
                self._head.extend(chunk[: SNIFF_BYTES - len(self._head)])
            await pipelined.write(chunk)

        try:
            yield sink
            await pipelined.flush()
            self._stored = await anyio.to_thread.run_sync(writer.commit)
        except BaseException:
            await pipelined.stop()
            await anyio.to_thread.run_sync(writer.abort)
            raise

    def finish(self) -> Attachment:
        """The file row (and media object) in one transaction that also consumes the ticket;
        then, committed, the media job is queued. The stored bytes are deleted when no row
        could be made."""
        if self._stored is None:
            raise RuntimeError("finish() before the bytes were received")
        try:
            with self._write() as session:
                ticket = check_ticket(session, self.nonce)
                attachment = complete_upload(
                    session, ticket, self._stored, bytes(self._head), self._uuid
                )
        except BaseException:
            self._storage.delete(self._key)
            raise
        if attachment.media_entry_id is not None:
            self._enqueue("process_media", media_entry_id=attachment.media_entry_id)
        return attachment
