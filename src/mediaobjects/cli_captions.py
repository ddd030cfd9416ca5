"""``mediaobjects captions export|import``: a course's captions to and from a directory, with
the rules of ``media_tracks.bulk`` (the same as the ``captions.zip`` routes). The command acts
as the first site admin (the user of ``create-admin-token``), or as ``--as LOGIN`` with that
user's rights; versions written by an import name that user, with reason ``import``.
``mediaobjects captions auto``: automatic captions for a course's existing media, by the
course rule's criteria (``media_settings.auto_captions``), as the system.
Progress bars go to the terminal, and only when standard output is one."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediaobjects.errors import MediaObjectsError
from mediaobjects.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mediaobjects.accounts.principal import Principal
    from mediaobjects.media_tracks.bulk import IncomingFile, Outcome


def add_captions_commands(sub: Any) -> None:
    """Registers ``captions export`` and ``captions import`` on the main parser's subparsers."""
    captions = sub.add_parser("captions", help="export or import a course's captions")
    commands = captions.add_subparsers(dest="captions_command", required=True)
    export = commands.add_parser(
        "export",
        help="write every caption track of a course to DIR, one file per track, and manifest.csv",
    )
    export.add_argument("--course", required=True, metavar="ID", help="the course id")
    export.add_argument("directory", metavar="DIR", type=Path, help="created when missing")
    export.add_argument(
        "--format",
        default=None,
        metavar="FORMAT",
        help="vtt (default), srt, ttml, dfxp, sbv, scc, sami, txt or json",
    )
    _as_option(export)
    export.set_defaults(func=cmd_captions_export)
    load = commands.add_parser(
        "import",
        help="write the caption files of DIR to the course's media (matched by manifest.csv, "
        "else by <title>.<locale>.<ext>); exit status 1 when a file was refused",
    )
    load.add_argument("--course", required=True, metavar="ID", help="the course id")
    load.add_argument("directory", metavar="DIR", type=Path, help="the files to import")
    load.add_argument(
        "--dry-run", action="store_true", help="check and report every file, change nothing"
    )
    _as_option(load)
    load.set_defaults(func=cmd_captions_import)
    auto = commands.add_parser(
        "auto",
        help="queue automatic captions for the course's ready media that has audio and no "
        "captions in the language yet",
    )
    auto.add_argument("--course", required=True, metavar="ID", help="the course id")
    auto.add_argument(
        "--locale",
        default=None,
        metavar="TAG",
        help="language of the captions (BCP 47, e.g. en, fr-CA); default: the course's "
        "media setting, else detected per media",
    )
    auto.add_argument(
        "--dry-run", action="store_true", help="list what would be queued, change nothing"
    )
    auto.set_defaults(func=cmd_captions_auto)


def _as_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as",
        dest="login",
        default=None,
        metavar="LOGIN",
        help="act as this user (login id), with their rights; default: the first site admin",
    )


