"""DiskFilter: only hosts with enough local disk left for root + ephemeral + swap."""

from __future__ import annotations

import math

from stratus.objects.flavor import Flavor
from stratus.objects.request_spec import RequestSpec
from stratus.scheduler.interfaces import PASS, Filter, HostState, Verdict, reject


def disk_gb(flavor: Flavor) -> int:
    """GB of local disk an instance of ``flavor`` takes (swap is in MB, rounded up)."""
    return flavor.root_gb + flavor.ephemeral_gb + math.ceil(flavor.swap / 1024)


class DiskFilter(Filter):
    name = "DiskFilter"

    def filter(self, host: HostState, spec: RequestSpec) -> Verdict:
        if host.free_disk_gb >= disk_gb(spec.flavor):
            return PASS
        return reject(f"{max(host.free_disk_gb, 0)} GB disk free")

    def summary(self, spec: RequestSpec, rejected: list[tuple[HostState, Verdict]]) -> str:
        best = max((max(h.free_disk_gb, 0) for h, _v in rejected), default=0)
        return f"need {disk_gb(spec.flavor)} GB disk, best host has {best} GB free"
