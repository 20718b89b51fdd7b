"""Regression: allocation ratios and reserved memory are the compute host's own settings.

The conductor used to write its own config's values into every compute node row, so a host
configured with ``reserved_host_memory_mb = 256`` was scheduled as if it reserved 512 MB.
"""

from __future__ import annotations

from stratus.conductor.db_proxy import DatabaseProxy
from stratus.db.models.compute import ComputeNode
from stratus.objects.compute_node import HostResources
from tests.fixtures.cloud import Cloud


def _report(cloud: Cloud, **extra: object) -> ComputeNode:
    resources = HostResources(
        host="h9",
        hypervisor_hostname="h9",
        hypervisor_type="fake",
        vcpus=4,
        memory_mb=1024,
        local_gb=10,
        **extra,  # type: ignore[arg-type]
    )
    DatabaseProxy(cloud.cfg, cloud.db).compute_node_report(resources)
    with cloud.db.read() as session:
        node = session.query(ComputeNode).filter_by(hypervisor_hostname="h9").one()
        session.expunge(node)
        return node


def test_reported_values_win(cloud: Cloud) -> None:
    node = _report(
        cloud, ram_allocation_ratio=1.0, reserved_host_memory_mb=256, cpu_allocation_ratio=4.0
    )
    assert (node.ram_allocation_ratio, node.reserved_host_memory_mb) == (1.0, 256)
    assert node.cpu_allocation_ratio == 4.0


def test_older_agents_get_the_conductors_config(cloud: Cloud) -> None:
    node = _report(cloud)
    assert node.ram_allocation_ratio == cloud.cfg.default.ram_allocation_ratio
    assert node.reserved_host_memory_mb == cloud.cfg.compute.reserved_host_memory_mb
