"""Password hashing with bcrypt.

bcrypt only looks at the first 72 bytes of its input (and newer releases refuse longer input), so
the password is first reduced with SHA-256 and base64-encoded (44 bytes): every character of a long
password counts, and no input is ever rejected for length by the hash itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import bcrypt

MIN_ROUNDS = 4


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def hash_password(password: str, rounds: int = 12) -> str:
    """A bcrypt hash of ``password`` with ``rounds`` (log2 of the work factor)."""
    salt = bcrypt.gensalt(rounds=max(MIN_ROUNDS, rounds))
    return bcrypt.hashpw(_prehash(password), salt).decode("ascii")


def verify_password(password: str, hashed: str | None) -> bool:
    """True if ``password`` matches ``hashed``. Runs in constant time for a given hash."""
    if not hashed:
        # NOTE: still spend the time of a check so a missing user is not faster to detect.
        bcrypt.checkpw(b"x", _DUMMY)
        return False
    try:
        return bcrypt.checkpw(_prehash(password), hashed.encode("ascii"))
    except ValueError:
        return False


def generate_password(length: int = 24) -> str:
    """A random password from URL-safe characters (for bootstrap users)."""
    return secrets.token_urlsafe(length)[:length]


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


_DUMMY = bcrypt.hashpw(b"dummy", bcrypt.gensalt(rounds=MIN_ROUNDS))
