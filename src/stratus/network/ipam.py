"""IP address management as pure functions: CIDRs, gateways, allocation pools, free addresses.

Nothing here touches the database. The caller (``services``) reads the addresses already taken
on a subnet, asks ``first_free`` for one and inserts it; the unique key on
``ip_allocations(subnet_id, ip_address)`` decides races, and the caller retries with a fresh view
of what is taken. Errors are Neutron's (400 ``InvalidInput`` and friends, 409 for conflicts).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import itertools
from collections.abc import Iterable, Mapping, Sequence

from stratus.common import exceptions
from stratus.network.errors import InvalidInput

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_DNS_NAMESERVERS = 5
MAX_HOST_ROUTES = 20


class GatewayConflictWithAllocationPools(exceptions.Conflict):
    def __init__(self, gateway: str, pool: Pool) -> None:
        super().__init__(f"Gateway ip {gateway} conflicts with allocation pool {pool}.")


@dataclasses.dataclass(frozen=True, order=True)
class Pool:
    """An inclusive range of addresses handed out automatically."""

    start: str
    end: str

    def __str__(self) -> str:
        return f"{self.start}-{self.end}"

    @property
    def first(self) -> int:
        return int(ipaddress.ip_address(self.start))

    @property
    def last(self) -> int:
        return int(ipaddress.ip_address(self.end))

    def contains(self, address: str) -> bool:
        return self.first <= int(ipaddress.ip_address(address)) <= self.last

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start, "end": self.end}


def parse_address(text: str, field: str = "ip_address") -> IPAddress:
    """An IP address, or 400 saying which field is wrong."""
    try:
        return ipaddress.ip_address(text.strip() if isinstance(text, str) else text)
    except ValueError:
        raise exceptions.Invalid(
            f"Invalid input for {field}. Reason: '{text}' is not a valid IP address."
        ) from None


def parse_cidr(text: str, ip_version: int | None = None, field: str = "cidr") -> IPNetwork:
    """A network in canonical form (host bits cleared); 400 for anything else."""
    if "/" not in text:
        raise exceptions.Invalid(
            f"Invalid input for {field}. Reason: '{text}' isn't a recommended CIDR, "
            f"'{text}/{32 if ':' not in text else 128}' should be used instead."
        )
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise exceptions.Invalid(
            f"Invalid input for {field}. Reason: '{text}' is not a valid IP subnet."
        ) from None
    if ip_version is not None and net.version != ip_version:
        raise InvalidInput(f"{field} '{text}' does not match the ip_version '{ip_version}'")
    return net


def _host_bounds(net: IPNetwork) -> tuple[int, int]:
    """The first and last address a host may use (no network / broadcast address in IPv4)."""
    first, last = int(net.network_address), int(net.broadcast_address)
    if net.version == 4 and net.prefixlen < 31:
        return first + 1, last - 1
    if net.version == 6 and net.prefixlen < 127:
        return first + 1, last
    return first, last


def _addr(version: int, value: int) -> str:
    return str(ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value))


def default_gateway(net: IPNetwork) -> str | None:
    """Neutron's default: the first host address (None when the subnet has no room for one)."""
    first, last = _host_bounds(net)
    return _addr(net.version, first) if first < last else None


def check_gateway(net: IPNetwork, gateway: str | None) -> str | None:
    """Validate a requested gateway; the network and broadcast addresses are refused."""
    if gateway is None:
        return None
    address = parse_address(gateway, "gateway_ip")
    if address.version != net.version:
        raise InvalidInput(f"gateway_ip '{gateway}' does not match the ip_version '{net.version}'")
    if address in net:
        first, last = _host_bounds(net)
        if not first <= int(address) <= last:
            raise InvalidInput("Gateway is not valid on subnet.")
    return str(address)


def _split(version: int, first: int, last: int, holes: Iterable[int]) -> list[Pool]:
    pools: list[Pool] = []
    start = first
    for hole in sorted(h for h in set(holes) if first <= h <= last):
        if hole > start:
            pools.append(Pool(_addr(version, start), _addr(version, hole - 1)))
        start = hole + 1
    if start <= last:
        pools.append(Pool(_addr(version, start), _addr(version, last)))
    return pools


def default_pools(net: IPNetwork, gateway: str | None) -> list[Pool]:
    """Every host address of ``net`` except the gateway."""
    first, last = _host_bounds(net)
    holes = [int(ipaddress.ip_address(gateway))] if gateway else []
    return _split(net.version, first, last, holes)


