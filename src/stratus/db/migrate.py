"""Schema migrations with Alembic: ``stratus manage db sync`` and ``db version``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def sync(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision``. Running it twice is harmless."""
    command.upgrade(_alembic_config(engine), revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head() -> str:
    script = ScriptDirectory.from_config(_alembic_config(None))  # type: ignore[arg-type]
    rev = script.get_current_head()
    assert rev is not None
    return rev


def is_current(engine: Engine) -> bool:
    return current(engine) == head()
