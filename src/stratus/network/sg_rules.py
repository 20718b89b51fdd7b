"""Security-group rules checked and normalised as Neutron does, as pure functions.

``normalize(...)`` turns what a client sent into a ``RuleSpec`` or raises 400 with Neutron's
messages (tempest asserts some of them verbatim); ``same_rule`` says when two rules are
duplicates (``tcp`` and ``6``, ``0.0.0.0/0`` and no prefix mean the same thing).
"""

from __future__ import annotations

import dataclasses
import ipaddress

from stratus.common import exceptions
from stratus.network.errors import InvalidInput

ETHERTYPES = ("IPv4", "IPv6")
PROTOCOLS: dict[str, int] = {
    "ah": 51,
    "dccp": 33,
    "egp": 8,
    "esp": 50,
    "gre": 47,
    "hopopt": 0,
    "icmp": 1,
    "igmp": 2,
    "ipip": 4,
    "ipv6-encap": 41,
    "ipv6-frag": 44,
    "ipv6-icmp": 58,
    "icmpv6": 58,
    "ipv6-nonxt": 59,
    "ipv6-opts": 60,
    "ipv6-route": 43,
    "ospf": 89,
    "pgm": 113,
    "rsvp": 46,
    "sctp": 132,
    "tcp": 6,
    "udp": 17,
    "udplite": 136,
    "vrrp": 112,
}
PORT_PROTOCOLS = frozenset({6, 17, 33, 132, 136})
ICMP_PROTOCOLS = frozenset({1, 58})
IPV6_ONLY = frozenset(
    {
        "ipv6-encap",
        "ipv6-frag",
        "ipv6-icmp",
        "icmpv6",
        "ipv6-nonxt",
        "ipv6-opts",
        "ipv6-route",
        "41",
        "43",
        "44",
        "58",
        "59",
        "60",
    }
)


@dataclasses.dataclass(frozen=True)
class RuleSpec:
    """A rule after validation, ready to store."""

    direction: str
    ethertype: str
    protocol: str | None
    port_range_min: int | None
    port_range_max: int | None
    remote_ip_prefix: str | None
    remote_group_id: str | None


def protocol_number(protocol: str | None) -> int | None:
    """``"tcp"`` and ``"6"`` are both 6; None means any protocol."""
    if protocol is None:
        return None
    if protocol.isdigit():
        return int(protocol)
    return PROTOCOLS[protocol]


def _protocol(raw: str | int | None) -> str | None:
    if raw is None:
        return None
    text = str(raw).strip().lower()
    if text in ("", "any"):
        return None
    if text in PROTOCOLS:
        return text
    if text.lstrip("-").isdigit() and 0 <= int(text) <= 255:
        return str(int(text))
    names = sorted(PROTOCOLS)
    raise exceptions.Invalid(
        f"Security group rule protocol {raw} not supported. Only protocol values {names} and "
        "integer representations [0 to 255] are supported."
    )


def _ethertype(raw: str | None) -> str:
    if raw is None:
        return "IPv4"
    for known in ETHERTYPES:
        if raw.lower() == known.lower():
            return known
    raise exceptions.Invalid(
        f"Security group rule for ethertype '{raw}' not supported. "
        f"Allowed values are {list(ETHERTYPES)}."
    )


def _port(raw: int | str | None) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise exceptions.Invalid(f"Invalid value for port {raw}.") from None
    if not 0 <= value <= 65535:
        raise exceptions.Invalid(f"Invalid value for port {raw}.")
    return value


def _prefix(raw: str | None, ethertype: str) -> str | None:
    """Neutron keeps host bits (``10.2.3.124/24``) and adds a missing mask (``/32``)."""
    if raw is None:
        return None
    try:
        iface = ipaddress.ip_interface(raw.strip())
    except ValueError:
        raise exceptions.Invalid(
            f"Invalid input for remote_ip_prefix. Reason: '{raw}' is not a valid IP prefix."
        ) from None
    if f"IPv{iface.version}" != ethertype:
        raise exceptions.Invalid(f"Conflicting value ethertype {ethertype} for CIDR {raw}")
    return str(iface)


def _check_ports(protocol: str | None, low: int | None, high: int | None) -> None:
    if low is None and high is None:
        return
    number = protocol_number(protocol)
    if number is None:
        raise exceptions.Invalid("Must also specify protocol if port range is given.")
    if number in PORT_PROTOCOLS:
        if low == 0 or high == 0:
            raise exceptions.Invalid("Invalid value for port 0.")
        if low is None or high is None or low > high:
            raise exceptions.Invalid(
                "For TCP/UDP protocols, port_range_min must be <= port_range_max"
            )
        return
    if number in ICMP_PROTOCOLS:
        for value, field, attr in (
            (low, "type", "port_range_min"),
            (high, "code", "port_range_max"),
        ):
            if value is not None and not 0 <= value <= 255:
                raise exceptions.Invalid(
                    f"Invalid value for ICMP {field} ({attr}) {value}. It must be 0 to 255."
                )
        if low is None:
            raise exceptions.Invalid(
                f"ICMP code (port-range-max) {high} is provided but ICMP type "
                "(port-range-min) is missing."
            )
        return
    raise exceptions.Invalid(
        f"Invalid protocol {protocol} for port range, only supported for TCP, UDP, UDPLITE, "
        "SCTP and DCCP."
    )


def normalize(
    *,
    direction: str,
    ethertype: str | None,
    protocol: str | int | None,
    port_range_min: int | str | None,
    port_range_max: int | str | None,
    remote_ip_prefix: str | None,
    remote_group_id: str | None,
) -> RuleSpec:
    """Validate one rule; 400 with Neutron's message on the first problem found."""
    if direction not in ("ingress", "egress"):
        raise InvalidInput(f"'{direction}' is not in ['ingress', 'egress']")
    ether = _ethertype(ethertype)
    proto = _protocol(protocol)
    if proto in IPV6_ONLY and ether == "IPv4":
        raise exceptions.Invalid(f"Invalid ethertype {ether} for protocol {proto}.")
    low, high = _port(port_range_min), _port(port_range_max)
    _check_ports(proto, low, high)
    if remote_ip_prefix is not None and remote_group_id is not None:
        raise exceptions.Invalid("Only remote_ip_prefix or remote_group_id may be provided.")
    return RuleSpec(
        direction=direction,
        ethertype=ether,
        protocol=proto,
        port_range_min=low,
        port_range_max=high,
        remote_ip_prefix=_prefix(remote_ip_prefix, ether),
        remote_group_id=remote_group_id,
    )


def _any_prefix(prefix: str | None) -> str | None:
    if prefix is None:
        return None
    net = ipaddress.ip_interface(prefix).network
    return None if net.prefixlen == 0 else str(net)


def same_rule(a: RuleSpec, b: RuleSpec) -> bool:
    """Whether ``a`` and ``b`` allow exactly the same traffic (Neutron's duplicate check)."""
    return (
        a.direction == b.direction
        and a.ethertype == b.ethertype
        and protocol_number(a.protocol) == protocol_number(b.protocol)
        and a.port_range_min == b.port_range_min
        and a.port_range_max == b.port_range_max
        and _any_prefix(a.remote_ip_prefix) == _any_prefix(b.remote_ip_prefix)
        and a.remote_group_id == b.remote_group_id
    )
