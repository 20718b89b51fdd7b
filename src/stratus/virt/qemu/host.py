"""What this host offers to instances: vCPUs, memory, the instances directory's disk, QEMU.

Read from the real host (``os.cpu_count``, ``/proc/meminfo``, ``statvfs`` of the instances
directory, ``qemu-system-x86_64 --version``); the parsers are pure for unit tests.
"""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

from stratus.objects.compute_node import HostResources

GiB = 1024**3


def parse_meminfo(text: str) -> int:
    """``MemTotal`` in MiB from the text of ``/proc/meminfo``."""
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise ValueError("no MemTotal in /proc/meminfo")


def parse_qemu_version(text: str) -> int:
    """``QEMU emulator version 7.2.22 (...)`` -> 7002022 (Nova's major*1e6 + minor*1e3 + micro)."""
    match = re.search(r"version (\d+)\.(\d+)(?:\.(\d+))?", text)
    if not match:
        return 0
    major, minor, micro = (int(g or 0) for g in match.groups())
    return major * 1_000_000 + minor * 1_000 + micro


def parse_cpu_model(text: str) -> dict[str, str]:
    """``cpu_info`` from ``/proc/cpuinfo``: arch, vendor and model name of the first CPU."""
    info = {"arch": platform.machine() or "x86_64"}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "vendor_id" and "vendor" not in info:
            info["vendor"] = value.strip()
        elif key == "model name" and "model" not in info:
            info["model"] = value.strip()
    return info


def host_resources(
    host: str,
    instances_path: Path,
    hypervisor_type: str,
    qemu_version_text: str,
    host_ip: str | None = None,
    running_vms: int = 0,
) -> HostResources:
    """The host's totals (usage is the scheduler's business)."""
    instances_path.mkdir(parents=True, exist_ok=True)
    fs = os.statvfs(instances_path)
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        cpuinfo = ""
    return HostResources(
        host=host,
        hypervisor_hostname=host,
        hypervisor_type=hypervisor_type,
        hypervisor_version=parse_qemu_version(qemu_version_text),
        host_ip=host_ip,
        vcpus=os.cpu_count() or 1,
        memory_mb=parse_meminfo(Path("/proc/meminfo").read_text()),
        local_gb=fs.f_blocks * fs.f_frsize // GiB,
        disk_available_least=fs.f_bavail * fs.f_frsize // GiB,
        cpu_info=parse_cpu_model(cpuinfo),
        arch=platform.machine() or "x86_64",
        running_vms=running_vms,
    )
