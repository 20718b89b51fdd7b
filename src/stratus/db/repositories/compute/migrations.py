"""Migration records as ``GET /os-migrations`` lists them: newest first, keyset-paginated."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.db.models.compute import Flavor, Migration


@dataclasses.dataclass
class MigrationQuery:
    host: str | None = None
    source_compute: str | None = None
    status: str | None = None
    instance_uuid: str | None = None
    migration_type: str | None = None
    exclude_types: tuple[str, ...] = ()
    changes_since: dt.datetime | None = None
    changes_before: dt.datetime | None = None
    user_id: str | None = None
    project_id: str | None = None
    limit: int | None = None
    marker: str | None = None


def _changed() -> sa.ColumnElement[dt.datetime]:
    return sa.func.coalesce(Migration.updated_at, Migration.created_at)


def _filters(q: MigrationQuery) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if q.host:
        where.append(sa.or_(Migration.source_compute == q.host, Migration.dest_compute == q.host))
    if q.source_compute:
        where.append(Migration.source_compute == q.source_compute)
    if q.status:
        where.append(Migration.status == q.status)
    if q.instance_uuid:
        where.append(Migration.instance_uuid == q.instance_uuid)
    if q.migration_type:
        where.append(Migration.migration_type == q.migration_type)
    if q.exclude_types:
        where.append(Migration.migration_type.not_in(q.exclude_types))
    if q.changes_since is not None:
        where.append(_changed() >= q.changes_since)
    if q.changes_before is not None:
        where.append(_changed() <= q.changes_before)
    if q.user_id:
        where.append(Migration.user_id == q.user_id)
    if q.project_id:
        where.append(Migration.project_id == q.project_id)
    return where


def list_(session: Session, q: MigrationQuery) -> list[Migration]:
    """Migrations matching ``q``, newest first; ``Invalid`` for an unknown marker (a uuid)."""
    query = sa.select(Migration).where(*_filters(q))
    if q.marker is not None:
        marker = session.scalars(sa.select(Migration).where(Migration.uuid == q.marker)).first()
        if marker is None:
            raise exceptions.Invalid(f"Marker {q.marker} could not be found.")
        query = query.where(
            sa.or_(
                Migration.created_at < marker.created_at,
                sa.and_(Migration.created_at == marker.created_at, Migration.id < marker.id),
            )
        )
    query = query.order_by(Migration.created_at.desc(), Migration.id.desc())
    if q.limit is not None:
        query = query.limit(q.limit)
    return list(session.scalars(query))


def flavor_pks(session: Session, flavorids: Iterable[str | None]) -> dict[str, int]:
    """flavorid -> the flavor's integer id (what Nova shows as ``*_instance_type_id``)."""
    wanted = {f for f in flavorids if f}
    if not wanted:
        return {}
    query = sa.select(Flavor.flavorid, Flavor.id).where(Flavor.flavorid.in_(wanted))
    return {flavorid: pk for flavorid, pk in session.execute(query)}
