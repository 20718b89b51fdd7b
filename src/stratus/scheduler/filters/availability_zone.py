"""AvailabilityZoneFilter: only hosts in the availability zone the request asks for."""

from __future__ import annotations

from stratus.objects.request_spec import RequestSpec
from stratus.scheduler.interfaces import PASS, Filter, HostState, Verdict, reject


class AvailabilityZoneFilter(Filter):
    """A request without a zone fits any host; otherwise the host's zone (from its
    aggregates' ``availability_zone`` metadata, or the default zone) must match."""

    name = "AvailabilityZoneFilter"

    def filter(self, host: HostState, spec: RequestSpec) -> Verdict:
        if not spec.availability_zone or spec.availability_zone == host.availability_zone:
            return PASS
        return reject(f"not in availability zone {spec.availability_zone}")
