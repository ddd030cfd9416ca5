"""Signed, expiring tokens for URLs that must work without an Authorization header (upload
URLs, file downloads). A token binds a purpose and a subject to an expiry time with
HMAC-SHA256 under the installation's secret key."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime


class Signer:
    def __init__(self, secret_key: str) -> None:
        self._key = hashlib.sha256(("mediaobjects-signing:" + secret_key).encode()).digest()

    def _mac(self, purpose: str, subject: str, expires: int) -> str:
        msg = f"{purpose}\n{subject}\n{expires}".encode()
        digest = hmac.new(self._key, msg, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def sign(self, purpose: str, subject: str, expires_at: datetime) -> str:
        expires = int(expires_at.timestamp())
        return f"{expires}.{self._mac(purpose, subject, expires)}"

    def verify(self, purpose: str, subject: str, token: str, now: datetime | None = None) -> bool:
        """True when the token was made by ``sign`` for this purpose and subject and has not
        expired."""
        expires_text, _, mac = token.partition(".")
        if not expires_text.isascii() or not expires_text.isdigit() or len(expires_text) > 12:
            return False
        expires = int(expires_text)
        if not hmac.compare_digest(mac, self._mac(purpose, subject, expires)):
            return False
        current = (now or datetime.now(UTC)).timestamp()
        return current < expires
