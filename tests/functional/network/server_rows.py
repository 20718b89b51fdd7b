"""Servers as the network tests need them: an instance row (no compute API involved) and the
ports the compute side would allocate for it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from stratus.db.models.compute import Instance
from stratus.services.network import server_ports
from tests.fixtures.cloud import Cloud


def instance_row(
    cloud: Cloud,
    project_id: str,
    *,
    zone: str | None = None,
    user_id: str = "u",
    vm_state: str = "building",
) -> str:
    """Insert a minimal instance of ``project_id``; returns its uuid."""
    server = str(uuid.uuid4())
    with cloud.db.write() as s:
        s.add(
            Instance(
                uuid=server,
                display_name="vm",
                hostname="vm",
                project_id=project_id,
                user_id=user_id,
                reservation_id="r-1",
                flavor={},
                vcpus=1,
                memory_mb=64,
                root_gb=1,
                vm_state=vm_state,
                availability_zone=zone,
                security_groups=["default"],
            )
        )
    return server


def allocate(
    cloud: Cloud,
    server: str,
    project_id: str,
    requested: Any = "auto",
    groups: Sequence[str] = ("default",),
    host: str = "h1",
) -> Any:
    """What the conductor does for a build: allocate (or bind) the server's ports."""
    with cloud.db.write() as s:
        return server_ports.allocate_for_instance(
            s,
            cloud.cfg,
            instance_uuid=server,
            project_id=project_id,
            requested_networks=requested,
            security_groups=list(groups),
            host=host,
        )
