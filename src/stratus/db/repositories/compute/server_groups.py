"""Server groups and their members (instance uuids).

Membership is written when a server is created with the scheduler hint ``group``
(:func:`add_member`) and removed when the server is deleted (:func:`remove_instance`).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.db.models.compute import ServerGroup, ServerGroupMember


def find(session: Session, group_uuid: str) -> ServerGroup | None:
    return session.scalars(
        sa.select(ServerGroup).where(ServerGroup.uuid == group_uuid)
    ).one_or_none()


def get(session: Session, group_uuid: str, project_id: str | None = None) -> ServerGroup:
    """The group, limited to ``project_id`` when given; ``NotFound`` otherwise."""
    row = find(session, group_uuid)
    if row is None or (project_id is not None and row.project_id != project_id):
        raise exceptions.NotFound(f"Server group {group_uuid} could not be found.")
    return row


def list_(
    session: Session, project_id: str | None, limit: int | None = None, offset: int = 0
) -> list[ServerGroup]:
    """Groups of ``project_id`` (every project's when None), oldest first."""
    query = sa.select(ServerGroup).order_by(ServerGroup.id)
    if project_id is not None:
        query = query.where(ServerGroup.project_id == project_id)
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def members_of(session: Session, group_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = list(group_ids)
    found: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        query = (
            sa.select(ServerGroupMember)
            .where(ServerGroupMember.group_id.in_(ids))
            .order_by(ServerGroupMember.instance_uuid)
        )
        for row in session.scalars(query):
            found[row.group_id].append(row.instance_uuid)
    return found


def add_member(session: Session, group_uuid: str, instance_uuid: str) -> ServerGroup:
    """Record ``instance_uuid`` as a member of the group (idempotent)."""
    group = get(session, group_uuid)
    if session.get(ServerGroupMember, (group.id, instance_uuid)) is None:
        session.add(ServerGroupMember(group_id=group.id, instance_uuid=instance_uuid))
        session.flush()
    return group


def member_count(session: Session, group_id: int) -> int:
    query = sa.select(sa.func.count()).where(ServerGroupMember.group_id == group_id)
    return int(session.scalar(query) or 0)


def group_of_instance(session: Session, instance_uuid: str) -> ServerGroup | None:
    query = (
        sa.select(ServerGroup)
        .join(ServerGroupMember, ServerGroupMember.group_id == ServerGroup.id)
        .where(ServerGroupMember.instance_uuid == instance_uuid)
    )
    return session.scalars(query).first()


def remove_instance(session: Session, instance_uuid: str) -> None:
    """Drop ``instance_uuid`` from whatever group it is in (idempotent)."""
    session.execute(
        sa.delete(ServerGroupMember).where(ServerGroupMember.instance_uuid == instance_uuid)
    )


def delete(session: Session, row: ServerGroup) -> None:
    session.execute(sa.delete(ServerGroupMember).where(ServerGroupMember.group_id == row.id))
    session.delete(row)
    session.flush()
