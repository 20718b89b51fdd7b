"""The conductor's calls into the network layer (``stratus.services.network_ports``).

Kept in one place so the workflow modules do not depend on the network service's other
functions, and the interface they rely on is written down once::

    allocate_for_instance(session, cfg, *, instance_uuid, project_id, requested_networks,
                          security_groups, host) -> list[VIF]
    deallocate_for_instance(session, instance_uuid) -> None     # idempotent
    network_info(session, instance_uuid) -> list[VIF]
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from stratus.common.config import Config
from stratus.db.models.compute import Instance
from stratus.objects.network import VIF
from stratus.services import network_ports


def allocate(session: Session, cfg: Config, row: Instance, host: str) -> list[VIF]:
    """Ports for the instance as it was requested (``networks`` of the create request)."""
    requested: Any = row.requested_networks
    return network_ports.allocate_for_instance(
        session,
        cfg,
        instance_uuid=row.uuid,
        project_id=row.project_id,
        requested_networks=requested,
        security_groups=list(row.security_groups or []),
        host=host,
    )


def deallocate(session: Session, instance_uuid: str) -> None:
    network_ports.deallocate_for_instance(session, instance_uuid)


def info(session: Session, instance_uuid: str) -> list[VIF]:
    return network_ports.network_info(session, instance_uuid)
