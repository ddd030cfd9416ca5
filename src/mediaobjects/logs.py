"""Logging for the commands that run for long (serve, worker): every handler passes records
through a filter that takes credentials out of the message, its arguments and any traceback
(``redact.redact_text``) — the access log would otherwise keep every ``?access_token=`` and
signed ``verifier=`` of every request."""

from __future__ import annotations

import logging
from typing import Any

from mediaobjects.observability.logformat import ContextFilter, JsonFormatter
from mediaobjects.redact import redact_text

_FORMATTER = logging.Formatter()


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        if isinstance(record.args, tuple):
            # Kept a tuple of the same length: uvicorn's access formatter unpacks it.
            record.args = tuple(redact_text(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact_text(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_text(_FORMATTER.formatException(record.exc_info))
        return True


def uvicorn_log_config(level: str, log_format: str = "text") -> dict[str, Any]:
    """uvicorn's own logging configuration with the redacting filter on every handler, and
    the service's loggers (``mediaobjects.*``) sent to the same place. Every line names the
    request (and the job) it was written for; ``log_format="json"``: one JSON object a line."""
    filters = {
        "redact": {"()": "mediaobjects.logs.RedactingFilter"},
        "context": {"()": "mediaobjects.observability.logformat.ContextFilter"},
    }
    if log_format == "json":
        json_formatter = {"()": "mediaobjects.observability.logformat.JsonFormatter"}
        formatters: dict[str, Any] = {"default": json_formatter, "access": json_formatter}
    else:
        formatters = {
            "default": {
                "()": "uvicorn.logging.DefaultFormatter",
                "fmt": "%(levelprefix)s %(name)s: %(message)s%(context)s",
                "use_colors": None,
            },
            "access": {
                "()": "uvicorn.logging.AccessFormatter",
                "fmt": '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s'
                "%(context)s",
            },
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": filters,
        "formatters": formatters,
        "handlers": {
            "default": {
                "formatter": "default",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "filters": ["redact", "context"],
            },
            "access": {
                "formatter": "access",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "filters": ["redact", "context"],
            },
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
            "mediaobjects": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "huey": {"handlers": ["default"], "level": "WARNING", "propagate": False},
        },
    }


def configure_worker_logging(level: str, log_format: str = "text") -> None:
    """For ``mediaobjects worker``: one stderr handler, redacting; each line names the job
    it was written for and the request that queued it."""
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    handler.addFilter(ContextFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
