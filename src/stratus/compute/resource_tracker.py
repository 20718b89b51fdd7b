"""Tells the conductor what this host has (``compute_node_report``, every ``report_interval``).

Only totals travel: the scheduler derives usage from its own allocations, so a report can never
undo a claim made since the last one.
"""

from __future__ import annotations

import logging

from stratus.compute.ops.common import AgentEnv
from stratus.objects.compute_node import HostResources

LOG = logging.getLogger(__name__)


def report(env: AgentEnv) -> HostResources:
    """Read the host's resources from the driver and send them to the conductor."""
    resources = env.driver.get_host_resources()
    if resources.host != env.host:
        resources = resources.model_copy(update={"host": env.host})
    env.conductor.compute_node_report(resources)
    LOG.debug(
        "reported %s: %d vCPUs, %d MB, %d GB, %d VMs",
        resources.hypervisor_hostname,
        resources.vcpus,
        resources.memory_mb,
        resources.local_gb,
        resources.running_vms,
    )
    return resources
