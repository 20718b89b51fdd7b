"""What the os-services, os-hypervisors and availability-zone APIs read about hosts: service
records by id, compute nodes with paging and name patterns, and the servers on each host.

Heartbeats (``heartbeats.py``) write these rows; this module only reads them, except for
deleting a service record (``DELETE /os-services/{id}``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.db.models.compute import ComputeNode, ComputeService, Instance
from stratus.objects import states

COMPUTE_BINARY = "stratus-compute"

# Task states that count towards a host's ``current_workload`` (as Nova's host stats do).
BUSY_TASK_STATES = (
    states.RESIZE_MIGRATING,
    states.REBUILDING,
    states.RESIZE_PREP,
    states.IMAGE_SNAPSHOT,
    states.IMAGE_SNAPSHOT_PENDING,
    states.IMAGE_UPLOADING,
)


@dataclasses.dataclass(frozen=True)
class HostServer:
    """A live server on a host, as ``os-hypervisors`` lists it."""

    uuid: str
    name: str
    busy: bool


def service_by_id(session: Session, service_id: int) -> ComputeService | None:
    return session.get(ComputeService, service_id)


def service_by_uuid(session: Session, service_uuid: str) -> ComputeService | None:
    query = sa.select(ComputeService).where(ComputeService.uuid == service_uuid)
    return session.scalars(query).one_or_none()


def compute_services(session: Session, hosts: Iterable[str]) -> dict[str, ComputeService]:
    """host -> its stratus-compute service record."""
    wanted = list(hosts)
    if not wanted:
        return {}
    query = sa.select(ComputeService).where(
        ComputeService.binary == COMPUTE_BINARY, ComputeService.host.in_(wanted)
    )
    return {row.host: row for row in session.scalars(query)}


def compute_host_exists(session: Session, host: str) -> bool:
    query = sa.select(ComputeService.id).where(
        ComputeService.binary == COMPUTE_BINARY, ComputeService.host == host
    )
    return session.scalar(query) is not None


def delete_service(session: Session, row: ComputeService) -> None:
    """Remove a service record; a compute service takes its host's compute nodes along."""
    if row.binary == COMPUTE_BINARY:
        session.execute(sa.delete(ComputeNode).where(ComputeNode.host == row.host))
    session.delete(row)
    session.flush()


def _live_on(hosts: Iterable[str]) -> sa.ColumnElement[bool]:
    return sa.and_(Instance.host.in_(list(hosts)), Instance.deleted.is_(False))


def count_live_instances(session: Session, host: str) -> int:
    query = sa.select(sa.func.count()).where(_live_on([host]))
    return int(session.scalar(query) or 0)


def servers_by_host(session: Session, hosts: Iterable[str]) -> dict[str, list[HostServer]]:
    """host -> the live servers on it, by name."""
    wanted = list(hosts)
    found: dict[str, list[HostServer]] = {h: [] for h in wanted}
    if not wanted:
        return found
    query = (
        sa.select(
            Instance.host,
            Instance.uuid,
            Instance.display_name,
            Instance.vm_state,
            Instance.task_state,
        )
        .where(_live_on(wanted))
        .order_by(Instance.display_name, Instance.uuid)
    )
    for host, uuid, name, vm_state, task_state in session.execute(query):
        busy = vm_state == states.BUILDING or task_state in BUSY_TASK_STATES
        found.setdefault(host or "", []).append(HostServer(uuid, name, busy))
    return found


def node_by_id(session: Session, node_id: int) -> ComputeNode | None:
    return session.get(ComputeNode, node_id)


def node_by_uuid(session: Session, node_uuid: str) -> ComputeNode | None:
    return session.scalars(
        sa.select(ComputeNode).where(ComputeNode.uuid == node_uuid)
    ).one_or_none()


def list_nodes(
    session: Session,
    pattern: str | None = None,
    limit: int | None = None,
    marker_id: int | None = None,
) -> list[ComputeNode]:
    """Compute nodes by id; ``pattern`` matches part of the hypervisor hostname (SQL LIKE)."""
    query = sa.select(ComputeNode).order_by(ComputeNode.id)
    if pattern is not None:
        escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(ComputeNode.hypervisor_hostname.like(f"%{escaped}%", escape="\\"))
    if marker_id is not None:
        query = query.where(ComputeNode.id > marker_id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def node_exists(session: Session, node_id: int) -> bool:
    return session.get(ComputeNode, node_id) is not None


def require_node(node: ComputeNode | None, shown_id: str) -> ComputeNode:
    if node is None:
        raise exceptions.NotFound(f"Hypervisor with ID '{shown_id}' could not be found.")
    return node
