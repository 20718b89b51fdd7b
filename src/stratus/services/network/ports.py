"""Ports (Neutron ``/v2.0/ports``): create, list, show, update, delete.

A port gets a MAC (``fa:16:3e:…`` unless given) and fixed IPs (one per IP version from the
network's subnets unless ``fixed_ips`` says otherwise) without ever handing out an address twice.
Ports are visible to their project and to the network's owner. On a network the caller does not
own, choosing the MAC or an address, turning port security off, setting ``allowed_address_pairs``
or a ``network:*`` device owner (router, DHCP, floating IP) is admin-only; so are the
``binding:*`` attributes except ``binding:vnic_type``. Only admins may point ``device_id`` at a
server of another project (409 ``DeviceIDNotOwnedByTenant``). Ports with port security get the
project's ``default`` group unless ``security_groups`` is given.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from stratus.common import clock, exceptions, ids
from stratus.common.config import Config
from stratus.db.models.compute import Instance
from stratus.db.models.network import Network, Port
from stratus.db.repositories.network import ports as repo
from stratus.db.repositories.network.listing import ListQuery, touch
from stratus.db.session import Database
from stratus.network import macs
from stratus.network.errors import (
    DeviceIDNotOwnedByTenant,
    InUse,
    MacAddressInUse,
    PortNotFound,
)
from stratus.services.network import addresses, events, networks, security_groups, vifs
from stratus.services.network.addresses import FixedIPRequest
from stratus.services.network.common import Caller, backend, enforce_quota, reading

__all__ = ["FixedIPRequest", "PortInput", "PortView"]

NETWORK_OWNER_ATTRS = (
    "mac_address",
    "fixed_ips:ip_address",
    "port_security_enabled",
    "allowed_address_pairs",
    "device_owner",
)
ADMIN_ATTRS = ("binding:host_id", "binding:profile")


@dataclasses.dataclass(frozen=True)
class PortView:
    """A port with its (subnet id, address) pairs and security group ids."""

    row: Port
    fixed_ips: tuple[tuple[str, str], ...]
    security_group_ids: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class PortInput:
    """A create or update request; ``given`` names the attributes the client sent."""

    given: frozenset[str]
    network_id: str = ""
    name: str = ""
    description: str = ""
    admin_state_up: bool = True
    mac_address: str | None = None
    fixed_ips: tuple[FixedIPRequest, ...] | None = None
    device_id: str = ""
    device_owner: str = ""
    security_groups: tuple[str, ...] | None = None
    port_security_enabled: bool | None = None
    allowed_address_pairs: tuple[Mapping[str, str], ...] = ()
    extra_dhcp_opts: tuple[Mapping[str, Any], ...] = ()
    host_id: str = ""
    vnic_type: str = "normal"
    profile: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    project_id: str | None = None
    tags: tuple[str, ...] = ()


def views(session: Session, rows: Sequence[Port]) -> list[PortView]:
    port_ids = [r.id for r in rows]
    ips = repo.fixed_ips(session, port_ids)
    groups = repo.security_group_ids(session, port_ids)
    return [PortView(r, tuple(ips[r.id]), tuple(groups[r.id])) for r in rows]


def find(session: Session, caller: Caller, port_id: str) -> Port:
    row = repo.get(session, port_id, repo.visible(caller.project_id, caller.is_admin))
    if row is None:
        raise PortNotFound(port_id)
    return row


def _wanted(spec: PortInput, creating: bool) -> set[str]:
    """The guarded attributes the request sets (Neutron: given, and on create not the default)."""
    wanted = set(spec.given)
    if spec.fixed_ips and any(f.ip_address for f in spec.fixed_ips):
        wanted.add("fixed_ips:ip_address")
    unset = {
        "port_security_enabled": spec.port_security_enabled is not False,
        "binding:host_id": not spec.host_id,
        "binding:profile": not spec.profile,
        "allowed_address_pairs": creating and not spec.allowed_address_pairs,
        "device_owner": creating and not spec.device_owner,
    }
    return wanted - {attr for attr, default in unset.items() if default}


def _check_attrs(
    caller: Caller, action: str, spec: PortInput, network: Network, current: Port | None = None
) -> None:
    """Attribute policies; ``current`` is the port being updated (None on create)."""
    owner = spec.device_owner
    if current is not None and "device_owner" not in spec.given:
        owner = current.device_owner
    target = {
        "project_id": spec.project_id,
        "network:project_id": network.project_id,
        "device_owner": owner,
    }
    wanted = _wanted(spec, creating=current is None)
    for attr in (*NETWORK_OWNER_ATTRS, *ADMIN_ATTRS):
        if attr in wanted:
            caller.check(f"{action}:{attr}", target)


def _check_device(session: Session, caller: Caller, project_id: str, spec: PortInput) -> None:
    """409 unless the port's new ``device_id`` is no server of another project (admins: any).

    NOTE: a port whose device_id names a server is that server's NIC to the compute side; a
    member pointing its port at another project's server would hand that guest its address (and,
    before the compute side checked projects, the server's metadata to its own guest). Neutron
    refuses the same for routers with this error."""
    if caller.is_admin or not spec.device_id or "device_id" not in spec.given:
        return
    server = session.get(Instance, spec.device_id)
    if server is not None and server.project_id != project_id:
        raise DeviceIDNotOwnedByTenant(spec.device_id)


def _port_security(spec: PortInput, network: Network, current: bool | None = None) -> bool:
    if spec.port_security_enabled is not None:
        return spec.port_security_enabled
    return network.port_security_enabled if current is None else current


def apply_groups(
    session: Session, row: Port, requested: Sequence[str] | None, secured: bool
) -> None:
    """Set the port's groups: the requested ones, else (on a new port) the default group."""
    if requested and not secured:
        raise exceptions.Invalid(
            "Port security must be enabled and port must have an IP address in order to use "
            "security groups."
        )
    if not secured or row.device_owner.startswith("network:"):
        repo.set_security_groups(session, row.id, [])
        return
    names = list(requested) if requested is not None else [security_groups.DEFAULT]
    repo.set_security_groups(
        session, row.id, security_groups.resolve(session, row.project_id, names)
    )


