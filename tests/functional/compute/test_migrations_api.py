"""``GET /os-migrations``: admin only, filters, fields and paging per microversion."""

from __future__ import annotations

import datetime as dt

from stratus.common import clock, ids
from stratus.db.models.compute import Migration
from tests.fixtures.cloud import Cloud
from tests.functional.compute.basics_helpers import add_instance, mv


def _migration(cloud: Cloud, instance: str, kind: str, status: str, age: int) -> str:
    uuid = ids.uuid_id()
    with cloud.db.write() as s:
        s.add(
            Migration(
                uuid=uuid,
                instance_uuid=instance,
                source_compute="h1",
                dest_compute="h2",
                source_node="h1",
                dest_node="h2",
                old_flavor_id="1",
                new_flavor_id="2",
                migration_type=kind,
                status=status,
                user_id="u1",
                project_id="p1",
                created_at=clock.utcnow() - dt.timedelta(minutes=age),
            )
        )
    return uuid


def test_list_filters_and_shapes(cloud: Cloud) -> None:
    vm = add_instance(cloud, "h1", "p1")
    resize = _migration(cloud, vm, "resize", "finished", age=3)
    cold = _migration(cloud, vm, "migration", "confirmed", age=2)
    live = _migration(cloud, vm, "live-migration", "running", age=1)
    admin = cloud.admin_headers()
    old = cloud.compute.get("/v2.1/os-migrations", headers=admin).json()["migrations"]
    assert len(old) == 2  # live migrations are hidden before 2.23
    first = old[0]
    assert first["instance_uuid"] == vm and first["old_instance_type_id"] == 1
    assert first["new_instance_type_id"] == 2 and first["dest_host"] is None
    assert "migration_type" not in first and "uuid" not in first
    v223 = cloud.compute.get("/v2.1/os-migrations", headers=mv(admin, "2.23")).json()
    assert [m["migration_type"] for m in v223["migrations"]] == [
        "live-migration",
        "migration",
        "resize",
    ]
    v259 = cloud.compute.get("/v2.1/os-migrations?limit=2", headers=mv(admin, "2.59")).json()
    assert [m["uuid"] for m in v259["migrations"]] == [live, cold]
    assert f"marker={cold}" in v259["migrations_links"][0]["href"]
    r = cloud.compute.get(f"/v2.1/os-migrations?marker={cold}", headers=mv(admin, "2.59"))
    assert [m["uuid"] for m in r.json()["migrations"]] == [resize]
    r = cloud.compute.get("/v2.1/os-migrations?status=finished", headers=admin)
    assert [m["status"] for m in r.json()["migrations"]] == ["finished"]
    r = cloud.compute.get(
        "/v2.1/os-migrations?host=h2&migration_type=migration", headers=mv(admin, "2.23")
    )
    assert [m["migration_type"] for m in r.json()["migrations"]] == ["migration"]
    r = cloud.compute.get("/v2.1/os-migrations?marker=nope", headers=mv(admin, "2.59"))
    assert r.status_code == 400
    r = cloud.compute.get("/v2.1/os-migrations?changes-since=yesterday", headers=mv(admin, "2.59"))
    assert r.status_code == 400
    assert cloud.compute.get("/v2.1/os-migrations", headers=cloud.demo_headers()).status_code == 403
