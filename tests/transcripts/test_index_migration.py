"""Migration 0005 indexes the tracks that existed before it, as a write would, so that an
upgraded install finds what its captions already say; and the FTS5 table follows deletes
made by the database itself (cascades)."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, delete, text
from sqlalchemy.orm import Session

from mediaobjects.db.engine import build_engine
from mediaobjects.db.migrate import alembic_config, schema_differences, upgrade
from mediaobjects.media_objects.models import MediaObject

OLD_TRACK = (
    "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nBienvenue à l'<i>École</i>\n\n"
    "00:00:03.000 --> 00:00:04.000\nAu revoir\n"
)


def _before_0005() -> str:
    revision = ScriptDirectory.from_config(alembic_config()).get_revision("0005")
    assert revision is not None and isinstance(revision.down_revision, str)
    return revision.down_revision


def _matches(engine: Engine, words: str) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.text FROM caption_cues_fts JOIN caption_cues AS c "
                "ON c.id = caption_cues_fts.rowid WHERE caption_cues_fts MATCH :q ORDER BY c.id"
            ),
            {"q": words},
        )
        return [row[0] for row in rows]


def test_tracks_stored_before_the_migration_are_indexed(tmp_path: Path) -> None:
    engine = build_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        upgrade(engine, _before_0005())
        # Plain SQL: the models describe the newest schema, which has columns this one lacks.
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO media_objects (id, media_id, title, workflow_state, "
                    "processing_state, created_at, updated_at) VALUES (1, 'm-old', "
                    "'Old lecture', 'active', 'pending', :now, :now)"
                ),
                {"now": "2026-01-01 00:00:00"},
            )
            # A legacy row holding SRT (no webvtt_content) and a normalised one.
            for locale, content in (
                ("fr", OLD_TRACK),
                ("en", "1\n00:00:05,000 --> 00:00:06,000\nGoodbye, CAFÉ\n"),
            ):
                conn.execute(
                    text(
                        "INSERT INTO media_tracks (media_object_id, kind, locale, content, "
                        "workflow_state, created_at, updated_at) VALUES (1, 'subtitles', "
                        ":locale, :content, 'ready', :now, :now)"
                    ),
                    {"locale": locale, "content": content, "now": "2026-01-01 00:00:00"},
                )
        upgrade(engine)
        assert schema_differences(engine) == []
        assert _matches(engine, '"ecole"') == ["Bienvenue à l'École"]
        assert _matches(engine, '"cafe"') == ["Goodbye, CAFÉ"]

        # Deleting the media object cascades to its tracks and their cues; the FTS5 table,
        # kept by triggers, forgets them too.
        with Session(engine) as session, session.begin():
            session.execute(delete(MediaObject))
        assert _matches(engine, '"ecole"') == []
        with engine.begin() as conn:
            # Fails ("database disk image is malformed") when the index still holds a cue.
            conn.execute(
                text("INSERT INTO caption_cues_fts(caption_cues_fts) VALUES ('integrity-check')")
            )
    finally:
        engine.dispose()
