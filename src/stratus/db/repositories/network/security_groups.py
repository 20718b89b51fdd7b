"""Security groups and their rules; which ports use a group."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.db.models.network import PortSecurityGroup, SecurityGroup, SecurityGroupRule
from stratus.db.repositories.network.listing import Columns, ListQuery, Page, run

COLUMNS: Columns = {
    "id": SecurityGroup.id,
    "name": SecurityGroup.name,
    "project_id": SecurityGroup.project_id,
    "tenant_id": SecurityGroup.project_id,
    "description": SecurityGroup.description,
    "stateful": SecurityGroup.stateful,
    "revision_number": SecurityGroup.revision_number,
    "created_at": SecurityGroup.created_at,
    "updated_at": SecurityGroup.updated_at,
}
RULE_COLUMNS: Columns = {
    "id": SecurityGroupRule.id,
    "security_group_id": SecurityGroupRule.security_group_id,
    "project_id": SecurityGroupRule.project_id,
    "tenant_id": SecurityGroupRule.project_id,
    "direction": SecurityGroupRule.direction,
    "ethertype": SecurityGroupRule.ethertype,
    "protocol": SecurityGroupRule.protocol,
    "port_range_min": SecurityGroupRule.port_range_min,
    "port_range_max": SecurityGroupRule.port_range_max,
    "remote_ip_prefix": SecurityGroupRule.remote_ip_prefix,
    "remote_group_id": SecurityGroupRule.remote_group_id,
    "description": SecurityGroupRule.description,
    "revision_number": SecurityGroupRule.revision_number,
    "created_at": SecurityGroupRule.created_at,
    "updated_at": SecurityGroupRule.updated_at,
}


def visible(project_id: str | None, is_admin: bool) -> sa.ColumnElement[bool]:
    if is_admin:
        return sa.true()
    return SecurityGroup.project_id == project_id


def rule_visible(project_id: str | None, is_admin: bool) -> sa.ColumnElement[bool]:
    """Rules the caller owns or that belong to the caller's groups."""
    if is_admin:
        return sa.true()
    own_groups = sa.select(SecurityGroup.id).where(SecurityGroup.project_id == project_id)
    return sa.or_(
        SecurityGroupRule.project_id == project_id,
        SecurityGroupRule.security_group_id.in_(own_groups),
    )


def list_(session: Session, q: ListQuery, clause: sa.ColumnElement[bool]) -> Page:
    return run(session, SecurityGroup, COLUMNS, clause, q)


def list_rules(session: Session, q: ListQuery, clause: sa.ColumnElement[bool]) -> Page:
    return run(session, SecurityGroupRule, RULE_COLUMNS, clause, q)


def get(session: Session, sg_id: str, clause: sa.ColumnElement[bool]) -> SecurityGroup | None:
    return session.scalar(sa.select(SecurityGroup).where(SecurityGroup.id == sg_id, clause))


def get_rule(
    session: Session, rule_id: str, clause: sa.ColumnElement[bool]
) -> SecurityGroupRule | None:
    return session.scalar(
        sa.select(SecurityGroupRule).where(SecurityGroupRule.id == rule_id, clause)
    )


def by_name(session: Session, project_id: str, name: str) -> list[SecurityGroup]:
    return list(
        session.scalars(
            sa.select(SecurityGroup)
            .where(SecurityGroup.project_id == project_id, SecurityGroup.name == name)
            .order_by(SecurityGroup.created_at)
        )
    )


def by_ids(session: Session, sg_ids: Iterable[str]) -> dict[str, SecurityGroup]:
    ids = list(sg_ids)
    if not ids:
        return {}
    return {
        r.id: r for r in session.scalars(sa.select(SecurityGroup).where(SecurityGroup.id.in_(ids)))
    }


def rules_of(session: Session, sg_ids: Iterable[str]) -> dict[str, list[SecurityGroupRule]]:
    ids = list(sg_ids)
    found: dict[str, list[SecurityGroupRule]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.scalars(
        sa.select(SecurityGroupRule)
        .where(SecurityGroupRule.security_group_id.in_(ids))
        .order_by(SecurityGroupRule.created_at, SecurityGroupRule.id)
    )
    for row in rows:
        found[row.security_group_id].append(row)
    return found


def port_ids_using(session: Session, sg_id: str) -> list[str]:
    return list(
        session.scalars(
            sa.select(PortSecurityGroup.port_id).where(PortSecurityGroup.security_group_id == sg_id)
        )
    )


def count(session: Session, project_id: str) -> int:
    return int(
        session.scalar(sa.select(sa.func.count()).where(SecurityGroup.project_id == project_id))
        or 0
    )


def count_rules(session: Session, project_id: str) -> int:
    return int(
        session.scalar(sa.select(sa.func.count()).where(SecurityGroupRule.project_id == project_id))
        or 0
    )


def referencing(session: Session, sg_ids: Iterable[str]) -> set[str]:
    """The groups with a rule whose remote group is one of ``sg_ids``."""
    ids = list(sg_ids)
    if not ids:
        return set()
    return set(
        session.scalars(
            sa.select(SecurityGroupRule.security_group_id)
            .where(SecurityGroupRule.remote_group_id.in_(ids))
            .distinct()
        )
    )


def member_port_ids(session: Session, sg_ids: Iterable[str]) -> dict[str, list[str]]:
    """group id -> the ports in it."""
    ids = list(sg_ids)
    found: dict[str, list[str]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.execute(
        sa.select(PortSecurityGroup.security_group_id, PortSecurityGroup.port_id)
        .where(PortSecurityGroup.security_group_id.in_(ids))
        .order_by(PortSecurityGroup.port_id)
    )
    for sg_id, port_id in rows:
        found[sg_id].append(port_id)
    return found
