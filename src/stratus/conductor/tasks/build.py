"""Building servers: schedule, bind each instance to its host, start the build there.

``BuildTask`` handles one create request (one or more instances sharing a ``RequestSpec``):

1. keep the spec per instance (for reschedules);
2. ``SchedulerAPI.select_destinations`` — claims are made by the scheduler; on ``NoValidHost``
   every instance goes to ERROR with a fault whose ``message`` has the per-filter counts and
   whose ``details`` (admins only) the host names;
3. per instance, ``LaunchTask``: set host/node and allocate ports in one transaction, then cast
   ``build_and_run_instance`` to the host. Rollback drops the claim and the ports and puts the
   instance in ERROR saying what failed. An instance deleted meanwhile is just cleaned up.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from stratus.common import clock, exceptions
from stratus.common.exceptions import StratusError
from stratus.conductor import network
from stratus.conductor.tasks.base import Services, Task, record_event
from stratus.db.models.compute import Instance
from stratus.db.repositories.compute import allocations
from stratus.db.repositories.compute import instances_conductor as instances
from stratus.objects import states
from stratus.objects.network import VIF
from stratus.objects.request_spec import RequestSpec, Selection
from stratus.rpcapi.scheduler import NoValidHost
from stratus.services import servicegroup

LOG = logging.getLogger(__name__)
EVENT = "conductor_schedule_and_build_instances"


def fail_instances(services: Services, uuids: list[str], message: str, details: str) -> None:
    """ERROR + fault for each instance still alive (deleted ones are left alone)."""
    for uuid in uuids:
        with services.db.write() as session:
            try:
                row = instances.get(session, uuid, lock=True)
            except exceptions.NotFound:
                continue
            if row.task_state == states.DELETING:
                continue
            instances.set_error(session, row, message, details)
        record_event(uuid, EVENT, False, services.db, services.cfg.default.host)


def schedule(
    services: Services, uuids: list[str], spec: RequestSpec, after: str = ""
) -> list[Selection] | None:
    """Selections, or None after putting the instances in ERROR (``after`` is appended to the
    fault message, e.g. the reason of the failed build that led to this reschedule)."""
    try:
        return services.scheduler.select_destinations(spec, uuids)
    except NoValidHost as error:
        fail_instances(services, uuids, error.message + after, error.admin_message + after)
    except StratusError as error:
        LOG.warning("scheduling %s failed: %s", uuids, error)
        fail_instances(services, uuids, f"Scheduling failed: {error.message}{after}", "")
    return None


class BuildTask(Task):
    def __init__(self, services: Services, instance_uuids: list[str], spec: RequestSpec) -> None:
        super().__init__(services)
        self.uuids = list(instance_uuids)
        self.spec = spec

    def _execute(self) -> None:
        with self.db.write() as session:
            # NOTE: a build message is acked only once handled, so it may come twice (its first
            # conductor died or lost the broker): only instances no delivery has taken yet are
            # scheduled; one taken by a conductor that died is failed by the stuck-work check.
            self.uuids = [u for u in self.uuids if instances.take_for_scheduling(session, u)]
            for uuid in self.uuids:
                instances.save_request_spec(session, uuid, self.spec)
        if not self.uuids:
            return
        selections = schedule(self.services, self.uuids, self.spec)
        for selection in selections or ():
            try:
                LaunchTask(self.services, selection, self.spec).execute()
            except StratusError:
                pass  # NOTE: the instance is in ERROR with a fault; its siblings go on.


class LaunchTask(Task):
    """Bind one scheduled instance to its host and cast the build."""

    def __init__(self, services: Services, selection: Selection, spec: RequestSpec) -> None:
        super().__init__(services)
        self.selection = selection
        self.spec = spec
        self.uuid = selection.instance_uuid

    def _execute(self) -> None:
        sel = self.selection
        with self.db.write() as session:
            try:
                row = instances.get(session, self.uuid, lock=True)
            except exceptions.NotFound:
                row = None
            deleted = row is None or row.task_state == states.DELETING
            if row is not None and not deleted:
                row.host, row.node, row.scheduled_at = sel.host, sel.node, clock.utcnow()
                row.updated_at = clock.utcnow()
                if not row.availability_zone:
                    # NOTE: like Nova, a server booted without a zone shows its host's zone.
                    zones = servicegroup.host_zones(session, self.cfg, sel.host)
                    row.availability_zone = zones.get(
                        sel.host, self.cfg.compute.default_availability_zone
                    )
                vifs = self._allocate(session, row)
                instances.save_request_spec(session, self.uuid, self.spec)
                instance = instances.to_object(session, row)
        if deleted:
            LOG.info("instance %s was deleted while scheduling", self.uuid)
            self._release()
            return
        self.services.compute.build_and_run_instance(
            sel.host, instance, self.spec.image, vifs, sel.node
        )
        record_event(self.uuid, EVENT, True, self.db, self.cfg.default.host)

    def _allocate(self, session: Session, row: Instance) -> list[VIF]:
        try:
            return network.allocate(session, self.cfg, row, self.selection.host)
        except StratusError as error:
            raise exceptions.Conflict(
                f"Build of instance {self.uuid} aborted: Failed to allocate the network(s): "
                f"{error.message}"
            ) from error

    def _release(self) -> None:
        """Drop the claim and any ports (idempotent)."""
        with self.db.write() as session:
            node_id = allocations.node_id_of(session, self.selection.compute_node_uuid)
            allocations.unclaim(session, self.uuid, node_id)
            network.deallocate(session, self.uuid)

    def rollback(self, error: Exception) -> None:
        self._release()
        message = error.message if isinstance(error, StratusError) else "Build failed."
        if isinstance(error, exceptions.MessagingError):
            message = f"Build of instance {self.uuid} aborted: the compute host is unreachable."
        with self.db.write() as session:
            try:
                row = instances.get(session, self.uuid, lock=True)
            except exceptions.NotFound:
                return
            row.host = row.node = None
            instances.set_error(session, row, message, str(error))
        record_event(self.uuid, EVENT, False, self.db, self.cfg.default.host)
