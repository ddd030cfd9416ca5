"""The one Settings model. Every field is read from an environment variable with the prefix
``MEDIAOBJECTS_`` and documented in docs/settings.md (a test fails when one is not).
Settings are read once, by whoever builds the app or the CLI command, never at import time."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

GiB = 1024**3
MiB = 1024**2


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEDIAOBJECTS_", extra="ignore")

    data_dir: Path = Field(
        default=Path("./data"),
        description="Directory for the SQLite database, the generated secret key and local files.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the database. Default: SQLite at <data_dir>/mediaobjects.db. "
            "PostgreSQL: postgresql+psycopg://user:password@host:port/dbname."
        ),
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description=(
            "Key that signs upload and download URLs. When unset, a random key is generated "
            "once and stored in <data_dir>/secret_key."
        ),
    )
    max_upload_bytes: int = Field(
        default=5 * GiB,
        gt=0,
        description="Largest file accepted by the upload flow, in bytes; larger uploads get 413.",
    )
    max_request_body_bytes: int = Field(
        default=1 * MiB,
        gt=0,
        description=(
            "Largest JSON or form body accepted by API endpoints (uploads excepted), in bytes."
        ),
    )
    max_caption_bytes: int = Field(
        default=2 * MiB,
        gt=0,
        description="Largest caption track content accepted, in bytes (UTF-8); larger gets 413.",
    )
    captions_lenient: bool = Field(
        default=False,
        description=(
            "Accept caption content that is neither valid SRT nor WebVTT and convert it the way "
            "Canvas does (for importing legacy data). Off: such content gets 422 naming the line."
        ),
    )
    upload_token_ttl_seconds: int = Field(
        default=3600,
        gt=0,
        description="How long an upload_url returned by the file-upload flow stays valid.",
    )
    signed_url_ttl_seconds: int = Field(
        default=6 * 3600,
        gt=0,
        description=(
            "How long signed URLs (file downloads, media sources, tracks, thumbnails) stay "
            "valid; not embedded_iframe_url, whose embed verifier never expires."
        ),
    )
    storage_backend: Literal["local", "s3"] = Field(
        default="local",
        description="Where file bytes are kept: `local` (under <data_dir>/files) or `s3`.",
    )
    s3_bucket: str | None = Field(default=None, description="S3 bucket (storage_backend=s3).")
    s3_endpoint_url: str | None = Field(
        default=None,
        description="S3 endpoint, e.g. http://127.0.0.1:8333 for SeaweedFS; unset means AWS.",
    )
    s3_region: str = Field(default="us-east-1", description="S3 region.")
    s3_access_key_id: str | None = Field(default=None, description="S3 access key id.")
    s3_secret_access_key: SecretStr | None = Field(default=None, description="S3 secret key.")
    s3_prefix: str = Field(
        default="", description="Key prefix inside the bucket, e.g. `mediaobjects/`."
    )
    ffmpeg: str = Field(default="ffmpeg", description="The ffmpeg executable (Debian: ffmpeg).")
    ffprobe: str = Field(default="ffprobe", description="The ffprobe executable.")
    renditions: str = Field(
        default="video:360,720;audio:m4a,mp3",
        description=(
            "The rendition ladder: video heights (never upscaled) and audio formats, e.g. "
            "`video:360,720,1080;audio:m4a,mp3`."
        ),
    )
    max_media_duration_seconds: float = Field(
        default=6 * 3600, gt=0, description="Longest audio or video accepted by the pipeline."
    )
    max_media_pixels: int = Field(
        default=3840 * 2160, gt=0, description="Largest video frame (width x height) accepted."
    )
    transcode_timeout_seconds: float = Field(
        default=3 * 3600, gt=0, description="Time limit of one probe+transcode job."
    )
    queue_url: str | None = Field(
        default=None,
        description=(
            "The job queue: default SQLite at <data_dir>/jobs.db, consumed inside "
            "`mediaobjects serve`; `redis://host:6379/0` or `postgresql://...` for separate "
            "`mediaobjects worker` processes."
        ),
    )
    workers: int = Field(
        default=1,
        ge=0,
        description=(
            "Job worker threads inside `mediaobjects serve` (0: none; run `mediaobjects "
            "worker` instead)."
        ),
    )
    job_lease_seconds: float = Field(
        default=60,
        ge=2,
        description=(
            "A running job's lease: a worker that stops renewing it (it died) for this long has "
            "its job handed to another worker."
        ),
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Log level of the server."
    )
    picture_workers: int = Field(
        default=2,
        ge=1,
        description=(
            "Most ffmpeg processes drawing thumbnails and placeholders at once in one server "
            "process, whatever the traffic."
        ),
    )
    picture_wait_seconds: float = Field(
        default=3.0,
        ge=0,
        le=60,
        description=(
            "How long a request waits for a free drawing slot (or for the same picture being "
            "drawn) before it gets 429 server_busy with Retry-After."
        ),
    )
    rate_limit_picture_per_minute: float = Field(
        default=60,
        gt=0,
        description="New thumbnail or placeholder drawings one caller may cause per minute.",
    )
    rate_limit_picture_burst: int = Field(
        default=60, ge=1, description="New drawings one caller may cause at once."
    )
    rate_limit_token_per_minute: float = Field(
        default=6, gt=0, description="Access tokens one user may create per minute."
    )
    rate_limit_token_burst: int = Field(
        default=30, ge=1, description="Access tokens one user may create at once."
    )
    rate_limit_tracks_per_minute: float = Field(
        default=30,
        gt=0,
        description="Caption track replacements (PUT) one caller may make per minute.",
    )
    rate_limit_tracks_burst: int = Field(
        default=30, ge=1, description="Caption track replacements one caller may make at once."
    )

    @field_validator("renditions")
    @classmethod
    def _check_renditions(cls, value: str) -> str:
        from mediaobjects.transcoding import parse_ladder

        parse_ladder(value)  # ValueError says what is wrong with the spec
        return value

    @field_validator("queue_url")
    @classmethod
    def _check_queue_url(cls, value: str | None) -> str | None:
        if value:
            from mediaobjects.jobs.queue import parse_queue_url

            parse_queue_url(value)
        return value

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'mediaobjects.db').resolve()}"

    def resolved_queue_url(self) -> str:
        if self.queue_url:
            return self.queue_url
        return f"sqlite:///{(self.data_dir / 'jobs.db').resolve()}"

    def resolved_secret_key(self) -> str:
        """The configured key, else the key stored in the data dir (created on first use).

        The key must survive restarts, or every signed URL handed out would break."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        # O_EXCL: two processes starting at once must agree on one key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(key + "\n")
        return key
