"""A migrated database per test for the scheduler tests that need one (claims, engine)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fixtures.cloud import make_config

from stratus.common.config import Config
from stratus.db.session import Database


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database.from_url(db_url, pool_size=20, max_overflow=40)
    yield database
    database.dispose()


@pytest.fixture
def cfg(tmp_path: Path, db_url: str) -> Config:
    return make_config(tmp_path / "state", db_url)
