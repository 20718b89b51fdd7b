"""Security-group rule checks with Neutron's messages (tempest asserts several verbatim)."""

from __future__ import annotations

from typing import Any

import pytest

from stratus.common import exceptions
from stratus.network import sg_rules


def rule(**kw: Any) -> sg_rules.RuleSpec:
    values: dict[str, Any] = {
        "direction": "ingress",
        "ethertype": "IPv4",
        "protocol": "tcp",
        "port_range_min": None,
        "port_range_max": None,
        "remote_ip_prefix": None,
        "remote_group_id": None,
    }
    values.update(kw)
    return sg_rules.normalize(**values)


def test_defaults_and_normalisation() -> None:
    r = rule(ethertype=None, protocol="TCP", port_range_min="22", port_range_max=22)
    assert (r.ethertype, r.protocol, r.port_range_min, r.port_range_max) == ("IPv4", "tcp", 22, 22)
    assert rule(protocol=17).protocol == "17"
    assert rule(protocol="any").protocol is None
    assert rule(ethertype="ipv6", protocol="ipv6-icmp").ethertype == "IPv6"


def test_prefix_keeps_host_bits_and_gets_a_mask() -> None:
    assert rule(remote_ip_prefix="10.2.3.124/24").remote_ip_prefix == "10.2.3.124/24"
    assert rule(remote_ip_prefix="10.0.0.1").remote_ip_prefix == "10.0.0.1/32"


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"port_range_min": -16, "port_range_max": 80}, "Invalid value for port -16"),
        ({"port_range_min": 80, "port_range_max": 79}, "port_range_min must be <= port_range_max"),
        ({"port_range_min": 80, "port_range_max": 65536}, "Invalid value for port 65536"),
        ({"port_range_min": None, "port_range_max": 6}, "port_range_min must be <= port_range_max"),
        (
            {"protocol": "icmp", "port_range_min": 1, "port_range_max": 256},
            "Invalid value for ICMP code",
        ),
        (
            {"protocol": "icmp", "port_range_min": None, "port_range_max": 6},
            "ICMP type (port-range-min) is missing",
        ),
        (
            {"protocol": "icmp", "port_range_min": 300, "port_range_max": 1},
            "Invalid value for ICMP type",
        ),
        ({"protocol": "bad_protocol_name"}, "protocol bad_protocol_name not supported"),
        ({"ethertype": "bad_ethertype"}, "ethertype 'bad_ethertype' not supported"),
        ({"remote_ip_prefix": "192.168.1./24"}, "is not a valid IP prefix"),
        (
            {"remote_ip_prefix": "10.0.0.0/8", "remote_group_id": "g"},
            "Only remote_ip_prefix or remote_group_id may be provided",
        ),
        ({"ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/8"}, "Conflicting value ethertype"),
        (
            {"protocol": None, "port_range_min": 22, "port_range_max": 22},
            "Must also specify protocol if port range is given",
        ),
        (
            {"protocol": "gre", "port_range_min": 1, "port_range_max": 2},
            "only supported for TCP, UDP",
        ),
        ({"protocol": "ipv6-icmp"}, "Invalid ethertype IPv4 for protocol ipv6-icmp"),
    ],
)
def test_bad_rules_are_400_with_neutrons_message(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(exceptions.Invalid) as err:
        rule(**kw)
    assert message in err.value.message


def test_same_rule_sees_through_spellings() -> None:
    assert sg_rules.same_rule(rule(protocol="tcp"), rule(protocol="6"))
    assert sg_rules.same_rule(rule(remote_ip_prefix="0.0.0.0/0"), rule())
    assert not sg_rules.same_rule(rule(port_range_min=22, port_range_max=22), rule())
