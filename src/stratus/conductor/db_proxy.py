"""The database work the conductor does for compute hosts (they never open the database).

``DatabaseProxy`` implements the database-proxy part of ``ConductorAPI`` (``rpcapi/conductor.py``):
one method per RPC method, each one short transaction; ``ConductorManager`` serves them. The
writes agents make all the time (heartbeats, node reports, instance updates, faults, action
events, deletions, migration status) are re-run on a transient database error
(``db/retry.py``): each is one transaction with nothing else inside it. Resize
bookkeeping on allocations (see ``tasks/migrate.py``): during a resize the source node's
allocation belongs to the migration's uuid and the destination's to the instance's uuid;
confirming drops the migration's, reverting drops the instance's on the destination and gives
the migration's back to the instance.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from stratus.common import context, exceptions
from stratus.common.config import Config
from stratus.conductor import network
from stratus.db import retry
from stratus.db.models.compute import InstanceAction, Migration
from stratus.db.repositories.compute import action_events, allocations, heartbeats
from stratus.db.repositories.compute import instances_conductor as instances
from stratus.db.repositories.compute import migrations_conductor as migrations
from stratus.db.session import Database
from stratus.objects.compute_node import HostResources
from stratus.objects.console import ConsoleConnectInfo
from stratus.objects.instance import Instance
from stratus.objects.metadata import InstanceMetadata
from stratus.objects.network import VIF, NetworkDataplane, SecurityRule
from stratus.rpcapi.conductor import UPDATABLE_FIELDS
from stratus.services import servicegroup
from stratus.services.compute import consoles
from stratus.services.network import metadata

LOG = logging.getLogger(__name__)


class DatabaseProxy:
    """The database-proxy methods of ``ConductorAPI``; each answers one RPC call."""

    def __init__(self, cfg: Config, db: Database) -> None:
        self.cfg = cfg
        self.db = db

    @retry.on_transient
    def service_report(self, host: str, binary: str, topic: str) -> dict[str, Any]:
        with self.db.write() as session:
            row = servicegroup.report(session, host, binary, topic)
            return {"disabled": row.disabled}

    @retry.on_transient
    def compute_node_report(self, resources: HostResources) -> None:
        """Upsert the node. Ratios and reserved amounts are the compute host's own settings (as in
        Nova, where each host reports them); an older agent that sends none gets this config's."""
        dflt, comp = self.cfg.default, self.cfg.compute
        values: dict[str, object] = {
            "host": resources.host,
            "hypervisor_type": resources.hypervisor_type,
            "hypervisor_version": resources.hypervisor_version,
            "host_ip": resources.host_ip,
            "vcpus": resources.vcpus,
            "memory_mb": resources.memory_mb,
            "local_gb": resources.local_gb,
            "arch": resources.arch,
            "cpu_info": dict(resources.cpu_info),
            "disk_available_least": resources.disk_available_least,
            "running_vms": resources.running_vms,
            "cpu_allocation_ratio": _or(resources.cpu_allocation_ratio, dflt.cpu_allocation_ratio),
            "ram_allocation_ratio": _or(resources.ram_allocation_ratio, dflt.ram_allocation_ratio),
            "disk_allocation_ratio": _or(
                resources.disk_allocation_ratio, dflt.disk_allocation_ratio
            ),
            "reserved_host_memory_mb": _or(
                resources.reserved_host_memory_mb, comp.reserved_host_memory_mb
            ),
            "reserved_host_disk_mb": _or(
                resources.reserved_host_disk_mb, comp.reserved_host_disk_mb
            ),
            "reserved_host_cpus": _or(resources.reserved_host_cpus, comp.reserved_host_cpus),
        }
        with self.db.write() as session:
            _row, created = heartbeats.upsert_node(session, resources.hypervisor_hostname, values)
        if created:
            LOG.info(
                "discovered compute host %s (node %s)",
                resources.host,
                resources.hypervisor_hostname,
            )

    def instance_get(self, instance_uuid: str) -> Instance:
        with self.db.read() as session:
            return instances.to_object(session, instances.get(session, instance_uuid))

    def instances_on_host(self, host: str) -> list[Instance]:
        with self.db.read() as session:
            return instances.to_objects(session, instances.on_host(session, host))

    @retry.on_transient
    def instance_update(
        self,
        instance_uuid: str,
        values: dict[str, Any],
        expected_task_state: list[str | None] | None = None,
    ) -> Instance:
        bad = sorted(set(values) - UPDATABLE_FIELDS)
        if bad:
            raise exceptions.Invalid(f"instance_update may not change {', '.join(bad)}")
        with self.db.write() as session:
            row = instances.get(session, instance_uuid, lock=True)
            instances.check_task_state(row, expected_task_state)
            instances.apply_values(row, values)
            session.flush()
            return instances.to_object(session, row)

    @retry.on_transient
    def instance_fault_create(
        self, instance_uuid: str, code: int, message: str, details: str, host: str
    ) -> None:
        with self.db.write() as session:
            instances.get(session, instance_uuid, read_deleted=True)
            instances.add_fault(session, instance_uuid, code, message, details, host)

    @retry.on_transient
    def action_event_start(
        self, instance_uuid: str, request_id: str, event: str, host: str
    ) -> None:
        with self.db.write() as session:
            action = _action(session, instance_uuid, request_id, event)
            action_events.start_event(session, action, event, host)

    @retry.on_transient
    def action_event_finish(
        self,
        instance_uuid: str,
        request_id: str,
        event: str,
        result: str,
        traceback: str | None = None,
    ) -> None:
        with self.db.write() as session:
            action = _action(session, instance_uuid, request_id, event)
            action_events.finish_event(session, action, event, result, traceback)

    def network_info(self, instance_uuid: str) -> list[VIF]:
        with self.db.read() as session:
            return network.info(session, instance_uuid)

    @retry.on_transient
    def instance_destroyed(self, instance_uuid: str, host: str) -> None:
        """Free allocations (the instance's and those of unfinished migrations) and ports, then
        soft-delete the row. Idempotent."""
        with self.db.write() as session:
            try:
                row = instances.get(session, instance_uuid, lock=True, read_deleted=True)
            except exceptions.NotFound:
                return
            for migration in migrations.in_progress(session, instance_uuid):
                allocations.unclaim(session, migration.uuid)
                migrations.set_status(migration, "error")
            allocations.unclaim(session, instance_uuid)
            network.deallocate(session, instance_uuid)
            if not row.deleted:
                instances.soft_delete(session, row)
        LOG.info("instance %s destroyed on %s", instance_uuid, host)

    @retry.on_transient
    def migration_update(self, migration_uuid: str, status: str) -> None:
        """Set the status; ``error``/``failed`` before the instance moved gives the source
        allocation back to the instance (the destination claim is dropped)."""
        with self.db.write() as session:
            migration = migrations.get(session, migration_uuid)
            migrations.set_status(migration, status)
            if status in ("error", "failed"):
                _undo_claims_if_not_moved(session, migration)

    def resize_confirmed(self, instance_uuid: str, migration_uuid: str) -> None:
        with self.db.write() as session:
            migration = migrations.get(session, migration_uuid)
            if migration.instance_uuid != instance_uuid:
                raise exceptions.Invalid(f"migration {migration_uuid} is not of {instance_uuid}")
            allocations.unclaim(session, migration_uuid)
            migrations.set_status(migration, "confirmed")

    def resize_reverted(self, instance_uuid: str, migration_uuid: str) -> None:
        with self.db.write() as session:
            migration = migrations.get(session, migration_uuid)
            if migration.instance_uuid != instance_uuid:
                raise exceptions.Invalid(f"migration {migration_uuid} is not of {instance_uuid}")
            dest = allocations.node_id_by_name(session, migration.dest_node or "")
            source = allocations.node_id_by_name(session, migration.source_node or "")
            if allocations.of_consumer(session, migration_uuid):
                if dest is not None:
                    allocations.unclaim(session, instance_uuid, dest)
                if source is not None:
                    allocations.move(session, migration_uuid, instance_uuid, source)
            migrations.set_status(migration, "reverted")

    def metadata_for_address(self, network_id: str, address: str) -> InstanceMetadata | None:
        with self.db.read() as session:
            return metadata.for_address(session, network_id, address)

    def network_dataplane(self, host: str, network_ids: list[str]) -> list[NetworkDataplane]:
        with self.db.read() as session:
            return network.dataplane(session, host, network_ids)

    def port_security_rules(self, port_ids: list[str]) -> dict[str, list[SecurityRule]]:
        with self.db.read() as session:
            return network.security_rules(session, port_ids)

    def console_token_consume(self, token: str) -> ConsoleConnectInfo | None:
        return consoles.consume_token(self.db, token)


