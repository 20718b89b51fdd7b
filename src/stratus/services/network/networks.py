"""Networks (Neutron ``/v2.0/networks``): create, list, show, update, delete.

Visibility: admins see every network; others see their own, shared and external ones; anything
else is "not found". ``shared``, ``router:external`` and the ``provider:*`` attributes are
admin-only (``create_network:shared`` … policies), as are other projects' networks for writes.
Subnets live in ``subnets``, ports in ``ports`` (and the ports of servers in ``server_ports``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy.orm import Session

from stratus.common import clock, exceptions, ids
from stratus.common.config import Config
from stratus.db.models.network import Network, Subnet
from stratus.db.repositories.network import networks as repo
from stratus.db.repositories.network import subnets as subnet_repo
from stratus.db.repositories.network.listing import ListQuery, touch
from stratus.db.session import Database
from stratus.network.backend import NetworkSpec
from stratus.network.errors import InUse, NetworkInUse, NetworkNotFound
from stratus.services.network import events
from stratus.services.network.common import (
    Caller,
    backend,
    check_admin_attrs,
    enforce_quota,
    reading,
)

NETWORK_TYPES = ("local", "flat", "vlan", "vxlan", "geneve", "gre")
MIN_MTU, MAX_MTU = 68, 9000
UPDATABLE = (
    "name",
    "description",
    "admin_state_up",
    "shared",
    "external",
    "mtu",
    "port_security_enabled",
)
# python attribute -> Neutron attribute name, for the admin-only ones (with their defaults)
ADMIN_ATTRS = {
    "shared": ("shared", False),
    "external": ("router:external", False),
    "network_type": ("provider:network_type", None),
    "physical_network": ("provider:physical_network", None),
    "segmentation_id": ("provider:segmentation_id", None),
}


@dataclasses.dataclass(frozen=True)
class NetworkView:
    """A network and the ids of its subnets."""

    row: Network
    subnet_ids: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class NetworkInput:
    """A create or update request; ``given`` names the attributes the client sent."""

    given: frozenset[str]
    name: str = ""
    description: str = ""
    admin_state_up: bool = True
    shared: bool = False
    external: bool = False
    mtu: int | None = None
    port_security_enabled: bool = True
    project_id: str | None = None
    network_type: str | None = None
    physical_network: str | None = None
    segmentation_id: int | None = None
    availability_zone_hints: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


def _admin_given(spec: NetworkInput) -> tuple[dict[str, Any], dict[str, Any]]:
    given = {ADMIN_ATTRS[a][0]: getattr(spec, a) for a in ADMIN_ATTRS if a in spec.given}
    defaults = {name: default for name, default in ADMIN_ATTRS.values()}
    return given, defaults


def _check_provider(spec: NetworkInput) -> None:
    kind, physnet, seg = spec.network_type, spec.physical_network, spec.segmentation_id
    if kind is None:
        if physnet is not None or seg is not None:
            raise exceptions.Invalid("provider:network_type required")
        return
    if kind not in NETWORK_TYPES:
        raise exceptions.Invalid(f"Unknown network type {kind}.")
    if kind == "vlan" and (seg is None or not 1 <= seg <= 4094):
        raise exceptions.Invalid("segmentation_id out of range (1 through 4094)")
    if kind in ("flat", "local") and seg is not None:
        raise exceptions.Invalid(f"segmentation_id specified for {kind} network")
    if kind in ("flat", "vlan") and not physnet:
        raise exceptions.Invalid(f"physical_network required for {kind} provider network")


def _check_mtu(mtu: int | None) -> None:
    if mtu is not None and not MIN_MTU <= mtu <= MAX_MTU:
        raise exceptions.Invalid(
            f"Invalid input for mtu. Reason: {mtu} is not in the range {MIN_MTU}-{MAX_MTU}."
        )


def view(session: Session, rows: list[Network]) -> list[NetworkView]:
    subnets = repo.subnet_ids(session, [r.id for r in rows])
    return [NetworkView(r, tuple(subnets[r.id])) for r in rows]


def spec_of(session: Session, row: Network) -> NetworkSpec:
    cidrs = tuple(s.cidr for s in subnet_repo.of_network(session, row.id))
    return NetworkSpec(
        id=row.id,
        name=row.name,
        mtu=row.mtu,
        cidrs=cidrs,
        external=row.external,
        network_type=row.provider_network_type,
        physical_network=row.provider_physical_network,
        segmentation_id=row.provider_segmentation_id,
    )


def find(session: Session, caller: Caller, network_id: str) -> Network:
    """A network the caller can see, or 404."""
    row = repo.get(session, network_id, repo.visible(caller.project_id, caller.is_admin))
    if row is None:
        raise NetworkNotFound(network_id)
    return row


def find_writable(session: Session, caller: Caller, network_id: str, action: str) -> Network:
    """A network the caller may change: visible (else 404) and owned (else 403)."""
    row = find(session, caller, network_id)
    caller.check(action, {"project_id": row.project_id})
    return row


def create_network(db: Database, cfg: Config, caller: Caller, spec: NetworkInput) -> NetworkView:
    """Create a network owned by the caller's project (or, for admins, the one asked for)."""
    project = caller.owner_of_new(spec.project_id)
    target = {"project_id": project}
    caller.check("create_network", target)
    check_admin_attrs(caller, "create_network", *_admin_given(spec), target)
    _check_provider(spec)
    _check_mtu(spec.mtu)
    now = clock.utcnow()
    with db.write() as session:
        enforce_quota(session, cfg, project, {"network": 1})
        row = Network(
            id=ids.uuid_id(),
            name=spec.name,
            project_id=project,
            description=spec.description or "",
            admin_state_up=spec.admin_state_up,
            status="ACTIVE",
            shared=spec.shared,
            external=spec.external,
            mtu=spec.mtu or 1500,
            port_security_enabled=spec.port_security_enabled,
            provider_network_type=spec.network_type,
            provider_physical_network=spec.physical_network,
            provider_segmentation_id=spec.segmentation_id,
            availability_zone_hints=list(spec.availability_zone_hints),
            tags=sorted(set(spec.tags)),
            revision_number=1,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        backend(cfg).ensure_network(spec_of(session, row))
        return NetworkView(row, ())


def list_networks(db: Database, caller: Caller, q: ListQuery) -> tuple[list[NetworkView], bool]:
    with reading(db) as session:
        page = repo.list_(session, q, repo.visible(caller.project_id, caller.is_admin))
        return view(session, page.rows), page.more


def get_network(db: Database, caller: Caller, network_id: str) -> NetworkView:
    with reading(db) as session:
        return view(session, [find(session, caller, network_id)])[0]


def _check_unshare(session: Session, row: Network) -> None:
    if repo.foreign_ports(session, row.id, row.project_id):
        raise InUse(
            f"Unable to reconfigure sharing settings for network {row.id}. "
            "Multiple tenants are using it."
        )


def update_network(
    db: Database, cfg: Config, caller: Caller, network_id: str, spec: NetworkInput
) -> NetworkView:
    """Change the attributes in ``spec.given``; admin-only ones need the admin policy."""
    with db.write() as session:
        row = find_writable(session, caller, network_id, "update_network")
        check_admin_attrs(
            caller, "update_network", *_admin_given(spec), {"project_id": row.project_id}
        )
        _check_mtu(spec.mtu)
        if "shared" in spec.given and row.shared and not spec.shared:
            _check_unshare(session, row)
        for attr in UPDATABLE:
            if attr in spec.given:
                setattr(row, attr, getattr(spec, attr))
        touch(row)
        session.flush()
        backend(cfg).ensure_network(spec_of(session, row))
        events.note(session, networks=[row.id])
        return view(session, [row])[0]


def delete_network(db: Database, cfg: Config, caller: Caller, network_id: str) -> None:
    """Delete a network and its subnets; 409 while ports other than DHCP's are on it."""
    with db.write() as session:
        row = find_writable(session, caller, network_id, "delete_network")
        if repo.ports_in_use(session, row.id):
            raise NetworkInUse(row.id)
        events.note(session, networks=[row.id])
        repo.delete(session, row)
    backend(cfg).delete_network(network_id)


def subnets_of(session: Session, network_id: str) -> list[Subnet]:
    return subnet_repo.of_network(session, network_id)
