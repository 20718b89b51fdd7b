"""``GET /os-migrations`` (admin): resizes and migrations, newest first.

Filters ``host``, ``status``, ``instance_uuid``, ``source_compute``, ``migration_type``;
microversions: ``migration_type`` shown from 2.23 (live migrations are hidden before it);
``uuid``, ``limit``/``marker`` (a migration uuid) and ``changes-since`` from 2.59;
``changes-before`` from 2.66; ``user_id``/``project_id`` from 2.80.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.compute import microversion
from stratus.api.compute import param_types as pt
from stratus.common import clock, exceptions
from stratus.db.models.compute import Migration
from stratus.db.repositories.compute import migrations as repo
from stratus.db.repositories.compute.migrations import MigrationQuery

router = Router("compute")


def _time(req: ApiRequest, name: str) -> dt.datetime | None:
    raw = req.query.get(name)
    if raw is None:
        return None
    try:
        return clock.parse_isotime(raw)
    except ValueError:
        raise exceptions.Invalid(f"Invalid input for query parameter {name}: {raw!r}.") from None


def _query(req: ApiRequest) -> MigrationQuery:
    version = microversion.of(req)
    q = MigrationQuery(
        host=req.query.get("host"),
        source_compute=req.query.get("source_compute"),
        status=req.query.get("status"),
        instance_uuid=req.query.get("instance_uuid"),
        migration_type=req.query.get("migration_type"),
    )
    if version < (2, 23):
        q.exclude_types = ("live-migration",)
    if version >= (2, 59):
        q.limit = pt.limit(req)
        q.marker = req.query.get("marker")
        q.changes_since = _time(req, "changes-since")
    if version >= (2, 66):
        q.changes_before = _time(req, "changes-before")
        if q.changes_since and q.changes_before and q.changes_before < q.changes_since:
            raise exceptions.Invalid(
                "The value of changes-since must be less than or equal to changes-before."
            )
    if version >= (2, 80):
        q.user_id = req.query.get("user_id")
        q.project_id = req.query.get("project_id")
    return q


def render(req: ApiRequest, row: Migration, flavor_pks: dict[str, int]) -> dict[str, Any]:
    version = microversion.of(req)
    body: dict[str, Any] = {
        "id": row.id,
        "status": row.status,
        "instance_uuid": row.instance_uuid,
        "source_node": row.source_node,
        "source_compute": row.source_compute,
        "dest_node": row.dest_node,
        "dest_compute": row.dest_compute,
        "dest_host": None,
        "old_instance_type_id": flavor_pks.get(row.old_flavor_id or ""),
        "new_instance_type_id": flavor_pks.get(row.new_flavor_id or ""),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }
    if version >= (2, 23):
        body["migration_type"] = row.migration_type
    if version >= (2, 59):
        body["uuid"] = row.uuid
    if version >= (2, 80):
        body["user_id"] = row.user_id
        body["project_id"] = row.project_id
    return body


@router.route("GET", "/v2.1/os-migrations", policy="os_compute_api:os-migrations:index")
def list_migrations(req: ApiRequest) -> Any:
    """List migrations (admin)."""
    q = _query(req)
    with pt.reading(req) as session:
        rows = repo.list_(session, q)
        pks = repo.flavor_pks(
            session, [f for r in rows for f in (r.old_flavor_id, r.new_flavor_id)]
        )
    body: dict[str, Any] = {"migrations": [render(req, r, pks) for r in rows]}
    if q.limit and rows and len(rows) == q.limit:
        body["migrations_links"] = pt.next_link(req, "os-migrations", rows[-1].uuid)
    return body
