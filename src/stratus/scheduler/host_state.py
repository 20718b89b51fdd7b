"""Building the scheduler's ``HostState`` list from the database, once per request.

A handful of queries whatever the number of hosts (see ``db.repositories.compute.scheduling``):
compute nodes joined with their services, allocation sums, aggregate metadata, instance counts
and — for a request in a server group — where the group's members run. Limits use the node's
allocation ratios and reserved amounts (``allocations.limits``), the same numbers the claim
checks under the node lock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy.orm import Session

from stratus.common import clock
from stratus.common.config import Config
from stratus.db.repositories.compute import allocations, scheduling
from stratus.db.repositories.compute.scheduling import GroupInfo, HostRow
from stratus.objects.request_spec import RequestSpec
from stratus.scheduler.interfaces import HostState
from stratus.services import servicegroup


@dataclasses.dataclass
class Snapshot:
    """Hosts for one cycle, plus the request's server group as found in the database."""

    hosts: list[HostState]
    group: GroupInfo | None = None


def _host_state(
    row: HostRow,
    used: allocations.Amounts,
    cfg: Config,
    metadata: dict[str, set[str]],
    now: dt.datetime,
) -> HostState:
    limit = allocations.limits(row)
    zones = sorted(metadata.get(servicegroup.AZ_KEY, ()))
    return HostState(
        host=row.host,
        node=row.hypervisor_hostname,
        node_uuid=row.uuid,
        hypervisor_type=row.hypervisor_type,
        hypervisor_version=row.hypervisor_version,
        arch=row.arch,
        total_vcpus=row.vcpus,
        total_memory_mb=row.memory_mb,
        total_disk_gb=row.local_gb,
        limit_vcpus=limit.vcpus,
        limit_memory_mb=limit.memory_mb,
        limit_disk_gb=limit.disk_gb,
        used_vcpus=used.vcpus,
        used_memory_mb=used.memory_mb,
        used_disk_gb=used.disk_gb,
        service_up=row.has_service and servicegroup.is_up(row, cfg.default.service_down_time, now),
        service_disabled=row.disabled,
        disabled_reason=row.disabled_reason,
        availability_zone=zones[0] if zones else cfg.compute.default_availability_zone,
        aggregate_metadata=metadata,
    )


def load(session: Session, cfg: Config, spec: RequestSpec, instance_uuids: list[str]) -> Snapshot:
    """Every compute node as a ``HostState``; fills the spec's server group fields from the
    database when it names a group (policy, rules and the hosts its other members run on)."""
    usage = allocations.usage_by_node(session)
    metadata = scheduling.aggregate_metadata_by_host(session)
    counts = scheduling.instance_counts_by_host(session)
    now, nothing = clock.utcnow(), allocations.Amounts()
    hosts = []
    for row in scheduling.nodes_with_services(session):
        state = _host_state(row, usage.get(row.id, nothing), cfg, metadata.get(row.host, {}), now)
        state.num_instances = counts.get(row.host, 0)
        hosts.append(state)
    group = None
    if spec.server_group_uuid:
        group = scheduling.server_group(session, spec.server_group_uuid, set(instance_uuids))
        if group is not None:
            apply_group(spec, group, hosts)
    return Snapshot(hosts, group)


def apply_group(spec: RequestSpec, group: GroupInfo, hosts: list[HostState]) -> None:
    """Copy the group's policy, rules and member hosts into ``spec`` and the host states."""
    spec.server_group_policy = spec.server_group_policy or group.policy
    spec.server_group_rules = {**group.rules, **spec.server_group_rules}
    spec.server_group_hosts = sorted(set(spec.server_group_hosts) | set(group.hosts))
    for state in hosts:
        state.group_members = group.hosts.get(state.host, 0)
