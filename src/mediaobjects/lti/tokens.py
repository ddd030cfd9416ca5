"""The JWT core: reading and checking a platform's id_token, and signing the tool's own
tokens. PyJWT does the cryptography; the rules the LTI 1.3 and OIDC specifications set (and
that stock libraries leave out: ``exp`` and ``iat`` required, ``azp``, RS256 only) are here.
Pure: no database, no HTTP. Every failure is a ``TokenRejected`` whose message says what
failed, in words a platform's admin can act on."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ALGORITHM = "RS256"
# Larger than any real id_token (Canvas's carry a few KB); refused before any parsing.
MAX_TOKEN_BYTES = 32 * 1024
# Clock skew allowed between the platform and us, in seconds.
LEEWAY_SECONDS = 60
# 3000-01-01T00:00:00Z: far past any token's life, and far enough from the last date a
# datetime holds (9999) that the nonce's retention (exp plus a margin) can be computed.
MAX_TIMESTAMP = 32_503_680_000
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class TokenRejected(Exception):
    """The id_token is not acceptable; ``str(exc)`` says why."""


def unverified_kid(token: str) -> str:
    """The ``kid`` of the token's header, once the header says RS256. Nothing is trusted yet:
    this only names the key to check the signature with."""
    if len(token) > MAX_TOKEN_BYTES:
        raise TokenRejected(f"the id_token is larger than {MAX_TOKEN_BYTES} bytes")
    if token.count(".") != 2:
        raise TokenRejected("the id_token is not a signed JWT (three dot-separated parts)")
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.PyJWTError, ValueError, TypeError, RecursionError) as exc:
        raise TokenRejected("the id_token's header cannot be read") from exc
    alg = header.get("alg")
    if alg != ALGORITHM:
        raise TokenRejected(f"the id_token is signed with {alg!r}; only RS256 is accepted")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > 255:
        raise TokenRejected("the id_token's header names no key (kid)")
    return kid


def _is_time(value: object) -> bool:
    """A NumericDate we can do arithmetic and dates with: PyJWT accepts any number, and a
    signed ``exp`` of 1e20 or 4,000 digits would otherwise fail later, as a 5xx."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and 0 <= value <= MAX_TIMESTAMP
    )


def _clean_text(claims: dict[str, Any]) -> bool:
    """Whether every string in the claims (keys too) can be stored: JSON's ``\\ud800``
    escapes give Python strings no database or page can encode, and PostgreSQL refuses NUL.
    Walked without recursion: the claims may nest as deep as the parser allowed."""
    pending: list[object] = [claims]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                return False
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return True


def _describe(exc: jwt.PyJWTError) -> str:
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "the id_token has expired (exp)"
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "the id_token is not valid yet (iat or nbf in the future)"
    if isinstance(exc, jwt.InvalidAudienceError):
        return "the id_token's audience (aud) is not this tool's client_id"
    if isinstance(exc, jwt.InvalidIssuerError):
        return "the id_token's issuer (iss) is not the registered platform"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"the id_token lacks the required claim {exc.claim!r}"
    if isinstance(exc, jwt.InvalidSignatureError):
        return "the id_token's signature does not verify with the platform's key"
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return "the id_token is not signed with RS256"
    return f"the id_token is invalid ({type(exc).__name__})"


def decode_id_token(
    token: str, jwk: dict[str, Any], *, issuer: str, client_id: str
) -> dict[str, Any]:
    """The verified claims: RS256 signature by ``jwk``, ``iss`` the platform, ``aud`` holding
    our client_id (and ``azp`` naming it whenever given or when ``aud`` holds others),
    ``exp``, ``iat`` and ``sub`` present, ``exp`` in the future and ``iat`` not."""
    try:
        key = jwt.PyJWK(jwk, algorithm=ALGORITHM)
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
        raise TokenRejected("the platform's key for this kid is not a usable RSA key") from exc
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=client_id,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub"], "strict_aud": False},
        )
    except jwt.PyJWTError as exc:
        raise TokenRejected(_describe(exc)) from exc
    except (ValueError, TypeError, RecursionError) as exc:
        raise TokenRejected("the id_token's claims cannot be read") from exc
    if not all(_is_time(claims.get(name)) for name in ("exp", "iat")):
        raise TokenRejected("the id_token's exp and iat must be numbers of seconds (NumericDate)")
    if not _clean_text(claims):
        raise TokenRejected(
            "the id_token holds text that is not valid Unicode (a lone surrogate or NUL)"
        )
    aud = claims["aud"]
    audiences = aud if isinstance(aud, list) else [aud]
    azp = claims.get("azp")
    if azp is not None and azp != client_id:
        raise TokenRejected("the id_token's authorized party (azp) is not this tool's client_id")
    if len(audiences) > 1 and azp is None:
        raise TokenRejected("the id_token names several audiences but no authorized party (azp)")
    if not isinstance(claims.get("sub"), str) or not claims["sub"] or len(claims["sub"]) > 255:
        raise TokenRejected("the id_token's subject (sub) must be a non-empty string")
    return claims


def sign(
    claims: dict[str, Any], private_key: rsa.RSAPrivateKey, kid: str, *, lifetime: timedelta
) -> str:
    """A token of the tool, signed RS256 with ``kid`` in its header, with ``iat`` now and
    ``exp`` after ``lifetime``."""
    now = datetime.now(UTC)
    body = {**claims, "iat": int(now.timestamp()), "exp": int((now + lifetime).timestamp())}
    return jwt.encode(body, private_key, algorithm=ALGORITHM, headers={"kid": kid})


def canonical(claims: dict[str, Any]) -> str:
    """Claims as JSON for storage (sorted keys: the same claims, the same text)."""
    return json.dumps(claims, sort_keys=True, separators=(",", ":"))
