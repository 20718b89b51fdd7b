"""Database engines for SQLite, PostgreSQL and MySQL/MariaDB from one ``[database] connection`` URL.

SQLite gets write-ahead logging, foreign keys and a busy timeout, and its transactions are begun
explicitly so a writer can take the write lock up front (``BEGIN IMMEDIATE``) instead of failing
when a read lock is upgraded under concurrency.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from stratus.common import private_paths

WRITE_OPTION = "stratus_write"


class DatabaseAccessForbidden(RuntimeError):
    """Raised when a process that must not touch the database (a compute agent) tries to."""


_forbidden = False


def forbid_database_access() -> None:
    """Called at start-up of compute agents: from now on, creating an engine is a bug."""
    global _forbidden
    _forbidden = True


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def _private_sqlite_file(database: str | None) -> None:
    """Create the database file 0600 (and its directory 0700) before SQLite opens it.

    SQLite creates a missing file with the umask's mode (0644) and gives its ``-wal`` and
    ``-shm`` files the database file's mode, so creating the file first covers all three.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database).absolute()
    private_paths.make_dir(path.parent)
    private_paths.make_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        sibling = path.with_name(path.name + suffix)
        if sibling.exists():
            private_paths.tighten(sibling)


def create_engine(
    url: str, pool_size: int = 10, max_overflow: int = 20, echo: bool = False
) -> Engine:
    """An engine for ``url``; a SQLite file (and its directory) is created private first."""
    if _forbidden:
        raise DatabaseAccessForbidden("this process must not open the database")
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if parsed.get_backend_name() == "sqlite":
        _private_sqlite_file(parsed.database)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        kwargs["pool_size"] = pool_size
        kwargs["max_overflow"] = max_overflow
        engine = sa.create_engine(url, **kwargs)
        _sqlite_setup(engine)
        return engine
    kwargs.update(
        pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True, pool_recycle=3600
    )
    if parsed.get_backend_name() == "mysql":
        kwargs["isolation_level"] = "READ COMMITTED"
    return sa.create_engine(url, **kwargs)
