"""``stratus.db.retry``: transient database errors re-run the transaction, others do not."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from sqlalchemy import exc as sa_exc

from stratus.db import retry


class PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


class MySQLError(Exception):
    pass


def _operational(orig: BaseException) -> sa_exc.OperationalError:
    return sa_exc.OperationalError("UPDATE instances ...", {}, orig)


DEADLOCK = _operational(PgError("40P01"))

TRANSIENT = [
    DEADLOCK,
    _operational(PgError("40001")),
    _operational(MySQLError(1213, "Deadlock found when trying to get lock")),
    _operational(MySQLError(1205, "Lock wait timeout exceeded")),
    _operational(sqlite3.OperationalError("database is locked")),
    sa_exc.DBAPIError("SELECT 1", {}, ConnectionResetError("reset"), connection_invalidated=True),
]

PERMANENT = [
    sa_exc.IntegrityError("INSERT ...", {}, sqlite3.IntegrityError("UNIQUE constraint failed")),
    _operational(PgError("42P01")),  # undefined table
    _operational(sqlite3.OperationalError("no such table: instances")),
    sa_exc.ProgrammingError("SELECT", {}, MySQLError(1064, "syntax error")),
    ValueError("not a database error"),
]


class Flaky:
    """Fails with ``error`` ``failures`` times, then returns "done"."""

    def __init__(self, error: BaseException, failures: int) -> None:
        self.error = error
        self.failures = failures
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "done"


@pytest.mark.parametrize("error", TRANSIENT)
def test_transient_errors_are_recognised(error: BaseException) -> None:
    assert retry.is_transient(error)


@pytest.mark.parametrize("error", PERMANENT)
def test_other_errors_are_not(error: BaseException) -> None:
    assert not retry.is_transient(error)


def test_deadlocks_are_retried_until_the_transaction_succeeds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    delays: list[float] = []
    work = Flaky(DEADLOCK, failures=3)
    assert retry.retry_transaction(work, attempts=4, sleep=delays.append) == "done"
    assert work.calls == 4
    assert len(delays) == 3
    assert all(0 <= d <= retry.MAX_DELAY for d in delays)
    assert caplog.text.count("transient database error") == 3


def test_gives_up_after_the_bound() -> None:
    work = Flaky(DEADLOCK, failures=10)
    with pytest.raises(sa_exc.OperationalError):
        retry.retry_transaction(work, attempts=3, sleep=lambda _s: None)
    assert work.calls == 3


@pytest.mark.parametrize("error", PERMANENT)
def test_other_errors_are_raised_at_once(error: BaseException) -> None:
    work = Flaky(error, failures=1)
    with pytest.raises(type(error)):
        retry.retry_transaction(work, sleep=lambda _s: pytest.fail("slept"))
    assert work.calls == 1


def test_decorator_passes_arguments_and_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry.time, "sleep", lambda _s: None)
    calls: list[Any] = []

    @retry.on_transient
    def write(a: int, b: int = 0) -> int:
        calls.append((a, b))
        if len(calls) == 1:
            raise DEADLOCK
        return a + b

    assert write(1, b=2) == 3
    assert calls == [(1, 2), (1, 2)]


def test_backoff_grows_and_is_capped() -> None:
    assert all(0 <= retry.backoff(0) <= retry.BASE_DELAY for _ in range(50))
    assert all(0 <= retry.backoff(30) <= retry.MAX_DELAY for _ in range(50))
