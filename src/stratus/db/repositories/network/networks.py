"""Networks: visibility, listing, lookups and the "in use" check."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.db.models.network import Network, Port, Subnet
from stratus.db.repositories.network.listing import Columns, ListQuery, Page, run

COLUMNS: Columns = {
    "id": Network.id,
    "name": Network.name,
    "project_id": Network.project_id,
    "tenant_id": Network.project_id,
    "description": Network.description,
    "admin_state_up": Network.admin_state_up,
    "status": Network.status,
    "shared": Network.shared,
    "router:external": Network.external,
    "mtu": Network.mtu,
    "port_security_enabled": Network.port_security_enabled,
    "provider:network_type": Network.provider_network_type,
    "provider:physical_network": Network.provider_physical_network,
    "provider:segmentation_id": Network.provider_segmentation_id,
    "revision_number": Network.revision_number,
    "created_at": Network.created_at,
    "updated_at": Network.updated_at,
}
# NOTE: ports Neutron deletes itself with the network; any other port keeps the network in use.
AUTO_DELETE_OWNERS = ("network:dhcp",)


def visible(project_id: str | None, is_admin: bool) -> sa.ColumnElement[bool]:
    """Admins see every network; others their own, shared and external ones."""
    if is_admin:
        return sa.true()
    return sa.or_(
        Network.project_id == project_id, Network.shared.is_(True), Network.external.is_(True)
    )


def list_(session: Session, q: ListQuery, clause: sa.ColumnElement[bool]) -> Page:
    extra: list[sa.ColumnElement[bool]] = []
    subnets = q.equals.get("subnets")
    if subnets:
        extra.append(
            Network.id.in_(sa.select(Subnet.network_id).where(Subnet.id.in_(list(subnets))))
        )
    return run(session, Network, COLUMNS, clause, q, extra)


def get(session: Session, network_id: str, clause: sa.ColumnElement[bool]) -> Network | None:
    return session.scalar(sa.select(Network).where(Network.id == network_id, clause))


def subnet_ids(session: Session, network_ids: Iterable[str]) -> dict[str, list[str]]:
    ids = list(network_ids)
    found: dict[str, list[str]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.execute(
        sa.select(Subnet.network_id, Subnet.id)
        .where(Subnet.network_id.in_(ids))
        .order_by(Subnet.created_at, Subnet.id)
    )
    for net_id, subnet_id in rows:
        found[net_id].append(subnet_id)
    return found


def ports_in_use(session: Session, network_id: str) -> int:
    """Ports on the network other than those deleted along with it."""
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Port)
            .where(Port.network_id == network_id, Port.device_owner.not_in(AUTO_DELETE_OWNERS))
        )
        or 0
    )


def foreign_ports(session: Session, network_id: str, project_id: str) -> int:
    """Ports of other projects on the network (it cannot stop being shared then)."""
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Port)
            .where(Port.network_id == network_id, Port.project_id != project_id)
        )
        or 0
    )


def delete(session: Session, row: Network) -> None:
    session.execute(sa.delete(Port).where(Port.network_id == row.id))
    session.execute(sa.delete(Subnet).where(Subnet.network_id == row.id))
    session.delete(row)
    session.flush()


def count(session: Session, project_id: str) -> int:
    return int(
        session.scalar(sa.select(sa.func.count()).where(Network.project_id == project_id)) or 0
    )


def by_name(session: Session, name: str, clause: sa.ColumnElement[bool]) -> list[Network]:
    return list(session.scalars(sa.select(Network).where(Network.name == name, clause)))


def candidates(session: Session, project_id: str) -> tuple[list[Network], list[Network]]:
    """Networks a server of ``project_id`` could use: (its own, shared), never external."""
    own = list(
        session.scalars(
            sa.select(Network)
            .where(Network.project_id == project_id, Network.external.is_(False))
            .order_by(Network.created_at)
        )
    )
    shared = list(
        session.scalars(
            sa.select(Network)
            .where(
                Network.project_id != project_id,
                Network.shared.is_(True),
                Network.external.is_(False),
            )
            .order_by(Network.created_at)
        )
    )
    return own, shared
