"""Resize and cold migration through the conductor with real compute agents: the migration
record, where allocations live at each step, and the rollback when no host fits."""

from __future__ import annotations

import sqlalchemy as sa

from stratus.db.models.compute import Allocation, ComputeNode, Migration
from stratus.db.repositories.compute import migrations_conductor
from stratus.objects.flavor import Flavor
from stratus.objects.migration import MigrationRef
from stratus.rpcapi.compute import ComputeAPI
from stratus.rpcapi.conductor import ConductorAPI
from tests.fixtures.cloud import Cloud
from tests.fixtures.compute_hosts import add_instance, flavor, spec
from tests.functional.scheduler.helpers import faults, instance, settled, usage_by_host, wait_for

OLD = flavor(ram=64)
NEW = Flavor(flavorid="big", name="big", vcpus=2, memory_mb=128, root_gb=1)


def _allocations(cloud: Cloud) -> set[tuple[str, str, int]]:
    """(consumer, host, memory_mb) of every allocation."""
    with cloud.db.read() as s:
        rows = s.execute(
            sa.select(Allocation.consumer_uuid, ComputeNode.host, Allocation.memory_mb).join(
                ComputeNode, ComputeNode.id == Allocation.compute_node_id
            )
        )
        return {(consumer, host, memory) for consumer, host, memory in rows}


def _migration(cloud: Cloud, uuid: str) -> MigrationRef | None:
    with cloud.db.read() as s:
        row = s.scalars(sa.select(Migration).where(Migration.instance_uuid == uuid)).first()
        return migrations_conductor.to_ref(row) if row is not None else None


def _active_on(cloud: Cloud, hosts: tuple[str, ...]) -> str:
    cloud.start_control_plane(hosts=hosts)
    wait_for(lambda: len(usage_by_host(cloud.db)) == len(hosts), what="compute nodes")
    uuid = add_instance(cloud.db, OLD)
    ConductorAPI(cloud.bus).build_instances([uuid], spec(OLD, force_host="h1"))
    assert wait_for(lambda: settled(cloud.db, [uuid])) == {uuid: "active"}
    return uuid


def _resize(cloud: Cloud, uuid: str, new: Flavor | None) -> None:
    with cloud.db.write() as s:
        from stratus.db.repositories.compute import instances_conductor

        instances_conductor.get(s, uuid).task_state = "resize_prep"  # as the API does
    ConductorAPI(cloud.bus).migrate_server(uuid, new, None, spec(OLD))


def _resized(cloud: Cloud, uuid: str) -> bool:
    row = instance(cloud.db, uuid)
    return row["vm_state"] == "resized" and row["task_state"] is None


def test_resize_to_other_host_then_confirm(cloud: Cloud) -> None:
    cloud.cfg.compute.allow_resize_to_same_host = False
    uuid = _active_on(cloud, ("h1", "h2"))
    _resize(cloud, uuid, NEW)
    wait_for(lambda: _resized(cloud, uuid), what="VERIFY_RESIZE")
    migration = _migration(cloud, uuid)
    assert migration is not None
    assert (migration.migration_type, migration.source_compute, migration.dest_compute) == (
        "resize",
        "h1",
        "h2",
    )
    assert _allocations(cloud) == {(migration.uuid, "h1", 64), (uuid, "h2", 128)}
    assert instance(cloud.db, uuid)["host"] == "h2"
    ComputeAPI(cloud.bus).confirm_resize(
        "h1", ConductorAPI(cloud.bus).instance_get(uuid), migration
    )
    wait_for(lambda: (_migration(cloud, uuid) or migration).status == "confirmed")
    assert _allocations(cloud) == {(uuid, "h2", 128)}


def test_resize_on_the_same_host_then_revert(cloud: Cloud) -> None:
    uuid = _active_on(cloud, ("h1",))
    _resize(cloud, uuid, NEW)
    wait_for(lambda: _resized(cloud, uuid), what="VERIFY_RESIZE")
    migration = _migration(cloud, uuid)
    assert migration is not None and migration.dest_compute == "h1"
    assert _allocations(cloud) == {(migration.uuid, "h1", 64), (uuid, "h1", 128)}
    with cloud.db.write() as s:
        from stratus.db.repositories.compute import instances_conductor

        instances_conductor.get(s, uuid).task_state = "resize_reverting"
    current = ConductorAPI(cloud.bus).instance_get(uuid)
    ComputeAPI(cloud.bus).revert_resize("h1", current, migration)
    wait_for(lambda: (_migration(cloud, uuid) or migration).status == "reverted")
    assert _allocations(cloud) == {(uuid, "h1", 64)}


def test_cold_migration_with_nowhere_to_go_rolls_back(cloud: Cloud) -> None:
    uuid = _active_on(cloud, ("h1",))
    _resize(cloud, uuid, None)
    wait_for(lambda: instance(cloud.db, uuid)["task_state"] is None, what="rollback")
    row = instance(cloud.db, uuid)
    assert (row["vm_state"], row["host"]) == ("active", "h1")
    migration = _migration(cloud, uuid)
    assert migration is not None
    assert (migration.migration_type, migration.status) == ("migration", "error")
    (fault,) = faults(cloud.db, uuid)
    assert fault.message == (
        "No valid host was found: 1 host; 1 excluded (already tried, or the server's current host)"
    )
    assert _allocations(cloud) == {(uuid, "h1", 64)}
