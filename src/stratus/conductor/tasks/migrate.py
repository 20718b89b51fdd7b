"""Resize and cold migration, up to the hand-over to the destination host.

1. A ``Migration`` row (``resize`` when the flavor changes, else ``migration``), status
   ``pre-migrating``; the instance's allocation on the source node moves to consumer = the
   migration's uuid, so the instance's uuid is free to claim the new resources.
2. Schedule with the (new) flavor: the source host is excluded for a cold migration, and for a
   resize unless ``[compute] allow_resize_to_same_host``; an admin's target ``host`` must still
   pass the filters. The scheduler claims on the destination for the instance's uuid.
3. Record the destination on the migration and cast ``prep_resize`` to it; the compute hosts
   carry on (resize_instance, finish_resize …) and report back through ``migration_update``,
   ``resize_confirmed`` and ``resize_reverted``.

Rollback (no host, or the cast failed): drop the destination claim, give the source allocation
back to the instance, migration ``error``, the instance back to its vm_state with no task and a
fault saying why.
"""

from __future__ import annotations

import logging

from stratus.common import context, exceptions
from stratus.common.exceptions import StratusError
from stratus.conductor.tasks.base import Services, Task, record_event
from stratus.db.repositories.compute import allocations
from stratus.db.repositories.compute import instances_conductor as instances
from stratus.db.repositories.compute import migrations_conductor as migrations
from stratus.objects import states
from stratus.objects.flavor import Flavor
from stratus.objects.request_spec import RequestSpec, Selection
from stratus.rpcapi.scheduler import NoValidHost

LOG = logging.getLogger(__name__)
EVENT = "conductor_migrate_server"


class MigrateTask(Task):
    def __init__(
        self,
        services: Services,
        instance_uuid: str,
        new_flavor: Flavor | None,
        host: str | None,
        spec: RequestSpec,
    ) -> None:
        super().__init__(services)
        self.uuid = instance_uuid
        self.new_flavor = new_flavor
        self.host = host
        self.spec = spec
        self.migration_uuid: str | None = None
        self.source_node_id: int | None = None
        self.selection: Selection | None = None

    def _execute(self) -> None:
        flavor, source_host = self._start_migration()
        spec = self.spec.model_copy(deep=True)
        spec.flavor = flavor
        spec.num_instances, spec.attempt = 1, 1
        spec.force_host = spec.force_node = None
        spec.requested_destination = self.host
        same_host_ok = self.new_flavor is not None and self.cfg.compute.allow_resize_to_same_host
        spec.ignore_hosts = [] if same_host_ok else [source_host]
        self.selection = self.services.scheduler.select_destinations(spec, [self.uuid])[0]
        with self.db.write() as session:
            assert self.migration_uuid is not None
            migration = migrations.get(session, self.migration_uuid)
            migration.dest_compute = self.selection.host
            migration.dest_node = self.selection.node
            instance = instances.to_object(session, instances.get(session, self.uuid))
            ref = migrations.to_ref(migration)
        self.services.compute.prep_resize(self.selection.host, instance, flavor, ref)
        record_event(self.uuid, EVENT, True, self.db, self.cfg.default.host)

    def _start_migration(self) -> tuple[Flavor, str]:
        """Create the migration and move the source allocation to it; (flavor, source)."""
        ctx = context.current()
        with self.db.write() as session:
            row = instances.get(session, self.uuid, lock=True)
            if not row.host or not row.node:
                raise exceptions.Conflict(f"Instance {self.uuid} is not on any host.")
            if row.task_state != states.RESIZE_PREP or migrations.in_progress(session, self.uuid):
                # NOTE: the message was delivered again (acked only once handled): the first
                # delivery started the move already, or it ended; nothing to do or roll back.
                raise exceptions.Conflict(f"Instance {self.uuid} is already being moved.")
            old = Flavor.model_validate(row.flavor)
            flavor = self.new_flavor or old
            migration = migrations.create(
                session,
                self.uuid,
                "resize" if self.new_flavor is not None else "migration",
                row.host,
                row.node,
                old.flavorid,
                flavor.flavorid,
                ctx.user_id if ctx else None,
                ctx.project_id if ctx else None,
            )
            self.migration_uuid = migration.uuid
            self.source_node_id = allocations.node_id_by_name(session, row.node)
            if self.source_node_id is not None:
                allocations.move(session, self.uuid, migration.uuid, self.source_node_id)
            return flavor, row.host

    def rollback(self, error: Exception) -> None:
        if self.migration_uuid is None:
            return  # nothing was changed
        message = error.message if isinstance(error, StratusError) else "Migration failed."
        details = error.admin_message if isinstance(error, NoValidHost) else str(error)
        with self.db.write() as session:
            if self.selection is not None:
                node_id = allocations.node_id_of(session, self.selection.compute_node_uuid)
                allocations.unclaim(session, self.uuid, node_id)
            if self.source_node_id is not None:
                allocations.move(session, self.migration_uuid, self.uuid, self.source_node_id)
            migrations.set_status(migrations.get(session, self.migration_uuid), "error")
            try:
                row = instances.get(session, self.uuid, lock=True)
            except exceptions.NotFound:
                return
            row.task_state = None
            instances.add_fault(session, self.uuid, 500, message, details, row.host)
        record_event(self.uuid, EVENT, False, self.db, self.cfg.default.host)
