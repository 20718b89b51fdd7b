"""Security groups as nftables rules inside a network's namespace, replaced atomically.

Two tables, rendered as text from every port of the network on this host and loaded with one
``nft -f`` (one transaction: delete and re-create both tables, so no packet ever sees half a
ruleset):

``table bridge stratus`` (layer 2, per tap device, before anything else sees a frame)
    ``from-<port>``: anti-spoofing. Only the port's MAC may leave the tap, ARP only for the
    port's addresses, IPv4 only from the port's addresses (DHCP discovery from 0.0.0.0 is
    allowed), IPv6 only from its addresses and its EUI-64 link-local address; no DHCP server,
    router advertisement or redirect from a guest. ``to-<port>``: only IP traffic for the
    port's own addresses reaches the tap (plus DHCP replies and IPv6 neighbour discovery), so
    the per-address dispatch below sees everything a guest receives. Taps the ruleset does not
    know are dropped in both directions (a guest is isolated until its rules are in place).

``table inet stratus`` (stateful, with conntrack: ``br_netfilter`` sends bridged IP through
these hooks in the namespace)
    ``forward`` (guest to guest), ``input`` (guest to the namespace: gateway, DHCP, metadata) and
    ``output`` (namespace to guest): established and related traffic passes, invalid drops;
    then the sender's ``out-<port>`` chain (egress rules: ``return`` when allowed, else drop),
    found by source address, then the receiver's ``in-<port>`` chain (ingress rules: accept,
    else drop), found by destination address. Anti-spoofing makes the addresses trustworthy.
    DHCP to and from the namespace's dnsmasq always passes.

Rules come from the conductor with remote groups resolved to their members' addresses (one
rule per address, ``remote_ip_prefix`` set). A port without port security gets neither
anti-spoofing nor rules. Limits: connections established before a rule was removed keep
flowing until they go idle (their conntrack entries are not flushed); broadcast and multicast IP
traffic to instances is dropped (DHCP and IPv6 neighbour discovery excepted).
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterator, Sequence

from stratus.network.backends.linuxbridge.namespace import Runner, exec_argv, run
from stratus.network.sg_rules import ICMP_PROTOCOLS, PORT_PROTOCOLS, protocol_number
from stratus.objects.network import VIF, SecurityRule

TABLE = "stratus"
TAP_PREFIX = "tap"
PORT_ID_CHARS = 11
BASE_CHAIN = "type filter hook {hook} priority filter; policy accept;"
ND_IN = "nd-neighbor-solicit, nd-neighbor-advert"
ND_OUT = "nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit"


@dataclasses.dataclass(frozen=True)
class PortFilter:
    """One port and the rules (of all its groups) that apply to it."""

    vif: VIF
    rules: tuple[SecurityRule, ...] = ()


def tap_name(port_id: str) -> str:
    """``tap`` + the first 11 characters of the port id (Nova/Neutron)."""
    return f"{TAP_PREFIX}{port_id[:PORT_ID_CHARS]}"


def link_local(mac: str) -> str:
    """The EUI-64 IPv6 link-local address of ``mac`` (what a guest's kernel uses by default)."""
    octets = [int(b, 16) for b in mac.split(":")]
    octets[0] ^= 0x02
    eui = [*octets[:3], 0xFF, 0xFE, *octets[3:]]
    suffix = int.from_bytes(bytes(eui), "big")
    return str(ipaddress.IPv6Address((0xFE80 << 112) | suffix))


def _addresses(vif: VIF, version: int) -> list[str]:
    found = [f.address for f in vif.fixed_ips if ipaddress.ip_address(f.address).version == version]
    if version == 6:
        found.append(link_local(vif.mac_address))
    return list(dict.fromkeys(str(ipaddress.ip_address(a)) for a in found))


def _set(items: Sequence[str]) -> str:
    return "{ " + ", ".join(items) + " }"


# -- layer 2: table bridge ------------------------------------------------------------------


def _from_port(vif: VIF) -> list[str]:
    mac, v4, v6 = vif.mac_address.lower(), _addresses(vif, 4), _addresses(vif, 6)
    rules = [
        f"ether saddr != {mac} drop",
        f"ether type arp arp saddr ether != {mac} drop",
        f"ether type arp arp saddr ip != {_set(['0.0.0.0', *v4])} drop",
        "ether type arp accept",
        "ether type ip ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept",
        f"ether type ip ip saddr != {_set(v4)} drop" if v4 else "ether type ip drop",
        "ether type ip udp sport 67 drop",
        "ether type ip accept",
        f"ether type ip6 ip6 saddr != {_set(['::', *v6])} drop",
        "ether type ip6 icmpv6 type { nd-router-advert, nd-redirect } drop",
        "ether type ip6 udp sport 547 drop",
        "ether type ip6 accept",
        "drop",
    ]
    return rules


def _to_port(vif: VIF) -> list[str]:
    v4, v6 = _addresses(vif, 4), _addresses(vif, 6)
    return [
        "ether type ip udp sport 67 udp dport 68 accept",
        f"ether type ip ip daddr != {_set(v4)} drop" if v4 else "ether type ip drop",
        f"ether type ip6 icmpv6 type {{ {ND_IN}, nd-router-advert, mld-listener-query }} accept",
        f"ether type ip6 ip6 daddr != {_set(v6)} drop",
        "accept",
    ]


def _map(name: str, key: str, elements: Sequence[str]) -> list[str]:
    lines = [f"  map {name} {{", f"    type {key} : verdict"]
    if elements:
        lines.append(f"    elements = {_set(elements)}")
    return [*lines, "  }"]


def _chain(name: str, rules: Sequence[str], hook: str | None = None) -> list[str]:
    head = [f"    {BASE_CHAIN.format(hook=hook)}"] if hook else []
    return [f"  chain {name} {{", *head, *(f"    {r}" for r in rules), "  }"]


def bridge_table(ports: Sequence[PortFilter]) -> list[str]:
    """The body of ``table bridge stratus``."""
    from_elements, to_elements, chains = [], [], []
    for port in ports:
        tap, pid = f'"{tap_name(port.vif.port_id)}"', port.vif.port_id
        if not port.vif.port_security_enabled:
            from_elements.append(f"{tap} : accept")
            to_elements.append(f"{tap} : accept")
            continue
        from_elements.append(f"{tap} : jump from-{pid}")
        to_elements.append(f"{tap} : jump to-{pid}")
        chains += _chain(f"from-{pid}", _from_port(port.vif))
        chains += _chain(f"to-{pid}", _to_port(port.vif))
    unknown = f'"{TAP_PREFIX}*" drop'
    return [
        *_map("port_from", "ifname", from_elements),
        *_map("port_to", "ifname", to_elements),
        *chains,
        *_chain("prerouting", ["iifname vmap @port_from", f"iifname {unknown}"], "prerouting"),
        *_chain("postrouting", ["oifname vmap @port_to", f"oifname {unknown}"], "postrouting"),
    ]


# -- layer 3, stateful: table inet -----------------------------------------------------------


def _protocol_match(rule: SecurityRule, v6: bool) -> Iterator[str]:
    number = protocol_number(rule.protocol)
    if number is None:
        return
    if v6 and number == 1:
        number = 58  # NOTE: Neutron treats "icmp" in an IPv6 rule as ICMPv6
    yield f"meta l4proto {number}"
    low, high = rule.port_range_min, rule.port_range_max
    if number in PORT_PROTOCOLS and (low is not None or high is not None):
        low, high = low or 1, high or 65535
        yield f"th dport {low}" if low == high else f"th dport {low}-{high}"
    elif number in ICMP_PROTOCOLS and low is not None:
        keyword = "icmpv6" if number == 58 else "icmp"
        yield f"{keyword} type {low}"
        if high is not None:
            yield f"{keyword} code {high}"


def rule_match(rule: SecurityRule) -> str | None:
    """The nft match of one rule (direction decides source or destination), or None when the
    rule can match nothing (a remote group without members, a prefix of the other family)."""
    v6 = rule.ethertype == "IPv6"
    parts = [f"meta nfproto {'ipv6' if v6 else 'ipv4'}"]
    if rule.remote_ip_prefix:
        net = ipaddress.ip_network(rule.remote_ip_prefix, strict=False)
        if net.version != (6 if v6 else 4):
            return None
        if net.prefixlen:
            side = "saddr" if rule.direction == "ingress" else "daddr"
            parts.append(f"{'ip6' if v6 else 'ip'} {side} {net}")
    elif rule.remote_group_id:
        return None
    parts.extend(_protocol_match(rule, v6))
    return " ".join(parts)


def _port_rules(rules: Sequence[SecurityRule], direction: str, verdict: str) -> list[str]:
    matches = (rule_match(r) for r in rules if r.direction == direction)
    return [f"{m} {verdict}" for m in dict.fromkeys(m for m in matches if m is not None)]


def _dispatch(side: str) -> list[str]:
    prefix = "out" if side == "saddr" else "in"
    return [f"ip {side} vmap @{prefix}4", f"ip6 {side} vmap @{prefix}6"]


def inet_table(ports: Sequence[PortFilter]) -> list[str]:
    """The body of ``table inet stratus``."""
    elements: dict[str, list[str]] = {"in4": [], "out4": [], "in6": [], "out6": []}
    chains: list[str] = []
    seen: set[str] = set()
    for port in (p for p in ports if p.vif.port_security_enabled):
        pid = port.vif.port_id
        for version in (4, 6):
            for address in _addresses(port.vif, version):
                if address in seen:
                    continue  # NOTE: an address is one port's; a duplicate would break the load
                seen.add(address)
                elements[f"in{version}"].append(f"{address} : jump in-{pid}")
                elements[f"out{version}"].append(f"{address} : jump out-{pid}")
        ingress = [
            f"icmpv6 type {{ {ND_IN} }} accept",
            *_port_rules(port.rules, "ingress", "accept"),
        ]
        egress = [
            f"icmpv6 type {{ {ND_OUT} }} return",
            *_port_rules(port.rules, "egress", "return"),
        ]
        chains += _chain(f"in-{pid}", [*ingress, "drop"])
        chains += _chain(f"out-{pid}", [*egress, "drop"])
    stateful = ["ct state established,related accept", "ct state invalid drop"]
    dhcp_in, dhcp_out = "udp sport 68 udp dport 67 accept", "udp sport 67 udp dport 68 accept"
    return [
        *(line for name, items in elements.items()
          for line in _map(name, "ipv4_addr" if name.endswith("4") else "ipv6_addr", items)),
        *chains,
        *_chain("forward", [*stateful, *_dispatch("saddr"), *_dispatch("daddr")], "forward"),
        *_chain("input", [*stateful, dhcp_in, *_dispatch("saddr")], "input"),
        *_chain("output", [*stateful, dhcp_out, *_dispatch("daddr")], "output"),
    ]  # fmt: skip


def _replace(family: str, body: Sequence[str]) -> list[str]:
    """Create-if-missing, delete, define: one transaction inside ``nft -f``."""
    return [
        f"table {family} {TABLE}",
        f"delete table {family} {TABLE}",
        f"table {family} {TABLE} {{",
        *body,
        "}",
    ]


def ruleset(ports: Sequence[PortFilter]) -> str:
    """The whole nft script for one network namespace."""
    ordered = sorted(ports, key=lambda p: p.vif.port_id)
    lines = [*_replace("bridge", bridge_table(ordered)), *_replace("inet", inet_table(ordered))]
    return "\n".join(lines) + "\n"


def load(ns: str, script: str, runner: Runner = run) -> None:
    """Load ``script`` into namespace ``ns`` atomically (all or nothing)."""
    runner(exec_argv(ns, "nft", "-f", "-"), stdin=script)
