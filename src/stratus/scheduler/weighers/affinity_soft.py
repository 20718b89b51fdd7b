"""Soft server group policies as weighers: ``soft-affinity`` prefers hosts already running
members of the group, ``soft-anti-affinity`` prefers hosts running fewer of them. Unlike the
hard filters they never reject a host."""

from __future__ import annotations

from stratus.objects.request_spec import RequestSpec
from stratus.scheduler.interfaces import HostState, Weigher


class ServerGroupSoftAffinityWeigher(Weigher):
    name = "ServerGroupSoftAffinityWeigher"
    multiplier_option = "soft_affinity_weight_multiplier"

    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        if spec.server_group_policy != "soft-affinity":
            return 0.0
        return float(host.group_members)


class ServerGroupSoftAntiAffinityWeigher(Weigher):
    name = "ServerGroupSoftAntiAffinityWeigher"
    multiplier_option = "soft_anti_affinity_weight_multiplier"

    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        if spec.server_group_policy != "soft-anti-affinity":
            return 0.0
        return -float(host.group_members)
