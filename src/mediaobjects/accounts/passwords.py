"""Password hashes (argon2id through argon2-cffi) and the rules a new password must meet.
Nothing here logs, returns or puts a password into an error message.

Parameters (decision): OWASP's argon2id recommendation, 19 MiB of memory, 2 passes, 1 lane
(about 30-60 ms on one core here). A hash records its own parameters, so raising them later
re-hashes each password at its owner's next sign-in (``needs_rehash``)."""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from mediaobjects.errors import BadRequest

MIN_LENGTH = 8
# Characters. argon2 pre-hashes long inputs, but reading, decoding and hashing a megabyte
# per attempt is still work an attacker chooses; no one types a passphrase this long.
MAX_LENGTH = 256

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the login is unknown or has no password, so that the answer takes
# about as long as for a wrong password and does not tell which logins exist.
_DUMMY_HASH = _HASHER.hash("not the password of anyone")


def check_new_password(field: str, password: str) -> None:
    """400 for a password that may not be set: too short or too long."""
    if len(password) < MIN_LENGTH:
        raise BadRequest.for_field(
            field, f"{field} must be at least {MIN_LENGTH} characters", "too_short"
        )
    if len(password) > MAX_LENGTH:
        raise BadRequest.for_field(
            field, f"{field} must be at most {MAX_LENGTH} characters", "too_long"
        )


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches the ``stored`` hash. No hash (no password set) and an
    over-long password are refusals that still cost one verification."""
    if stored is None or len(password) > MAX_LENGTH:
        _burn(password[:MAX_LENGTH])
        return False
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)


def _burn(password: str) -> None:
    with contextlib.suppress(VerificationError):
        _HASHER.verify(_DUMMY_HASH, password)
