from tests.fixtures.compute_hosts import spec
from tests.unit.scheduler.filters.helpers import host

from stratus.scheduler.weighers.affinity_soft import (
    ServerGroupSoftAffinityWeigher,
    ServerGroupSoftAntiAffinityWeigher,
)
from stratus.scheduler.weighers.cpu import CPUWeigher
from stratus.scheduler.weighers.disk import DiskWeigher
from stratus.scheduler.weighers.ram import RAMWeigher


def test_resource_weighers_score_free_amounts() -> None:
    h = host(limit_memory_mb=4096, used_memory_mb=1000, limit_vcpus=8, used_vcpus=3)
    h.limit_disk_gb, h.used_disk_gb = 100, 40
    assert RAMWeigher().weigh(h, spec()) == 3096
    assert CPUWeigher().weigh(h, spec()) == 5
    assert DiskWeigher().weigh(h, spec()) == 60


def test_multiplier_from_config_or_aggregate() -> None:
    assert RAMWeigher(-1.0).multiplier(host()) == -1.0
    h = host(aggregate_metadata={"ram_weight_multiplier": {"2.5", "0.5"}})
    assert RAMWeigher(1.0).multiplier(h) == 0.5
    h = host(aggregate_metadata={"ram_weight_multiplier": {"junk"}})
    assert RAMWeigher(3.0).multiplier(h) == 3.0


def test_soft_weighers_only_for_their_policy() -> None:
    h = host(group_members=2)
    soft_aff = spec(server_group_uuid="g", server_group_policy="soft-affinity")
    soft_anti = spec(server_group_uuid="g", server_group_policy="soft-anti-affinity")
    assert ServerGroupSoftAffinityWeigher().weigh(h, soft_aff) == 2
    assert ServerGroupSoftAffinityWeigher().weigh(h, soft_anti) == 0
    assert ServerGroupSoftAntiAffinityWeigher().weigh(h, soft_anti) == -2
    assert ServerGroupSoftAntiAffinityWeigher().weigh(h, spec()) == 0
