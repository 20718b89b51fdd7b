"""A process-wide bound on password hashing for requests that carry no token.

A bcrypt check costs a few hundred milliseconds of CPU by design. Without a bound, a flood of
logins (right or wrong, known users or not) fills every worker thread with hashing, and requests
that only validate a token, which never hash, queue behind them. ``PasswordGate`` lets ``limit``
checks hash at once and ``queue`` more wait for a turn; anything beyond is refused at once with
``PasswordChecksBusy`` (503 with ``Retry-After``, which keystoneauth retries), so a flood costs
at most ``limit`` CPUs and ``limit + queue`` threads.

Callers: the password, application-credential and self-service password-change paths of the
identity service. Gates are shared by every API of the process (``shared``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from stratus.common import exceptions

RETRY_AFTER = 1  # seconds a refused client is told to wait
MAX_WAIT = 10.0  # seconds a queued check waits for a turn before it is refused


class PasswordChecksBusy(exceptions.ServiceUnavailable):
    """Too many password checks are running or waiting; the client should retry shortly."""

    message = "Too many authentication requests are being processed; try again shortly."
    retry_after = RETRY_AFTER


class PasswordGate:
    """At most ``limit`` holders at once, at most ``queue`` waiters; the rest are refused."""

    def __init__(self, limit: int, queue: int, max_wait: float = MAX_WAIT) -> None:
        self.limit = max(1, limit)
        self.queue = max(0, queue)
        self.max_wait = max_wait
        self._cond = threading.Condition()
        self._running = 0
        self._waiting = 0

    @property
    def running(self) -> int:
        """Checks holding a slot now."""
        return self._running

    @property
    def waiting(self) -> int:
        """Checks queued for a slot now."""
        return self._waiting

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the block; raises ``PasswordChecksBusy`` if none comes in time."""
        self._acquire()
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify()

    def _acquire(self) -> None:
        with self._cond:
            if self._running < self.limit and not self._waiting:
                self._running += 1
                return
            if self._waiting >= self.queue:
                raise PasswordChecksBusy()
            self._waiting += 1
            deadline = time.monotonic() + self.max_wait
            try:
                while self._running >= self.limit:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise PasswordChecksBusy()
                    self._cond.wait(left)
                self._running += 1
            finally:
                self._waiting -= 1


def default_limit() -> int:
    """One concurrent check per CPU this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


_shared: dict[tuple[int, int], PasswordGate] = {}
_shared_lock = threading.Lock()


def shared(limit: int, queue: int) -> PasswordGate:
    """The process-wide gate for these settings (``limit`` 0: ``default_limit()``)."""
    key = (limit or default_limit(), queue)
    with _shared_lock:
        gate = _shared.get(key)
        if gate is None:
            gate = _shared[key] = PasswordGate(*key)
        return gate


__all__ = ["PasswordChecksBusy", "PasswordGate", "default_limit", "shared"]
