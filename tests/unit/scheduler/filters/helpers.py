"""Host states and specs for filter tests."""

from __future__ import annotations

from typing import Any

from stratus.scheduler.interfaces import HostState


def host(name: str = "h1", **kw: Any) -> HostState:
    values: dict[str, Any] = {
        "limit_vcpus": 16,
        "limit_memory_mb": 4096,
        "limit_disk_gb": 100,
    }
    values.update(kw)
    return HostState(host=name, node=name, node_uuid=f"uuid-{name}", **values)
