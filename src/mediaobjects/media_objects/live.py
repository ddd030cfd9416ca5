"""The early stream of a media object whose upload cannot be played as it is (HEVC, ProRes,
AC-3...): while the ladder runs, its lowest rung is also written as HLS segments
(``transcoding.live``), and each is stored and listed here as soon as ffmpeg has finished it,
so that the player page can start within seconds and its timeline grows (the live playlist of
``media_objects.hls``). When the renditions are published the pieces are retired: players
already on the stream play them to the end, new ones get the renditions; a chore deletes them
once no player can still be reading them (twice the signed-URL lifetime later).

Publishing is best effort: a piece that cannot be stored or recorded ends the early stream
(``transcoding.live.LiveWatcher`` stops calling), never the ladder."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from mediaobjects.db.base import utcnow
from mediaobjects.media_objects import repository as repo
from mediaobjects.media_objects.models import LIVE_INIT_SEQUENCE, MediaLiveSegment
from mediaobjects.media_objects.pipeline import Pipeline, live_key, store_file
from mediaobjects.transcoding import LiveSegment

# A player that started on the early stream plays its pieces to the end (docs/streaming.md),
# with URLs signed when it last loaded the playlist, which happened at most one signed-URL
# lifetime after its page (signed before the renditions existed) was made: two lifetimes after
# the renditions are published, no player can still be reading the pieces. The default matches
# the default MEDIAOBJECTS_SIGNED_URL_TTL_SECONDS (6 hours); the server passes its own.
LIVE_GRACE_SECONDS = 2 * 6 * 3600.0
# Media objects whose retired pieces one run of the chore deletes.
_BATCH = 50


class StreamGone(Exception):
    """The media object went (deleted) or finished while a piece was being stored."""


class SegmentPublisher:
    """The ``LiveSink`` of one processing run: stores each piece under its key, then records it
    in a transaction of its own (a player may list it from then on)."""

    def __init__(self, pipeline: Pipeline, media_id: str, media_object_id: int) -> None:
        self.pipeline = pipeline
        self.media_id = media_id
        self.media_object_id = media_object_id
        self.published = 0

    def __call__(self, segment: LiveSegment) -> None:
        if segment.sequence == 0 or self.published == 0:
            self._publish(LIVE_INIT_SEQUENCE, segment.init, "init.mp4", 0.0)
        self._publish(segment.sequence, segment.path, f"{segment.sequence}.m4s", segment.duration)
        self.published += 1

    def _publish(self, sequence: int, path: Path, name: str, duration: float) -> None:
        key = live_key(self.media_id, name)
        stored = store_file(self.pipeline.storage, key, path)
        with self.pipeline.write() as session:
            media_object = repo.get(session, self.media_object_id)
            gone = (
                media_object is None
                or media_object.workflow_state == "deleted"
                or media_object.processing_state != "processing"
            )
            # A try that lost a race with one that finished: the object under this key may be
            # what that one's row lists (and players read), so it stays.
            listed = gone and repo.live_piece(session, self.media_object_id, sequence) is not None
            if not gone:
                repo.put_live_piece(
                    session,
                    MediaLiveSegment(
                        media_object_id=self.media_object_id,
                        sequence=sequence,
                        duration=duration,
                        storage_key=key,
                        size=stored.size,
                        etag=stored.etag,
                    ),
                )
        if gone:
            if not listed:
                self.pipeline.storage.delete(key)
            raise StreamGone(self.media_id)


def delete_retired_streams(pipeline: Pipeline, *, older_than: float = LIVE_GRACE_SECONDS) -> int:
    """Deletes the early-stream pieces retired over ``older_than`` seconds ago: the objects
    first, then their rows, so a run cut short leaves rows the next run deletes again (a
    storage delete is idempotent). Returns how many media objects it cleared."""
    with pipeline.reader() as session:
        media_ids = repo.retired_live_before(
            session, utcnow() - timedelta(seconds=older_than), limit=_BATCH
        )
    for media_object_id in media_ids:
        delete_stream(pipeline, media_object_id)
    return len(media_ids)


def delete_stream(pipeline: Pipeline, media_object_id: int) -> None:
    """The pieces of the media object's early stream, objects and rows: every one of a deleted
    media, else the retired ones (a try publishing again meanwhile keeps its own)."""
    with pipeline.reader() as session:
        media_object = repo.get(session, media_object_id)
        deleted = media_object is None or media_object.workflow_state == "deleted"
        keys = repo.live_keys(session, media_object_id, retired_only=not deleted)
    for key in keys:
        pipeline.storage.delete(key)
    with pipeline.write() as session:
        repo.delete_live_pieces(session, media_object_id, keys, retired_only=not deleted)
