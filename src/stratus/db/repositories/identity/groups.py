"""Groups of users."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.db.models.identity import Group, GroupMembership
from stratus.db.repositories.identity.common import conflict, flush, get_or_404, name_key


def get(session: Session, group_id: str) -> Group:
    return get_or_404(session, Group, group_id, "group")


def check_name_free(
    session: Session, name: str, domain_id: str, exclude_id: str | None = None
) -> None:
    query = sa.select(Group.id).where(
        Group.domain_id == domain_id, Group.name_key == name_key(name)
    )
    if exclude_id:
        query = query.where(Group.id != exclude_id)
    if session.scalar(query):
        raise conflict("group", f"name {name} at domain ID {domain_id}")


def create(
    session: Session,
    group_id: str,
    name: str,
    domain_id: str,
    description: str = "",
    extra: dict[str, Any] | None = None,
) -> Group:
    check_name_free(session, name, domain_id)
    row = Group(
        id=group_id,
        name=name,
        name_key=name_key(name),
        domain_id=domain_id,
        description=description,
        extra=extra or {},
    )
    flush(session, row)
    return row


def list_(
    session: Session,
    name: str | None = None,
    domain_id: str | None = None,
    ids: set[str] | list[str] | None = None,
) -> list[Group]:
    query = sa.select(Group).order_by(Group.name, Group.id)
    if name is not None:
        query = query.where(Group.name == name)
    if domain_id is not None:
        query = query.where(Group.domain_id == domain_id)
    if ids is not None:
        if not ids:
            return []
        query = query.where(Group.id.in_(ids))
    return list(session.scalars(query))


def by_ids(session: Session, group_ids: set[str]) -> dict[str, Group]:
    if not group_ids:
        return {}
    return {g.id: g for g in session.scalars(sa.select(Group).where(Group.id.in_(group_ids)))}


def member_user_ids(session: Session, group_id: str) -> set[str]:
    query = sa.select(GroupMembership.user_id).where(GroupMembership.group_id == group_id)
    return set(session.scalars(query))


def ids_in_domain(session: Session, domain_id: str) -> list[str]:
    return list(session.scalars(sa.select(Group.id).where(Group.domain_id == domain_id)))


def delete(session: Session, row: Group) -> None:
    session.execute(sa.delete(GroupMembership).where(GroupMembership.group_id == row.id))
    session.delete(row)
    session.flush()
