"""Secrets out of everything a person may read: log lines, error messages, printed settings.

Access tokens travel in ``?access_token=`` and ``Authorization: Bearer``; signed URLs carry
``verifier=`` and ``token=``; database and queue URLs may hold passwords. A log line or an
error is read by operators, pasted into tickets and kept for months: it must not be a key."""

from __future__ import annotations

import re

HIDDEN = "[redacted]"
# Query parameters whose values are credentials (case-insensitive).
SECRET_PARAMS = ("access_token", "api_key", "verifier", "token", "password", "signature")
_PARAM = re.compile(
    r"(?i)(?P<key>(?:^|[?&;\s\"'])(?:" + "|".join(SECRET_PARAMS) + r")=)(?P<value>[^&\s\"';]+)"
)
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9~._+/=-]+")
# scheme://user:password@host — any URL with a password in its authority.
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)(?P<pw>[^@\s/]+)@")


def redact_text(text: str) -> str:
    """``text`` with every credential replaced by ``[redacted]``."""
    text = _PARAM.sub(lambda m: m.group("key") + HIDDEN, text)
    text = _BEARER.sub(lambda m: m.group(1) + HIDDEN, text)
    return _URL_PASSWORD.sub(lambda m: m.group("head") + HIDDEN + "@", text)


def redact_url(url: str) -> str:
    """A URL as it may be shown: its password and its query (which may carry one) hidden,
    e.g. for a queue URL."""
    shown = _URL_PASSWORD.sub(lambda m: m.group("head") + HIDDEN + "@", url)
    base, question, _query = shown.partition("?")
    return base + (f"?{HIDDEN}" if question else "")
