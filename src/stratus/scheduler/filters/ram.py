"""RamFilter: only hosts with enough memory left (allocation ratio and reserved memory
applied when the host state is built)."""

from __future__ import annotations

from stratus.objects.request_spec import RequestSpec
from stratus.scheduler.interfaces import PASS, Filter, HostState, Verdict, reject


class RamFilter(Filter):
    name = "RamFilter"

    def filter(self, host: HostState, spec: RequestSpec) -> Verdict:
        if host.free_memory_mb >= spec.flavor.memory_mb:
            return PASS
        return reject(f"{max(host.free_memory_mb, 0)} MB free")

    def summary(self, spec: RequestSpec, rejected: list[tuple[HostState, Verdict]]) -> str:
        best = max((max(h.free_memory_mb, 0) for h, _v in rejected), default=0)
        return f"need {spec.flavor.memory_mb} MB, best host has {best} MB free"
