"""Subnets: visibility (through their network), listing, overlap and usage checks."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.db.models.network import IPAllocation, Network, Subnet
from stratus.db.repositories.network.listing import Columns, ListQuery, Page, run

COLUMNS: Columns = {
    "id": Subnet.id,
    "name": Subnet.name,
    "network_id": Subnet.network_id,
    "project_id": Subnet.project_id,
    "tenant_id": Subnet.project_id,
    "description": Subnet.description,
    "ip_version": Subnet.ip_version,
    "cidr": Subnet.cidr,
    "gateway_ip": Subnet.gateway_ip,
    "enable_dhcp": Subnet.enable_dhcp,
    "ipv6_ra_mode": Subnet.ipv6_ra_mode,
    "ipv6_address_mode": Subnet.ipv6_address_mode,
    "subnetpool_id": Subnet.subnetpool_id,
    "revision_number": Subnet.revision_number,
    "created_at": Subnet.created_at,
    "updated_at": Subnet.updated_at,
}


def visible(project_id: str | None, is_admin: bool) -> sa.ColumnElement[bool]:
    """A subnet is visible with its network: own, shared or external (admins see all)."""
    if is_admin:
        return sa.true()
    networks = sa.select(Network.id).where(
        sa.or_(Network.project_id == project_id, Network.shared.is_(True), Network.external)
    )
    return sa.or_(Subnet.project_id == project_id, Subnet.network_id.in_(networks))


def list_(session: Session, q: ListQuery, clause: sa.ColumnElement[bool]) -> Page:
    return run(session, Subnet, COLUMNS, clause, q)


def get(session: Session, subnet_id: str, clause: sa.ColumnElement[bool]) -> Subnet | None:
    return session.scalar(sa.select(Subnet).where(Subnet.id == subnet_id, clause))


def of_network(session: Session, network_id: str) -> list[Subnet]:
    return list(
        session.scalars(
            sa.select(Subnet)
            .where(Subnet.network_id == network_id)
            .order_by(Subnet.created_at, Subnet.id)
        )
    )


def by_ids(session: Session, subnet_ids: list[str]) -> dict[str, Subnet]:
    if not subnet_ids:
        return {}
    rows = session.scalars(sa.select(Subnet).where(Subnet.id.in_(subnet_ids)))
    return {r.id: r for r in rows}


def allocation_count(session: Session, subnet_id: str) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(IPAllocation)
            .where(IPAllocation.subnet_id == subnet_id)
        )
        or 0
    )


def count(session: Session, project_id: str) -> int:
    return int(
        session.scalar(sa.select(sa.func.count()).where(Subnet.project_id == project_id)) or 0
    )
