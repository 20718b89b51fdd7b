"""Alembic environment: runs against the engine handed over by ``stratus.db.migrate``."""

from __future__ import annotations

from alembic import context

from stratus.db.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - alembic CLI without stratus
    raise SystemExit("run migrations with `stratus manage db sync`")

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # NOTE: SQLite batch migrations rebuild tables (copy, drop, rename); with foreign keys on,
        # dropping the old table would cascade-delete child rows. The PRAGMA only takes effect
        # outside a transaction, so it goes straight to the driver connection.
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
    if sqlite:
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")
