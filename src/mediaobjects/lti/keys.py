"""The tool's own RSA keys: made on first use, kept in the database with the private half
encrypted (Fernet, under a key derived from MEDIAOBJECTS_SECRET_KEY with HKDF), published at
/lti/jwks and rotated by ``mediaobjects lti rotate-keys``.

Keys are ``current`` (signs), ``next`` (published ahead, so platforms that cache our key set
already know it when it starts signing) and ``retired`` (the previous current one, still
published so that what it signed just before a rotation still verifies). A rotation makes
next current, current retired, forgets the older retired key and makes a new next."""

from __future__ import annotations

import base64
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from jwt.algorithms import RSAAlgorithm
from sqlalchemy.orm import Session

from mediaobjects.lti import repository as repo
from mediaobjects.lti.models import LtiToolKey

KEY_BITS = 2048
_log = logging.getLogger(__name__)
PUBLISHED = ("current", "next", "retired")


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"mediaobjects lti tool keys",
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _public_jwk(private: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


def _new_key(secret_key: str, state: str) -> LtiToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    kid = secrets.token_urlsafe(16)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return LtiToolKey(
        kid=kid,
        state=state,
        private_key=_fernet(secret_key).encrypt(pem).decode(),
        public_jwk=json.dumps(_public_jwk(private, kid)),
    )


def ensure_keys(session: Session, secret_key: str) -> list[LtiToolKey]:
    """The published keys, making a current and a next one when missing (first use)."""
    keys = repo.tool_keys(session, PUBLISHED)
    states = {k.state for k in keys}
    made = False
    for state in ("current", "next"):
        if state not in states:
            session.add(_new_key(secret_key, state))
            made = True
    if made:
        session.flush()
        keys = repo.tool_keys(session, PUBLISHED)
    return keys


def key_set(session: Session, secret_key: str) -> dict[str, Any]:
    """The JWKS of /lti/jwks: current, next and the last retired key (made on first use)."""
    return {"keys": [json.loads(k.public_jwk) for k in ensure_keys(session, secret_key)]}


def published_key_set(session: Session) -> dict[str, Any] | None:
    """The JWKS as stored, without writing; None when a current or next key is missing yet."""
    keys = repo.tool_keys(session, PUBLISHED)
    if not {"current", "next"} <= {k.state for k in keys}:
        return None
    return {"keys": [json.loads(k.public_jwk) for k in keys]}


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey


def signing_key(session: Session, secret_key: str) -> SigningKey:
    """The current key (the oldest current one, should two processes have made one at once).
    A current key that cannot be decrypted (MEDIAOBJECTS_SECRET_KEY changed since it was
    made) could sign nothing: the keys are rotated first, and the rotation logged."""
    current = next(k for k in ensure_keys(session, secret_key) if k.state == "current")
    if not _usable(current, secret_key):
        _log.warning(
            "the LTI signing key %s cannot be decrypted (MEDIAOBJECTS_SECRET_KEY changed?): "
            "rotating the tool's keys",
            current.kid,
        )
        rotated = rotate_keys(session, secret_key)
        current = next(k for k in rotated if k.state == "current")
    pem = _fernet(secret_key).decrypt(current.private_key.encode())
    private = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    return SigningKey(current.kid, private)


def _usable(key: LtiToolKey, secret_key: str) -> bool:
    try:
        _fernet(secret_key).decrypt(key.private_key.encode())
    except InvalidToken:
        return False
    return True


def rotate_keys(session: Session, secret_key: str) -> list[LtiToolKey]:
    """next -> current, current -> retired (the older retired key is dropped), a new next.
    Keys that cannot be decrypted any more are replaced outright."""
    keys = ensure_keys(session, secret_key)
    now = datetime.now(UTC)
    repo.delete_tool_keys(session, "retired")
    for key in keys:
        if key.state == "current":
            key.state = "retired"
            key.retired_at = now
    for key in keys:
        if key.state == "next":
            if _usable(key, secret_key):
                key.state = "current"
            else:
                session.delete(key)
                session.add(_new_key(secret_key, "current"))
    session.add(_new_key(secret_key, "next"))
    session.flush()
    return repo.tool_keys(session, PUBLISHED)
