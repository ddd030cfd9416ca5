"""The one table that maps roles to permissions (canvas-media-api.md §1.4), and the pure
functions that combine roles into the rights a user holds in a context. Every permission
check in the service layer ends here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

ContextType = Literal["Course", "Group", "User"]

READ_CONTENTS = "read_contents"
MANAGE_FILES_ADD = "manage_files_add"
MANAGE_FILES_EDIT = "manage_files_edit"
MANAGE_FILES_DELETE = "manage_files_delete"
MANAGE_COURSE_CONTENT_ADD = "manage_course_content_add"
MANAGE_COURSE_CONTENT_DELETE = "manage_course_content_delete"

ALL_PERMISSIONS: frozenset[str] = frozenset(
    {
        READ_CONTENTS,
        MANAGE_FILES_ADD,
        MANAGE_FILES_EDIT,
        MANAGE_FILES_DELETE,
        MANAGE_COURSE_CONTENT_ADD,
        MANAGE_COURSE_CONTENT_DELETE,
    }
)
_FILES = frozenset({READ_CONTENTS, MANAGE_FILES_ADD, MANAGE_FILES_EDIT, MANAGE_FILES_DELETE})

# Canvas's default role permissions for the parts media needs. Course roles are enrollment
# types; the last three are the implicit roles Canvas gives site admins, group members and a
# user over their own files.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "TeacherEnrollment": ALL_PERMISSIONS,
    "TaEnrollment": ALL_PERMISSIONS,
    "DesignerEnrollment": ALL_PERMISSIONS,
    "StudentEnrollment": frozenset({READ_CONTENTS}),
    "ObserverEnrollment": frozenset({READ_CONTENTS}),
    "AccountAdmin": ALL_PERMISSIONS,
    "GroupMember": _FILES,
    "Self": ALL_PERMISSIONS,
}


@dataclass(frozen=True)
class Context:
    """A Canvas context that owns files and media: a course, a group or a user."""

    type: ContextType
    id: int

    @property
    def asset_string(self) -> str:
        return f"{self.type.lower()}_{self.id}"


def permissions_for_roles(roles: Iterable[str]) -> frozenset[str]:
    granted: set[str] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)
