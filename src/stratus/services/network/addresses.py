"""Giving ports their fixed IPs and MAC addresses, safely under concurrency.

Both happen inside the port's write transaction. An address is inserted in a savepoint; when the
unique key (subnet, address) says another transaction took it first, the next free one is tried
(``MAX_TRIES`` times). MACs work the same way with the (network, mac) key.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Sequence

from sqlalchemy.orm import Session

from stratus.db.models.network import Port, Subnet
from stratus.db.repositories.network import ports as repo
from stratus.db.repositories.network import subnets as subnet_repo
from stratus.network import ipam, macs
from stratus.network.errors import (
    InvalidInput,
    IpAddressAlreadyAllocated,
    IpAddressGenerationFailure,
    MacAddressInUse,
)

MAX_TRIES = 50
SLAAC_MODES = ("slaac", "dhcpv6-stateless")


@dataclasses.dataclass(frozen=True)
class FixedIPRequest:
    """One ``fixed_ips`` entry: a subnet, an address, or both."""

    subnet_id: str | None = None
    ip_address: str | None = None


def _eui64(subnet: Subnet, mac: str) -> str:
    """The SLAAC address of ``mac`` in an IPv6 /64 (modified EUI-64)."""
    octets = [int(x, 16) for x in mac.split(":")]
    octets[0] ^= 0x02
    iid = [*octets[:3], 0xFF, 0xFE, *octets[3:]]
    net = ipaddress.IPv6Network(subnet.cidr)
    return str(ipaddress.IPv6Address(int(net.network_address) | int.from_bytes(bytes(iid), "big")))


def _pools(subnet: Subnet) -> list[ipam.Pool]:
    return [ipam.Pool(p["start"], p["end"]) for p in subnet.allocation_pools]


def _next_free(session: Session, port: Port, subnet: Subnet) -> str:
    """Allocate the lowest free pool address of ``subnet`` to ``port``."""
    if subnet.ipv6_address_mode in SLAAC_MODES:
        return _specific(session, port, subnet, _eui64(subnet, port.mac_address))
    for _ in range(MAX_TRIES):
        address = ipam.first_free(_pools(subnet), repo.taken_addresses(session, subnet.id))
        if address is None:
            raise IpAddressGenerationFailure(port.network_id)
        if repo.allocate(session, port, subnet.id, address):
            return address
    raise IpAddressGenerationFailure(port.network_id)


def _specific(session: Session, port: Port, subnet: Subnet, address: str) -> str:
    address = ipam.check_fixed_ip(ipam.parse_cidr(subnet.cidr), address, subnet.id)
    if not repo.allocate(session, port, subnet.id, address):
        raise IpAddressAlreadyAllocated(address, subnet.id)
    return address


def _subnet_for(subnets: Sequence[Subnet], req: FixedIPRequest, network_id: str) -> Subnet:
    if req.subnet_id is not None:
        for subnet in subnets:
            if subnet.id == req.subnet_id:
                return subnet
        raise InvalidInput(
            f"Failed to create port on network {network_id}, because fixed_ips included invalid "
            f"subnet {req.subnet_id}."
        )
    assert req.ip_address is not None
    address = ipam.parse_address(req.ip_address)
    for subnet in subnets:
        if address in ipaddress.ip_network(subnet.cidr):
            return subnet
    raise InvalidInput(
        f"IP address {req.ip_address} is not a valid IP for any of the subnets on the "
        "specified network."
    )


def _automatic(session: Session, port: Port, subnets: Sequence[Subnet]) -> None:
    """No ``fixed_ips`` asked for: one address per IP version, from the first subnet with room
    (every SLAAC subnet gives its address)."""
    for version in (4, 6):
        candidates = [s for s in subnets if s.ip_version == version]
        for subnet in [s for s in candidates if s.ipv6_address_mode in SLAAC_MODES]:
            _next_free(session, port, subnet)
        stateful = [s for s in candidates if s.ipv6_address_mode not in SLAAC_MODES]
        for i, subnet in enumerate(stateful):
            try:
                _next_free(session, port, subnet)
                break
            except IpAddressGenerationFailure:
                if i == len(stateful) - 1:
                    raise


def assign(
    session: Session, port: Port, requests: Sequence[FixedIPRequest] | None
) -> list[tuple[str, str]]:
    """Make the port's addresses match ``requests`` (None: automatic), keeping the addresses it
    already holds that still match. Returns the port's (subnet id, address) pairs."""
    subnets = subnet_repo.of_network(session, port.network_id)
    held = repo.fixed_ips(session, [port.id])[port.id]
    if requests is None:
        if not held:
            _automatic(session, port, subnets)
        return repo.fixed_ips(session, [port.id])[port.id]
    keep: list[tuple[str, str]] = []
    todo: list[tuple[Subnet, str | None]] = []
    for req in requests:
        subnet = _subnet_for(subnets, req, port.network_id)
        wanted = str(ipam.parse_address(req.ip_address)) if req.ip_address else None
        match = next(
            (h for h in held if h[0] == subnet.id and wanted in (None, h[1]) and h not in keep),
            None,
        )
        if match is not None:
            keep.append(match)
        else:
            todo.append((subnet, wanted))
    repo.release(session, port.id, keep)
    for subnet, wanted in todo:
        if wanted is None:
            _next_free(session, port, subnet)
        else:
            _specific(session, port, subnet, wanted)
    return repo.fixed_ips(session, [port.id])[port.id]


def insert_with_mac(session: Session, row: Port, base_mac: str, mac: str | None) -> None:
    """Insert a new port with ``mac`` (409 if taken on the network) or a random free one."""
    if mac is not None:
        row.mac_address = macs.parse_mac(mac)
        if repo.mac_taken(session, row.network_id, row.mac_address) or not repo.insert(
            session, row
        ):
            raise MacAddressInUse(row.network_id, row.mac_address)
        return
    for _ in range(MAX_TRIES):
        row.mac_address = macs.random_mac(base_mac)
        if not repo.mac_taken(session, row.network_id, row.mac_address) and repo.insert(
            session, row
        ):
            return
    raise MacAddressInUse(row.network_id, row.mac_address)
