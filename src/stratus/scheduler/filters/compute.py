"""ComputeFilter: only hosts whose compute service is up and enabled."""

from __future__ import annotations

from stratus.objects.request_spec import RequestSpec
from stratus.scheduler.interfaces import PASS, Filter, HostState, Verdict, reject


class ComputeFilter(Filter):
    """Rejects hosts whose ``stratus-compute`` is down (no heartbeat within
    ``service_down_time``, or forced down) or disabled by an operator."""

    name = "ComputeFilter"
    run_on_rebuild = False

    def filter(self, host: HostState, spec: RequestSpec) -> Verdict:
        if not host.service_up:
            return reject("service down")
        if host.service_disabled:
            return reject("service disabled")
        return PASS
