"""Helpers for the Canvas-case tests (tests/api/test_canvas_cases.py): valid SRT, the track
rows as stored, and the few set-ups no route can make (a chosen default attachment, legacy
rows, forced TTML, an old media id)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks.models import MediaTrack
from tests.support.api import Api


def srt(text: str) -> str:
    return f"1\n00:00:01,000 --> 00:00:02,000\n{text}\n"


def track_rows(
    api: Api, *, media_id: str | None = None, attachment_id: Any = ...
) -> list[MediaTrack]:
    """The stored tracks, optionally of one media object and/or one attachment (None for
    tracks without attachment), ordered by locale."""
    with api.ctx.read() as session:
        stmt = select(MediaTrack).order_by(MediaTrack.locale, MediaTrack.id)
        if media_id is not None:
            stmt = stmt.join(MediaObject, MediaObject.id == MediaTrack.media_object_id).where(
                MediaObject.media_id == media_id
            )
        if attachment_id is None:
            stmt = stmt.where(MediaTrack.attachment_id.is_(None))
        elif attachment_id is not ...:
            stmt = stmt.where(MediaTrack.attachment_id == attachment_id)
        rows = list(session.scalars(stmt))
        session.expunge_all()
        return rows


def contents(api: Api, attachment_id: Any) -> dict[str, str]:
    """locale -> content of the tracks stored on one attachment."""
    return {t.locale: t.content for t in track_rows(api, attachment_id=attachment_id)}


def media_object_row(api: Api, media_id: str) -> MediaObject:
    with api.ctx.read() as session:
        row = session.scalars(select(MediaObject).where(MediaObject.media_id == media_id)).one()
        session.expunge(row)
        return row


def set_media_object(api: Api, media_id: str, **values: Any) -> None:
    """Sets columns of a media object directly (default attachment, owner, context...)."""
    with api.ctx.write() as session:
        session.execute(
            update(MediaObject).where(MediaObject.media_id == media_id).values(**values)
        )


def insert_track(
    api: Api,
    media_id: str,
    *,
    locale: str,
    content: str,
    attachment_id: int | None,
    user_id: int | None = None,
    webvtt_content: str | None = None,
) -> int:
    """A track row written directly, as a legacy row imported from Canvas would be."""
    mo = media_object_row(api, media_id)
    with api.ctx.write() as session:
        track = MediaTrack(
            media_object_id=mo.id,
            attachment_id=attachment_id,
            user_id=user_id,
            kind="subtitles",
            locale=locale,
            content=content,
            webvtt_content=webvtt_content,
        )
        session.add(track)
        session.flush()
        return int(track.id)


def force_track_content(api: Api, track_id: int, content: str) -> None:
    with api.ctx.write() as session:
        session.execute(
            update(MediaTrack)
            .where(MediaTrack.id == track_id)
            .values(content=content, webvtt_content=content)
        )
