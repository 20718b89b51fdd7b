"""Ports, their fixed IPs (``ip_allocations``) and security-group bindings.

``allocate`` inserts one address inside a savepoint: the unique key (subnet, address) makes a
concurrent duplicate fail there, and the caller picks another address and retries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.db.models.network import IPAllocation, Network, Port, PortSecurityGroup
from stratus.db.repositories.network.listing import Columns, ListQuery, Page, run

COLUMNS: Columns = {
    "id": Port.id,
    "name": Port.name,
    "network_id": Port.network_id,
    "project_id": Port.project_id,
    "tenant_id": Port.project_id,
    "description": Port.description,
    "mac_address": Port.mac_address,
    "admin_state_up": Port.admin_state_up,
    "status": Port.status,
    "device_id": Port.device_id,
    "device_owner": Port.device_owner,
    "binding:host_id": Port.binding_host_id,
    "binding:vif_type": Port.binding_vif_type,
    "binding:vnic_type": Port.binding_vnic_type,
    "port_security_enabled": Port.port_security_enabled,
    "revision_number": Port.revision_number,
    "created_at": Port.created_at,
    "updated_at": Port.updated_at,
}


def visible(project_id: str | None, is_admin: bool) -> sa.ColumnElement[bool]:
    """Admins see every port; others their own and those on networks they own."""
    if is_admin:
        return sa.true()
    owned = sa.select(Network.id).where(Network.project_id == project_id)
    return sa.or_(Port.project_id == project_id, Port.network_id.in_(owned))


def _fixed_ip_clause(spec: str) -> sa.ColumnElement[bool]:
    """``ip_address=X``, ``subnet_id=Y`` or ``ip_address_substr=Z`` (Neutron's syntax)."""
    key, sep, value = spec.partition("=")
    column = {
        "ip_address": IPAllocation.ip_address,
        "subnet_id": IPAllocation.subnet_id,
        "ip_address_substr": IPAllocation.ip_address,
    }.get(key)
    if not sep or column is None:
        raise exceptions.Invalid(
            f"Invalid input for fixed_ips. Reason: '{spec}' is not of the form "
            "ip_address=<ip>, subnet_id=<id> or ip_address_substr=<text>."
        )
    cond = column.contains(value, autoescape=True) if key.endswith("_substr") else column == value
    return Port.id.in_(sa.select(IPAllocation.port_id).where(cond))


def list_(session: Session, q: ListQuery, clause: sa.ColumnElement[bool]) -> Page:
    extra = [_fixed_ip_clause(str(v)) for v in q.equals.get("fixed_ips", ())]
    groups = q.equals.get("security_groups")
    if groups:
        extra.append(
            Port.id.in_(
                sa.select(PortSecurityGroup.port_id).where(
                    PortSecurityGroup.security_group_id.in_(list(groups))
                )
            )
        )
    return run(session, Port, COLUMNS, clause, q, extra)


def get(session: Session, port_id: str, clause: sa.ColumnElement[bool]) -> Port | None:
    return session.scalar(sa.select(Port).where(Port.id == port_id, clause))


def of_device(session: Session, device_id: str) -> list[Port]:
    return list(
        session.scalars(
            sa.select(Port).where(Port.device_id == device_id).order_by(Port.created_at, Port.id)
        )
    )


def fixed_ips(session: Session, port_ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """port id -> [(subnet id, address)] in allocation order."""
    ids = list(port_ids)
    found: dict[str, list[tuple[str, str]]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.execute(
        sa.select(IPAllocation.port_id, IPAllocation.subnet_id, IPAllocation.ip_address)
        .where(IPAllocation.port_id.in_(ids))
        .order_by(IPAllocation.id)
    )
    for port_id, subnet_id, address in rows:
        found[port_id].append((subnet_id, address))
    return found


def security_group_ids(session: Session, port_ids: Iterable[str]) -> dict[str, list[str]]:
    ids = list(port_ids)
    found: dict[str, list[str]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.execute(
        sa.select(PortSecurityGroup.port_id, PortSecurityGroup.security_group_id)
        .where(PortSecurityGroup.port_id.in_(ids))
        .order_by(PortSecurityGroup.security_group_id)
    )
    for port_id, sg_id in rows:
        found[port_id].append(sg_id)
    return found


def set_security_groups(session: Session, port_id: str, sg_ids: Sequence[str]) -> None:
    session.execute(sa.delete(PortSecurityGroup).where(PortSecurityGroup.port_id == port_id))
    for sg_id in dict.fromkeys(sg_ids):
        session.add(PortSecurityGroup(port_id=port_id, security_group_id=sg_id))
    session.flush()


def taken_addresses(session: Session, subnet_id: str) -> set[str]:
    return set(
        session.scalars(
            sa.select(IPAllocation.ip_address).where(IPAllocation.subnet_id == subnet_id)
        )
    )


def address_holder(session: Session, subnet_id: str, address: str) -> str | None:
    return session.scalar(
        sa.select(IPAllocation.port_id).where(
            IPAllocation.subnet_id == subnet_id, IPAllocation.ip_address == address
        )
    )


def allocate(session: Session, port: Port, subnet_id: str, address: str) -> bool:
    """Give ``address`` to ``port``; False if another transaction took it first."""
    try:
        with session.begin_nested():
            session.add(
                IPAllocation(
                    port_id=port.id,
                    subnet_id=subnet_id,
                    network_id=port.network_id,
                    ip_address=address,
                )
            )
    except sa.exc.IntegrityError:
        return False
    return True


def release(session: Session, port_id: str, keep: Iterable[tuple[str, str]] = ()) -> None:
    """Free the port's addresses except those in ``keep`` ((subnet, address) pairs)."""
    kept = set(keep)
    for row in session.scalars(sa.select(IPAllocation).where(IPAllocation.port_id == port_id)):
        if (row.subnet_id, row.ip_address) not in kept:
            session.delete(row)
    session.flush()


def mac_taken(session: Session, network_id: str, mac: str) -> bool:
    return (
        session.scalar(
            sa.select(Port.id).where(Port.network_id == network_id, Port.mac_address == mac)
        )
        is not None
    )


def insert(session: Session, row: Port) -> bool:
    """Insert a new port; False when its MAC is already used on the network (unique key)."""
    try:
        with session.begin_nested():
            session.add(row)
    except sa.exc.IntegrityError:
        return False
    return True


def delete(session: Session, row: Port) -> None:
    session.delete(row)
    session.flush()


def count(session: Session, project_id: str) -> int:
    return int(session.scalar(sa.select(sa.func.count()).where(Port.project_id == project_id)) or 0)


def holder_on_network(session: Session, network_id: str, address: str) -> Port | None:
    """The port holding the fixed IP ``address`` on any subnet of ``network_id``."""
    return session.scalar(
        sa.select(Port)
        .join(IPAllocation, IPAllocation.port_id == Port.id)
        .where(IPAllocation.network_id == network_id, IPAllocation.ip_address == address)
        .limit(1)
    )


def bound_to_host(session: Session, host: str) -> list[Port]:
    """The ports bound to compute host ``host`` that a device uses (the host's dataplane)."""
    return list(
        session.scalars(
            sa.select(Port)
            .where(Port.binding_host_id == host, Port.device_id != "")
            .order_by(Port.network_id, Port.id)
        )
    )
