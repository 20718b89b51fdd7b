"""What a compute agent reports about its host (through the conductor)."""

from __future__ import annotations

from typing import ClassVar

from stratus.objects.base import VersionedObject


class HostResources(VersionedObject):
    # Version 1.0: initial version
    VERSION: ClassVar[str] = "1.0"

    host: str
    hypervisor_hostname: str
    hypervisor_type: str
    hypervisor_version: int = 1
    host_ip: str | None = None
    vcpus: int
    memory_mb: int
    local_gb: int
    arch: str = "x86_64"
    cpu_info: dict[str, str] = {}
    disk_available_least: int | None = None
    running_vms: int = 0
