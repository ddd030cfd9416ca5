"""How log lines look. ``ContextFilter`` puts the request id and the running job on every
record (``request_id``, ``job_id``, ``job``, and ``context``: the same as a short suffix for
text lines); ``JsonFormatter`` writes one JSON object per line. Credentials are taken out
before (``logs.RedactingFilter`` runs first on every handler)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from mediaobjects.observability.correlation import current_job, current_request_id


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request_id = current_request_id()
        job = current_job()
        record.request_id = request_id
        record.job_id = job.job_id if job else None
        record.job = job.kind if job else None
        parts = []
        if request_id:
            parts.append(f"request_id={request_id}")
        if job:
            parts.append(f"job={job.kind} job_id={job.job_id}")
        record.context = f" [{' '.join(parts)}]" if parts else ""
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        access = _access_fields(record)
        if access:
            line.update(access)
        for key in ("request_id", "job", "job_id"):
            value = getattr(record, key, None)
            if value:
                line[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def _access_fields(record: logging.LogRecord) -> dict[str, Any] | None:
    """uvicorn's access log record: (client, method, path, HTTP version, status)."""
    if record.name != "uvicorn.access" or not isinstance(record.args, tuple):
        return None
    if len(record.args) != 5:
        return None
    client, method, path, version, status = record.args
    return {
        "client": client,
        "method": method,
        "path": path,
        "http_version": version,
        "status": status,
    }