def _bind(row: Port, cfg: Config, host: str) -> None:
    row.binding_host_id = host
    row.binding_vif_type = backend(cfg).capabilities.vif_type if host else "unbound"
    row.status = "ACTIVE" if host and row.device_id else "DOWN"


def new_port(
    session: Session, cfg: Config, caller: Caller, network: Network, spec: PortInput
) -> Port:
    """Insert a port with its MAC, addresses and groups in an open write transaction."""
    project = caller.owner_of_new(spec.project_id)
    enforce_quota(session, cfg, project, {"port": 1})
    now = clock.utcnow()
    row = Port(
        id=ids.uuid_id(),
        network_id=network.id,
        name=spec.name,
        project_id=project,
        description=spec.description,
        admin_state_up=spec.admin_state_up,
        device_id=spec.device_id,
        device_owner=spec.device_owner,
        binding_vnic_type=spec.vnic_type,
        binding_profile=dict(spec.profile),
        binding_vif_details={},
        port_security_enabled=_port_security(spec, network),
        allowed_address_pairs=[dict(p) for p in spec.allowed_address_pairs],
        extra_dhcp_opts=[dict(o) for o in spec.extra_dhcp_opts],
        tags=sorted(set(spec.tags)),
        revision_number=1,
        created_at=now,
        updated_at=now,
    )
    _bind(row, cfg, spec.host_id)
    addresses.insert_with_mac(session, row, cfg.network.base_mac, spec.mac_address)
    addresses.assign(session, row, spec.fixed_ips)
    apply_groups(session, row, spec.security_groups, row.port_security_enabled)
    session.flush()
    return row


def create_port(db: Database, cfg: Config, caller: Caller, spec: PortInput) -> PortView:
    project = caller.owner_of_new(spec.project_id)
    spec = dataclasses.replace(spec, project_id=project)
    caller.check("create_port", {"project_id": project})
    with db.write() as session:
        network = networks.find(session, caller, spec.network_id)
        _check_attrs(caller, "create_port", spec, network)
        _check_device(session, caller, project, spec)
        row = new_port(session, cfg, caller, network, spec)
        vifs.push_rules(session, cfg, [row.id])
        return views(session, [row])[0]


