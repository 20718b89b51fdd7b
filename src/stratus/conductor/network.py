"""The conductor's calls into the network layer (``stratus.services.network.server_ports``).

Kept in one place so the workflow modules do not depend on the network service's other
functions, and the interface they rely on is written down once::

    allocate_for_instance(session, cfg, *, instance_uuid, project_id, requested_networks,
                          security_groups, host) -> list[VIF]
    deallocate_for_instance(session, instance_uuid) -> None     # idempotent
    network_info(session, instance_uuid) -> list[VIF]

and the compute hosts' dataplane (``stratus.services.network.dataplane``)::

    dataplane(session, host, network_ids) -> list[NetworkDataplane]
    security_rules(session, port_ids) -> dict[port id, list[SecurityRule]]
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from stratus.common.config import Config
from stratus.db.models.compute import Instance
from stratus.objects.network import VIF, NetworkDataplane, SecurityRule
from stratus.services.network import dataplane as network_dataplane
from stratus.services.network import server_ports


def allocate(session: Session, cfg: Config, row: Instance, host: str) -> list[VIF]:
    """Ports for the instance as it was requested (``networks`` of the create request)."""
    requested: Any = row.requested_networks
    return server_ports.allocate_for_instance(
        session,
        cfg,
        instance_uuid=row.uuid,
        project_id=row.project_id,
        requested_networks=requested,
        security_groups=list(row.security_groups or []),
        host=host,
    )


def deallocate(session: Session, instance_uuid: str) -> None:
    server_ports.deallocate_for_instance(session, instance_uuid)


def info(session: Session, instance_uuid: str) -> list[VIF]:
    return server_ports.network_info(session, instance_uuid)


def dataplane(session: Session, host: str, network_ids: list[str]) -> list[NetworkDataplane]:
    return network_dataplane.for_host(session, host, network_ids)


def security_rules(session: Session, port_ids: list[str]) -> dict[str, list[SecurityRule]]:
    return network_dataplane.port_rules(session, port_ids)
