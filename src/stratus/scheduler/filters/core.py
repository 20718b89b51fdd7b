"""CoreFilter: only hosts with enough vCPUs left (after the CPU allocation ratio)."""

from __future__ import annotations

from stratus.objects.request_spec import RequestSpec
from stratus.scheduler.interfaces import PASS, Filter, HostState, Verdict, reject


class CoreFilter(Filter):
    name = "CoreFilter"

    def filter(self, host: HostState, spec: RequestSpec) -> Verdict:
        if host.free_vcpus >= spec.flavor.vcpus:
            return PASS
        return reject(f"{max(host.free_vcpus, 0)} vCPUs free")

    def summary(self, spec: RequestSpec, rejected: list[tuple[HostState, Verdict]]) -> str:
        best = max((max(h.free_vcpus, 0) for h, _v in rejected), default=0)
        return f"need {spec.flavor.vcpus} vCPUs, best host has {best} vCPUs free"
