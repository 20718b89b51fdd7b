"""Transactions. The only way code gets a ``Session`` is ``Database.read()`` or ``.write()``.

``write()`` takes SQLite's write lock at BEGIN; on PostgreSQL/MySQL both are ordinary transactions
(row locks are taken with ``SELECT ... FOR UPDATE`` by repositories that need them).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from stratus.common import exceptions
from stratus.common.config import Config
from stratus.db.engine import WRITE_OPTION, create_engine

WRITE_LOCK_TIMEOUT = 30.0  # as long as SQLite's own busy_timeout


class Database:
    """An engine plus two session factories (read, write)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # NOTE: SQLite has one writer at a time; writers of this process queue on a lock instead
        # of sleeping in SQLite's busy handler, whose growing back-off adds seconds under load.
        # Other processes sharing the file still wait in BEGIN IMMEDIATE (busy_timeout).
        self._write_lock = threading.RLock() if engine.dialect.name == "sqlite" else None
        self._read = sessionmaker(bind=engine, expire_on_commit=False)
        self._write = sessionmaker(
            bind=engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )

    @classmethod
    def from_url(cls, url: str, pool_size: int = 10, max_overflow: int = 20) -> Database:
        return cls(create_engine(url, pool_size=pool_size, max_overflow=max_overflow))

    @classmethod
    def from_config(cls, cfg: Config) -> Database:
        """The database of ``[database] connection`` with its pool settings."""
        db = cfg.database
        return cls.from_url(db.connection, pool_size=db.pool_size, max_overflow=db.max_overflow)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A transaction for queries; rolled back at the end."""
        with self._read() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction committed when the block ends without an exception."""
        with self._serialised(), self._write() as session, session.begin():
            yield session

    @contextmanager
    def _serialised(self) -> Iterator[None]:
        lock = self._write_lock
        if lock is None:
            yield
            return
        if not lock.acquire(timeout=WRITE_LOCK_TIMEOUT):
            raise exceptions.ServiceUnavailable("The database is busy; try again.")
        try:
            yield
        finally:
            lock.release()

    def dispose(self) -> None:
        self.engine.dispose()
