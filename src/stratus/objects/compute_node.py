"""What a compute agent reports about its host (through the conductor)."""

from __future__ import annotations

from typing import Any, ClassVar

from stratus.objects.base import VersionedObject


class HostResources(VersionedObject):
    # Version 1.0: initial version
    # Version 1.1: allocation ratios and reserved amounts, from the compute host's own config
    VERSION: ClassVar[str] = "1.1"

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
    cpu_allocation_ratio: float | None = None
    ram_allocation_ratio: float | None = None
    disk_allocation_ratio: float | None = None
    reserved_host_memory_mb: int | None = None
    reserved_host_disk_mb: int | None = None
    reserved_host_cpus: int | None = None

    def obj_make_compatible(self, data: dict[str, Any], target_version: str) -> None:
        if target_version == "1.0":
            for key in _V1_1_FIELDS:
                data.pop(key, None)


_V1_1_FIELDS = (
    "cpu_allocation_ratio",
    "ram_allocation_ratio",
    "disk_allocation_ratio",
    "reserved_host_memory_mb",
    "reserved_host_disk_mb",
    "reserved_host_cpus",
)
