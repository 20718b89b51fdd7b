"""Password hashing with bcrypt.

bcrypt only looks at the first 72 bytes of its input (and newer releases refuse longer input), so
the password is first reduced with SHA-256 and base64-encoded (44 bytes): every character of a long
password counts, and no input is ever rejected for length by the hash itself.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

import bcrypt

MIN_ROUNDS = 4
DEFAULT_ROUNDS = 12


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def hash_password(password: str, rounds: int = DEFAULT_ROUNDS) -> str:
    """A bcrypt hash of ``password`` with ``rounds`` (log2 of the work factor)."""
    salt = bcrypt.gensalt(rounds=max(MIN_ROUNDS, rounds))
    return bcrypt.hashpw(_prehash(password), salt).decode("ascii")


def verify_password(password: str, hashed: str | None, rounds: int = DEFAULT_ROUNDS) -> bool:
    """True if ``password`` matches ``hashed``. Runs in constant time for a given hash.

    With no hash (an unknown user or credential, a user without a password), ``password`` is
    checked against a dummy hash of ``rounds`` — pass the configured cost, so a failure takes as
    long as one against a real hash and response times do not tell which users exist.
    """
    if hashed:
        try:
            return bcrypt.checkpw(_prehash(password), hashed.encode("ascii"))
        except ValueError:
            pass
    bcrypt.checkpw(_prehash(password), _dummy_hash(rounds))
    return False


@functools.cache
def _dummy_hash(rounds: int) -> bytes:
    """A hash of a random secret nobody knows, one per cost (made on first use)."""
    salt = bcrypt.gensalt(rounds=max(MIN_ROUNDS, rounds))
    return bcrypt.hashpw(_prehash(secrets.token_urlsafe(32)), salt)


def generate_password(length: int = 24) -> str:
    """A random password from URL-safe characters (for bootstrap users)."""
    return secrets.token_urlsafe(length)[:length]


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
