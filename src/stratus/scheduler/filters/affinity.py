"""Server group filters: hard affinity (all members on one host) and anti-affinity (members
on different hosts, or at most ``max_server_per_host`` per host from the group's rules)."""

from __future__ import annotations

from stratus.objects.request_spec import RequestSpec
from stratus.scheduler.interfaces import PASS, Filter, HostState, Verdict, reject


class ServerGroupAffinityFilter(Filter):
    """Once a member of an ``affinity`` group runs somewhere, only that host fits."""

    name = "ServerGroupAffinityFilter"

    def filter(self, host: HostState, spec: RequestSpec) -> Verdict:
        if spec.server_group_policy != "affinity" or not spec.server_group_hosts:
            return PASS
        if host.host in spec.server_group_hosts:
            return PASS
        return reject("not the host of the affinity group")


def max_per_host(spec: RequestSpec) -> int:
    """How many members of an anti-affinity group one host may run (default 1)."""
    return max(int(spec.server_group_rules.get("max_server_per_host", 1)), 1)


class ServerGroupAntiAffinityFilter(Filter):
    """A host already running ``max_server_per_host`` members of an ``anti-affinity`` group
    does not fit."""

    name = "ServerGroupAntiAffinityFilter"

    def filter(self, host: HostState, spec: RequestSpec) -> Verdict:
        if spec.server_group_policy != "anti-affinity":
            return PASS
        if host.group_members < max_per_host(spec):
            return PASS
        return reject("already runs a member of the anti-affinity group")
