"""The nftables ruleset of a network namespace, rendered from ports and their rules."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from stratus.network.backends.linuxbridge import security_groups as sg
from stratus.network.backends.linuxbridge.security_groups import PortFilter
from stratus.objects.network import VIF, FixedIP, SecurityRule

P1 = "11111111-0000-0000-0000-000000000001"
P2 = "22222222-0000-0000-0000-000000000002"


def vif(port_id: str, mac: str, *addresses: str, secured: bool = True) -> VIF:
    fixed = [FixedIP(address=a, subnet_id="s", cidr="x") for a in addresses]
    return VIF(
        port_id=port_id,
        network_id="n1",
        mac_address=mac,
        fixed_ips=fixed,
        port_security_enabled=secured,
    )


def rule(direction: str = "ingress", **kw: object) -> SecurityRule:
    return SecurityRule(id="r", security_group_id="g", direction=direction, **kw)  # type: ignore[arg-type]


def chain(text: str, name: str) -> list[str]:
    """The rules of chain ``name`` in a rendered ruleset."""
    lines = text.splitlines()
    start = lines.index(f"  chain {name} {{")
    end = lines.index("  }", start)
    return [line.strip() for line in lines[start + 1 : end]]


def test_names_follow_neutron() -> None:
    assert sg.tap_name(P1) == "tap11111111-00"
    assert sg.link_local("fa:16:3e:00:00:01") == "fe80::f816:3eff:fe00:1"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (rule(), "meta nfproto ipv4"),
        (rule("egress", ethertype="IPv6"), "meta nfproto ipv6"),
        (
            rule(protocol="tcp", port_range_min=22, port_range_max=22),
            "meta nfproto ipv4 meta l4proto 6 th dport 22",
        ),
        (
            rule(protocol="udp", port_range_min=1000, port_range_max=2000),
            "meta nfproto ipv4 meta l4proto 17 th dport 1000-2000",
        ),
        (rule(protocol="icmp"), "meta nfproto ipv4 meta l4proto 1"),
        (
            rule(protocol="icmp", port_range_min=8, port_range_max=0),
            "meta nfproto ipv4 meta l4proto 1 icmp type 8 icmp code 0",
        ),
        (rule(protocol="icmp", ethertype="IPv6"), "meta nfproto ipv6 meta l4proto 58"),
        (rule(protocol="112"), "meta nfproto ipv4 meta l4proto 112"),
        (rule(remote_ip_prefix="10.2.3.124/24"), "meta nfproto ipv4 ip saddr 10.2.3.0/24"),
        (rule("egress", remote_ip_prefix="10.9.0.0/16"), "meta nfproto ipv4 ip daddr 10.9.0.0/16"),
        (rule(remote_ip_prefix="0.0.0.0/0"), "meta nfproto ipv4"),
        (
            rule(remote_group_id="g", remote_ip_prefix="10.0.0.6/32"),
            "meta nfproto ipv4 ip saddr 10.0.0.6/32",
        ),
        (rule(remote_group_id="g"), None),  # a group without members allows nothing
        (rule(remote_ip_prefix="2001:db8::/64"), None),  # IPv4 rule, IPv6 prefix
    ],
)
def test_rule_match(given: SecurityRule, expected: str | None) -> None:
    assert sg.rule_match(given) == expected


def test_ports_are_isolated_until_rules_allow_and_unknown_taps_drop() -> None:
    text = sg.ruleset([PortFilter(vif(P1, "fa:16:3e:00:00:01", "10.0.0.5"))])
    assert chain(text, f"in-{P1}")[-1] == "drop"
    assert chain(text, f"out-{P1}")[-1] == "drop"
    assert chain(text, "prerouting") == [
        "type filter hook prerouting priority filter; policy accept;",
        "iifname vmap @port_from",
        'iifname "tap*" drop',
    ]
    assert f'"tap11111111-00" : jump from-{P1}' in text
    assert f"10.0.0.5 : jump in-{P1}" in text


def test_anti_spoofing_allows_only_the_ports_own_addresses() -> None:
    text = sg.ruleset([PortFilter(vif(P1, "FA:16:3E:00:00:01", "10.0.0.5", "2001:db8::5"))])
    rules = chain(text, f"from-{P1}")
    assert "ether saddr != fa:16:3e:00:00:01 drop" in rules
    assert "ether type arp arp saddr ip != { 0.0.0.0, 10.0.0.5 } drop" in rules
    assert "ether type ip ip saddr != { 10.0.0.5 } drop" in rules
    assert "ether type ip udp sport 67 drop" in rules  # no DHCP server in a guest
    assert "ether type ip6 ip6 saddr != { ::, 2001:db8::5, fe80::f816:3eff:fe00:1 } drop" in rules
    dhcp = (
        "ether type ip ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept"
    )
    assert rules.index(dhcp) < rules.index("ether type ip ip saddr != { 10.0.0.5 } drop")
    assert "ether type ip ip daddr != { 10.0.0.5 } drop" in chain(text, f"to-{P1}")


def test_a_port_without_ipv4_addresses_sends_no_ipv4_but_dhcp() -> None:
    rules = chain(sg.ruleset([PortFilter(vif(P1, "fa:16:3e:00:00:01"))]), f"from-{P1}")
    assert "ether type ip drop" in rules


def test_ingress_accepts_egress_returns_and_duplicates_collapse() -> None:
    rules = (
        rule(protocol="tcp", port_range_min=22, port_range_max=22),
        rule(protocol="tcp", port_range_min=22, port_range_max=22),
        rule("egress"),
    )
    text = sg.ruleset([PortFilter(vif(P1, "fa:16:3e:00:00:01", "10.0.0.5"), rules)])
    ingress = chain(text, f"in-{P1}")
    assert ingress.count("meta nfproto ipv4 meta l4proto 6 th dport 22 accept") == 1
    assert "meta nfproto ipv4 return" in chain(text, f"out-{P1}")


def test_stateful_dispatch_checks_sender_egress_then_receiver_ingress() -> None:
    text = sg.ruleset([])
    assert chain(text, "forward")[1:] == [
        "ct state established,related accept",
        "ct state invalid drop",
        "ip saddr vmap @out4",
        "ip6 saddr vmap @out6",
        "ip daddr vmap @in4",
        "ip6 daddr vmap @in6",
    ]
    assert "udp sport 68 udp dport 67 accept" in chain(text, "input")
    assert "udp sport 67 udp dport 68 accept" in chain(text, "output")


def test_a_port_without_port_security_is_not_filtered() -> None:
    text = sg.ruleset([PortFilter(vif(P2, "fa:16:3e:00:00:02", "10.0.0.6", secured=False))])
    assert '"tap22222222-00" : accept' in text
    assert f"in-{P2}" not in text and f"from-{P2}" not in text


def test_the_script_replaces_both_tables_in_one_transaction() -> None:
    lines = sg.ruleset([]).splitlines()
    assert lines[:3] == [
        "table bridge stratus",
        "delete table bridge stratus",
        "table bridge stratus {",
    ]
    assert "delete table inet stratus" in lines


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("nft") or not shutil.which("unshare"),
    reason="checking a ruleset with nft -c needs root, nft and unshare (a private namespace)",
)
def test_rendered_ruleset_is_valid_nftables() -> None:
    ports = [
        PortFilter(
            vif(P1, "fa:16:3e:00:00:01", "10.0.0.5", "2001:db8::5"),
            (
                rule(protocol="tcp", port_range_min=22, port_range_max=22),
                rule(protocol="icmp", port_range_min=8),
                rule(protocol="icmp", ethertype="IPv6"),
                rule(remote_ip_prefix="10.0.0.6/32", remote_group_id="g"),
                rule("egress"),
                rule("egress", ethertype="IPv6"),
            ),
        ),
        PortFilter(vif(P2, "fa:16:3e:00:00:02", "10.0.0.6", secured=False)),
    ]
    # NOTE: a throwaway network namespace: nothing is loaded anywhere that matters
    proc = subprocess.run(
        ["unshare", "--net", "nft", "-c", "-f", "-"],
        input=sg.ruleset(ports),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
