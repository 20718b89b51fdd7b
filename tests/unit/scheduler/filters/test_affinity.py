from tests.fixtures.compute_hosts import spec
from tests.unit.scheduler.filters.helpers import host

from stratus.scheduler.filters.affinity import (
    ServerGroupAffinityFilter,
    ServerGroupAntiAffinityFilter,
)


def test_affinity_first_member_goes_anywhere() -> None:
    s = spec(server_group_uuid="g", server_group_policy="affinity")
    assert ServerGroupAffinityFilter().filter(host("h2"), s).passed


def test_affinity_sticks_to_the_members_host() -> None:
    s = spec(server_group_uuid="g", server_group_policy="affinity", server_group_hosts=["h1"])
    f = ServerGroupAffinityFilter()
    assert f.filter(host("h1"), s).passed
    assert not f.filter(host("h2"), s).passed


def test_affinity_filter_ignores_other_policies() -> None:
    s = spec(server_group_uuid="g", server_group_policy="anti-affinity", server_group_hosts=["h1"])
    assert ServerGroupAffinityFilter().filter(host("h2"), s).passed


def test_anti_affinity_rejects_host_with_a_member() -> None:
    s = spec(server_group_uuid="g", server_group_policy="anti-affinity")
    f = ServerGroupAntiAffinityFilter()
    assert f.filter(host("h1", group_members=0), s).passed
    verdict = f.filter(host("h1", group_members=1), s)
    assert (verdict.passed, verdict.reason) == (
        False,
        "already runs a member of the anti-affinity group",
    )


def test_anti_affinity_max_server_per_host_rule() -> None:
    s = spec(
        server_group_uuid="g",
        server_group_policy="anti-affinity",
        server_group_rules={"max_server_per_host": 2},
    )
    f = ServerGroupAntiAffinityFilter()
    assert f.filter(host(group_members=1), s).passed
    assert not f.filter(host(group_members=2), s).passed


def test_soft_policies_never_reject() -> None:
    for policy in ("soft-affinity", "soft-anti-affinity"):
        s = spec(server_group_uuid="g", server_group_policy=policy, server_group_hosts=["h1"])
        assert ServerGroupAffinityFilter().filter(host("h2", group_members=3), s).passed
        assert ServerGroupAntiAffinityFilter().filter(host("h2", group_members=3), s).passed
