"""The ``mediaobjects`` command: serve, worker, create-admin-token, set-password,
reprocess, db upgrade, db check and captions export|import. Operators' scripts depend on these
names."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from mediaobjects.cli_captions import add_captions_commands
from mediaobjects.cli_lti import add_lti_commands
from mediaobjects.cli_summaries import add_summarize_command
from mediaobjects.context import AppContext, InvalidSettings
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
    from mediaobjects.context import build_context
    from mediaobjects.serving import default_processes, serve_processes, uvicorn_options

    processes: int = args.workers if args.workers is not None else default_processes()
    _require_shared_key(settings)
    _upgrade(settings)
    announce = _announcement(settings, args.host, args.port, processes)
    if processes > 1:
        import shutil
        import tempfile
        from pathlib import Path

        from mediaobjects.observability.metrics import enable_multiprocess

        # Every process of this run (this one consumes jobs) writes its metrics here, and
        # /metrics of any of them sums them all; a new run starts from zero, as Prometheus
        # expects of a restarted target.
        metrics_dir = Path(tempfile.mkdtemp(prefix="mediaobjects-metrics-"))
        enable_multiprocess(metrics_dir)
        # This process supervises the server processes and consumes the job queue.
        ctx = build_context(settings, with_jobs=settings.workers > 0)
        try:
            _check_before_serving(ctx)
            serve_processes(ctx, args.host, args.port, processes, announce)
        finally:
            ctx.close()
            shutil.rmtree(metrics_dir, ignore_errors=True)
        return 0
    # One process: its app consumes the job queue itself (see create_app).
    app = create_app(settings)
    _check_before_serving(app.state.ctx)
    print(announce, file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, **uvicorn_options(settings))
    return 0


def _require_shared_key(settings: Settings) -> None:
    """With S3 storage, servers on several machines are the point: a key generated in each
    data dir would differ between them, and a URL signed by one would fail on the others
    (401 for source, track, embed and upload URLs, depending on which server a request
    reaches). So the key must be given, the same to every process (workers too, which then
    keep nothing but scratch on local disk); checked before anything is written."""
    configured = settings.secret_key is not None and settings.secret_key.get_secret_value()
    if settings.storage_backend == "s3" and not configured:
        raise InvalidSettings(
            "MEDIAOBJECTS_SECRET_KEY must be set when MEDIAOBJECTS_STORAGE_BACKEND=s3, to the "
            "same value for every server and worker (e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'`): a key generated in each machine's data dir "
            "would differ, and URLs signed by one server would fail on the others"
        )


def _check_before_serving(ctx: AppContext) -> None:
    """Warn when ffmpeg is missing; fail when the bucket is."""
    try:
        ctx.transcoder.check_tools()
    except Exception as exc:  # ToolMissing: say what to install, then serve anyway
        print(
            f"mediaobjects: {exc} Media will stay pending until it is installed.", file=sys.stderr
        )
    ensure_bucket = getattr(ctx.storage, "ensure_bucket", None)
    if ensure_bucket is not None:
        # A missing bucket should fail at start-up, not at the first upload.
        ensure_bucket()


def _announcement(settings: Settings, host: str, port: int, processes: int) -> str:
    command = sys.argv[0] if sys.argv[0].endswith("mediaobjects") else "mediaobjects"
    plural = "process" if processes == 1 else "processes"
    if settings.workers > 0:
        jobs = f"media jobs run in process {os.getpid()} with {settings.workers} thread(s)"
    else:
        jobs = "MEDIAOBJECTS_WORKERS=0: media jobs wait for `mediaobjects worker`"
    return (
        f"mediaobjects: serving on http://{host}:{port}/ with {processes} {plural} "
        f"(data in {settings.data_dir.resolve()}); {jobs}.\n"
        f"mediaobjects: get an admin token with: {command} create-admin-token"
    )


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Consumes the job queue (MEDIAOBJECTS_QUEUE_URL) until SIGTERM or SIGINT."""
    from mediaobjects.context import build_context
    from mediaobjects.logs import configure_worker_logging

    configure_worker_logging(settings.log_level, settings.log_format)
    _require_shared_key(settings)
    _upgrade(settings)
    ctx = build_context(settings)
    jobs = ctx.jobs
    assert jobs is not None  # built with_jobs
    metrics_server = None
    try:
        if args.metrics_port is not None:
            metrics_server = _start_metrics_server(ctx, args.metrics_host, args.metrics_port)
        ctx.transcoder.check_tools()
        print(
            f"mediaobjects: worker consuming {redact_url(settings.resolved_queue_url())} "
            f"with {args.workers} thread(s)",
            file=sys.stderr,
            flush=True,
        )
        jobs.run_worker(args.workers, shutdown_timeout=settings.job_shutdown_seconds)
    finally:
        if metrics_server is not None:
            metrics_server.stop()
        ctx.close()
    return 0


def _start_metrics_server(ctx: AppContext, host: str, port: int) -> Any:
    from mediaobjects.observability.access import MetricsAccess
    from mediaobjects.observability.worker_metrics import MetricsServer

    settings = ctx.settings
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    access = MetricsAccess(token or None, settings.metrics_networks())
    try:
        server = MetricsServer(ctx.metrics, access, host, port)
    except OSError as exc:
        message = f"mediaobjects: cannot serve metrics on {host}:{port}: {exc.strerror}"
        raise SystemExit(message) from exc
    server.start()
    state = "on" if access.token or access.networks else "off (no metrics token or addresses set)"
    print(
        f"mediaobjects: worker metrics at http://{host}:{server.port}/metrics: {state}",
        file=sys.stderr,
        flush=True,
    )
    return server


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


