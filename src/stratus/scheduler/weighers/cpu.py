"""CPUWeigher: prefer hosts with more free vCPUs (spread); a negative multiplier stacks."""

from __future__ import annotations

from stratus.objects.request_spec import RequestSpec
from stratus.scheduler.interfaces import HostState, Weigher


class CPUWeigher(Weigher):
    name = "CPUWeigher"
    multiplier_option = "cpu_weight_multiplier"

    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        return float(host.free_vcpus)