def list_ports(db: Database, caller: Caller, q: ListQuery) -> tuple[list[PortView], bool]:
    with reading(db) as session:
        page = repo.list_(session, q, repo.visible(caller.project_id, caller.is_admin))
        return views(session, page.rows), page.more


def get_port(db: Database, caller: Caller, port_id: str) -> PortView:
    with reading(db) as session:
        return views(session, [find(session, caller, port_id)])[0]


SIMPLE_UPDATES = {
    "name": "name",
    "description": "description",
    "admin_state_up": "admin_state_up",
    "device_id": "device_id",
    "device_owner": "device_owner",
    "binding:vnic_type": "binding_vnic_type",
}


def _change_mac(session: Session, row: Port, mac: str | None) -> None:
    if row.binding_host_id:
        raise InUse(f"Unable to complete operation on port {row.id}, port is already bound.")
    new_mac = macs.parse_mac(mac or "")
    if repo.mac_taken(session, row.network_id, new_mac):
        raise MacAddressInUse(row.network_id, new_mac)
    row.mac_address = new_mac


def _update_row(
    session: Session, cfg: Config, row: Port, network: Network, spec: PortInput
) -> None:
    for attr, column in SIMPLE_UPDATES.items():
        if attr in spec.given:
            setattr(row, column, getattr(spec, "vnic_type" if attr.startswith("binding") else attr))
    if "allowed_address_pairs" in spec.given:
        row.allowed_address_pairs = [dict(p) for p in spec.allowed_address_pairs]
    if "extra_dhcp_opts" in spec.given:
        row.extra_dhcp_opts = [dict(o) for o in spec.extra_dhcp_opts]
    if "binding:profile" in spec.given:
        row.binding_profile = dict(spec.profile)
    if "mac_address" in spec.given and spec.mac_address != row.mac_address:
        _change_mac(session, row, spec.mac_address)
    if "fixed_ips" in spec.given:
        addresses.assign(session, row, spec.fixed_ips or ())
    secured = _port_security(spec, network, row.port_security_enabled)
    if "port_security_enabled" in spec.given or "security_groups" in spec.given:
        groups = spec.security_groups
        if groups is None:
            groups = tuple(repo.security_group_ids(session, [row.id])[row.id])
            if groups and not secured:
                raise InUse(
                    "Port has security group associated. Cannot disable port security or ip "
                    "address until security group is removed"
                )
        apply_groups(session, row, groups, secured)
        row.port_security_enabled = secured
    if "binding:host_id" in spec.given or "device_id" in spec.given:
        _bind(row, cfg, spec.host_id if "binding:host_id" in spec.given else row.binding_host_id)


def update_port(
    db: Database, cfg: Config, caller: Caller, port_id: str, spec: PortInput
) -> PortView:
    with db.write() as session:
        row = find(session, caller, port_id)
        caller.check("update_port", {"project_id": row.project_id})
        network = networks.find(session, caller, row.network_id)
        _check_attrs(
            caller,
            "update_port",
            dataclasses.replace(spec, project_id=row.project_id),
            network,
            current=row,
        )
        _check_device(session, caller, row.project_id, spec)
        old_groups = repo.security_group_ids(session, [row.id])[row.id]
        _update_row(session, cfg, row, network, spec)
        touch(row)
        session.flush()
        vifs.push_rules(session, cfg, [row.id], old_groups)
        if row.binding_host_id:
            events.note(session, networks=[row.network_id])
        return views(session, [row])[0]


def delete_port(db: Database, caller: Caller, port_id: str) -> None:
    with db.write() as session:
        row = find(session, caller, port_id)
        network = session.get(Network, row.network_id)
        owner = network.project_id if network is not None else None
        caller.check("delete_port", {"project_id": row.project_id, "network:project_id": owner})
        if row.device_owner == "network:router_interface":
            raise InUse(
                f"Port {row.id} cannot be deleted directly via the port API: has device owner "
                "network:router_interface."
            )
        events.ports_changed(session, [row.id])
        if row.binding_host_id:
            events.note(session, networks=[row.network_id])
        repo.delete(session, row)
