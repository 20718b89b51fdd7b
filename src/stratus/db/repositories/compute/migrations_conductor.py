"""Migration rows as the conductor's resize / cold-migration workflow writes them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import clock, exceptions, ids
from stratus.db.models.compute import Migration
from stratus.objects.migration import MigrationRef


def create(
    session: Session,
    instance_uuid: str,
    migration_type: str,
    source_compute: str | None,
    source_node: str | None,
    old_flavor_id: str | None,
    new_flavor_id: str | None,
    user_id: str | None,
    project_id: str | None,
) -> Migration:
    row = Migration(
        uuid=ids.uuid_id(),
        instance_uuid=instance_uuid,
        migration_type=migration_type,
        status="pre-migrating",
        source_compute=source_compute,
        source_node=source_node,
        old_flavor_id=old_flavor_id,
        new_flavor_id=new_flavor_id,
        user_id=user_id,
        project_id=project_id,
        created_at=clock.utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def get(session: Session, migration_uuid: str) -> Migration:
    row = session.scalars(
        sa.select(Migration).where(Migration.uuid == migration_uuid)
    ).one_or_none()
    if row is None:
        raise exceptions.NotFound(f"Migration {migration_uuid} could not be found.")
    return row


def set_status(row: Migration, status: str) -> None:
    row.status = status
    row.updated_at = clock.utcnow()


def in_progress(session: Session, instance_uuid: str) -> list[Migration]:
    """Migrations of the instance not yet in a final state."""
    final = ("confirmed", "reverted", "error", "failed", "done", "completed")
    query = sa.select(Migration).where(
        Migration.instance_uuid == instance_uuid, Migration.status.not_in(final)
    )
    return list(session.scalars(query))


def to_ref(row: Migration) -> MigrationRef:
    return MigrationRef(
        uuid=row.uuid,
        instance_uuid=row.instance_uuid,
        migration_type=row.migration_type,
        status=row.status,
        source_compute=row.source_compute,
        dest_compute=row.dest_compute,
        source_node=row.source_node,
        dest_node=row.dest_node,
    )
