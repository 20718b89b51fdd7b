"""What the scheduler reads about every host, in a handful of queries whatever the host count.

One query each for: compute nodes with their compute service, allocation sums per node,
aggregate metadata per host, live instances per host, and (when the request has a server group)
where the group's members run. Nothing here is per-host, so 1,000 hosts cost the same number of
round trips as 2.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.db.models.compute import (
    AggregateHost,
    AggregateMetadata,
    ComputeNode,
    ComputeService,
    Instance,
    ServerGroup,
    ServerGroupMember,
)

COMPUTE_BINARY = "stratus-compute"


class HostRow(NamedTuple):
    """A compute node joined with its host's ``stratus-compute`` service (plain values: loading
    ORM objects for 1,000 hosts on every request would dominate the scheduling time)."""

    id: int
    uuid: str
    host: str
    hypervisor_hostname: str
    hypervisor_type: str
    hypervisor_version: int
    arch: str
    vcpus: int
    memory_mb: int
    local_gb: int
    cpu_allocation_ratio: float
    ram_allocation_ratio: float
    disk_allocation_ratio: float
    reserved_host_cpus: int
    reserved_host_memory_mb: int
    reserved_host_disk_mb: int
    has_service: bool
    disabled: bool
    disabled_reason: str | None
    forced_down: bool
    last_seen_up: dt.datetime | None


_NODE_COLUMNS = (
    ComputeNode.id,
    ComputeNode.uuid,
    ComputeNode.host,
    ComputeNode.hypervisor_hostname,
    ComputeNode.hypervisor_type,
    ComputeNode.hypervisor_version,
    ComputeNode.arch,
    ComputeNode.vcpus,
    ComputeNode.memory_mb,
    ComputeNode.local_gb,
    ComputeNode.cpu_allocation_ratio,
    ComputeNode.ram_allocation_ratio,
    ComputeNode.disk_allocation_ratio,
    ComputeNode.reserved_host_cpus,
    ComputeNode.reserved_host_memory_mb,
    ComputeNode.reserved_host_disk_mb,
)


def nodes_with_services(session: Session) -> list[HostRow]:
    """Every compute node with the state of its host's ``stratus-compute`` service."""
    query = (
        sa.select(
            *_NODE_COLUMNS,
            ComputeService.id.is_not(None),
            sa.func.coalesce(ComputeService.disabled, False),
            ComputeService.disabled_reason,
            sa.func.coalesce(ComputeService.forced_down, False),
            ComputeService.last_seen_up,
        )
        .outerjoin(
            ComputeService,
            sa.and_(
                ComputeService.host == ComputeNode.host,
                ComputeService.binary == COMPUTE_BINARY,
            ),
        )
        .order_by(ComputeNode.id)
    )
    return [HostRow._make(row) for row in session.execute(query)]


def aggregate_metadata_by_host(session: Session) -> dict[str, dict[str, set[str]]]:
    """host -> key -> every value that key has in the aggregates the host belongs to."""
    query = sa.select(AggregateHost.host, AggregateMetadata.key, AggregateMetadata.value).join(
        AggregateMetadata, AggregateMetadata.aggregate_id == AggregateHost.aggregate_id
    )
    found: dict[str, dict[str, set[str]]] = collections.defaultdict(dict)
    for host, key, value in session.execute(query):
        found[host].setdefault(key, set()).add(value)
    return dict(found)


def instance_counts_by_host(session: Session) -> dict[str, int]:
    """Live (not deleted) instances per host."""
    query = (
        sa.select(Instance.host, sa.func.count())
        .where(Instance.deleted.is_(False), Instance.host.is_not(None))
        .group_by(Instance.host)
    )
    return {str(host): int(n) for host, n in session.execute(query)}


@dataclasses.dataclass(frozen=True)
class GroupInfo:
    """A server group as the scheduler needs it: policy, rules, members and where they run."""

    uuid: str
    policy: str
    rules: dict[str, int]
    members: tuple[str, ...]
    hosts: dict[str, int]


def server_group(session: Session, group_uuid: str, exclude: set[str]) -> GroupInfo | None:
    """The group, its members other than ``exclude`` and their host counts (None if unknown)."""
    group = session.scalars(
        sa.select(ServerGroup).where(ServerGroup.uuid == group_uuid)
    ).one_or_none()
    if group is None:
        return None
    query = (
        sa.select(ServerGroupMember.instance_uuid, Instance.host)
        .outerjoin(
            Instance,
            sa.and_(Instance.uuid == ServerGroupMember.instance_uuid, Instance.deleted.is_(False)),
        )
        .where(ServerGroupMember.group_id == group.id)
    )
    members: list[str] = []
    hosts: collections.Counter[str] = collections.Counter()
    for member, host in session.execute(query):
        if member in exclude:
            continue
        members.append(member)
        if host:
            hosts[host] += 1
    rules = {k: int(v) for k, v in (group.rules or {}).items() if str(v).isdigit()}
    return GroupInfo(group.uuid, group.policy, rules, tuple(members), dict(hosts))
