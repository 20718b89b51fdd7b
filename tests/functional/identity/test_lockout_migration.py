"""Migration 0005 adds the lockout counters to existing users, and takes them away again.

Runs on SQLite by default, PostgreSQL with STRATUS_TEST_DB_URL.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import command

from stratus.db import migrate
from stratus.db.engine import create_engine

NOW = dt.datetime(2026, 1, 1)


def _columns(engine: sa.Engine) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns("users")}


def test_existing_users_start_unlocked_and_downgrade_drops_the_columns(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        command.downgrade(migrate._alembic_config(engine), "0004")
        assert not {"failed_auth_count", "failed_auth_at"} & _columns(engine)
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO domains (id, name, name_key, description, enabled, extra,"
                    " created_at) VALUES ('default', 'Default', 'default', '', :t, '{}', :now)"
                ),
                {"t": True, "now": NOW},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO users (id, name, name_key, domain_id, enabled, options, extra,"
                    " created_at) VALUES ('alice', 'alice', 'alice', 'default', :t, '{}', '{}',"
                    " :now)"
                ),
                {"t": True, "now": NOW},
            )
        migrate.sync(engine)
        with engine.connect() as conn:
            row = conn.execute(
                sa.text("SELECT failed_auth_count, failed_auth_at FROM users WHERE id = 'alice'")
            ).one()
        assert tuple(row) == (0, None)
        command.downgrade(migrate._alembic_config(engine), "0004")
        assert not {"failed_auth_count", "failed_auth_at"} & _columns(engine)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM users WHERE id = 'alice'")).scalar()
        migrate.sync(engine)
        assert migrate.is_current(engine)
    finally:
        engine.dispose()