def parse_pools(net: IPNetwork, raw: Sequence[Mapping[str, str]]) -> list[Pool]:
    """Requested pools, checked: inside the subnet, start <= end, no overlaps."""
    pools: list[Pool] = []
    cidr = str(net)
    for item in raw:
        start = parse_address(item["start"], "allocation_pools")
        end = parse_address(item["end"], "allocation_pools")
        pool = Pool(str(start), str(end))
        if start.version != net.version or end.version != net.version or int(start) > int(end):
            raise exceptions.Invalid(f"The allocation pool {pool} is not valid.")
        first, last = _host_bounds(net)
        if int(start) < first or int(end) > last:
            raise exceptions.Invalid(
                f"The allocation pool {pool} spans beyond the subnet cidr {cidr}."
            )
        pools.append(pool)
    pools.sort(key=lambda p: p.first)
    for left, right in itertools.pairwise(pools):
        if right.first <= left.last:
            raise exceptions.Invalid(
                f"Found overlapping allocation pools: {left} {right} for subnet {cidr}."
            )
    return pools


def check_gateway_outside_pools(gateway: str | None, pools: Sequence[Pool]) -> None:
    """409 when the gateway lies inside an allocation pool (Neutron's rule)."""
    if gateway is None:
        return
    for pool in pools:
        if pool.contains(gateway):
            raise GatewayConflictWithAllocationPools(gateway, pool)


def first_free(pools: Sequence[Pool], taken: Iterable[str]) -> str | None:
    """The lowest pool address not in ``taken``; None when every pool is full."""
    used = {int(ipaddress.ip_address(t)) for t in taken}
    for pool in pools:
        candidate = pool.first
        version = ipaddress.ip_address(pool.start).version
        while candidate <= pool.last:
            if candidate not in used:
                return _addr(version, candidate)
            candidate += 1
    return None


def check_fixed_ip(net: IPNetwork, address: str, subnet_id: str) -> str:
    """A requested fixed IP: a valid host address of the subnet (gateway check is the caller's)."""
    parsed = parse_address(address)
    first, last = _host_bounds(net)
    if parsed.version != net.version or not first <= int(parsed) <= last:
        raise InvalidInput(f"IP address {address} is not a valid IP for the specified subnet.")
    return str(parsed)


def parse_nameservers(raw: Sequence[str], ip_version: int | None = None) -> list[str]:
    """DNS servers: valid addresses, no duplicates, at most five."""
    if len(raw) > MAX_DNS_NAMESERVERS:
        raise exceptions.Invalid(
            f"The number of DNS nameservers exceeds the limit {MAX_DNS_NAMESERVERS}."
        )
    seen: list[str] = []
    for text in raw:
        address = str(parse_address(text, "dns_nameservers"))
        if address in seen:
            raise exceptions.Invalid(
                f"Invalid input for dns_nameservers. Reason: Duplicate nameserver '{text}'."
            )
        seen.append(address)
    return seen


def parse_host_routes(raw: Sequence[Mapping[str, str]], ip_version: int) -> list[dict[str, str]]:
    """Static routes ``{"destination": cidr, "nexthop": ip}`` of the subnet's IP version."""
    if len(raw) > MAX_HOST_ROUTES:
        raise exceptions.Invalid(f"The number of host routes exceeds the limit {MAX_HOST_ROUTES}.")
    routes: list[dict[str, str]] = []
    for item in raw:
        dest = parse_cidr(item["destination"], field="host_routes")
        hop = parse_address(item["nexthop"], "host_routes")
        if dest.version != ip_version or hop.version != ip_version:
            raise InvalidInput(
                f"host_routes {item['destination']} via {item['nexthop']} does not match "
                f"the ip_version '{ip_version}'"
            )
        route = {"destination": str(dest), "nexthop": str(hop)}
        if route in routes:
            raise exceptions.Invalid(
                f"Invalid input for host_routes. Reason: Duplicate hostroute '{route}'."
            )
        routes.append(route)
    return routes


def overlaps(net: IPNetwork, others: Iterable[str]) -> bool:
    """Whether ``net`` overlaps any CIDR in ``others`` (subnets of one network must not)."""
    return any(
        net.overlaps(other)
        for other in (ipaddress.ip_network(o) for o in others)
        if other.version == net.version
    )
