"""The pictures of a media object as requests ask for them: the poster, thumbnails at the few
standard sizes (drawn once, then served from storage), and placeholders for media without a
picture (drawn once per process, kept in memory). Drawings go through the bounded pool and
the caller's rate limit; what is already stored or drawn never does."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass

from mediaobjects.errors import NotFound, StorageFailure
from mediaobjects.media_objects import repository as repo
from mediaobjects.media_objects.drawing import DrawingPool
from mediaobjects.media_objects.models import MediaObject, MediaThumbnail
from mediaobjects.media_objects.pipeline import (
    Pipeline,
    local_copy,
    scratch,
    store_file,
    thumbnail_key,
)
from mediaobjects.media_objects.sizes import (
    PLACEHOLDER_SIZES,
    THUMBNAIL_SIZES,
    Size,
    placeholder_size,
    thumbnail_size,
)

# Thumbnails kept per media object. Only the standard sizes are drawn, so this many are never
# evicted by one another; the oldest rows beyond it (sizes drawn before there was a standard
# ladder) leave storage as new standard ones are drawn.
MAX_THUMBNAIL_SIZES = len(THUMBNAIL_SIZES)


def placeholder_bytes(
    pipeline: Pipeline,
    pool: DrawingPool,
    cache: MutableMapping[tuple[str, Size], bytes],
    kind: str,
    size: Size,
    *,
    admit: Callable[[], None],
) -> bytes:
    """The placeholder picture of ``kind`` at a standard ``size``, drawn once per process in
    ``pool`` (after ``admit()``, a rate limit) and then kept in ``cache``: in memory rather than
    in storage, and bounded because only the standard sizes of the few kinds exist."""
    if size not in PLACEHOLDER_SIZES:
        raise ValueError(f"{size} is not a standard placeholder size")
    wanted = (kind, size)
    found = cache.get(wanted)
    if found is not None:
        return found

    def draw() -> bytes:
        with scratch(pipeline) as workdir:
            out = pipeline.transcoder.placeholder(
                kind, workdir / "placeholder.jpg", width=size.width, height=size.height
            )
            data = out.read_bytes()
        cache[wanted] = data
        return data

    return pool.draw(
        ("placeholder", *wanted), find=lambda: cache.get(wanted), admit=admit, draw=draw
    )


def stored_thumbnail(pipeline: Pipeline, media_object_id: int, size: Size) -> MediaThumbnail | None:
    with pipeline.reader() as session:
        return repo.get_thumbnail(session, media_object_id, size.width, size.height)


def ensure_thumbnail(
    pipeline: Pipeline,
    pool: DrawingPool,
    media_object_id: int,
    poster: str,
    size: Size,
    *,
    admit: Callable[[], None],
) -> MediaThumbnail:
    """The poster resized to a standard ``size``, drawn once in ``pool`` (after ``admit()``, a
    rate limit that a stored thumbnail never meets) and then served from storage."""
    if size not in THUMBNAIL_SIZES:
        raise ValueError(f"{size} is not a standard thumbnail size")
    found = stored_thumbnail(pipeline, media_object_id, size)
    if found is not None:
        return found
    return pool.draw(
        ("thumbnail", media_object_id, size),
        find=lambda: stored_thumbnail(pipeline, media_object_id, size),
        admit=admit,
        draw=lambda: _draw_thumbnail(pipeline, media_object_id, poster, size),
    )


def _draw_thumbnail(
    pipeline: Pipeline, media_object_id: int, poster: str, size: Size
) -> MediaThumbnail:
    with pipeline.reader() as session:
        media_object = repo.get(session, media_object_id)
        if media_object is None:
            raise NotFound()  # deleted while its thumbnail was drawn
        media_id = media_object.media_id
    key = thumbnail_key(media_id, size)
    with scratch(pipeline) as workdir:
        source = local_copy(pipeline, poster, workdir)
        out = workdir / "thumbnail.jpg"
        pipeline.transcoder.resize(
            source, out, width=size.width or None, height=size.height or None
        )
        stored = store_file(pipeline.storage, key, out)
    with pipeline.write() as session:
        saved = repo.save_thumbnail(
            session,
            MediaThumbnail(
                media_object_id=media_object_id,
                width=size.width,
                height=size.height,
                storage_key=key,
                size=stored.size,
                etag=stored.etag,
            ),
        )
        if saved.storage_key != key:
            evicted = [key]  # another process stored this size first: ours is not needed
        else:
            evicted = repo.evict_thumbnails(session, media_object_id, keep=MAX_THUMBNAIL_SIZES)
    for old_key in evicted:
        with contextlib.suppress(StorageFailure):
            pipeline.storage.delete(old_key)
    return saved


@dataclass(frozen=True)
class StoredPicture:
    """A picture in storage: the poster (``standard`` None) or a standard-size thumbnail."""

    key: str
    size: int
    etag: str
    standard: Size | None


@dataclass(frozen=True)
class DrawnPicture:
    """A placeholder, drawn in memory."""

    data: bytes
    standard: Size


def placeholder_kind(media_object: MediaObject) -> str:
    if media_object.processing_state == "failed":
        return "failed"
    if media_object.processing_state == "ready":
        return "audio"  # ready without a poster: the file has no picture
    return "processing"


def picture_of(
    pipeline: Pipeline,
    pool: DrawingPool,
    placeholders: MutableMapping[tuple[str, Size], bytes],
    media_object: MediaObject,
    width: int | None,
    height: int | None,
    *,
    admit: Callable[[], None],
) -> StoredPicture | DrawnPicture:
    """The picture to answer a request for ``width`` x ``height`` (either may be None) with.

    Media with no picture yet (audio, processing, failed) gets a placeholder, as Kaltura serves
    one, rather than a broken image in a media list. Without a size, the poster; with one, the
    thumbnail of the nearest standard size (``sizes``), which the browser scales."""
    if media_object.poster_key is None:
        size = placeholder_size(width, height)
        data = placeholder_bytes(
            pipeline, pool, placeholders, placeholder_kind(media_object), size, admit=admit
        )
        return DrawnPicture(data, size)
    if width is None and height is None:
        stat = pipeline.storage.stat(media_object.poster_key)
        return StoredPicture(stat.key, stat.size, stat.etag, None)
    size = thumbnail_size(width, height)
    thumbnail = ensure_thumbnail(
        pipeline, pool, media_object.id, media_object.poster_key, size, admit=admit
    )
    return StoredPicture(thumbnail.storage_key, thumbnail.size, thumbnail.etag, size)
