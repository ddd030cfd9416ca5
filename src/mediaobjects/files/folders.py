"""Folders of the files domain: the root folder each course, group and user gets on first use,
folders made from a path as uploads name them, and file names as Canvas cleans them."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from mediaobjects.accounts import access
from mediaobjects.accounts.permissions import MANAGE_FILES_ADD, READ_CONTENTS, Context
from mediaobjects.accounts.principal import Principal
from mediaobjects.db.unique import get_or_create
from mediaobjects.errors import BadRequest
from mediaobjects.files import repository as repo
from mediaobjects.files.models import Folder

ROOT_FOLDER_NAMES: dict[str, str] = {"Course": "course files", "Group": "files", "User": "my files"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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
    access.require_permission(session, principal, context, READ_CONTENTS)
    return repo.get_root_folder(session, context.type, context.id)


def folder_counts(session: Session, folder: Folder) -> tuple[int, int]:
    return repo.count_children(session, folder.id)


def can_manage_files(session: Session, principal: Principal, context: Context) -> bool:
    return MANAGE_FILES_ADD in access.permissions_in(session, principal, context)
