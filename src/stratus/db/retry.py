"""Re-running whole transactions that failed for a transient reason.

A deadlock, a serialization failure, a lock wait that timed out or a connection that dropped
mid-transaction roll the whole transaction back; running the same unit of work again is then
the documented cure (PostgreSQL, MySQL and SQLite all say so). ``retry_transaction`` does that
for a callable that opens its own ``with db.write()`` block and does nothing else that would
be wrong to repeat (no RPC, no files, no HTTP inside it)::

    @retry.on_transient
    def transition(...):
        with db.write() as session:
            ...

What counts as transient (``is_transient``):

- PostgreSQL SQLSTATE ``40001`` (serialization_failure) and ``40P01`` (deadlock_detected);
- MySQL/MariaDB errors 1213 (deadlock) and 1205 (lock wait timeout);
- SQLite "database is locked" / "database table is locked";
- any error SQLAlchemy marks ``connection_invalidated`` (the connection was lost; the pool
  drops it and the next attempt gets a fresh one).

Everything else (integrity errors, programming errors, a database that stays down) is raised
at once, or after the last attempt.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy import exc as sa_exc

LOG = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

ATTEMPTS = 4
BASE_DELAY = 0.05  # seconds; doubled per attempt, with full jitter
MAX_DELAY = 1.0

_PG_CODES = frozenset({"40001", "40P01"})
_MYSQL_CODES = frozenset({1213, 1205})
_SQLITE_MESSAGES = ("database is locked", "database table is locked")


def _sqlstate(orig: BaseException | None) -> str | None:
    # NOTE: psycopg 3 names it ``sqlstate``, psycopg2 ``pgcode``
    for attr in ("sqlstate", "pgcode"):
        value = getattr(orig, attr, None)
        if isinstance(value, str):
            return value
    return None


def _mysql_code(orig: BaseException | None) -> int | None:
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int):
        return args[0]
    return None


def is_transient(error: BaseException) -> bool:
    """Whether re-running the failed transaction may well succeed (see the module docstring)."""
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    orig = error.orig
    if _sqlstate(orig) in _PG_CODES:
        return True
    if _mysql_code(orig) in _MYSQL_CODES:
        return True
    text = str(orig).lower()
    return isinstance(error, sa_exc.OperationalError) and any(m in text for m in _SQLITE_MESSAGES)


def backoff(attempt: int, base: float = BASE_DELAY, cap: float = MAX_DELAY) -> float:
    """Seconds to wait before attempt ``attempt + 1`` (full jitter, exponential, capped)."""
    return random.uniform(0, min(cap, base * (2**attempt)))  # NOTE: jitter, not security


def retry_transaction(
    func: Callable[[], R],
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    what: str | None = None,
) -> R:
    """``func()``, re-run up to ``attempts`` times in all while it fails transiently."""
    name = what or getattr(func, "__qualname__", repr(func))
    attempts = max(1, attempts)
    for attempt in range(attempts):
        try:
            return func()
        except sa_exc.DBAPIError as error:
            if attempt + 1 >= attempts or not is_transient(error):
                raise
            delay = backoff(attempt)
            LOG.warning(
                "transient database error in %s (attempt %d of %d), retrying in %.3fs: %s",
                name, attempt + 1, attempts, delay, error.orig,
            )  # fmt: skip
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def on_transient(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of :func:`retry_transaction` (default bounds)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return retry_transaction(lambda: func(*args, **kwargs), what=func.__qualname__)

    return wrapper
