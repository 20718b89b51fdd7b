"""A build failed on a host: free what it held there and try another host, or give up.

Called for ``ConductorAPI.build_failed(instance_uuid, host, reason)``. The claim on the failed
host and the instance's ports are released; the spec saved at build time gets that host in
``ignore_hosts`` and its attempt counter raised. Up to ``[scheduler] max_attempts`` attempts in
all (a forced host gets one), then the instance goes to ERROR with the last reason; a reschedule
that finds no host ends in ERROR with the scheduler's message plus that reason.
"""

from __future__ import annotations

import logging

from stratus.common import exceptions
from stratus.conductor import network
from stratus.conductor.tasks.base import Services, Task
from stratus.conductor.tasks.build import LaunchTask, fail_instances, schedule
from stratus.db.models.compute import Instance
from stratus.db.repositories.compute import allocations
from stratus.db.repositories.compute import instances_conductor as instances
from stratus.objects import states
from stratus.objects.flavor import Flavor
from stratus.objects.request_spec import RequestSpec

LOG = logging.getLogger(__name__)


def minimal_spec(row: Instance) -> RequestSpec:
    """A spec rebuilt from the row when none was saved."""
    return RequestSpec(
        project_id=row.project_id,
        user_id=row.user_id,
        flavor=Flavor.model_validate(row.flavor),
        availability_zone=row.availability_zone,
        server_group_uuid=row.server_group_uuid,
    )


class RescheduleTask(Task):
    def __init__(self, services: Services, instance_uuid: str, host: str, reason: str) -> None:
        super().__init__(services)
        self.uuid, self.host, self.reason = instance_uuid, host, reason

    def _execute(self) -> None:
        spec = self._release_and_prepare()
        if spec is None:
            return
        after = f". Last build failure: {self.reason}"
        selections = schedule(self.services, [self.uuid], spec, after=after)
        for selection in selections or ():
            try:
                LaunchTask(self.services, selection, spec).execute()
            except exceptions.StratusError:
                pass  # NOTE: LaunchTask's rollback put the instance in ERROR with the reason.

    def _release_and_prepare(self) -> RequestSpec | None:
        """Free the failed host's claim and the ports; the spec for the next attempt, or None
        when the instance is gone or out of attempts (then it is in ERROR already)."""
        max_attempts = max(self.cfg.scheduler.max_attempts, 1)
        with self.db.write() as session:
            try:
                row = instances.get(session, self.uuid, lock=True)
            except exceptions.NotFound:
                row = None
            # NOTE: the failed host is still bound until a reschedule clears it: a message
            # delivered again (or late, after the build was failed) finds another or no host.
            if row is not None and row.host != self.host:
                LOG.info("ignoring stale build failure of %s on %s", self.uuid, self.host)
                return None
            allocations.unclaim(session, self.uuid)
            network.deallocate(session, self.uuid)
            if row is None or row.task_state == states.DELETING:
                return None
            spec = instances.load_request_spec(session, self.uuid) or minimal_spec(row)
            tried = sorted({*spec.ignore_hosts, self.host})
            if spec.force_host or spec.force_node or spec.attempt >= max_attempts:
                row.host = row.node = None
                instances.set_error(
                    session,
                    row,
                    f"Exceeded maximum number of retries ({spec.attempt} of {max_attempts} "
                    f"attempts). Last build failure: {self.reason}",
                    f"Build failed on: {', '.join(tried)}. Last failure: {self.reason}",
                )
                return None
            spec.attempt += 1
            spec.ignore_hosts = tried
            row.host = row.node = None
            row.vm_state, row.task_state = states.BUILDING, states.SCHEDULING
            instances.save_request_spec(session, self.uuid, spec)
        LOG.info("rescheduling %s (attempt %d) after: %s", self.uuid, spec.attempt, self.reason)
        return spec

    def rollback(self, error: Exception) -> None:
        message = error.message if isinstance(error, exceptions.StratusError) else str(error)
        fail_instances(self.services, [self.uuid], f"Rescheduling failed: {message}", "")
