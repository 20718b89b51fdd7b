"""Allocations: the resources each consumer holds on a compute node, and atomic claims.

A consumer is an instance (its uuid) or, while a resize or cold migration is in flight, the
migration (its uuid) holding the instance's old resources on the source node. Usage of a node is
always the sum of its allocation rows; nothing is cached, so nothing can drift.

``claim`` is the only way rows are added. It runs inside the caller's write transaction: it
locks the compute node row (``SELECT … FOR UPDATE`` on PostgreSQL and MySQL; SQLite write
transactions are exclusive from ``BEGIN IMMEDIATE``), sums the node's allocations and inserts
the new row only if ``limit >= used + requested`` for vCPUs, memory and disk, where
``limit = total x allocation_ratio - reserved``. Two claims on one node are therefore counted one
after the other, whichever scheduler process makes them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import clock
from stratus.db.models.compute import Allocation, ComputeNode
from stratus.objects.flavor import Flavor


@dataclasses.dataclass(frozen=True)
class Amounts:
    """vCPUs, MB of RAM and GB of disk: a request, a usage or a limit."""

    vcpus: int = 0
    memory_mb: int = 0
    disk_gb: int = 0

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(
            self.vcpus + other.vcpus,
            self.memory_mb + other.memory_mb,
            self.disk_gb + other.disk_gb,
        )

    def __sub__(self, other: Amounts) -> Amounts:
        return Amounts(
            self.vcpus - other.vcpus,
            self.memory_mb - other.memory_mb,
            self.disk_gb - other.disk_gb,
        )


def flavor_amounts(flavor: Flavor) -> Amounts:
    """What one instance of ``flavor`` needs: disk is root + ephemeral + swap (MB, rounded up)."""
    disk = flavor.root_gb + flavor.ephemeral_gb + math.ceil(flavor.swap / 1024)
    return Amounts(flavor.vcpus, flavor.memory_mb, disk)


class Capacity(Protocol):
    """What ``limits`` reads: a ``ComputeNode`` row or anything with the same attributes."""

    @property
    def vcpus(self) -> int: ...

    @property
    def memory_mb(self) -> int: ...

    @property
    def local_gb(self) -> int: ...

    @property
    def cpu_allocation_ratio(self) -> float: ...

    @property
    def ram_allocation_ratio(self) -> float: ...

    @property
    def disk_allocation_ratio(self) -> float: ...

    @property
    def reserved_host_cpus(self) -> int: ...

    @property
    def reserved_host_memory_mb(self) -> int: ...

    @property
    def reserved_host_disk_mb(self) -> int: ...


def limits(node: Capacity) -> Amounts:
    """What may be allocated on ``node`` in total: ``total x ratio - reserved`` per resource."""
    return Amounts(
        math.floor(node.vcpus * node.cpu_allocation_ratio) - node.reserved_host_cpus,
        math.floor(node.memory_mb * node.ram_allocation_ratio) - node.reserved_host_memory_mb,
        math.floor(node.local_gb * node.disk_allocation_ratio)
        - math.ceil(node.reserved_host_disk_mb / 1024),
    )


def _sums() -> list[sa.ColumnElement[int]]:
    return [
        sa.func.coalesce(sa.func.sum(Allocation.vcpus), 0),
        sa.func.coalesce(sa.func.sum(Allocation.memory_mb), 0),
        sa.func.coalesce(sa.func.sum(Allocation.disk_gb), 0),
    ]


def usage(session: Session, node_id: int) -> Amounts:
    """The sum of every allocation on one node."""
    row = session.execute(sa.select(*_sums()).where(Allocation.compute_node_id == node_id)).one()
    return Amounts(int(row[0]), int(row[1]), int(row[2]))


def usage_by_node(session: Session) -> dict[int, Amounts]:
    """Usage of every node that has allocations (one query, for the scheduler's host states)."""
    rows = session.execute(
        sa.select(Allocation.compute_node_id, *_sums()).group_by(Allocation.compute_node_id)
    )
    return {int(r[0]): Amounts(int(r[1]), int(r[2]), int(r[3])) for r in rows}


@dataclasses.dataclass(frozen=True)
class GroupLimit:
    """An anti-affinity rule checked under the node lock: at most ``max_per_host`` of
    ``members`` (other instances of the server group) may hold allocations on the node."""

    members: tuple[str, ...]
    max_per_host: int = 1


@dataclasses.dataclass(frozen=True)
class ClaimResult:
    """Whether the claim was made; on failure the node's usage and limit seen under the lock
    (so the scheduler can re-check its filters with fresh numbers) and which rule failed."""

    ok: bool
    used: Amounts
    limit: Amounts
    failed: str = ""


def lock_node(session: Session, node_uuid: str) -> ComputeNode | None:
    """The compute node row, locked until the transaction ends (None if it is gone)."""
    query = sa.select(ComputeNode).where(ComputeNode.uuid == node_uuid)
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def _group_count(session: Session, node_id: int, members: Iterable[str]) -> int:
    ids = list(members)
    if not ids:
        return 0
    query = sa.select(sa.func.count()).where(
        Allocation.compute_node_id == node_id, Allocation.consumer_uuid.in_(ids)
    )
    return int(session.scalar(query) or 0)


def _over(used: Amounts, want: Amounts, limit: Amounts) -> str:
    total = used + want
    if want.memory_mb and total.memory_mb > limit.memory_mb:
        return "memory"
    if want.vcpus and total.vcpus > limit.vcpus:
        return "vcpus"
    if want.disk_gb and total.disk_gb > limit.disk_gb:
        return "disk"
    return ""


def claim(
    session: Session,
    node_uuid: str,
    consumer_uuid: str,
    project_id: str,
    want: Amounts,
    group: GroupLimit | None = None,
) -> ClaimResult:
    """Allocate ``want`` on the node for ``consumer_uuid`` if it fits (see the module docstring).

    Idempotent for a consumer that already holds an allocation on the node (the amounts are
    replaced, checked against the usage of everyone else). ``failed`` names the first resource
    that did not fit (``memory``, ``vcpus``, ``disk``), ``group`` or ``gone`` (node deleted).
    """
    node = lock_node(session, node_uuid)
    if node is None:
        return ClaimResult(False, Amounts(), Amounts(), "gone")
    existing = session.scalars(
        sa.select(Allocation).where(
            Allocation.compute_node_id == node.id, Allocation.consumer_uuid == consumer_uuid
        )
    ).one_or_none()
    used, limit = usage(session, node.id), limits(node)
    others = used - _amounts_of(existing) if existing is not None else used
    if group is not None and _group_count(session, node.id, group.members) >= group.max_per_host:
        return ClaimResult(False, used, limit, "group")
    failed = _over(others, want, limit)
    if failed:
        return ClaimResult(False, used, limit, failed)
    if existing is None:
        existing = Allocation(
            consumer_uuid=consumer_uuid,
            compute_node_id=node.id,
            project_id=project_id,
            created_at=clock.utcnow(),
            vcpus=want.vcpus,
            memory_mb=want.memory_mb,
            disk_gb=want.disk_gb,
        )
        session.add(existing)
    else:
        existing.vcpus, existing.memory_mb, existing.disk_gb = (
            want.vcpus,
            want.memory_mb,
            want.disk_gb,
        )
    session.flush()
    return ClaimResult(True, others + want, limit)


def _amounts_of(row: Allocation) -> Amounts:
    return Amounts(row.vcpus, row.memory_mb, row.disk_gb)


def node_id_of(session: Session, node_uuid: str) -> int | None:
    return session.scalar(sa.select(ComputeNode.id).where(ComputeNode.uuid == node_uuid))


def node_id_by_name(session: Session, hypervisor_hostname: str) -> int | None:
    return session.scalar(
        sa.select(ComputeNode.id).where(ComputeNode.hypervisor_hostname == hypervisor_hostname)
    )


def unclaim(session: Session, consumer_uuid: str, node_id: int | None = None) -> int:
    """Drop the consumer's allocations (on one node, or everywhere). Idempotent: returns how
    many rows went, 0 when there was nothing to drop."""
    query = sa.delete(Allocation).where(Allocation.consumer_uuid == consumer_uuid)
    if node_id is not None:
        query = query.where(Allocation.compute_node_id == node_id)
    return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


def move(session: Session, from_consumer: str, to_consumer: str, node_id: int) -> bool:
    """Hand ``from_consumer``'s allocation on a node to ``to_consumer`` (resize bookkeeping).

    Returns False when there was nothing to move. The target must not already hold an allocation
    on that node (drop it first).
    """
    query = (
        sa.update(Allocation)
        .where(Allocation.consumer_uuid == from_consumer, Allocation.compute_node_id == node_id)
        .values(consumer_uuid=to_consumer)
    )
    return bool(session.execute(query).rowcount)  # type: ignore[attr-defined]


def of_consumer(session: Session, consumer_uuid: str) -> list[Allocation]:
    """Every allocation a consumer holds (normally one)."""
    return list(
        session.scalars(sa.select(Allocation).where(Allocation.consumer_uuid == consumer_uuid))
    )
