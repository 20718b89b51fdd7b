"""RAMWeigher: prefer hosts with more free memory (spread); a negative multiplier stacks."""

from __future__ import annotations

from stratus.objects.request_spec import RequestSpec
from stratus.scheduler.interfaces import HostState, Weigher


class RAMWeigher(Weigher):
    name = "RAMWeigher"
    multiplier_option = "ram_weight_multiplier"

    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        return float(host.free_memory_mb)
