"""The (attachment_id, locale) uniqueness is the database's, not only the service's
(CONVENTIONS rule 5): two sessions cannot both create a locale on one attachment, and the
loser gets a 422 "has already been taken" with its transaction still usable."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediaobjects.errors import UnprocessableEntity
from mediaobjects.media_tracks import repository as repo
from mediaobjects.media_tracks import service as tracks
from mediaobjects.media_tracks.models import MediaTrack
from tests.media_tracks.conftest import LIMITS, World, srt


def test_second_session_cannot_add_a_locale_the_first_committed(world: World) -> None:
    world.add(world.a2_id, "en", "first writer")
    with world.write() as session:
        mo = world.mo(session)
        duplicate = MediaTrack(
            media_object_id=mo.id, attachment_id=world.a2_id, locale="en", content=srt("late")
        )
        with pytest.raises(IntegrityError), session.begin_nested():
            repo.add_track(session, duplicate)
            session.flush()
        # The savepoint went; the transaction did not.
        tracks.upsert_track(
            session,
            world.who(session, world.teacher),
            attachment=world.att(session, world.a2_id),
            locale="es",
            kind=None,
            content=srt("still works"),
            limits=LIMITS,
        )
    assert world.tracks_on(world.a2_id) == {"en": "first writer", "es": "still works"}


def test_concurrent_writers_of_one_locale_give_the_loser_a_422(world: World, db_kind: str) -> None:
    if db_kind == "sqlite":
        # SQLite writers take the database lock at their first statement (BEGIN IMMEDIATE),
        # so two writer transactions cannot interleave; the sequential test above covers it.
        pytest.skip("writer transactions cannot interleave on SQLite")

    def first_writer_commits(_session: Session, *_args: Any) -> None:
        world.add(world.a2_id, "en", "first writer")

    with world.write() as session:
        event.listen(session, "before_flush", first_writer_commits, once=True)
        a2 = world.att(session, world.a2_id)
        teacher = world.who(session, world.teacher)
        with pytest.raises(UnprocessableEntity) as info:
            tracks.upsert_track(
                session,
                teacher,
                attachment=a2,
                locale="en",
                kind=None,
                content=srt("second writer"),
                limits=LIMITS,
            )
        [error] = info.value.errors
        assert (error.field, error.message) == ("locale", "has already been taken")
        tracks.upsert_track(
            session,
            teacher,
            attachment=a2,
            locale="es",
            kind=None,
            content=srt("after the race"),
            limits=LIMITS,
        )
    assert world.tracks_on(world.a2_id) == {"en": "first writer", "es": "after the race"}


def test_concurrent_put_loses_nothing_it_had_deleted(world: World, db_kind: str) -> None:
    # Decision D1: a PUT that fails on the constraint leaves every row as it was.
    if db_kind == "sqlite":
        pytest.skip("writer transactions cannot interleave on SQLite")
    world.add(world.a2_id, "fr", "fr subs")

    def first_writer_commits(_session: Session, *_args: Any) -> None:
        world.add(world.a2_id, "en", "first writer")

    with world.write() as session:
        event.listen(session, "before_flush", first_writer_commits, once=True)
        with pytest.raises(UnprocessableEntity) as info:
            tracks.replace_tracks(
                session,
                world.who(session, world.teacher),
                [{"locale": "de", "content": srt("de")}, {"locale": "en", "content": srt("en")}],
                attachment=world.att(session, world.a2_id),
                limits=LIMITS,
            )
        assert [(e.field, e.index) for e in info.value.errors] == [("locale", 1)]
    assert world.tracks_on(world.a2_id) == {"en": "first writer", "fr": "fr subs"}
