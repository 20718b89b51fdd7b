"""DiskWeigher: prefer hosts with more free disk (spread); a negative multiplier stacks."""

from __future__ import annotations

from stratus.objects.request_spec import RequestSpec
from stratus.scheduler.interfaces import HostState, Weigher


class DiskWeigher(Weigher):
    name = "DiskWeigher"
    multiplier_option = "disk_weight_multiplier"

    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        return float(host.free_disk_gb)