def _read_new_password(args: argparse.Namespace) -> str | None:
    """The password from stdin (one line) or typed twice without echo; None when the two
    typed differ. Never printed."""
    if args.stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("New password: ")
    second = getpass.getpass("Again: ")
    return first if first == second else None


def cmd_set_password(settings: Settings, args: argparse.Namespace) -> int:
    from mediaobjects.accounts import service as accounts
    from mediaobjects.context import build_context
    from mediaobjects.errors import BadRequest

    password = _read_new_password(args)
    if password is None:
        print("mediaobjects: the passwords differ; nothing changed", file=sys.stderr)
        return 1
    _upgrade(settings)
    ctx = build_context(settings, with_jobs=False)
    try:
        with ctx.write() as session:
            user = accounts.find_user_by_login(session, args.login)
            if user is None:
                print(f"mediaobjects: no user with login {args.login!r}", file=sys.stderr)
                return 1
            try:
                accounts.set_password(session, user, password)
            except BadRequest as exc:
                print(f"mediaobjects: {exc.message}; nothing changed", file=sys.stderr)
                return 1
    finally:
        ctx.close()
    print(f"Password set for {user.login_id}; their web sessions were signed out.")
    return 0


def cmd_reprocess(settings: Settings, args: argparse.Namespace) -> int:
    """Queues media processing again (after installing ffmpeg, raising a limit...)."""
    from mediaobjects.context import build_context
    from mediaobjects.jobs import QueueUnavailable
    from mediaobjects.media_objects.tasks import reanalyse_speech, reprocess

    if args.speech_only and args.unfinished:
        print("mediaobjects: --speech-only and --unfinished exclude each other", file=sys.stderr)
        return 2
    _upgrade(settings)
    ctx = build_context(settings)
    jobs = ctx.jobs
    assert jobs is not None  # built with_jobs
    try:
        # Straight to the queue, not ctx.enqueue: an operator must hear that it is down.
        if args.speech_only:
            queued = reanalyse_speech(ctx.pipeline, jobs.enqueue, args.media_ids or None)
        else:
            queued = reprocess(
                ctx.pipeline, jobs.enqueue, args.media_ids or None, unfinished=args.unfinished
            )
    except QueueUnavailable as exc:
        print(f"mediaobjects: the job queue is unreachable ({exc}); try again", file=sys.stderr)
        return 1
    finally:
        ctx.close()
    for media_id in queued:
        print(media_id)
    who = "mediaobjects worker" if settings.uses_shared_queue else "mediaobjects serve"
    what = "queued for speech analysis" if args.speech_only else "queued"
    print(f"mediaobjects: {len(queued)} media {what}; {who} processes them", file=sys.stderr)
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


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mediaobjects",
        description="A self-hostable implementation of the Canvas LMS Media Objects API.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate the database and serve the API")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    serve.add_argument(
        "--workers",
        type=_at_least_one,
        default=None,
        metavar="N",
        help=(
            "server processes answering on the port (default: the number of CPUs); media "
            "jobs run in the serve process itself (MEDIAOBJECTS_WORKERS threads), never N times"
        ),
    )
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser(
        "worker", help="run media jobs from the queue (for Redis or PostgreSQL queues)"
    )
    worker.add_argument("--workers", type=int, default=2, help="worker threads (default 2)")
    worker.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        metavar="PORT",
        help=(
            "serve this worker's job metrics at http://HOST:PORT/metrics (same access rules "
            "as the API's /metrics; 0 picks a free port); default: not served"
        ),
    )
    worker.add_argument(
        "--metrics-host",
        default="127.0.0.1",
        metavar="HOST",
        help="address the metrics are served on (default 127.0.0.1)",
    )
    worker.set_defaults(func=cmd_worker)
    token = sub.add_parser(
        "create-admin-token",
        help="print a new site-admin access token (creates the admin user if needed)",
    )
    token.set_defaults(func=cmd_create_admin_token)
    passwd = sub.add_parser(
        "set-password",
        help="set the password a user signs in with at /login (asked twice, not echoed)",
    )
    passwd.add_argument("login", metavar="LOGIN", help="the user's login (pseudonym unique_id)")
    passwd.add_argument(
        "--stdin", action="store_true", help="read the password from the first line of stdin"
    )
    passwd.set_defaults(func=cmd_set_password)
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
    again.add_argument(
        "--speech-only",
        action="store_true",
        help=(
            "only measure where the audio has speech (for caption coverage), without "
            "transcoding: the named media, or all ready media not yet measured"
        ),
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
    add_captions_commands(sub)
    add_summarize_command(sub)
    add_lti_commands(sub)
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
    except Exception as exc:
        unreachable = _unreachable(exc)
        if unreachable is None:
            raise
        # Starting while the database or the queue is down: one line an operator can act on
        # (and a supervisor restarts the command), not a stack trace.
        print(f"mediaobjects: {unreachable}; is it running?", file=sys.stderr)
        return 1
    return result


def _unreachable(exc: BaseException) -> str | None:
    """What did not answer, for an error that means a backend is down (None: anything else).
    The message names the error, never the URL (it may hold a password)."""
    from mediaobjects.db.outage import is_database_outage
    from mediaobjects.jobs.outage import is_queue_outage, one_line

    if is_database_outage(exc):
        original = getattr(exc, "orig", None)
        return f"the database is unreachable ({one_line(original or exc)})"
    if is_queue_outage(exc):
        return f"the job queue is unreachable ({one_line(exc)})"
    return None


if __name__ == "__main__":
    raise SystemExit(main())
