"""The one Settings model. Every field is read from an environment variable with the prefix
``MEDIAOBJECTS_`` and documented in docs/settings.md (a test fails when one is not).
Settings are read once, by whoever builds the app or the CLI command, never at import time."""

from __future__ import annotations

import contextlib
import os
import secrets
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

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
    database_url: SecretStr | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the database. Default: SQLite at <data_dir>/mediaobjects.db. "
            "PostgreSQL: postgresql+psycopg://user:password@host:port/dbname. A secret: it is "
            "never logged or printed."
        ),
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description=(
            "Key that signs upload and download URLs. When unset, a random key is generated "
            "once and stored in <data_dir>/secret_key."
        ),
    )
    public_url: str | None = Field(
        default=None,
        description=(
            "The service's address as clients reach it, e.g. `https://media.example.edu` (with "
            "a path if a proxy serves it under one). Every absolute URL the API hands out "
            "(embedded_iframe_url, media sources, tracks, uploads, pagination links) starts with "
            "it. Unset: URLs follow each request's own scheme and Host header, which suits a "
            "single machine but lets any client choose the host its links name; set it behind "
            "proxies and caches."
        ),
    )
    trusted_proxies: str = Field(
        default="",
        description=(
            "Comma-separated addresses or networks (e.g. `127.0.0.1,10.0.0.0/8`) of reverse "
            "proxies whose `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host` "
            "headers are believed. From anyone else these headers are ignored."
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
    track_version_retention_days: int = Field(
        default=30,
        ge=1,
        le=36500,
        description=(
            "Days the versions of a deleted caption track are kept, so that the track can be "
            "brought back; then a periodic chore removes them."
        ),
    )
    max_tracks_body_bytes: int = Field(
        default=32 * MiB,
        gt=0,
        description=(
            "Largest body of a `PUT .../media_tracks` (every track of a media object in one "
            "JSON array), in bytes; larger gets 413."
        ),
    )
    max_tracks_per_media: int = Field(
        default=100,
        gt=0,
        description=(
            "Most caption and subtitle tracks one media object may have, over all its files; "
            "a write that would pass it gets 422 and changes nothing."
        ),
    )
    max_captions_zip_bytes: int = Field(
        default=64 * MiB,
        gt=0,
        description=(
            "Largest ZIP accepted by `POST .../captions.zip` (bulk caption import), in bytes; "
            "larger gets 413."
        ),
    )
    max_captions_zip_entries: int = Field(
        default=5000,
        gt=0,
        description="Most entries (files and folders) a captions ZIP may hold; more gets 422.",
    )
    max_captions_zip_uncompressed_bytes: int = Field(
        default=256 * MiB,
        gt=0,
        description=(
            "Most bytes all entries of a captions ZIP may decompress to, counted while "
            "decompressing; more gets 413."
        ),
    )
    max_captions_zip_ratio: int = Field(
        default=200,
        gt=0,
        description=(
            "Highest compression ratio (decompressed / compressed size) of one entry of a "
            "captions ZIP, checked while decompressing; higher gets 422 (a zip bomb)."
        ),
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
    principal_cache_seconds: float = Field(
        default=10,
        ge=0,
        le=3600,
        description=(
            "How long each serving process remembers who an access token stands for, so that "
            "the requests of one page load do not each look it up. A token revoked through the "
            "API stops working at once in the process that revoked it and within this time in "
            "the others; a new site admin is seen within it too. 0 looks every token up."
        ),
    )
    delivery_cache_seconds: float = Field(
        default=10,
        ge=0,
        le=3600,
        description=(
            "How long each serving process remembers what a signed media source or track URL "
            "delivers (storage key, size, the WebVTT text), so that signed requests need no "
            "database. A track replaced or media deleted through another process is seen "
            "within this time (at once in the process that changed it). 0 reads every time."
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
    speech_noise_db: float = Field(
        default=-35.0,
        ge=-90,
        le=0,
        description=(
            "Speech analysis: audio quieter than this (dBFS) counts as silence. Raise it (e.g. "
            "-30) for noisy recordings whose background hum is taken for speech."
        ),
    )
    asr_min_seconds: float = Field(
        default=300.0,
        gt=0,
        description=(
            "Automatic captions: the shortest time limit of one transcription, whatever the "
            "media's duration."
        ),
    )
    asr_time_factor: float = Field(
        default=1.0,
        gt=0,
        le=100,
        description=(
            "Automatic captions: a transcription may take this many times the media's "
            "duration (at least MEDIAOBJECTS_ASR_MIN_SECONDS), then ends failed."
        ),
    )
    speech_min_silence_seconds: float = Field(
        default=0.5,
        gt=0,
        le=10,
        description=(
            "Speech analysis: the shortest quiet stretch that counts as a pause between "
            "speech; shorter ones (between words) are part of the speech."
        ),
    )
    asr_engine: Literal["auto", "faster-whisper", "pocketsphinx", "none"] = Field(
        default="auto",
        description=(
            "Speech recognition for automatic captions: `faster-whisper` (the `asr` extra), "
            "`pocketsphinx` (English only, far less accurate), `auto` (faster-whisper when "
            "installed, else pocketsphinx when installed, else off) or `none` (off)."
        ),
    )
    asr_model_dir: Path | None = Field(
        default=None,
        description=(
            "A CTranslate2 Whisper model directory (e.g. small or medium) for faster-whisper; "
            "unset: Whisper base, assembled from the `asr` extra's weight packages."
        ),
    )
    asr_threads: int = Field(
        default=2,
        ge=1,
        le=256,
        description="CPU threads of one transcription (faster-whisper).",
    )
    queue_url: SecretStr | None = Field(
        default=None,
        description=(
            "The job queue: default SQLite at <data_dir>/jobs.db, consumed inside "
            "`mediaobjects serve`; `redis://host:6379/0` or `postgresql://...` for separate "
            "`mediaobjects worker` processes. A secret: it is never logged or printed."
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
    ffmpeg_memory_limit_bytes: int | None = Field(
        default=None,
        gt=0,
        description=(
            "Memory each ffmpeg and ffprobe run may allocate (RLIMIT_DATA), in bytes; a file "
            "needing more ends failed with the reason. Unset: 2 GiB plus 128 MiB per CPU core."
        ),
    )
    stale_temp_seconds: float = Field(
        default=24 * 3600,
        gt=0,
        description=(
            "Temporary files left by crashed uploads and jobs are removed once untouched this "
            "long (checked every half of it, at most hourly, wherever jobs are consumed)."
        ),
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
        description=(
            "Caption track replacements (PUT), retimes, restores and caption editor saves one "
            "caller may make per minute."
        ),
    )
    rate_limit_tracks_burst: int = Field(
        default=30,
        ge=1,
        description="Caption track replacements, retimes and restores one caller may make at once.",
    )
    rate_limit_asr_per_minute: float = Field(
        default=2,
        gt=0,
        description="Automatic caption runs (POST .../asr that queue a job) one caller may "
        "request per minute.",
    )
    rate_limit_asr_burst: int = Field(
        default=20,
        ge=1,
        description="Automatic caption runs one caller may request at once.",
    )
    rate_limit_caption_check_per_minute: float = Field(
        default=60,
        gt=0,
        description=(
            "Caption checks (`POST .../caption_check`, which the caption editor sends as "
            "cues change) one caller may make per minute."
        ),
    )
    rate_limit_caption_check_burst: int = Field(
        default=30, ge=1, description="Caption checks one caller may make at once."
    )
    rate_limit_sign_in_login_per_minute: float = Field(
        default=5,
        gt=0,
        description="Failed sign-ins at `/login` allowed per minute for one login (whoever tries).",
    )
    rate_limit_sign_in_login_burst: int = Field(
        default=10, ge=1, description="Failed sign-ins allowed at once for one login."
    )
    rate_limit_sign_in_address_per_minute: float = Field(
        default=20,
        gt=0,
        description=(
            "Failed sign-ins at `/login` allowed per minute from one client address (a whole "
            "classroom behind one NAT shares it)."
        ),
    )
    rate_limit_sign_in_address_burst: int = Field(
        default=50, ge=1, description="Failed sign-ins allowed at once from one client address."
    )
    rate_limit_store: Literal["auto", "database", "redis", "memory"] = Field(
        default="auto",
        description=(
            "Where rate-limit counts are kept: `database` (shared by every process using the "
            "database), `redis` (the Redis of MEDIAOBJECTS_QUEUE_URL, which must be a redis:// "
            "URL), `memory` (each process counts on its own: the effective limit is the "
            "setting times the number of processes), or `auto`: `redis` when the queue is "
            "Redis, else `database`."
        ),
    )
    session_idle_minutes: int = Field(
        default=120,
        ge=1,
        description=(
            "A web session (the browser's sign-in cookie) ends after this many minutes without "
            "a request."
        ),
    )
    session_max_hours: int = Field(
        default=12,
        ge=1,
        description="A web session ends this many hours after sign-in, however active.",
    )
    unavailable_retry_after_seconds: int = Field(
        default=5,
        ge=1,
        le=3600,
        description=(
            "Retry-After, in seconds, of the 503 answered while the database, the file storage "
            "or the job queue is unreachable."
        ),
    )
    database_connect_timeout_seconds: int = Field(
        default=5,
        ge=1,
        le=300,
        description=(
            "How long a new PostgreSQL connection may take before the request gets 503 "
            "(a server that is down refuses at once; one behind a dead link would hang)."
        ),
    )
    shutdown_timeout_seconds: int = Field(
        default=30,
        ge=1,
        le=3600,
        description=(
            "After SIGTERM, how long `mediaobjects serve` lets requests in flight finish (it "
            "accepts no new connections meanwhile); requests still running then are cut off."
        ),
    )
    job_shutdown_seconds: float = Field(
        default=30,
        ge=0,
        le=86400,
        description=(
            "After SIGTERM, how long running jobs get to finish (`mediaobjects worker`, and "
            "serve's own job threads); jobs still running then are handed back to the queue "
            "and another worker starts them at once."
        ),
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description=(
            "How `serve` and `worker` write their logs: `text` (for people) or `json` (one "
            "object per line, for a log collector). Both name the request id and the job."
        ),
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description=(
            "Bearer token Prometheus must send to read `/metrics` (and the metrics of "
            "`mediaobjects worker --metrics-port`). With neither this nor "
            "MEDIAOBJECTS_METRICS_ALLOWED_ADDRESSES set, the metrics are off (404)."
        ),
    )
    metrics_allowed_addresses: str = Field(
        default="",
        description=(
            "Comma-separated client addresses or networks (e.g. `127.0.0.1,10.1.0.0/16`) "
            "allowed to read the metrics. When both this and MEDIAOBJECTS_METRICS_TOKEN are "
            "set, a scrape must satisfy both."
        ),
    )
    ready_timeout_seconds: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description=(
            "How long `/ready` waits for each of the database, the object store and the job "
            "queue to answer before naming it as failed (503)."
        ),
    )
    lti_title: str = Field(
        default="mediaobjects",
        min_length=1,
        max_length=255,
        description=(
            "The LTI tool's name as the LMS shows it (the title and button text of "
            "`/lti/config.json`)."
        ),
    )
    lti_key_set_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description=(
            "How long a launch waits for a platform's key set (its JWKS at key_set_url) "
            "before it is refused as unverifiable."
        ),
    )
    lti_key_set_cache_seconds: int = Field(
        default=300,
        ge=0,
        description=(
            "How long each process keeps a platform's key set before fetching it again. A "
            "token signed with a key the kept set lacks makes one early refetch."
        ),
    )
    lti_key_set_refetch_seconds: int = Field(
        default=30,
        ge=0,
        description=(
            "Least time between two fetches of one platform's key set caused by unknown "
            "key ids, so that forged tokens cannot make the service fetch on every request."
        ),
    )
    lti_login_seconds: int = Field(
        default=300,
        gt=0,
        le=3600,
        description=(
            "How long an LTI login (OIDC initiation) may take to come back as a launch: the "
            "lifetime of its state, nonce and browser-binding cookie."
        ),
    )
    lti_launch_seconds: int = Field(
        default=3600,
        gt=0,
        description=(
            "How long a deep-linking launch stays usable: the time a teacher has to pick media "
            "before the picker must be opened again from the LMS."
        ),
    )
    lti_player_seconds: int = Field(
        default=600,
        gt=0,
        description=(
            "How long the player URL a resource launch redirects to stays valid (its "
            "verifier); the LMS launches again each time the page is shown."
        ),
    )

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http:// or https:// URL")
        if parts.query or parts.fragment or "@" in parts.netloc:
            raise ValueError("must not carry credentials, a query or a fragment")
        return value.rstrip("/")

    @field_validator("trusted_proxies", "metrics_allowed_addresses")
    @classmethod
    def _check_trusted_proxies(cls, value: str) -> str:
        for item in (part.strip() for part in value.split(",")):
            if item:
                ip_network(item, strict=False)  # ValueError names the bad entry
        return value

    def trusted_proxy_networks(self) -> list[IPv4Network | IPv6Network]:
        return [
            ip_network(part.strip(), strict=False)
            for part in self.trusted_proxies.split(",")
            if part.strip()
        ]

    def metrics_networks(self) -> list[IPv4Network | IPv6Network]:
        return [
            ip_network(part.strip(), strict=False)
            for part in self.metrics_allowed_addresses.split(",")
            if part.strip()
        ]

    def resolved_database_url(self) -> str:
        if self.database_url is not None and self.database_url.get_secret_value():
            return self.database_url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'mediaobjects.db').resolve()}"

    def resolved_queue_url(self) -> str:
        if self.queue_url is not None and self.queue_url.get_secret_value():
            return self.queue_url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'jobs.db').resolve()}"

    @property
    def uses_shared_queue(self) -> bool:
        """Whether jobs go to a Redis or PostgreSQL queue for `mediaobjects worker`."""
        return self.queue_url is not None and bool(self.queue_url.get_secret_value())

    def resolved_ffmpeg_memory_limit(self) -> int:
        """The configured limit, else 2 GiB plus 128 MiB per CPU this process may use: ffmpeg
        starts about one decoding and 1.5 encoding threads per CPU, each with its own buffers
        and an 8 MiB stack (measurements in docs/settings.md)."""
        if self.ffmpeg_memory_limit_bytes is not None:
            return self.ffmpeg_memory_limit_bytes
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        return 2 * GiB + 128 * MiB * (cpus or 1)

    def resolved_secret_key(self) -> str:
        """The configured key, else the key stored in the data dir (created on first use).

        The key must survive restarts, or every signed URL handed out would break."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        return stored_secret_key(self.data_dir / "secret_key")


def stored_secret_key(path: Path) -> str:
    """The key in ``path``, made on first use. Processes starting at once agree on one key and
    none reads a half-written file: the key is written and synced under a temporary name, then
    linked into place, which fails if another process got there first (and then its key,
    complete by construction, is the one)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            # Whoever links first wins; the others read the winner's key below.
            with contextlib.suppress(FileExistsError):
                os.link(temp, path)
        finally:
            temp.unlink(missing_ok=True)
    key = path.read_text().strip()
    if not key:
        raise ValueError(
            f"{path} is empty: delete it to have a new key made (signed URLs handed out "
            "so far stop working), or set MEDIAOBJECTS_SECRET_KEY"
        )
    return key
