"""Alembic environment: runs against the engine handed over by ``stratus.db.migrate``."""

from __future__ import annotations

from alembic import context

from stratus.db.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - alembic CLI without stratus
    raise SystemExit("run migrations with `stratus manage db sync`")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