def _action(session: Session, instance_uuid: str, request_id: str, event: str) -> InstanceAction:
    """The instance action of ``request_id`` (made, by the calling user, if missing)."""
    ctx = context.current()
    return action_events.ensure_action(
        session,
        instance_uuid,
        request_id,
        event,
        ctx.user_id if ctx else None,
        ctx.project_id if ctx else None,
    )


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def _undo_claims_if_not_moved(session: Session, migration: Migration) -> None:
    row = instances.get(session, migration.instance_uuid, read_deleted=True)
    if row.node != migration.source_node:
        return  # NOTE: the instance runs on the destination already; keep what it holds.
    source = allocations.node_id_by_name(session, migration.source_node or "")
    held = [
        a for a in allocations.of_consumer(session, migration.uuid) if a.compute_node_id == source
    ]
    if source is None or not held:
        # NOTE: the migration holds nothing (already undone): only a recorded destination
        # claim can be the resize's; anything else the instance holds is its own.
        dest = allocations.node_id_by_name(session, migration.dest_node or "")
        if dest is not None and dest != source:
            allocations.unclaim(session, migration.instance_uuid, dest)
        return
    # NOTE: the instance did not move, so whatever its uuid holds now is a destination claim,
    # on the destination the migration records, or on one it never got to record (the
    # conductor died between the scheduler's claim and writing dest_node): drop them all, then
    # the source allocation goes back to the instance.
    allocations.unclaim(session, migration.instance_uuid)
    allocations.move(session, migration.uuid, migration.instance_uuid, source)
