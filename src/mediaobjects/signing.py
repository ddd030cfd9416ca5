"""Signed tokens for URLs that must work without an Authorization header (upload URLs, file
downloads, the player page). A token binds a purpose and a subject to an expiry time, or to
"never" for the few purposes meant to last (player embeds), with HMAC-SHA256 under the
installation's secret key: changing the key revokes every token, permanent ones included."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from functools import lru_cache

# Written where an expiring token has its expiry time. The MAC covers this word too, and an
# expiring token's MAC covers digits, so neither kind can be rewritten into the other.
NEVER = "never"


# MACs remembered per process: a page of ten media objects carries some thirty signed URLs, the
# same for every student within a minute (``http.urls`` rounds expiry times), and each
# player asks to verify the same few verifiers again and again. Bounded, so a caller sending
# made-up verifiers only costs what computing their MACs costs anyway.
MAC_CACHE_SIZE = 16_384  # about 3 MB at most


class Signer:
    def __init__(self, secret_key: str) -> None:
        self._key = hashlib.sha256(("mediaobjects-signing:" + secret_key).encode()).digest()
        self._mac = lru_cache(maxsize=MAC_CACHE_SIZE)(self._compute_mac)

    def _compute_mac(self, purpose: str, subject: str, expires: str) -> str:
        msg = f"{purpose}\n{subject}\n{expires}".encode()
        digest = hmac.new(self._key, msg, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def mac(self, purpose: str, subject: str) -> str:
        """A keyed digest of ``subject`` for ``purpose`` that never expires by itself (the CSRF
        token of a web session lives exactly as long as the session). Not cached: subjects
        may be secrets."""
        msg = f"{purpose}\n{subject}".encode()
        digest = hmac.new(self._key, msg, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def sign(self, purpose: str, subject: str, expires_at: datetime | None) -> str:
        """A token for ``purpose`` and ``subject`` valid until ``expires_at``; with None, one
        that never expires (only ``verify(..., allow_permanent=True)`` accepts it)."""
        expires = NEVER if expires_at is None else str(int(expires_at.timestamp()))
        return f"{expires}.{self._mac(purpose, subject, expires)}"

    def verify(
        self,
        purpose: str,
        subject: str,
        token: str,
        now: datetime | None = None,
        *,
        allow_permanent: bool = False,
    ) -> bool:
        """True when the token was made by ``sign`` for this purpose and subject and has not
        expired. A permanent token counts only with ``allow_permanent``, so that a purpose
        meant to expire cannot be satisfied by one whatever was signed."""
        expires_text, _, mac_text = token.partition(".")
        # Compared as bytes: compare_digest raises on str with non-ASCII characters, and the
        # token comes straight from a query string.
        mac = mac_text.encode()
        if expires_text == NEVER:
            expected = self._mac(purpose, subject, NEVER).encode()
            return allow_permanent and hmac.compare_digest(mac, expected)
        if not expires_text.isascii() or not expires_text.isdigit() or len(expires_text) > 12:
            return False
        if not hmac.compare_digest(mac, self._mac(purpose, subject, expires_text).encode()):
            return False
        current = (now or datetime.now(UTC)).timestamp()
        return current < int(expires_text)
