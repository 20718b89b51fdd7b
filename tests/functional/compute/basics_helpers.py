"""Helpers for the compute "basics" tests (flavors, keypairs, quotas, hosts …)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from stratus.common import clock, ids
from stratus.db.models.compute import ComputeNode, ComputeService, Instance
from tests.fixtures.cloud import Cloud


def mv(headers: dict[str, str], version: str) -> dict[str, str]:
    """``headers`` plus a compute microversion."""
    return {**headers, "OpenStack-API-Version": f"compute {version}"}


def add_service(
    cloud: Cloud,
    host: str,
    binary: str = "stratus-compute",
    seen_ago: float = 0.0,
    disabled: bool = False,
    reason: str | None = None,
) -> ComputeService:
    """A service record as a heartbeat ``seen_ago`` seconds ago would have left it."""
    now = clock.utcnow()
    with cloud.db.write() as s:
        row = ComputeService(
            uuid=ids.uuid_id(),
            host=host,
            binary=binary,
            topic=binary.removeprefix("stratus-"),
            report_count=1,
            disabled=disabled,
            disabled_reason=reason,
            last_seen_up=now - dt.timedelta(seconds=seen_ago),
            created_at=now - dt.timedelta(seconds=seen_ago),
        )
        s.add(row)
    return row


def add_node(cloud: Cloud, host: str, **values: Any) -> ComputeNode:
    """A compute node of ``host`` (16 vCPUs, 32 GB, 1 TB unless told otherwise)."""
    fields: dict[str, Any] = {
        "uuid": ids.uuid_id(),
        "host": host,
        "hypervisor_hostname": host,
        "hypervisor_type": "fake",
        "hypervisor_version": 1000,
        "host_ip": "192.0.2.10",
        "vcpus": 16,
        "memory_mb": 32768,
        "local_gb": 1024,
        "cpu_allocation_ratio": 16.0,
        "ram_allocation_ratio": 1.5,
        "disk_allocation_ratio": 1.0,
        "reserved_host_memory_mb": 512,
        "cpu_info": {"arch": "x86_64", "model": "fake"},
        "disk_available_least": 1000,
    }
    fields.update(values)
    with cloud.db.write() as s:
        row = ComputeNode(**fields)
        s.add(row)
    return row


def add_instance(cloud: Cloud, host: str, project_id: str, name: str = "vm", **values: Any) -> str:
    """A live instance row on ``host`` (no control plane involved)."""
    uuid = ids.uuid_id()
    fields: dict[str, Any] = {
        "uuid": uuid,
        "display_name": name,
        "hostname": name,
        "project_id": project_id,
        "user_id": "u",
        "reservation_id": "r-1",
        "flavor": {},
        "vcpus": 1,
        "memory_mb": 512,
        "root_gb": 1,
        "host": host,
        "node": host,
        "vm_state": "active",
    }
    fields.update(values)
    with cloud.db.write() as s:
        s.add(Instance(**fields))
    return uuid
