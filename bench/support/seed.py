"""A big course for the benchmarks that measure lists, reports and search: the schema, an admin
token, a teacher, the course and its files folder made the way the service makes them, and the
rows of its attachments, media objects and tracks made in bulk (inserted directly: building
100,000 media objects through the API would take longer than the benchmark)."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from mediaobjects.accounts import authentication
from mediaobjects.accounts import service as accounts
from mediaobjects.accounts.models import Course, Enrollment, User
from mediaobjects.context import AppContext, build_context
from mediaobjects.db.engine import build_engine
from mediaobjects.db.migrate import upgrade
from mediaobjects.files.models import Folder
from mediaobjects.media_objects.sorting import display_title_key
from mediaobjects.settings import Settings


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    """The median wall time of ``fn`` in milliseconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


@dataclass
class BigCourse:
    engine: Engine
    ctx: AppContext
    token: str
    course_id: int
    folder_id: int
    teacher_id: int


def big_course(
    settings: Settings, name: str = "Big", code: str = "Big", *, with_jobs: bool = True
) -> BigCourse:
    """A migrated database with an admin token and one course taught by one teacher."""
    engine = build_engine(settings.resolved_database_url())
    upgrade(engine)
    ctx = build_context(settings, with_jobs=with_jobs)
    with ctx.write() as session:
        admin = accounts.ensure_admin_user(session)
        _, token = authentication.issue_token(session, admin, "bench")
        teacher = User(
            name="T", sortable_name="T", short_name="T", login_id="t", login_id_folded="t"
        )
        session.add(teacher)
        course = Course(account_id=1, name=name, course_code=code, uuid=uuid.uuid4().hex)
        session.add(course)
        session.flush()
        session.add(Enrollment(course_id=course.id, user_id=teacher.id, type="TeacherEnrollment"))
        folder = Folder(
            context_type="Course",
            context_id=course.id,
            root_marker=1,
            name="course files",
            full_name="course files",
        )
        session.add(folder)
        session.flush()
        return BigCourse(engine, ctx, token, course.id, folder.id, teacher.id)


def media_id_of(i: int) -> str:
    return f"m-bench{i:027d}"


def attachment_row(course: BigCourse, i: int, title: str, created: datetime) -> dict[str, Any]:
    """The course file of lecture ``i`` (id ``i + 1``), naming media object ``i``."""
    return {
        "id": i + 1,
        "context_type": "Course",
        "context_id": course.course_id,
        "folder_id": course.folder_id,
        "user_id": course.teacher_id,
        "display_name": title,
        "filename": title + ".mp4",
        "content_type": "video/mp4",
        "size": 1000,
        "uuid": uuid.uuid4().hex,
        "storage_key": f"attachments/x/{i}",
        "sha256": "0" * 64,
        "media_entry_id": media_id_of(i),
        "hidden": False,
        "locked": False,
        "workflow_state": "processed",
        "created_at": created,
        "updated_at": created,
    }


def media_object_row(
    course: BigCourse, i: int, title: str, created: datetime, **extra: Any
) -> dict[str, Any]:
    """Media object ``i`` (id ``i + 1``) of the course, its default file attachment ``i``."""
    return {
        "id": i + 1,
        "media_id": media_id_of(i),
        "context_type": "Course",
        "context_id": course.course_id,
        "user_id": course.teacher_id,
        "title": title,
        "title_sort_key": display_title_key(None, title),
        "media_type": "video",
        "attachment_id": i + 1,
        "workflow_state": "active",
        "created_at": created,
        "updated_at": created,
        **extra,
    }


def track_row(
    course: BigCourse,
    i: int,
    locale: str,
    content: str,
    created: datetime,
    kind: str = "captions",
    **extra: Any,
) -> dict[str, Any]:
    """A ready track of media object ``i``, on its default attachment."""
    return {
        "media_object_id": i + 1,
        "attachment_id": i + 1,
        "user_id": course.teacher_id,
        "kind": kind,
        "locale": locale,
        "content": content,
        "webvtt_content": content,
        "workflow_state": "ready",
        "created_at": created,
        "updated_at": created,
        **extra,
    }
