"""``mediaobjects summarize-captions``: (re)computes the caption summaries the caption reports
read, for data that existed before them (after upgrading to migration 0004) or after the
quality rules changed. Track writes, deletes and media processing keep them true otherwise."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mediaobjects.settings import Settings

# Media objects summarised per transaction: short writes, so a running server is not held up.
BATCH = 50


def add_summarize_command(sub: Any) -> None:
    """Registers ``summarize-captions`` on the main parser's subparsers."""
    command = sub.add_parser(
        "summarize-captions",
        help="compute the caption quality summaries behind the caption reports (all tracks, "
        "or with --missing only those without one)",
    )
    command.add_argument(
        "--missing",
        action="store_true",
        help="only media with a track that has no summary yet (e.g. right after upgrading)",
    )
    command.set_defaults(func=cmd_summarize_captions)


def cmd_summarize_captions(settings: Settings, args: argparse.Namespace) -> int:
    from mediaobjects.caption_reports import summaries
    from mediaobjects.context import build_context
    from mediaobjects.db.engine import build_engine
    from mediaobjects.db.migrate import upgrade

    engine = build_engine(settings.resolved_database_url())
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    ctx = build_context(settings, with_jobs=False)
    tracks = 0
    try:
        with ctx.read() as session:
            ids = summaries.media_to_summarize(session, missing_only=args.missing)
        for start in range(0, len(ids), BATCH):
            with ctx.write() as session:
                for media_object_id in ids[start : start + BATCH]:
                    tracks += summaries.refresh_media(session, media_object_id)
    finally:
        ctx.close()
    print(
        f"mediaobjects: summarized {tracks} caption tracks of {len(ids)} media objects",
        file=sys.stderr,
    )
    return 0
