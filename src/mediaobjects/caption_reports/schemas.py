"""The caption reports' JSON rows and their CSV twins: the same columns in the same order, so
that a spreadsheet holds exactly what the API shows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from mediaobjects.caption_reports.repository import CourseRow
from mediaobjects.caption_reports.service import ReportEntry
from mediaobjects.media_objects.schemas import UNTITLED
from mediaobjects.timestamps import iso

COURSE_REPORT_COLUMNS = (
    "media_id",
    "title",
    "media_type",
    "duration",
    "processing_state",
    "locales",
    "kinds",
    "coverage",
    "errors",
    "warnings",
    "meets_profile",
    "status",
    "track_id",
    "track_locale",
    "track_kind",
    "created_at",
    # Added with automatic captions; last, so that a spreadsheet's columns keep their places.
    "track_automatic",
    "sources",
)
ACCOUNT_REPORT_COLUMNS = (
    "course_id",
    "course_name",
    "media_count",
    "captioned_count",
    "passing_count",
    "duration",
    "captioned_duration",
)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection, OWASP);
# tab and carriage return too, where a spreadsheet strips them first.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _title(title: str | None, user_entered_title: str | None) -> str:
    # As media_objects.schemas.display_title, on the report's columns.
    for candidate in (user_entered_title, title):
        if candidate is not None and candidate.strip():
            return candidate
    return UNTITLED


def course_report_json(entry: ReportEntry) -> dict[str, Any]:
    row = entry.row
    return {
        "media_id": row.media_id,
        "title": _title(row.title, row.user_entered_title),
        "media_type": row.media_type,
        "duration": row.duration,
        "processing_state": row.processing_state,
        "locales": entry.locales,
        "kinds": entry.kinds,
        "coverage": row.coverage,
        "errors": row.errors,
        "warnings": row.warnings,
        "meets_profile": None if row.track_id is None else bool(row.meets_profile),
        "status": row.status,
        "track_id": row.track_id,
        "track_locale": row.track_locale,
        "track_kind": row.track_kind,
        "created_at": iso(row.created_at),
        "track_automatic": None if row.track_id is None else bool(row.track_automatic),
        "sources": entry.sources,
    }


def account_report_json(row: CourseRow) -> dict[str, Any]:
    return {
        "course_id": row.course_id,
        "course_name": row.course_name,
        "media_count": row.media_count,
        "captioned_count": row.captioned_count,
        "passing_count": row.passing_count,
        "duration": row.duration,
        "captioned_duration": row.captioned_duration,
    }


def csv_cell(value: Any) -> str:
    """A JSON value as a spreadsheet cell: lists joined by a space, null empty, booleans
    true/false, and text that a spreadsheet would run as a formula defused with a leading
    apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = " ".join(str(item) for item in value)
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


# Lines are sent in chunks of about this size: one chunk per line would cost a hop to the
# thread pool per row (a third of a millisecond each).
CHUNK_BYTES = 64 * 1024


def csv_lines(columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """The header and one line per row, UTF-8, CRLF line ends (RFC 4180), produced in chunks
    as the response is sent."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row[name]) for name in columns])
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
