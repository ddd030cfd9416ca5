"""Imports every domain's models so that ``Base.metadata`` is complete (for Alembic and the
models-versus-migrations check)."""

from mediaobjects.accounts import models as accounts_models
from mediaobjects.caption_reports import models as caption_reports_models
from mediaobjects.db.base import Base
from mediaobjects.files import models as files_models
from mediaobjects.lti import models as lti_models
from mediaobjects.media_objects import models as media_objects_models
from mediaobjects.media_settings import models as media_settings_models
from mediaobjects.media_tracks import models as media_tracks_models
from mediaobjects.ratelimit import models as ratelimit_models
from mediaobjects.transcripts import models as transcripts_models

metadata = Base.metadata

__all__ = [
    "accounts_models",
    "caption_reports_models",
    "files_models",
    "lti_models",
    "media_objects_models",
    "media_settings_models",
    "media_tracks_models",
    "metadata",
    "ratelimit_models",
    "transcripts_models",
]
