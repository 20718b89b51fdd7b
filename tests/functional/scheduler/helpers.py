"""Shared by the scheduler/conductor functional tests: waiting and reading state."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa

from stratus.db.models.compute import Allocation, ComputeNode, Instance, InstanceFault
from stratus.db.session import Database
from tests.fixtures.waiting import wait_until

T = TypeVar("T")


def wait_for(fn: Callable[[], T | None], timeout: float = 30.0, what: str = "condition") -> T:
    """Poll ``fn`` until it returns something truthy; fail the test after ``timeout`` (scaled)."""
    return wait_until(fn, timeout, what, step=0.05)


@dataclasses.dataclass
class Fault:
    code: int
    message: str
    details: str
    host: str | None


def instance(db: Database, uuid: str) -> dict[str, Any]:
    """The instance row's columns (a plain dict, usable after the session ends)."""
    with db.read() as s:
        row = s.get(Instance, uuid)
        assert row is not None
        return {c.key: getattr(row, c.key) for c in sa.inspect(Instance).column_attrs}


def faults(db: Database, uuid: str) -> list[Fault]:
    with db.read() as s:
        query = (
            sa.select(InstanceFault)
            .where(InstanceFault.instance_uuid == uuid)
            .order_by(InstanceFault.id)
        )
        return [Fault(f.code, f.message, f.details, f.host) for f in s.scalars(query)]


def settled(db: Database, uuids: list[str]) -> dict[str, str] | None:
    """uuid -> vm_state once every instance is active, error or deleted (else None)."""
    with db.read() as s:
        rows = list(s.scalars(sa.select(Instance).where(Instance.uuid.in_(uuids))))
        states = {r.uuid: r.vm_state for r in rows if r.task_state is None}
    done = all(states.get(u) in ("active", "error", "deleted") for u in uuids)
    return states if done else None


def usage_by_host(db: Database) -> dict[str, tuple[int, int, int, int]]:
    """host -> (allocations, vcpus, memory_mb, disk_gb) summed from the allocations table."""
    with db.read() as s:
        rows = s.execute(
            sa.select(
                ComputeNode.host,
                sa.func.count(Allocation.id),
                sa.func.coalesce(sa.func.sum(Allocation.vcpus), 0),
                sa.func.coalesce(sa.func.sum(Allocation.memory_mb), 0),
                sa.func.coalesce(sa.func.sum(Allocation.disk_gb), 0),
            )
            .outerjoin(Allocation, Allocation.compute_node_id == ComputeNode.id)
            .group_by(ComputeNode.host)
        )
        return {h: (int(n), int(c), int(m), int(d)) for h, n, c, m, d in rows}
