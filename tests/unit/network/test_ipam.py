"""IP address management: gateways, pools, free addresses and the checks on user input."""

from __future__ import annotations

import pytest

from stratus.common import exceptions
from stratus.network import ipam
from stratus.network.ipam import Pool


def test_default_gateway_and_pool_of_a_slash_24() -> None:
    net = ipam.parse_cidr("10.0.0.0/24")
    gateway = ipam.default_gateway(net)
    assert gateway == "10.0.0.1"
    assert ipam.default_pools(net, gateway) == [Pool("10.0.0.2", "10.0.0.254")]


def test_pools_split_around_a_gateway_in_the_middle() -> None:
    net = ipam.parse_cidr("192.168.0.0/28")
    assert ipam.default_pools(net, "192.168.0.5") == [
        Pool("192.168.0.1", "192.168.0.4"),
        Pool("192.168.0.6", "192.168.0.14"),
    ]


def test_no_gateway_leaves_every_host_address_in_the_pool() -> None:
    assert ipam.default_pools(ipam.parse_cidr("10.1.0.0/29"), None) == [
        Pool("10.1.0.1", "10.1.0.6")
    ]


def test_ipv6_pool_runs_to_the_last_address() -> None:
    net = ipam.parse_cidr("2001:db8::/64", 6)
    assert ipam.default_gateway(net) == "2001:db8::1"
    assert ipam.default_pools(net, "2001:db8::1") == [
        Pool("2001:db8::2", "2001:db8::ffff:ffff:ffff:ffff")
    ]


def test_cidr_with_host_bits_is_normalised() -> None:
    assert str(ipam.parse_cidr("10.0.0.7/24")) == "10.0.0.0/24"


@pytest.mark.parametrize(
    ("cidr", "version", "reason"),
    [
        ("10.0.0.0", None, "isn't a recommended CIDR"),
        ("10.0.0.0/33", None, "is not a valid IP subnet"),
        ("banana/8", None, "is not a valid IP subnet"),
        ("10.0.0.0/24", 6, "does not match the ip_version '6'"),
    ],
)
def test_bad_cidrs_are_400(cidr: str, version: int | None, reason: str) -> None:
    with pytest.raises(exceptions.Invalid, match=reason):
        ipam.parse_cidr(cidr, version)


def test_gateway_may_not_be_the_network_or_broadcast_address() -> None:
    net = ipam.parse_cidr("10.0.0.0/24")
    for bad in ("10.0.0.0", "10.0.0.255"):
        with pytest.raises(exceptions.Invalid, match="Gateway is not valid on subnet"):
            ipam.check_gateway(net, bad)
    assert ipam.check_gateway(net, "10.0.0.254") == "10.0.0.254"
    assert ipam.check_gateway(net, None) is None


def test_requested_pools_are_checked_and_sorted() -> None:
    net = ipam.parse_cidr("10.0.0.0/24")
    pools = ipam.parse_pools(
        net,
        [{"start": "10.0.0.100", "end": "10.0.0.110"}, {"start": "10.0.0.2", "end": "10.0.0.9"}],
    )
    assert pools == [Pool("10.0.0.2", "10.0.0.9"), Pool("10.0.0.100", "10.0.0.110")]


@pytest.mark.parametrize(
    ("pools", "reason"),
    [
        ([{"start": "10.0.0.9", "end": "10.0.0.2"}], "is not valid"),
        ([{"start": "10.0.0.2", "end": "10.0.1.9"}], "spans beyond the subnet cidr"),
        ([{"start": "10.0.0.0", "end": "10.0.0.9"}], "spans beyond the subnet cidr"),
        (
            [{"start": "10.0.0.2", "end": "10.0.0.9"}, {"start": "10.0.0.9", "end": "10.0.0.20"}],
            "overlapping allocation pools",
        ),
        ([{"start": "fe80::1", "end": "fe80::2"}], "is not valid"),
    ],
)
def test_bad_pools_are_400(pools: list[dict[str, str]], reason: str) -> None:
    with pytest.raises(exceptions.Invalid, match=reason):
        ipam.parse_pools(ipam.parse_cidr("10.0.0.0/24"), pools)


def test_gateway_inside_a_pool_is_a_conflict() -> None:
    with pytest.raises(exceptions.Conflict, match="conflicts with allocation pool"):
        ipam.check_gateway_outside_pools("10.0.0.5", [Pool("10.0.0.2", "10.0.0.9")])


def test_first_free_skips_taken_addresses_across_pools() -> None:
    pools = [Pool("10.0.0.2", "10.0.0.3"), Pool("10.0.0.10", "10.0.0.11")]
    assert ipam.first_free(pools, []) == "10.0.0.2"
    assert ipam.first_free(pools, ["10.0.0.2", "10.0.0.3"]) == "10.0.0.10"
    assert ipam.first_free(pools, ["10.0.0.2", "10.0.0.3", "10.0.0.10", "10.0.0.11"]) is None


def test_fixed_ip_must_be_a_host_address_of_the_subnet() -> None:
    net = ipam.parse_cidr("10.0.0.0/28")
    assert ipam.check_fixed_ip(net, "10.0.0.14", "s") == "10.0.0.14"
    for bad in ("10.0.0.15", "10.0.0.0", "10.0.1.1", "2001:db8::1"):
        with pytest.raises(exceptions.Invalid, match="not a valid IP for the specified subnet"):
            ipam.check_fixed_ip(net, bad, "s")
    with pytest.raises(exceptions.Invalid, match="is not a valid IP address"):
        ipam.check_fixed_ip(net, "ten.zero", "s")


def test_nameservers_unique_and_at_most_five() -> None:
    assert ipam.parse_nameservers(["8.8.8.8", "1.1.1.1"]) == ["8.8.8.8", "1.1.1.1"]
    with pytest.raises(exceptions.Invalid, match="Duplicate nameserver"):
        ipam.parse_nameservers(["8.8.8.8", "8.8.8.8"])
    with pytest.raises(exceptions.Invalid, match="exceeds the limit 5"):
        ipam.parse_nameservers([f"10.0.0.{i}" for i in range(6)])


def test_host_routes_match_the_ip_version() -> None:
    routes = [{"destination": "10.20.0.0/32", "nexthop": "10.100.1.1"}]
    assert ipam.parse_host_routes(routes, 4) == routes
    with pytest.raises(exceptions.Invalid, match="does not match the ip_version"):
        ipam.parse_host_routes(routes, 6)


def test_overlap_only_within_one_ip_version() -> None:
    net = ipam.parse_cidr("10.0.0.0/24")
    assert ipam.overlaps(net, ["10.0.0.128/25"])
    assert not ipam.overlaps(net, ["10.0.1.0/24", "2001:db8::/64"])
