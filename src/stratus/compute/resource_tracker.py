"""Tells the conductor what this host has (``compute_node_report``, every ``report_interval``),
with this host's allocation ratios and reserved amounts (its own ``stratus.conf``).

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
    cfg = env.cfg
    resources = env.driver.get_host_resources().model_copy(
        update={
            "host": env.host,
            "cpu_allocation_ratio": cfg.default.cpu_allocation_ratio,
            "ram_allocation_ratio": cfg.default.ram_allocation_ratio,
            "disk_allocation_ratio": cfg.default.disk_allocation_ratio,
            "reserved_host_memory_mb": cfg.compute.reserved_host_memory_mb,
            "reserved_host_disk_mb": cfg.compute.reserved_host_disk_mb,
            "reserved_host_cpus": cfg.compute.reserved_host_cpus,
        }
    )
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
