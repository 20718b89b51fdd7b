"""Service records and hypervisors as the ``os-services`` and ``os-hypervisors`` APIs show them.

* A service's ``state`` is ``up`` while its heartbeat is fresh and it is not forced down
  (:mod:`stratus.services.servicegroup`), its ``status`` ``disabled`` once an operator disabled
  it — which is what stops the scheduler placing servers there. Only ``stratus-compute``
  services can be enabled, disabled or forced down (Nova's rule for its compute binary).
* A hypervisor (compute node) shows what its host offers and what is allocated on it: usage is
  the sum of its ``allocations`` rows plus the host's reserved memory and disk, like Nova's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence

from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.common.config import Config
from stratus.db.models.compute import ComputeNode, ComputeService
from stratus.db.repositories.compute import aggregates, allocations, hosts
from stratus.db.repositories.compute.hosts import HostServer
from stratus.services import servicegroup

COMPUTE = servicegroup.COMPUTE
# NOTE: tools written for Nova ask for its binary names; they mean ours.
NOVA_BINARIES = {
    "nova-compute": servicegroup.COMPUTE,
    "nova-scheduler": servicegroup.SCHEDULER,
    "nova-conductor": servicegroup.CONDUCTOR,
}


def canonical_binary(binary: str | None) -> str | None:
    """``nova-compute`` → ``stratus-compute`` (and so on); other names unchanged."""
    return NOVA_BINARIES.get(binary, binary) if binary else binary


@dataclasses.dataclass(frozen=True)
class ServiceView:
    """A service record with what the API derives from it."""

    row: ComputeService
    zone: str
    state: str
    status: str
    updated_at: dt.datetime | None


def view(session: Session, cfg: Config, rows: Sequence[ComputeService]) -> list[ServiceView]:
    zones = servicegroup.host_zones(session, cfg)
    return [
        ServiceView(
            row,
            servicegroup.zone_of(row, cfg, zones),
            servicegroup.state(row, cfg),
            servicegroup.status(row),
            servicegroup.updated_at(row),
        )
        for row in rows
    ]


def list_services(
    session: Session, cfg: Config, binary: str | None, host: str | None
) -> list[ServiceView]:
    rows = servicegroup.list_services(session, binary=canonical_binary(binary), host=host)
    return view(session, cfg, rows)


def _updatable(row: ComputeService) -> ComputeService:
    if row.binary != COMPUTE:
        raise exceptions.Invalid(
            f"Updating a {row.binary} service is not supported. Only {COMPUTE} services can be "
            "updated."
        )
    return row


def by_host_binary(session: Session, host: str, binary: str) -> ComputeService:
    """The record ``PUT /os-services/{enable,disable,…}`` (before 2.53) acts on."""
    binary = canonical_binary(binary) or binary
    if binary != COMPUTE:
        raise exceptions.Invalid(
            f"Updating a {binary} service is not supported. Only {COMPUTE} services can be updated."
        )
    rows = servicegroup.list_services(session, binary=binary, host=host)
    if not rows:
        raise exceptions.NotFound(f"Could not find binary {binary} on host {host}.")
    return rows[0]


def find(session: Session, service_id: str, uuid_ids: bool) -> ComputeService:
    """The record with integer id (before 2.53) or uuid (2.53+); ``NotFound`` otherwise."""
    if uuid_ids:
        row = hosts.service_by_uuid(session, service_id)
    elif abs(int(service_id)) <= 2147483647:
        row = hosts.service_by_id(session, int(service_id))
    else:
        row = None
    if row is None:
        raise exceptions.NotFound(f"Service {service_id} could not be found.")
    return row


def update(
    session: Session,
    row: ComputeService,
    status: str | None,
    reason: str | None,
    forced_down: bool | None,
) -> ComputeService:
    """2.53's ``PUT /os-services/{id}``: status (with optional reason) and/or forced_down."""
    _updatable(row)
    if status is None and forced_down is None:
        raise exceptions.Invalid(
            "No updates were requested. Fields 'status' or 'forced_down' should be specified."
        )
    if status == "enabled" and reason:
        raise exceptions.Invalid("Specifying 'disabled_reason' with status 'enabled' is invalid.")
    if status is not None:
        servicegroup.set_disabled(row, status == "disabled", reason)
    if forced_down is not None:
        servicegroup.set_forced_down(row, forced_down)
    session.flush()
    return row


def delete(session: Session, row: ComputeService) -> None:
    """Forget a service; a compute service must not host servers and takes its compute node
    and aggregate memberships with it."""
    if row.binary == COMPUTE:
        if hosts.count_live_instances(session, row.host):
            raise exceptions.Conflict(
                "Unable to delete compute service that is hosting instances. Migrate or delete "
                "the instances first."
            )
        aggregates.remove_host_everywhere(session, row.host)
    hosts.delete_service(session, row)


# -- hypervisors --------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Hypervisor:
    """A compute node, its service record and usage, as ``os-hypervisors`` shows it."""

    node: ComputeNode
    service: ServiceView
    vcpus_used: int
    memory_mb_used: int
    local_gb_used: int
    servers: list[HostServer]

    @property
    def free_ram_mb(self) -> int:
        return self.node.memory_mb - self.memory_mb_used

    @property
    def free_disk_gb(self) -> int:
        return self.node.local_gb - self.local_gb_used

    @property
    def running_vms(self) -> int:
        return len(self.servers)

    @property
    def current_workload(self) -> int:
        return sum(1 for s in self.servers if s.busy)

    def cpu_info_text(self) -> str:
        return json.dumps(self.node.cpu_info or {})


def hypervisors(session: Session, cfg: Config, nodes: Sequence[ComputeNode]) -> list[Hypervisor]:
    """Nodes with usage; a node whose host has no compute service record is left out."""
    services = hosts.compute_services(session, {n.host for n in nodes})
    views = {v.row.host: v for v in view(session, cfg, list(services.values()))}
    usage = allocations.usage_by_node(session)
    servers = hosts.servers_by_host(session, {n.host for n in nodes})
    found = []
    for node in nodes:
        svc = views.get(node.host)
        if svc is None:
            continue
        used = usage.get(node.id, allocations.Amounts())
        found.append(
            Hypervisor(
                node=node,
                service=svc,
                vcpus_used=used.vcpus,
                memory_mb_used=used.memory_mb + node.reserved_host_memory_mb,
                local_gb_used=used.disk_gb + node.reserved_host_disk_mb // 1024,
                servers=servers.get(node.host, []),
            )
        )
    return found


def statistics(items: Sequence[Hypervisor]) -> dict[str, int]:
    """Sums over the hypervisors of enabled compute services (Nova's ``statistics``)."""
    counted = [h for h in items if not h.service.row.disabled]
    least = [h.node.disk_available_least or 0 for h in counted]
    return {
        "count": len(counted),
        "vcpus": sum(h.node.vcpus for h in counted),
        "memory_mb": sum(h.node.memory_mb for h in counted),
        "local_gb": sum(h.node.local_gb for h in counted),
        "vcpus_used": sum(h.vcpus_used for h in counted),
        "memory_mb_used": sum(h.memory_mb_used for h in counted),
        "local_gb_used": sum(h.local_gb_used for h in counted),
        "free_ram_mb": sum(h.free_ram_mb for h in counted),
        "free_disk_gb": sum(h.free_disk_gb for h in counted),
        "current_workload": sum(h.current_workload for h in counted),
        "running_vms": sum(h.running_vms for h in counted),
        "disk_available_least": sum(least),
    }
