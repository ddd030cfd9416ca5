"""The ``mediaobjects`` command: serve, worker, create-admin-token, reprocess, db upgrade and
db check. Operators' scripts depend on these names."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from mediaobjects.context import InvalidSettings
from mediaobjects.redact import redact_url
from mediaobjects.settings import Settings


def _upgrade(settings: Settings) -> None:
    from mediaobjects.db.engine import build_engine
    from mediaobjects.db.migrate import upgrade

    engine = build_engine(settings.resolved_database_url())
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from mediaobjects.app import create_app
    from mediaobjects.logs import uvicorn_log_config

    _upgrade(settings)
    app = create_app(settings)
    transcoder = app.state.ctx.transcoder
    try:
        transcoder.check_tools()
    except Exception as exc:  # ToolMissing: say what to install, then serve anyway
        print(
            f"mediaobjects: {exc} Media will stay pending until it is installed.", file=sys.stderr
        )
    storage = app.state.ctx.storage
    ensure_bucket = getattr(storage, "ensure_bucket", None)
    if ensure_bucket is not None:
        # A missing bucket should fail at start-up, not at the first upload.
        ensure_bucket()
    command = sys.argv[0] if sys.argv[0].endswith("mediaobjects") else "mediaobjects"
    print(
        f"mediaobjects: serving on http://{args.host}:{args.port}/ "
        f"(data in {settings.data_dir.resolve()}).\n"
        f"mediaobjects: get an admin token with: {command} create-admin-token",
        file=sys.stderr,
        flush=True,
    )
    # Forwarded headers are handled by the app itself, from MEDIAOBJECTS_TRUSTED_PROXIES only
    # (uvicorn would believe them from 127.0.0.1 by default).
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=settings.log_level,
        log_config=uvicorn_log_config(settings.log_level),
        proxy_headers=False,
    )
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Consumes the job queue (MEDIAOBJECTS_QUEUE_URL) until SIGTERM or SIGINT."""
    from mediaobjects.context import build_context
    from mediaobjects.logs import configure_worker_logging

    configure_worker_logging(settings.log_level)
    _upgrade(settings)
    ctx = build_context(settings)
    jobs = ctx.jobs
    assert jobs is not None  # built with_jobs
    try:
        ctx.transcoder.check_tools()
        print(
            f"mediaobjects: worker consuming {redact_url(settings.resolved_queue_url())} "
            f"with {args.workers} thread(s)",
            file=sys.stderr,
            flush=True,
        )
        jobs.run_worker(args.workers)
    finally:
        ctx.close()
    return 0


def cmd_create_admin_token(settings: Settings, _args: argparse.Namespace) -> int:
    from mediaobjects.accounts import authentication
    from mediaobjects.accounts import service as accounts
    from mediaobjects.context import build_context

    _upgrade(settings)
    ctx = build_context(settings, with_jobs=False)
    try:
        with ctx.write() as session:
            admin = accounts.ensure_admin_user(session)
            _token, raw = authentication.issue_token(
                session, admin, "mediaobjects create-admin-token"
            )
    finally:
        ctx.close()
    print(raw)
    return 0


def cmd_reprocess(settings: Settings, args: argparse.Namespace) -> int:
    """Queues media processing again (after installing ffmpeg, raising a limit...)."""
    from mediaobjects.context import build_context
    from mediaobjects.media_objects.tasks import reprocess

    _upgrade(settings)
    ctx = build_context(settings)
    try:
        queued = reprocess(
            ctx.pipeline, ctx.enqueue, args.media_ids or None, unfinished=args.unfinished
        )
    finally:
        ctx.close()
    for media_id in queued:
        print(media_id)
    who = "mediaobjects worker" if settings.uses_shared_queue else "mediaobjects serve"
    print(f"mediaobjects: {len(queued)} media queued; {who} processes them", file=sys.stderr)
    return 0


def cmd_db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    from mediaobjects.db.migrate import head_revision

    _upgrade(settings)
    print(f"database is at revision {head_revision()}", file=sys.stderr)
    return 0


def cmd_db_check(settings: Settings, _args: argparse.Namespace) -> int:
    """Exit 0 when the database is at the newest revision and matches the models."""
    from mediaobjects.db.engine import build_engine
    from mediaobjects.db.migrate import current_revision, head_revision, schema_differences

    engine = build_engine(settings.resolved_database_url())
    try:
        current, head = current_revision(engine), head_revision()
        if current != head:
            print(
                f"database is at revision {current}, the code expects {head}: "
                "run `mediaobjects db upgrade`",
                file=sys.stderr,
            )
            return 1
        diffs = schema_differences(engine)
    finally:
        engine.dispose()
    if diffs:
        print("the database schema differs from the models:", file=sys.stderr)
        for diff in diffs:
            print(f"  {diff}", file=sys.stderr)
        return 1
    print(f"database is up to date (revision {head})", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mediaobjects",
        description="A self-hostable implementation of the Canvas LMS Media Objects API.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate the database and serve the API")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser(
        "worker", help="run media jobs from the queue (for Redis or PostgreSQL queues)"
    )
    worker.add_argument("--workers", type=int, default=2, help="worker threads (default 2)")
    worker.set_defaults(func=cmd_worker)
    token = sub.add_parser(
        "create-admin-token",
        help="print a new site-admin access token (creates the admin user if needed)",
    )
    token.set_defaults(func=cmd_create_admin_token)
    again = sub.add_parser(
        "reprocess",
        help="queue media processing again: the named media, or all media that ended failed",
    )
    again.add_argument("media_ids", nargs="*", metavar="MEDIA_ID", help="media_ids to process")
    again.add_argument(
        "--unfinished",
        action="store_true",
        help="also media left pending or processing (when no job is left to finish them)",
    )
    again.set_defaults(func=cmd_reprocess)
    db = sub.add_parser("db", help="database migrations")
    dbsub = db.add_subparsers(dest="db_command", required=True)
    dbsub.add_parser("upgrade", help="migrate the database to the newest schema").set_defaults(
        func=cmd_db_upgrade
    )
    dbsub.add_parser(
        "check", help="exit non-zero when the database is not at the newest schema"
    ).set_defaults(func=cmd_db_check)
    return parser


def _settings_problems(exc: ValidationError) -> str:
    # Without the values given: a database or queue URL may hold a password.
    return "; ".join(
        f"MEDIAOBJECTS_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
        for error in exc.errors(include_input=False, include_url=False)
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"mediaobjects: invalid settings: {_settings_problems(exc)}", file=sys.stderr)
        return 2
    try:
        result: int = args.func(settings, args)
    except InvalidSettings as exc:
        print(f"mediaobjects: invalid settings: {exc}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    raise SystemExit(main())
