"""Host facts parsed from /proc and ``qemu --version``."""

from __future__ import annotations

from pathlib import Path

import pytest

from stratus.virt.qemu import host

MEMINFO = "MemTotal:       24684044 kB\nMemFree:        23264132 kB\n"
CPUINFO = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel Xeon\n\nprocessor\t: 1\n"


def test_parsers() -> None:
    assert host.parse_meminfo(MEMINFO) == 24105
    with pytest.raises(ValueError):
        host.parse_meminfo("MemFree: 1 kB\n")
    assert host.parse_qemu_version("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg)") == 7002022
    assert host.parse_qemu_version("QEMU emulator version 8.1") == 8001000
    assert host.parse_qemu_version("nonsense") == 0
    info = host.parse_cpu_model(CPUINFO)
    assert info["vendor"] == "GenuineIntel" and info["model"] == "Intel Xeon"


def test_host_resources_from_this_machine(tmp_path: Path) -> None:
    res = host.host_resources(
        "h1", tmp_path / "inst", "QEMU", "QEMU emulator version 7.2.0", "127.0.0.1"
    )
    assert res.host == res.hypervisor_hostname == "h1"
    assert res.hypervisor_type == "QEMU" and res.hypervisor_version == 7002000
    assert res.vcpus >= 1 and res.memory_mb > 0 and res.local_gb > 0
    assert res.disk_available_least is not None and res.disk_available_least <= res.local_gb
