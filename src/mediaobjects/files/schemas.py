"""Canvas JSON shapes of files and folders."""

from __future__ import annotations

from typing import Any

from mediaobjects.files.models import Attachment, Folder
from mediaobjects.timestamps import iso


def mime_class(content_type: str) -> str:
    major = content_type.split("/", 1)[0]
    if major in ("audio", "video", "image", "text"):
        return major
    if content_type == "application/pdf":
        return "pdf"
    return "file"


def file_json(attachment: Attachment, url: str) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "uuid": attachment.uuid,
        "folder_id": attachment.folder_id,
        "display_name": attachment.display_name,
        "filename": attachment.filename,
        "upload_status": "success",
        "content-type": attachment.content_type,
        "url": url,
        "size": attachment.size,
        "created_at": iso(attachment.created_at),
        "updated_at": iso(attachment.updated_at),
        "modified_at": iso(attachment.updated_at),
        "unlock_at": None,
        "lock_at": None,
        "locked": attachment.locked,
        "hidden": attachment.hidden,
        "hidden_for_user": False,
        "locked_for_user": False,
        "thumbnail_url": None,
        "mime_class": mime_class(attachment.content_type),
        "media_entry_id": attachment.media_entry_id,
        "category": "uncategorized",
    }


def folder_json(
    folder: Folder, files_count: int, folders_count: int, base_url: str, can_upload: bool
) -> dict[str, Any]:
    return {
        "id": folder.id,
        "name": folder.name,
        "full_name": folder.full_name,
        "context_id": folder.context_id,
        "context_type": folder.context_type,
        "parent_folder_id": folder.parent_folder_id,
        "created_at": iso(folder.created_at),
        "updated_at": iso(folder.updated_at),
        "lock_at": None,
        "unlock_at": None,
        "position": None,
        "locked": False,
        "hidden": False,
        "locked_for_user": False,
        "hidden_for_user": False,
        "for_submissions": False,
        "can_upload": can_upload,
        "files_count": files_count,
        "folders_count": folders_count,
        "files_url": f"{base_url}/api/v1/folders/{folder.id}/files",
        "folders_url": f"{base_url}/api/v1/folders/{folder.id}/folders",
    }
