"""The JSON of a course's media settings."""

from __future__ import annotations

from typing import Any

from mediaobjects.media_settings.service import MediaSettings
from mediaobjects.timestamps import iso


def settings_json(settings: MediaSettings) -> dict[str, Any]:
    return {
        "course_id": settings.course_id,
        "auto_captions": settings.auto_captions,
        "locale": settings.locale,
        "updated_at": iso(settings.updated_at),
    }