@contextmanager
def _progress(description: str) -> Iterator[Callable[[int, int], None]]:
    """A progress callback: a rich bar on a terminal, nothing otherwise (pipes, files, CI)."""
    if not sys.stdout.isatty():
        yield lambda done, total: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(description, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


def _principal(session: Session, login: str | None) -> Principal:
    from mediaobjects.accounts import authentication
    from mediaobjects.accounts import service as accounts

    if login is None:
        return authentication.principal_for_user(session, accounts.ensure_admin_user(session))
    user = accounts.find_user_by_login(session, login)
    if user is None:
        raise MediaObjectsError(f'no user has the login "{login}"')
    return authentication.principal_for_user(session, user)


def upgrade_database(settings: Settings) -> None:
    from mediaobjects.db.engine import build_engine
    from mediaobjects.db.migrate import upgrade

    engine = build_engine(settings.resolved_database_url())
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def _fail(message: str) -> int:
    print(f"mediaobjects: {message}", file=sys.stderr)
    return 1


def cmd_captions_export(settings: Settings, args: argparse.Namespace) -> int:
    from mediaobjects.context import build_context
    from mediaobjects.media_tracks import bulk

    directory: Path = args.directory
    upgrade_database(settings)
    ctx = build_context(settings, with_jobs=False)
    try:
        # A write unit: the default user, the first site admin, is created when there is none.
        with ctx.write() as session, _progress("exporting") as progress:
            principal = _principal(session, args.login)
            export = bulk.export_captions(
                session, principal, args.course, args.format, progress=progress
            )
    except MediaObjectsError as exc:
        return _fail(f"captions export: {_message(exc)}")
    finally:
        ctx.close()
    directory.mkdir(parents=True, exist_ok=True)
    for exported in export.files:
        (directory / exported.name).write_bytes(exported.data)
        if exported.note is not None:
            print(f"note      {exported.name}: {exported.note}")
    (directory / bulk.MANIFEST).write_bytes(export.manifest())
    print(
        f"mediaobjects: {len(export.files)} tracks of {export.media_count} media written to "
        f"{directory}",
        file=sys.stderr,
    )
    return 0


def _read_directory(directory: Path, max_bytes: int) -> list[IncomingFile]:
    """The directory's files (not its folders, nor hidden files such as .DS_Store); a file
    over ``max_bytes`` is refused unread."""
    from mediaobjects.media_tracks.bulk import IncomingFile

    found: list[IncomingFile] = []
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.stat().st_size > max_bytes:
            found.append(
                IncomingFile(path.name, None, f"is larger than the limit of {max_bytes} bytes")
            )
            continue
        found.append(IncomingFile(path.name, path.read_bytes()))
    return found


def _line(outcome: Outcome, dry_run: bool) -> str:
    if outcome.status == "refused":
        return f"refused   {outcome.file}: {outcome.detail}"
    target = f"{outcome.media_id} {outcome.locale}"
    if outcome.status == "unchanged":
        return f"unchanged {outcome.file}: {target}"
    verb = "would change" if dry_run else "changed"
    return f"{verb} {outcome.file}: {target} ({outcome.detail})"


def cmd_captions_import(settings: Settings, args: argparse.Namespace) -> int:
    from mediaobjects.context import build_context
    from mediaobjects.media_tracks import bulk
    from mediaobjects.media_tracks.service import TrackLimits

    directory: Path = args.directory
    if not directory.is_dir():
        return _fail(f"captions import: {directory} is not a directory")
    files = _read_directory(directory, settings.max_caption_bytes)
    limits = TrackLimits(settings.max_caption_bytes, settings.max_tracks_per_media)
    upgrade_database(settings)
    ctx = build_context(settings, with_jobs=False)
    try:
        # A write unit even for a dry run, which writes no caption: the default user, the
        # first site admin, is created when there is none.
        with ctx.write() as session, _progress("importing") as progress:
            principal = _principal(session, args.login)
            report = bulk.import_captions(
                session,
                principal,
                args.course,
                files,
                dry_run=args.dry_run,
                limits=limits,
                lenient=settings.captions_lenient,
                progress=progress,
                after_each=None if args.dry_run else session.commit,
            )
    except MediaObjectsError as exc:
        return _fail(f"captions import: {_message(exc)}")
    finally:
        ctx.close()
    for outcome in report.outcomes:
        print(_line(outcome, args.dry_run))
    changed, unchanged, refused = (len(report.of(s)) for s in ("changed", "unchanged", "refused"))
    verb = "would change" if args.dry_run else "changed"
    print(
        f"mediaobjects: {verb} {changed}, unchanged {unchanged}, refused {refused}",
        file=sys.stderr,
    )
    return 1 if report.refused else 0


def cmd_captions_auto(settings: Settings, args: argparse.Namespace) -> int:
    from mediaobjects.context import build_context
    from mediaobjects.media_settings import auto_captions, service
    from mediaobjects.transcoding.probe import format_duration

    locale: str | None = None
    if args.locale is not None:
        try:
            locale = service.parse_locale("--locale", args.locale)
        except MediaObjectsError as exc:
            print(
                f"mediaobjects: captions auto: --locale {args.locale!r} {exc.message}",
                file=sys.stderr,
            )
            return 2
    upgrade_database(settings)
    ctx = build_context(settings, with_jobs=not args.dry_run)
    try:
        with ctx.read() as session:
            try:
                course = service.settings_of_course(session, args.course)
            except MediaObjectsError:
                print(
                    f"mediaobjects: captions auto: no course has the id {args.course!r}",
                    file=sys.stderr,
                )
                return 2
            if args.locale is None:
                locale = course.locale
            plan = auto_captions.plan_course(session, course.course_id, locale)
        language = locale if locale is not None else "the detected language"
        if ctx.asr is None:
            print(
                "mediaobjects: captions auto: warning: no speech engine is enabled on this "
                "server (MEDIAOBJECTS_ASR_ENGINE): queued tracks will end failed until one "
                "is, and running this command again then asks for them again",
                file=sys.stderr,
            )
        if args.dry_run:
            for candidate in plan.candidates:
                print(_candidate_line("would queue", candidate, format_duration))
            print(
                f"mediaobjects: would queue {len(plan.candidates)} ({language}; "
                f"{format_duration(plan.total_duration)} of audio), {_skipped(plan.skipped)}",
                file=sys.stderr,
            )
            return 0
        with _progress("queueing") as progress:
            run = auto_captions.caption_course(
                ctx.write,
                ctx.enqueue,
                plan,
                max_tracks=settings.max_tracks_per_media,
                progress=progress,
            )
    finally:
        ctx.close()
    for candidate in run.queued:
        print(_candidate_line("queued", candidate, format_duration))
    for candidate, reason in run.refused:
        print(f"skipped      {candidate.media_id}: {reason}")
    skipped = dict(plan.skipped)
    if run.refused:
        skipped["refused"] = len(run.refused)
    who = "mediaobjects worker" if settings.uses_shared_queue else "mediaobjects serve"
    print(
        f"mediaobjects: queued {len(run.queued)} ({language}), {_skipped(skipped)}; "
        f"{who} transcribes them",
        file=sys.stderr,
    )
    return 0


def _candidate_line(verb: str, candidate: Any, format_duration: Callable[[float], str]) -> str:
    duration = format_duration(candidate.duration) if candidate.duration is not None else "?"
    return f"{verb:<12} {candidate.media_id}  {duration:>10}  {candidate.title or ''}"


def _skipped(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    return f"skipped {total} (" + ", ".join(f"{why} {n}" for why, n in counts.items()) + ")"


def _message(exc: MediaObjectsError) -> str:
    if exc.errors and exc.errors[0].message != exc.message:
        return "; ".join(e.message for e in exc.errors)
    if exc.status_code in (401, 403):
        return f"{exc.message} (the user may not manage this course's captions)"
    if exc.status_code == 404:
        return "no such course"
    return exc.message
