"""Subnets (Neutron ``/v2.0/subnets``): CIDR, gateway, allocation pools, DNS, host routes.

A subnet is visible with its network; creating or changing one needs the network's owner (or an
admin). Subnets of one network must not overlap. The gateway is the first host address unless
given (``null`` means none) and never lies inside an allocation pool (409). Deleting a subnet
whose addresses ports still hold is 409.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from stratus.common import clock, exceptions, ids
from stratus.common.config import Config
from stratus.db.models.network import Subnet
from stratus.db.repositories.network import subnets as repo
from stratus.db.repositories.network.listing import ListQuery, touch
from stratus.db.session import Database
from stratus.network import ipam
from stratus.network.errors import InvalidInput, SubnetInUse, SubnetNotFound
from stratus.services.network import events, networks
from stratus.services.network.common import Caller, backend, enforce_quota, reading

IPV6_MODES = ("slaac", "dhcpv6-stateful", "dhcpv6-stateless")


@dataclasses.dataclass(frozen=True)
class SubnetInput:
    """A create or update request; ``given`` names the attributes the client sent."""

    given: frozenset[str]
    network_id: str = ""
    name: str = ""
    description: str = ""
    ip_version: int | None = None
    cidr: str | None = None
    gateway_ip: str | None = None
    allocation_pools: tuple[Mapping[str, str], ...] = ()
    dns_nameservers: tuple[str, ...] = ()
    host_routes: tuple[Mapping[str, str], ...] = ()
    enable_dhcp: bool = True
    ipv6_ra_mode: str | None = None
    ipv6_address_mode: str | None = None
    subnetpool_id: str | None = None
    project_id: str | None = None
    tags: tuple[str, ...] = ()


def find(session: Session, caller: Caller, subnet_id: str) -> Subnet:
    row = repo.get(session, subnet_id, repo.visible(caller.project_id, caller.is_admin))
    if row is None:
        raise SubnetNotFound(subnet_id)
    return row


def _check_v6_modes(spec: SubnetInput, version: int) -> None:
    for attr in ("ipv6_ra_mode", "ipv6_address_mode"):
        value = getattr(spec, attr)
        if value is None:
            continue
        if value not in IPV6_MODES:
            raise exceptions.Invalid(
                f"Invalid input for {attr}. Reason: '{value}' is not in {list(IPV6_MODES)}."
            )
        if version != 6:
            raise InvalidInput(f"{attr} set to '{value}' with ip_version '4' not allowed")
    ra, addr = spec.ipv6_ra_mode, spec.ipv6_address_mode
    if ra is not None and addr is not None and ra != addr:
        raise InvalidInput(
            f"ipv6_ra_mode set to '{ra}' with ipv6_address_mode set to '{addr}' is not valid. "
            "If both attributes are set, they must be the same value"
        )


def _gateway(spec: SubnetInput, net: ipam.IPNetwork) -> str | None:
    if "gateway_ip" not in spec.given:
        return ipam.default_gateway(net)
    return ipam.check_gateway(net, spec.gateway_ip)


def _pools(spec: SubnetInput, net: ipam.IPNetwork, gateway: str | None) -> list[ipam.Pool]:
    if "allocation_pools" in spec.given and spec.allocation_pools:
        pools = ipam.parse_pools(net, spec.allocation_pools)
        ipam.check_gateway_outside_pools(gateway, pools)
        return pools
    return ipam.default_pools(net, gateway)


def _parse_new(session: Session, spec: SubnetInput) -> tuple[ipam.IPNetwork, int]:
    if spec.subnetpool_id is not None:
        raise exceptions.NotFound(f"Subnet pool {spec.subnetpool_id} could not be found.")
    if not spec.cidr:
        raise exceptions.Invalid(
            "Bad subnets request: a subnetpool must be specified in the absence of a cidr."
        )
    net = ipam.parse_cidr(spec.cidr, spec.ip_version)
    version = spec.ip_version or net.version
    others = [s.cidr for s in repo.of_network(session, spec.network_id)]
    if ipam.overlaps(net, others):
        raise InvalidInput(
            f"Requested subnet with cidr: {net} for network: {spec.network_id} overlaps with "
            "another subnet"
        )
    _check_v6_modes(spec, version)
    return net, version


def create_subnet(db: Database, cfg: Config, caller: Caller, spec: SubnetInput) -> Subnet:
    """Create a subnet on a network the caller owns (admins: any network)."""
    with db.write() as session:
        network = networks.find(session, caller, spec.network_id)
        project = caller.owner_of_new(spec.project_id)
        caller.check(
            "create_subnet", {"project_id": project, "network:project_id": network.project_id}
        )
        net, version = _parse_new(session, spec)
        gateway = _gateway(spec, net)
        pools = _pools(spec, net, gateway)
        enforce_quota(session, cfg, project, {"subnet": 1})
        now = clock.utcnow()
        row = Subnet(
            id=ids.uuid_id(),
            network_id=network.id,
            name=spec.name,
            project_id=project,
            description=spec.description,
            ip_version=version,
            cidr=str(net),
            gateway_ip=gateway,
            enable_dhcp=spec.enable_dhcp,
            allocation_pools=[p.as_dict() for p in pools],
            dns_nameservers=ipam.parse_nameservers(spec.dns_nameservers),
            host_routes=ipam.parse_host_routes(spec.host_routes, version),
            ipv6_ra_mode=spec.ipv6_ra_mode,
            ipv6_address_mode=spec.ipv6_address_mode,
            tags=sorted(set(spec.tags)),
            revision_number=1,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        touch(network)
        session.flush()
        backend(cfg).ensure_network(networks.spec_of(session, network))
        events.note(session, networks=[network.id])
        return row


def list_subnets(db: Database, caller: Caller, q: ListQuery) -> tuple[list[Subnet], bool]:
    with reading(db) as session:
        page = repo.list_(session, q, repo.visible(caller.project_id, caller.is_admin))
        return list(page.rows), page.more


def get_subnet(db: Database, caller: Caller, subnet_id: str) -> Subnet:
    with reading(db) as session:
        return find(session, caller, subnet_id)


def _writable(session: Session, caller: Caller, subnet_id: str, action: str) -> Subnet:
    row = find(session, caller, subnet_id)
    network = networks.find(session, caller, row.network_id)
    caller.check(action, {"project_id": row.project_id, "network:project_id": network.project_id})
    return row


def _update_addressing(row: Subnet, spec: SubnetInput) -> None:
    net = ipam.parse_cidr(row.cidr)
    gateway = (
        ipam.check_gateway(net, spec.gateway_ip) if "gateway_ip" in spec.given else row.gateway_ip
    )
    if "allocation_pools" in spec.given:
        pools = _pools(spec, net, gateway)
    else:
        pools = [ipam.Pool(p["start"], p["end"]) for p in row.allocation_pools]
    ipam.check_gateway_outside_pools(gateway, pools)
    row.gateway_ip = gateway
    row.allocation_pools = [p.as_dict() for p in pools]


def update_subnet(
    db: Database, cfg: Config, caller: Caller, subnet_id: str, spec: SubnetInput
) -> Subnet:
    """Change name, description, gateway, pools, DNS servers, host routes or DHCP."""
    with db.write() as session:
        row = _writable(session, caller, subnet_id, "update_subnet")
        if spec.given & {"gateway_ip", "allocation_pools"}:
            _update_addressing(row, spec)
        if "dns_nameservers" in spec.given:
            row.dns_nameservers = ipam.parse_nameservers(spec.dns_nameservers)
        if "host_routes" in spec.given:
            row.host_routes = ipam.parse_host_routes(spec.host_routes, row.ip_version)
        for attr in ("name", "description", "enable_dhcp"):
            if attr in spec.given:
                setattr(row, attr, getattr(spec, attr))
        touch(row)
        session.flush()
        events.note(session, networks=[row.network_id])
        return row


def delete_subnet(db: Database, cfg: Config, caller: Caller, subnet_id: str) -> None:
    """Delete a subnet; 409 while ports hold addresses from it."""
    with db.write() as session:
        row = _writable(session, caller, subnet_id, "delete_subnet")
        if repo.allocation_count(session, row.id):
            raise SubnetInUse(row.id)
        network = networks.find(session, caller, row.network_id)
        session.delete(row)
        touch(network)
        session.flush()
        backend(cfg).ensure_network(networks.spec_of(session, network))
        events.note(session, networks=[network.id])


def pools_of(row: Subnet) -> Sequence[ipam.Pool]:
    return [ipam.Pool(p["start"], p["end"]) for p in row.allocation_pools]
